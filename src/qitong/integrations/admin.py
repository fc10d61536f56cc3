"""The systems (created here with their key shown once), the work orders, the callback
outbox with its replay, and the Open311 requests waiting for the office."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.core import masking
from qitong.core.admin import ReadOnlyAdmin
from qitong.core.feedback import REFUSED, refusal
from qitong.enterprises.models import Enterprise
from qitong.integrations import actions
from qitong.integrations.models import Callback, Integration, ServiceRequest, WorkOrder


class IntegrationForm(forms.ModelForm):
    callback_url = forms.URLField(
        label=gettext_lazy("回调地址"), max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = Integration
        fields = ["name", "title", "kind", "callback_url", "active"]


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """A new system gets its account, its shared secret and an API key, shown once."""

    form = IntegrationForm
    list_display = ["name", "title", "kind", "active", "callback_url", "api_key_prefix"]
    list_filter = ["kind", "active"]
    readonly_fields = ["secret", "api_key_prefix", "created_at"]
    actions = ["issue_key"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "name", "kind"] if obj else self.readonly_fields

    def get_fields(self, request, obj=None):
        fields = ["name", "title", "kind", "callback_url", "active"]
        return [*fields, "secret", "api_key_prefix", "created_at"] if obj else fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created, key = actions.create_integration(
            name=obj.name, kind=obj.kind, title=obj.title, callback_url=obj.callback_url
        )
        obj.pk, obj.account_id = created.pk, created.account_id
        obj.active = created.active
        self.message_user(
            request,
            _("已创建。API 密钥（只显示这一次，请立即保存）：%(key)s") % {"key": key},
            messages.WARNING,
        )

    @admin.action(description=gettext_lazy("重新签发 API 密钥（旧密钥立即失效）"))
    def issue_key(self, request, queryset):
        for integration in queryset:
            key = actions.new_api_key(integration)
            self.message_user(
                request,
                _("%(name)s 的新 API 密钥（只显示这一次）：%(key)s")
                % {"name": integration.name, "key": key},
                messages.WARNING,
            )


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "integration", "appeal", "urgency", "new_enterprise", "received_at"]
    list_filter = ["integration", "urgency", "new_enterprise"]
    search_fields = ["number", "appeal__number", "caller"]
    list_select_related = ["integration", "appeal"]
    # The caller's phone masked (``core.masking``): the case's handlers reveal it there.
    exclude = ["phone"]
    readonly_fields = ["masked_phone"]

    @admin.display(description=gettext_lazy("联系电话"))
    def masked_phone(self, order):
        return masking.mask_phone(order.phone)


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    """The callback outbox: dead letters are replayed from here."""

    list_display = [
        "appeal",
        "seq",
        "integration",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "integration"]
    search_fields = ["appeal__number"]
    list_select_related = ["appeal", "integration"]
    actions = ["replay"]

    @admin.action(description=gettext_lazy("重新发送"))
    def replay(self, request, queryset):
        try:
            count = sum(
                actions.replay_callback(callback, acting_user=request.user) for callback in queryset
            )
        except PermissionDenied:
            self.message_user(request, _("只有系统管理员可以重新发送。"), messages.ERROR)
            return
        self.message_user(request, _("已重新排队 %(count)d 条回调。") % {"count": count})


class ServiceRequestForm(forms.ModelForm):
    """The office links a waiting request to an enterprise (which files it) or declines it."""

    link_enterprise = forms.ModelChoiceField(
        Enterprise.objects.all(),
        required=False,
        label=gettext_lazy("关联企业并受理"),
        widget=forms.TextInput,
        to_field_name="uscc",
        help_text=gettext_lazy("填写统一社会信用代码"),
    )

    class Meta:
        model = ServiceRequest
        fields = ["decline_reason"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    form = ServiceRequestForm
    list_display = ["token", "integration", "state", "service_code", "appeal", "received_at"]
    list_filter = ["state", "integration"]
    search_fields = ["token", "appeal__number", "description"]
    list_select_related = ["integration", "appeal"]
    readonly_fields = [
        "integration",
        "token",
        "state",
        "appeal",
        "service_code",
        "description",
        "attributes",
        "first_name",
        "last_name",
        "email",
        "masked_phone",
        "address",
        "lat",
        "long",
        "media_url",
        "enterprise_uscc",
        "enterprise_name",
        "received_at",
        "answer",
        "handled_by",
        "handled_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("电话"))
    def masked_phone(self, request_):
        """The reporter's phone masked (``core.masking``); the offices read it on their page."""
        return masking.mask_phone(request_.phone)

    def get_fields(self, request, obj=None):
        editable = ["link_enterprise", "decline_reason"]
        pending = obj is not None and obj.state == ServiceRequest.State.PENDING
        return [*self.readonly_fields, *(editable if pending else [])]

    def save_model(self, request, obj, form, change):
        enterprise = form.cleaned_data.get("link_enterprise")
        try:
            if enterprise is not None:
                actions.file_service_request(obj, enterprise=enterprise, acting_user=request.user)
            elif form.cleaned_data.get("decline_reason"):
                actions.decline_service_request(
                    obj, acting_user=request.user, reason=form.cleaned_data["decline_reason"]
                )
        except REFUSED as exc:
            self.message_user(request, refusal(exc), messages.ERROR)
