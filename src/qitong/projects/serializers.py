"""The projects API's shapes: request bodies (parsing only) and answers.

Input serializers turn JSON, or a page's form, into an action's keyword
arguments and leave every rule (required fields, amounts, months, who may
act) to ``qitong.projects.actions``, so a rule is written once and the pages
and the API refuse the same things with the same words. A field left out of
a body is left out of the arguments: creating needs it (the action says so),
editing leaves it unchanged.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from qitong.appeals.serializers import CodeField, text
from qitong.enterprises import uscc
from qitong.enterprises.models import Enterprise
from qitong.orgs.models import Unit, User
from qitong.projects.models import Milestone, Problem, Progress, Project, Standing

# --- input ----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class Amount(serializers.Field):
    """An amount in 万元, as a number or its text; the action judges it."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return str(value)


def _optional(field_class, *args, **kwargs):
    return field_class(*args, required=False, **kwargs)


def optional_text(**kwargs):
    """Text that may be left out (then the field is not in the arguments)."""
    return serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False, **kwargs
    )


class MilestoneBody(serializers.Serializer):
    name = optional_text()
    month = optional_text(help_text="YYYY-MM")
    investment = Amount(required=False, help_text="计划累计投资（万元）")


class ProjectBody(serializers.Serializer):
    """A project's fields, for registering (all needed) and editing (those sent change)."""

    name = optional_text()
    enterprise = _optional(
        CodeField, Enterprise.objects.all(), "uscc", normalize=uscc.normalize, allow_null=True
    )
    planned_investment = Amount(required=False, help_text="计划总投资（万元）")
    district = _optional(
        CodeField,
        Unit.objects.filter(kind=Unit.Kind.DISTRICT),
        "code",
        allow_null=True,
        help_text="区县政府的单位代码",
    )
    leader = _optional(
        CodeField,
        User.objects.filter(role=User.Role.LEADER),
        "username",
        allow_null=True,
        help_text="责任领导的用户名",
    )
    unit = _optional(
        CodeField, Unit.objects.all(), "code", allow_null=True, help_text="责任单位代码"
    )
    team = serializers.ListField(
        child=CodeField(User.objects.all(), "username"),
        required=False,
        help_text="工作专班成员的用户名",
    )
    start_month = optional_text(help_text="YYYY-MM")
    milestones = MilestoneBody(many=True, required=False)
    public = serializers.BooleanField(required=False)


class ProgressBody(serializers.Serializer):
    """A month's report: JSON, or multipart with ``photos`` (repeated) for the photos."""

    month = text(help_text="YYYY-MM")
    investment = Amount(
        required=False, allow_null=True, default=None, help_text="本月完成投资（万元）"
    )
    text = text()
    problems = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        default=list,
    )
    milestones = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="本月完成的节点 id",
    )
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class FinishBody(serializers.Serializer):
    state = text(help_text="completed|withdrawn")
    note = optional_text()


# --- output ---------------------------------------------------------------------------


def _unit(unit):
    return {"code": unit.code, "name": unit.name} if unit else None


class ProjectListItemSerializer(serializers.ModelSerializer):
    """A project in a list: the registry's columns, with its progress (``registry.annotated``)."""

    enterprise = serializers.SerializerMethodField()
    district = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    leader = serializers.SerializerMethodField()
    planned_investment = serializers.CharField()
    done = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    status = serializers.CharField(source="last_status", allow_null=True)
    status_month = serializers.CharField(source="last_month", allow_null=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "enterprise",
            "district",
            "unit",
            "leader",
            "planned_investment",
            "start_month",
            "state",
            "public",
            "done",
            "progress",
            "status",
            "status_month",
        ]

    @extend_schema_field(
        {"type": "object", "properties": {"uscc": {"type": "string"}, "name": {"type": "string"}}}
    )
    def get_enterprise(self, project):
        return {"uscc": project.enterprise.uscc, "name": project.enterprise.name}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_district(self, project):
        return _unit(project.district)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_unit(self, project):
        return _unit(project.unit)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_leader(self, project):
        leader = project.leader
        return {"username": leader.username, "name": leader.get_full_name() or leader.username}

    @extend_schema_field(OpenApiTypes.STR)
    def get_done(self, project):
        return str(project.done_total)

    @extend_schema_field(OpenApiTypes.STR)
    def get_progress(self, project):
        """Cumulative investment done as a percentage of the planned total."""
        return str(project.progress_percent)


class MilestoneSerializer(serializers.ModelSerializer):
    investment = serializers.CharField()

    class Meta:
        model = Milestone
        fields = ["id", "name", "month", "investment", "reached_month"]


class ProblemSerializer(serializers.ModelSerializer):
    appeal = serializers.CharField(source="appeal.number", default=None)

    class Meta:
        model = Problem
        fields = ["id", "text", "appeal", "filed_at"]


class ProgressSerializer(serializers.ModelSerializer):
    investment = serializers.CharField()
    reported_by = serializers.CharField(source="reported_by.username")
    photos = serializers.SerializerMethodField()
    problems = ProblemSerializer(many=True)
    milestones_reached = serializers.SerializerMethodField()

    class Meta:
        model = Progress
        fields = [
            "id",
            "month",
            "investment",
            "text",
            "reported_by",
            "reported_at",
            "photos",
            "problems",
            "milestones_reached",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_photos(self, progress):
        return [
            {"id": photo.pk, "name": photo.name, "content_type": photo.content_type}
            for photo in progress.photos.all()
        ]

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_milestones_reached(self, progress):
        return [milestone.pk for milestone in progress.milestones_reached.all()]


class StandingSerializer(serializers.ModelSerializer):
    expected = serializers.CharField()
    done = serializers.CharField()

    class Meta:
        model = Standing
        fields = ["month", "expected", "done", "status"]


class ProjectSerializer(ProjectListItemSerializer):
    """One project: the registry's columns, its team, plan, reports and monthly standings."""

    team = serializers.SerializerMethodField()
    milestones = MilestoneSerializer(many=True)
    reports = ProgressSerializer(many=True)
    standings = StandingSerializer(many=True)

    class Meta(ProjectListItemSerializer.Meta):
        fields = [
            *ProjectListItemSerializer.Meta.fields,
            "team",
            "finished_at",
            "milestones",
            "reports",
            "standings",
        ]

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_team(self, project):
        return [user.username for user in project.team.all()]
