"""The trail in the admin: read only, for every administrator (no add, change or delete).

Changes go nowhere but the end of the chain (``trail.record``); rows leave only by
``chain.prune`` after the retention.
"""

from django.contrib import admin

from qitong.audit.models import Record


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "username", "address", "action", "target", "outcome")
    list_filter = ("action", "outcome")
    search_fields = ("username", "target", "address")
    readonly_fields = [field.name for field in Record._meta.fields]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
