from pathlib import Path

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qitong.core import jobs
from qitong.core.autocomplete import AutocompleteAdmin
from qitong.core.models import Job
from qitong.enterprises import actions, imports, registry
from qitong.enterprises.models import Contact, Enterprise, Qualification

# How many rejected rows the import page lists; the job's report file has them all.
REJECTED_SHOWN = 1000


class ImportForm(forms.Form):
    """An office's enterprise list, as .xlsx or .csv."""

    file = forms.FileField(
        label=_("企业名单文件"), help_text=_(".xlsx 或 .csv（UTF-8 或 GBK 编码），不超过 100 MB。")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".xlsx", ".csv"):
            raise ValidationError(_("请上传 .xlsx 或 .csv 文件。"))
        if upload.size > imports.MAX_UPLOAD:
            raise ValidationError(_("文件过大：不应超过 100 MB。"))
        return upload


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(AutocompleteAdmin, admin.ModelAdmin):
    list_display = ["name", "uscc", "region", "industry", "size", "tier", "registration"]
    # Only the regions enterprises are in: the full list has thousands of divisions.
    list_filter = [
        "registration_status",
        "verified",
        "tier",
        "size",
        "above_scale",
        ("region", admin.RelatedOnlyFieldListFilter),
    ]
    # Verified by the registry's sync (or the office's action on what a hotline caller named).
    readonly_fields = ["verified", "registry_checked_at"]
    search_fields = ["name", "uscc"]
    filter_horizontal = ["qualifications"]
    autocomplete_fields = ["region"]  # optional: left empty, it comes from the USCC
    inlines = [ContactInline]
    change_list_template = "admin/enterprises/enterprise/change_list.html"

    @admin.display(description=_("登记状态"), ordering="registration_status")
    def registration(self, obj):
        """The registry's status; a deregistered, revoked or moved-out one stands out."""
        words = obj.get_registration_status_display()
        if obj.registration_flagged:
            return format_html('<strong class="registry-flagged">{}</strong>', words)
        return words

    def save_model(self, request, obj, form, change):
        """Keep the profile as it was, for the history ``save_related`` writes."""
        request._enterprise_before = actions.snapshot(obj) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """After the qualifications and contacts: one history row per field changed."""
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_enterprise_before", None)
        if before is not None:
            actions.record_changes(
                form.instance, before, actor=request.user, source=actions.Source.ADMIN
            )

    def get_urls(self):
        upload = self.admin_site.admin_view(self.import_view)
        sync = self.admin_site.admin_view(self.registry_view)
        return [
            path("import/", upload, name="enterprises_enterprise_import"),
            path("registry/", sync, name="enterprises_enterprise_registry"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """导入企业名单: a small file is imported at once and its report shown; a large one
        goes to a background job, whose progress and then report this page shows."""
        return self._upload_view(
            request,
            title=gettext("导入企业名单"),
            columns=imports.COLUMNS,
            read=imports.import_enterprises,
            start=imports.start_import,
            job_report=imports.job_report,
            url_name="admin:enterprises_enterprise_import",
        )

    def registry_view(self, request):
        """同步市场监管登记: the regulator's export, read as the import's page reads a list."""
        return self._upload_view(
            request,
            title=gettext("同步市场监管登记"),
            columns=registry.COLUMNS,
            read=registry.sync,
            start=registry.start_sync,
            job_report=registry.job_report,
            url_name="admin:enterprises_enterprise_registry",
            registry=True,
        )

    def _upload_view(
        self, request, *, title, columns, read, start, job_report, url_name, registry=False
    ):
        if not imports.may_import(request.user):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "columns": columns,
            "registry": registry,
        }
        if "job" in request.GET:
            job = jobs.access_job_for_user(request.user, request.GET["job"])
            report = job_report(job)
            context.update(
                job=job,
                job_page=jobs.job_page_url(job),
                running=job.status in (Job.Status.QUEUED, Job.Status.RUNNING),
                failure=jobs.failure_words() if job.status == Job.Status.FAILED else "",
            )
            return self._render(request, context, report)
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > imports.job_threshold():
                job = start(request.user, upload)
                return redirect(f"{reverse(url_name)}?job={job.pk}")
            try:
                report = read(upload, name=upload.name, actor=request.user).as_dict()
            except imports.UnreadableFile as error:
                form.add_error("file", str(error))
        context["form"] = form
        return self._render(request, context, report)

    def _render(self, request, context, report):
        if report is not None and "rejected" in report:
            context["shown"] = report["rejected"][:REJECTED_SHOWN]
            context["not_shown"] = max(len(report["rejected"]) - REJECTED_SHOWN, 0)
        context["report"] = report
        return TemplateResponse(request, "admin/enterprises/enterprise/import.html", context)


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name"]
