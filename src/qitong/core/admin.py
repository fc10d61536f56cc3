from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qitong.core import jobs, workdays
from qitong.core.models import ApiToken, CalendarDay, CalendarYear, Job, OfficeHours

MAX_SCHEDULE_FILE = 256 * 1024


class ScheduleForm(forms.Form):
    """A year's official schedule, pasted or uploaded as CSV."""

    year = forms.IntegerField(label=_("年份"), min_value=2000, max_value=2100)
    text = forms.CharField(
        label=_("放假与调休安排"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 60}),
        help_text=_(
            "每行一天：日期,类型,名称。类型为 holiday（休）或 workday（班），如 2027-02-05,holiday,春节"
        ),
    )
    file = forms.FileField(label=_("或上传 CSV 文件"), required=False)
    note = forms.CharField(label=_("依据"), required=False, max_length=200)

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("text") or ""
        if upload:
            if upload.size > MAX_SCHEDULE_FILE:
                raise ValidationError(_("文件过大：不应超过 256 KB。"))
            raw = upload.read()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise ValidationError(_("文件不是 UTF-8 或 GBK 编码的文本。"))
        if not text.strip():
            raise ValidationError(_("请粘贴安排或上传 CSV 文件。"))
        if cleaned.get("year"):
            cleaned["days"] = workdays.parse_schedule(text, cleaned["year"])
        return cleaned


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "source"]
    list_filter = ["kind", "source"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        workdays.announce_change([obj.date.year])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        workdays.announce_change([obj.date.year])

    def delete_queryset(self, request, queryset):
        years = {day.year for day in queryset.values_list("date", flat=True)}
        super().delete_queryset(request, queryset)
        workdays.announce_change(years)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "loaded_at", "note"]
    change_list_template = "admin/core/calendaryear/change_list.html"

    def has_add_permission(self, request):
        return False  # a year is added by loading its schedule

    def get_urls(self):
        load = self.admin_site.admin_view(self.load_view)
        return [path("load/", load, name="core_calendaryear_load"), *super().get_urls()]

    def load_view(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = ScheduleForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            days = form.cleaned_data["days"]
            year = form.cleaned_data["year"]
            workdays.load_official_schedule(year, days, note=form.cleaned_data["note"])
            self.message_user(
                request,
                gettext(
                    "已载入 %(year)d 年安排，共 %(count)d 天；该年份不再是暂定。"
                    "在办诉求的期限正在后台重新计算，进度见“后台任务”。"
                )
                % {"year": year, "count": len(days)},
                messages.SUCCESS,
            )
            return redirect(reverse("admin:core_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("载入年度放假安排"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/core/calendaryear/load.html", context)


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ["start", "end"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list to read, never to edit: rows that only the app's actions or jobs write.

    ``allow_delete`` lets an admin still remove rows (e.g. old crawl runs).
    """

    allow_delete = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and super().has_delete_permission(request, obj)


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Background jobs, read-only: what runs, how far it got, and why one failed."""

    list_display = ["id", "what", "status", "progress", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Job._meta.fields]

    @admin.display(description=_("任务"))
    def what(self, job):
        return jobs.label(job)

    @admin.display(description=_("进度"))
    def progress(self, job):
        if job.total is None:
            return f"{job.done}"
        return gettext("%(done)s / %(total)s（%(percent)s%%）") % {
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
        }


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: who holds which, until when; revoked here, issued by ``qitong apitoken``
    (a key is shown once, so it is never created or shown in the admin)."""

    list_display = [
        "prefix",
        "name",
        "user",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["revoked_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
        self.message_user(request, gettext("所选令牌已吊销。"), messages.SUCCESS)
