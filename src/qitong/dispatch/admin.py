from django.contrib import admin

from qitong.dispatch.models import DuplicateLink, KeywordRule, Suggestion


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    """The cold-start rules: edited here, read by ``suggest.by_rules``."""

    list_display = ("__str__", "keywords", "is_active")
    list_filter = ("is_active",)
    raw_id_fields = ("category", "lead_unit")


class ReadOnly(admin.ModelAdmin):
    """Written by the actions only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnly):
    list_display = ("appeal", "source", "lead_unit", "unit_confidence", "outcome", "chosen_unit")
    list_filter = ("outcome", "source")
    raw_id_fields = ("appeal",)


@admin.register(DuplicateLink)
class DuplicateLinkAdmin(ReadOnly):
    list_display = ("appeal", "primary", "score", "linked_by", "linked_at")
    raw_id_fields = ("appeal", "primary")
