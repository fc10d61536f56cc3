from django.contrib import admin
from django.utils.translation import gettext_lazy

from qitong.core import clock
from qitong.core.autocomplete import AutocompleteAdmin
from qitong.notify import actions
from qitong.notify.models import ChannelChoice, Message, Robot


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
        "sms_status",
        "sms_attempts",
        "wecom_status",
        "wecom_attempts",
    ]
    list_filter = ["kind", "email_status", "sms_status", "wecom_status"]
    search_fields = ["subject", "recipient__username"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    readonly_fields = [field.name for field in Message._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ChannelChoice)
class ChannelChoiceAdmin(AutocompleteAdmin, admin.ModelAdmin):
    """Users' channels per kind of message (kind empty: every other kind), as on their page."""

    list_display = ["user", "kind", "kind_label", "inbox", "email", "sms", "wecom"]
    list_filter = ["kind", "sms", "wecom"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]

    @admin.display(description=gettext_lazy("消息类型名称"))
    def kind_label(self, row):
        """What the kind is called; a retired one (no longer offered, its row kept) says so."""
        if not row.kind:
            return gettext_lazy("全部消息（默认）")
        return actions.KINDS.get(row.kind) or actions.RETIRED.get(row.kind) or row.kind


@admin.register(Robot)
class RobotAdmin(AutocompleteAdmin, admin.ModelAdmin):
    """Units' WeCom group robots; the address must be on a host of ``QITONG_WECOM_HOSTS``."""

    list_display = ["unit", "url", "updated_at", "updated_by"]
    search_fields = ["unit__name"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["updated_at", "updated_by"]
    list_select_related = ["unit", "updated_by"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.updated_at = clock.now()
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
