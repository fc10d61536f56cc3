"""The 12345 bridge's bodies: a work order in, the appeal it became out; publication.

Input serializers only parse (types, lengths, the USCC's check character);
the rules of filing stay in ``actions``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from qitong.enterprises.uscc import normalize, validate_uscc
from qitong.integrations.models import WorkOrder

# 紧急程度 as the hotline may write it, in Chinese or in our codes.
URGENCY_WORDS = {
    "一般": WorkOrder.Urgency.NORMAL,
    "紧急": WorkOrder.Urgency.URGENT,
    "特急": WorkOrder.Urgency.VERY_URGENT,
    **{value: value for value in WorkOrder.Urgency.values},
}


class UrgencyField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        if value not in URGENCY_WORDS:
            raise serializers.ValidationError(
                _("应为 一般、紧急、特急（或 normal、urgent、very_urgent）。")
            )
        return WorkOrder.Urgency(URGENCY_WORDS[value]).value


class WorkOrderSerializer(serializers.Serializer):
    """A 12345 work order (工单); each field's Chinese name is its label."""

    work_order_no = serializers.CharField(label=_("工单编号"), max_length=100)
    called_at = serializers.DateTimeField(
        label=_("来电时间"), required=False, allow_null=True, default=None
    )
    caller = serializers.CharField(
        label=_("来电人"), max_length=50, required=False, allow_blank=True
    )
    phone = serializers.CharField(
        label=_("联系电话"), max_length=20, required=False, allow_blank=True
    )
    enterprise_name = serializers.CharField(label=_("企业名称"), max_length=200)
    uscc = serializers.CharField(label=_("统一社会信用代码"), max_length=30)
    content = serializers.CharField(label=_("诉求内容"), max_length=4000)
    kind = serializers.CharField(
        label=_("诉求类型"), max_length=50, required=False, allow_blank=True
    )
    urgency = UrgencyField(label=_("紧急程度"), required=False, default=WorkOrder.Urgency.NORMAL)
    due_at = serializers.DateTimeField(
        label=_("交办时限"), required=False, allow_null=True, default=None
    )
    attachments = serializers.ListField(
        label=_("附件链接"),
        child=serializers.URLField(max_length=500),
        required=False,
        max_length=20,
        default=list,
    )

    def validate_uscc(self, value):
        try:
            validate_uscc(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return normalize(value)

    def validate_content(self, value):
        if not any(char.isprintable() and not char.isspace() for char in value):
            raise serializers.ValidationError(_("不能只含空白或不可见字符。"))
        return value

    def validate_work_order_no(self, value):
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("不能为空。"))
        return value


class WorkOrderEnterpriseSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()
    verified = serializers.BooleanField()


class WorkOrderAnswerSerializer(serializers.Serializer):
    """What the hotline gets back: the appeal its work order became."""

    work_order_no = serializers.CharField()
    appeal_id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    created = serializers.BooleanField()
    enterprise = WorkOrderEnterpriseSerializer()


class PublicationSerializer(serializers.Serializer):
    """An enterprise makes its appeal readable through Open311 without a key, or not."""

    appeal = serializers.IntegerField(label=_("诉求"))
    public = serializers.BooleanField(label=_("公开"))
