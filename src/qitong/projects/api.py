"""Key projects over HTTP: thin views (parse → access → action → render).

Rules, permissions and state checks live in ``actions``; the errors it raises
become the contract's bodies in ``qitong.core.api.exception_handler``.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.appeals.serializers import EmptyBody
from qitong.core import clock
from qitong.core.api import CountedPagination, FileDownloadMixin
from qitong.projects import access, actions, filters, months, ranking, registry
from qitong.projects import serializers as s
from qitong.projects.models import Photo, Problem, Progress, Project

FILTER_PARAMETERS = [
    OpenApiParameter(name, str, description=str(field.help_text or field.label))
    for name, field in filters.api_fields().items()
]
DETAIL_PREFETCH = (
    "team",
    "milestones",
    "standings",
    Prefetch(
        "reports",
        queryset=Progress.objects.select_related("reported_by").prefetch_related(
            "photos",
            "milestones_reached",
            Prefetch("problems", Problem.objects.select_related("appeal")),
        ),
    ),
)


def render(project, *, code=status.HTTP_200_OK):
    """The project as ``GET /api/v1/projects/{id}`` shows it."""
    (shown,) = registry.with_percent(
        registry.annotated(Project.objects.filter(pk=project.pk)).prefetch_related(*DETAIL_PREFETCH)
    )
    return Response(s.ProjectSerializer(shown).data, status=code)


def matching(user, params):
    """``user``'s visible projects narrowed by the list's query ``params``; 400 if bad."""
    form = filters.ProjectFilter(params)
    if not form.is_valid():
        raise ValidationError(form.error_dict())
    return registry.annotated(form.apply(access.visible_projects(user)))


class ProjectPagination(CountedPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class ProjectListView(APIView):
    """List the projects the caller may see, or register one (service offices)."""

    @extend_schema(
        operation_id="projects_list",
        parameters=FILTER_PARAMETERS,
        responses=inline_serializer(
            "ProjectPage",
            {
                "count": drf_serializers.IntegerField(),
                "results": s.ProjectListItemSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        projects = matching(request.user, request.query_params)
        paginator = ProjectPagination()
        page = registry.with_percent(paginator.paginate_queryset(projects, request, view=self))
        return paginator.get_paginated_response(s.ProjectListItemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_create", request=s.ProjectBody, responses={201: s.ProjectSerializer}
    )
    def post(self, request):
        body = s.ProjectBody(data=request.data)
        body.is_valid(raise_exception=True)
        project = actions.register_project(acting_user=request.user, **body.validated_data)
        return render(project, code=status.HTTP_201_CREATED)


class ProjectDetailView(APIView):
    @extend_schema(operation_id="projects_retrieve", responses=s.ProjectSerializer)
    def get(self, request, pk):
        return render(access.access_project_for_user(request.user, pk))

    @extend_schema(
        operation_id="projects_partial_update", request=s.ProjectBody, responses=s.ProjectSerializer
    )
    def patch(self, request, pk):
        project = access.access_project_for_user(request.user, pk)
        body = s.ProjectBody(data=request.data)
        body.is_valid(raise_exception=True)
        return render(
            actions.edit_project(project, acting_user=request.user, **body.validated_data)
        )


class ProgressView(APIView):
    """``POST /api/v1/projects/{id}/progress``: the responsible unit's report of a month.

    201 with the report; the same report again answers 200 with the first.
    """

    @extend_schema(
        operation_id="projects_progress",
        request={"application/json": s.ProgressBody, "multipart/form-data": s.ProgressBody},
        responses={201: s.ProgressSerializer, 200: s.ProgressSerializer},
    )
    def post(self, request, pk):
        project = access.access_project_for_user(request.user, pk)
        body = s.ProgressBody(data=request.data)
        body.is_valid(raise_exception=True)
        report, created = actions.report_progress(
            project, acting_user=request.user, **body.validated_data
        )
        report = (
            Progress.objects.select_related("reported_by")
            .prefetch_related("photos", "milestones_reached", "problems__appeal")
            .get(pk=report.pk)
        )
        return Response(
            s.ProgressSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class FinishView(APIView):
    @extend_schema(
        operation_id="projects_finish", request=s.FinishBody, responses=s.ProjectSerializer
    )
    def post(self, request, pk):
        project = access.access_project_for_user(request.user, pk)
        body = s.FinishBody(data=request.data)
        body.is_valid(raise_exception=True)
        return render(
            actions.finish_project(project, acting_user=request.user, **body.validated_data)
        )


class FileProblemView(APIView):
    """A problem raised in a report, filed as an appeal by the office in charge."""

    @extend_schema(
        operation_id="projects_file_problem",
        request=EmptyBody,
        responses={
            201: inline_serializer(
                "FiledProblem",
                {"problem": drf_serializers.IntegerField(), "appeal": drf_serializers.CharField()},
            )
        },
    )
    def post(self, request, pk, problem_id):
        project = access.access_project_for_user(request.user, pk)
        problem = get_object_or_404(project.problems, pk=problem_id)
        EmptyBody(data=request.data).is_valid(raise_exception=True)
        appeal = actions.file_problem(problem, acting_user=request.user)
        return Response(
            {"problem": problem.pk, "appeal": appeal.number, "appeal_id": appeal.pk},
            status=status.HTTP_201_CREATED,
        )


class PhotoView(FileDownloadMixin, APIView):
    """A photo of a report, for whoever may see the project."""

    @extend_schema(
        operation_id="projects_photo",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk, photo_id):
        project = access.access_project_for_user(request.user, pk)
        photo = get_object_or_404(Photo, pk=photo_id, progress__project=project)
        return FileResponse(
            photo.file.open("rb"), filename=photo.name, content_type=photo.content_type
        )


class RegistryExportView(FileDownloadMixin, APIView):
    """The registry of the caller's visible projects, with the list's filters, as Excel."""

    @extend_schema(
        parameters=FILTER_PARAMETERS, responses={(200, registry.CONTENT_TYPE): OpenApiTypes.BINARY}
    )
    def get(self, request):
        if not access.reads_rankings(request.user):
            raise PermissionDenied
        at = clock.now()
        return FileResponse(
            registry.build(matching(request.user, request.query_params)),
            as_attachment=True,
            filename=registry.filename(at),
            content_type=registry.CONTENT_TYPE,
        )


def month_asked(params, default):
    """The month of ``?month=YYYY-MM``, or ``default``; 400 naming ``month`` if bad."""
    value = params.get("month")
    if not value:
        return default
    try:
        return months.check(value)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from None


class RankingsView(APIView):
    """A ranked month: the districts and units in order, and the warnings issued."""

    @extend_schema(
        operation_id="projects_rankings",
        parameters=[
            OpenApiParameter("month", str, description=_("月份，如 2026-11；默认最近排名的月份"))
        ],
        responses=inline_serializer(
            "ProjectRankings",
            {
                "month": drf_serializers.CharField(allow_null=True),
                "district": drf_serializers.ListField(child=drf_serializers.DictField()),
                "unit": drf_serializers.ListField(child=drf_serializers.DictField()),
                "warnings": drf_serializers.ListField(child=drf_serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        if not access.reads_rankings(request.user):
            raise PermissionDenied
        month = month_asked(request.query_params, ranking.last_closed())
        return Response(rankings_json(month))


def rankings_json(month):
    table = ranking.table(month)
    answer = {"month": month, "district": [], "unit": [], "warnings": []}
    for kind in ("district", "unit"):
        for row in table[kind]:
            answer[kind].append(
                {
                    "unit": row.unit.code,
                    "name": row.unit.name,
                    "rank": row.rank,
                    "rate": str(row.rate),
                    "projects": row.projects,
                    "expected": str(row.expected),
                    "done": str(row.done),
                    "last": row.last,
                    "streak": row.streak,
                }
            )
    for warning in table["warnings"]:
        answer["warnings"].append(
            {
                "kind": warning.kind,
                "unit": warning.unit.code,
                "name": warning.unit.name,
                "level": warning.level,
                "streak": warning.streak,
                "reason": warning.reason,
            }
        )
    return answer
