from django.contrib import admin

from qitong.notify.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The outbox seen by an administrator: to look into, not to edit."""

    list_display = [
        "subject",
        "recipient",
        "kind",
        "created_at",
        "read_at",
        "email_status",
        "email_attempts",
        "email_next_attempt_at",
    ]
    list_filter = ["kind", "email_status"]
    search_fields = ["subject", "recipient__username"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    readonly_fields = [field.name for field in Message._meta.fields]

    def has_add_permission(self, request):
        return False
