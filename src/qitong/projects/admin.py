"""Key projects in the admin: the rules of the monthly ranking are edited here (validated by
the model); projects, reports, rankings and warnings are read-only, as the actions and the
month's close write them."""

from django.contrib import admin
from django.shortcuts import redirect

from qitong.core.admin import ReadOnlyAdmin
from qitong.projects.models import Milestone, MonthClose, Progress, Project, Ranking, Rules, Warning


@admin.register(Rules)
class RulesAdmin(admin.ModelAdmin):
    """One row: the list opens it directly; it can't be added twice or deleted."""

    list_display = [
        "__str__",
        "ahead_margin",
        "lagging_margin",
        "yellow_after",
        "red_after",
        "talk_after",
        "close_day",
    ]

    def has_add_permission(self, request):
        return not Rules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = Rules.load()
        return redirect("admin:projects_rules_change", row.pk)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["name", "month", "investment", "reached_month"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["name", "enterprise", "district", "unit", "leader", "state", "start_month"]
    list_filter = ["state", "district"]
    search_fields = ["name", "enterprise__name"]
    list_select_related = ["enterprise", "district", "unit", "leader"]
    inlines = [MilestoneInline]


@admin.register(Progress)
class ProgressAdmin(ReadOnlyAdmin):
    list_display = ["project", "month", "investment", "reported_by", "reported_at"]
    list_filter = ["month"]
    list_select_related = ["project", "reported_by"]


@admin.register(Ranking)
class RankingAdmin(ReadOnlyAdmin):
    list_display = ["month", "kind", "rank", "unit", "rate", "projects", "last", "streak"]
    list_filter = ["month", "kind"]
    list_select_related = ["unit"]


@admin.register(Warning)
class WarningAdmin(ReadOnlyAdmin):
    list_display = ["month", "kind", "unit", "level", "streak", "created_at"]
    list_filter = ["month", "level"]
    list_select_related = ["unit"]


@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnlyAdmin):
    list_display = ["month", "closed_at", "projects"]
