"""The appeal loop's configuration in the admin: the category tree and the escalation ladder.

Appeals themselves are listed read-only: every change goes through the actions
(the API and the workbenches), never through a raw admin form.
"""

from django.contrib import admin
from django.shortcuts import redirect

from qitong.appeals.models import Appeal, Category, EscalationStep, Event, Supervision, TimeLimits
from qitong.core.admin import ReadOnlyAdmin
from qitong.core.autocomplete import AutocompleteAdmin


@admin.register(Category)
class CategoryAdmin(AutocompleteAdmin, admin.ModelAdmin):
    list_display = ["code", "name", "parent", "is_policy", "is_active"]
    list_filter = ["is_policy", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(EscalationStep)
class EscalationStepAdmin(AutocompleteAdmin, admin.ModelAdmin):
    list_display = ["level", "title", "unit"]
    autocomplete_fields = ["unit"]


class EventInline(admin.TabularInline):
    model = Event
    fields = ["at", "action", "actor", "unit", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SupervisionInline(admin.TabularInline):
    model = Supervision
    fields = ["trigger", "reason", "opened_at", "closed_at", "urge_count"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "title",
        "enterprise",
        "status",
        "lead_unit",
        "resolve_due",
        "escalation_level",
    ]
    list_filter = ["status", "channel", "handling_mode", "major", "provisional"]
    search_fields = ["number", "title", "enterprise__name", "enterprise__uscc"]
    list_select_related = ["enterprise", "lead_unit"]
    date_hierarchy = "created_at"
    inlines = [SupervisionInline, EventInline]


@admin.register(TimeLimits)
class TimeLimitsAdmin(admin.ModelAdmin):
    """One row: the list opens it directly; it can't be added twice or deleted."""

    list_display = [
        "__str__",
        "contact_days",
        "reply_days",
        "resolve_days",
        "long_days",
        "cap_days",
        "key_factor",
    ]

    def has_add_permission(self, request):
        return not TimeLimits.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = TimeLimits.load()
        return redirect("admin:appeals_timelimits_change", row.pk)
