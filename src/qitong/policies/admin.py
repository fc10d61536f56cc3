"""The policy library in the admin: sources are edited here (validated by the model), their
health shown; policies, attachments and crawl runs are read-only, as the crawler writes them."""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.core.admin import ReadOnlyAdmin
from qitong.policies import actions
from qitong.policies.models import Attachment, CrawlRun, Policy, PolicySource


@admin.register(PolicySource)
class PolicySourceAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "kind",
        "enabled",
        "last_run_at",
        "consecutive_failures",
        "backoff_until",
        "flagged",
    ]
    list_filter = ["enabled", "flagged", "kind"]
    search_fields = ["name", "list_url"]
    readonly_fields = [*actions.HEALTH, "resume_url", "created_at"]
    actions = ["resume"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            # Government list pages are still often plain http: an address typed without a
            # scheme is taken as http, as it is today (Django 6 would assume https).
            kwargs["assume_scheme"] = "http"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.action(description=_("启用并清除暂停与标记"))
    def resume(self, request, queryset):
        for source_id in queryset.values_list("pk", flat=True):
            actions.enable_source(source_id, acting_user=request.user)


class ReadOnly(ReadOnlyAdmin):
    allow_delete = True  # old runs and policies may be removed by hand


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ["name", "url", "file", "size"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Policy)
class PolicyAdmin(ReadOnly):
    list_display = ["title", "issuer", "number", "published", "first_seen_at"]
    search_fields = ["title", "number", "issuer"]
    date_hierarchy = "first_seen_at"
    inlines = [AttachmentInline]


@admin.register(CrawlRun)
class CrawlRunAdmin(ReadOnly):
    list_display = [
        "started_at",
        "finished_at",
        "sources",
        "fetched",
        "new",
        "updated",
        "duplicates",
        "errors",
    ]
