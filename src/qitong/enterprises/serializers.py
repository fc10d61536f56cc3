"""The administration API's shape for enterprises."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import normalize, validate_uscc
from qitong.orgs.models import Region


class UsccField(serializers.CharField):
    """The code as GB 32100 writes it (upper case, trimmed) before any check runs."""

    def to_internal_value(self, data):
        return normalize(super().to_internal_value(data))


class EnterpriseSerializer(serializers.ModelSerializer):
    uscc = UsccField(
        validators=[
            validate_uscc,
            UniqueValidator(
                queryset=Enterprise.objects.all(), message=_("该统一社会信用代码的企业已登记。")
            ),
        ]
    )
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("行政区划 {value} 不存在。")},
        help_text=_(
            "行政区划代码，可省略：省略时按统一社会信用代码第 3—8 位自动填写，"
            "已撤销的代码自动换成承接它的区划。"
        ),
    )

    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "tier", "region", "industry", "size"]
        extra_kwargs = {"tier": {"required": True}}

    def create(self, validated_data):
        enterprise = Enterprise(**validated_data)
        enterprise.full_clean()
        enterprise.save()
        return enterprise
