"""The appeal API's shapes: what a request may carry and what an answer shows.

Input serializers only parse: they turn JSON into the keyword arguments of an
action and leave every rule (required text, lengths, choices, who may act) to
``qitong.appeals.actions``, so a rule is written once. Output serializers show
an appeal exactly as contracts/api-v1.md lists it, plus a few extra fields.
"""

from django.db.models import Manager
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField

from qitong.appeals import deadlines, figures
from qitong.appeals.models import Assignment, Category
from qitong.core import clock
from qitong.core.lookups import unique_row
from qitong.enterprises import uscc
from qitong.enterprises.models import Enterprise

# --- input ----------------------------------------------------------------------------


def text(**kwargs):
    """Text handed to an action as sent; a missing value arrives as None for the action to judge."""
    return serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        default=None,
        **kwargs,
    )


def optional_text():
    """Text the action treats as optional: left out, the action's own default applies."""
    return serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.Field):
    """A reference by code: the object, or the code itself when no object has it.

    Passing an unknown code on (rather than failing here) lets the action
    report it together with the body's other mistakes.
    """

    default_error_messages = {"invalid": _("应为代码文本。")}

    def __init__(self, queryset, slug_field, normalize=str.strip, **kwargs):
        self.queryset, self.slug_field, self.normalize = queryset, slug_field, normalize
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        code = self.normalize(data)
        if not code:
            return None
        return unique_row(self.queryset, **{self.slug_field: code}) or code

    def to_representation(self, value):
        return getattr(value, self.slug_field, value)


class AppealCreateSerializer(serializers.Serializer):
    enterprise = CodeField(
        Enterprise.objects.all(),
        "uscc",
        normalize=uscc.normalize,
        required=False,
        allow_null=True,
        default=None,
    )
    title = text()
    content = text()
    channel = text(help_text="web|mobile|wechat|hotline12345|visit|phone|meeting|open311")
    category = CodeField(
        Category.objects.filter(is_active=True),
        "code",
        required=False,
        allow_null=True,
        default=None,
    )
    major = serializers.BooleanField(required=False, default=False)
    contact_name = serializers.CharField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(required=False, allow_blank=True)
    external_id = serializers.CharField(required=False, allow_blank=True)


class EmptyBody(serializers.Serializer):
    """No fields; a malformed body is still refused."""


class ReasonBody(serializers.Serializer):
    reason = text()


class OptionalReasonBody(serializers.Serializer):
    reason = optional_text()


class NoteBody(serializers.Serializer):
    note = text()


class OptionalNoteBody(serializers.Serializer):
    note = optional_text()


class DispatchBody(serializers.Serializer):
    mode = text(help_text="direct|transfer|coordinated")
    lead_unit = text()
    co_units = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    complex = serializers.BooleanField(required=False, default=False)


class ResolveBody(serializers.Serializer):
    result = text()


class RecategorizeBody(serializers.Serializer):
    category = text(help_text="the category's code (GET /api/v1/categories)")


class ExtendBody(serializers.Serializer):
    working_days = serializers.FloatField(required=False, allow_null=True, default=None)
    reason = text()


class RateBody(serializers.Serializer):
    process = text(help_text="satisfied|basically_satisfied|unsatisfied")
    result = text(help_text="satisfied|basically_satisfied|unsatisfied")
    comment = optional_text()


class EscalateBody(serializers.Serializer):
    level = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = text()


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


# --- output ---------------------------------------------------------------------------


class Shown(serializers.Serializer):
    """An answer's shape, shown without DRF's copy of every field for every use.

    DRF deep-copies a serializer's declared fields, nested shapes' too, each
    time one is made: some sixty fields for a case's answer, a millisecond of
    a filing. Here the fields are still declared as DRF fields (the schema and
    the docs read them), but what showing an object takes is worked out once
    per class from one bound copy (``_plan``) and then only followed: each
    value read as DRF reads it (the field's ``get_attribute``), None shown as
    None, others by the field's own ``to_representation``; a nested shape by
    its own plan; a method field (``SerializerMethodField``) by this
    serializer's method, so that it sees this serializer's context. Output
    only: a nested shape must itself be ``Shown``.
    ``tests/appeals/test_filing_costs.py`` checks the answers against DRF's own walk.
    """

    VALUE, METHOD, ONE, MANY = range(4)

    @classmethod
    def _plan(cls):
        plan = cls.__dict__.get("_shown_plan")
        if plan is None:
            plan = []
            for field in cls().fields.values():
                if field.write_only:
                    continue
                if isinstance(field, serializers.SerializerMethodField):
                    step = (cls.METHOD, field.method_name)
                elif isinstance(field, serializers.ListSerializer):
                    step = (cls.MANY, cls._nested(field.child))
                elif isinstance(field, serializers.BaseSerializer):
                    step = (cls.ONE, cls._nested(field))
                else:
                    step = (cls.VALUE, field.to_representation)
                plan.append((field.field_name, field.get_attribute, *step))
            cls._shown_plan = plan = tuple(plan)
        return plan

    @staticmethod
    def _nested(serializer):
        if not isinstance(serializer, Shown):
            raise TypeError(f"{type(serializer).__name__} is nested in an answer: make it Shown")
        return type(serializer)

    def to_representation(self, instance):
        shown = {}
        for name, read, kind, how in self._plan():
            if kind == self.METHOD:
                shown[name] = getattr(self, how)(instance)
                continue
            try:
                value = read(instance)
            except SkipField:
                continue
            if value is None:
                shown[name] = None
            elif kind == self.VALUE:
                shown[name] = how(value)
            elif kind == self.ONE:
                shown[name] = how(context=self.context).to_representation(value)
            else:
                child = how(context=self.context)
                items = value.all() if isinstance(value, Manager) else value
                shown[name] = [child.to_representation(item) for item in items]
        return shown


