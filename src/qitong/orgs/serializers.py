"""The administration API's shapes for units and users."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from qitong.orgs.models import Unit, User

# Enterprises sit above orgs (each has a region); a user names one by the
# relation the model declares, not by importing the app above.
Enterprise = User._meta.get_field("enterprise").related_model


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Unit.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("单位 {value} 不存在。")},
    )

    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "parent"]

    def create(self, validated_data):
        unit = Unit(**validated_data)
        unit.full_clean()
        unit.save()
        return unit


# Django's own Chinese catalogue lacks some of these (the plural "too short"), so
# the built-in validators' messages are given here by their codes.
PASSWORD_MESSAGES = {
    "password_too_short": _("密码太短，至少需要 %(min_length)d 个字符。"),
    "password_too_common": _("密码过于常见。"),
    "password_entirely_numeric": _("密码不能全是数字。"),
    "password_too_similar": _("密码与%(verbose_name)s过于相似。"),
}


def _password_message(error):
    template = PASSWORD_MESSAGES.get(error.code)
    if template is None:
        return error.messages[0]
    return str(template) % (error.params or {})


class UsccRelatedField(serializers.SlugRelatedField):
    """An enterprise by its code, written in any case and with stray spaces.

    The code is compared as GB 32100 writes it, upper case and trimmed, as
    ``Enterprise.save`` stores it.
    """

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().upper() if isinstance(data, str) else data)


class UserCreateSerializer(serializers.ModelSerializer):
    """A new user in one role and scope; the model's ``clean`` says which scope a role needs."""

    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    unit = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Unit.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("单位 {value} 不存在。")},
    )
    enterprise = UsccRelatedField(
        slug_field="uscc",
        queryset=Enterprise.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("统一社会信用代码为 {value} 的企业不存在。")},
    )

    class Meta:
        model = User
        fields = [
            "username",
            "password",
            "role",
            "unit",
            "enterprise",
            "first_name",
            "email",
            "phone",
        ]
        extra_kwargs = {"role": {"required": True}}

    def validate(self, attrs):
        fields = {key: value for key, value in attrs.items() if key != "password"}
        errors = {}
        user = User(**fields)
        try:
            user.full_clean(exclude=["password"])
        except DjangoValidationError as exc:
            errors.update(exc.message_dict)
        try:
            password_validation.validate_password(attrs["password"], user)
        except DjangoValidationError as exc:
            errors["password"] = [_password_message(error) for error in exc.error_list]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        password = validated_data.pop("password")
        user = User(**validated_data)
        user.set_password(password)
        user.save()
        return user