def _now(serializer):
    """The request's single reading of the clock, shared by every row."""
    return serializer.context.get("at") or clock.now()


class EnterpriseRefSerializer(Shown):
    uscc = serializers.CharField()
    name = serializers.CharField()


class DeadlinesSerializer(Shown):
    contact = serializers.DateTimeField(source="contact_due", allow_null=True)
    reply = serializers.DateTimeField(source="reply_due", allow_null=True)
    resolve = serializers.DateTimeField(source="resolve_due", allow_null=True)
    provisional = serializers.BooleanField()


class SupervisionSerializer(Shown):
    reason = serializers.CharField()
    trigger = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class RatingSerializer(Shown):
    process = serializers.CharField(source="rating_process")
    result = serializers.CharField(source="rating_result")
    comment = serializers.CharField(source="rating_comment")
    rated_at = serializers.DateTimeField(allow_null=True)


class EventSerializer(Shown):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", allow_null=True)
    action = serializers.CharField()
    note = serializers.CharField()
    unit = serializers.CharField(source="unit.code", allow_null=True)


class CoUnitDeadlineSerializer(Shown):
    unit = serializers.CharField(source="unit.code")
    due = serializers.DateTimeField(source="due_at", allow_null=True)
    contributed_at = serializers.DateTimeField(allow_null=True)


class MilestonesSerializer(Shown):
    dispatched = serializers.DateTimeField(source="dispatched_at", allow_null=True)
    signed = serializers.DateTimeField(source="signed_at", allow_null=True)
    contacted = serializers.DateTimeField(source="contacted_at", allow_null=True)
    replied = serializers.DateTimeField(source="replied_at", allow_null=True)
    resolved = serializers.DateTimeField(source="resolved_at", allow_null=True)
    closed = serializers.DateTimeField(source="closed_at", allow_null=True)


class RequestSerializer(Shown):
    kind = serializers.CharField()
    working_days = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    reason = serializers.CharField()
    decision = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class AttachmentSerializer(Shown):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


def co_parts(appeal):
    """The active co-unit parts, prefetched as ``co_parts`` when the caller did so."""
    parts = getattr(appeal, "co_parts", None)
    if parts is None:
        parts = list(
            appeal.assignments.filter(role=Assignment.Role.CO, active=True).select_related("unit")
        )
    return parts


class AppealListItemSerializer(Shown):
    """The lighter shape of a list row: nothing that needs more than the row and its joins."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    title = serializers.CharField()
    enterprise = EnterpriseRefSerializer()
    channel = serializers.CharField()
    category = serializers.CharField(source="category.code", allow_null=True)
    major = serializers.BooleanField()
    handling_mode = serializers.SerializerMethodField()
    lead_unit = serializers.CharField(source="lead_unit.code", allow_null=True)
    deadlines = DeadlinesSerializer(source="*")
    overdue = serializers.SerializerMethodField()
    escalation_level = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_handling_mode(self, appeal):
        return appeal.handling_mode or None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, appeal):
        return deadlines.is_overdue(appeal, _now(self))


class AppealSerializer(AppealListItemSerializer):
    """An appeal as ``GET /api/v1/appeals/{id}`` shows it."""

    content = serializers.CharField()
    co_units = serializers.SerializerMethodField()
    co_unit_deadlines = serializers.SerializerMethodField()
    supervisions = SupervisionSerializer(many=True)
    rating = serializers.SerializerMethodField()
    events = EventSerializer(many=True)
    office = serializers.CharField(source="office.code")
    complex = serializers.BooleanField()
    suspended = serializers.SerializerMethodField()
    milestones = MilestonesSerializer(source="*")
    result = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    external_id = serializers.CharField()
    requests = RequestSerializer(many=True)
    attachments = AttachmentSerializer(many=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_co_units(self, appeal):
        return [part.unit.code for part in co_parts(appeal)]

    @extend_schema_field(CoUnitDeadlineSerializer(many=True))
    def get_co_unit_deadlines(self, appeal):
        return CoUnitDeadlineSerializer(co_parts(appeal), many=True).data

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, appeal):
        return RatingSerializer(appeal).data if appeal.rating_result else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_suspended(self, appeal):
        return appeal.suspended_since is not None


class CategorySerializer(Shown):
    code = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(source="parent.code", allow_null=True)


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(required=False, validators=[figures.check_month])

    @classmethod
    def period(cls, params, *, today):
        """[start, end) of the month asked for (default: this month); 400 on a bad value."""
        parsed = cls(data=params)
        parsed.is_valid(raise_exception=True)
        return figures.month_of(parsed.validated_data.get("month"), today)
