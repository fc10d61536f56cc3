"""The appeal loop over HTTP, as contracts/api-v1.md lays it down.

Every view is thin: parse the body with a serializer, fetch the appeal through
``access``, call the function in ``actions`` and render the result. Rules,
permissions and state checks live in ``actions``; the errors it raises become
the contract's bodies in ``qitong.core.api.exception_handler``.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.appeals import actions, deadlines, figures, ledger, search
from qitong.appeals import serializers as s
from qitong.appeals.access import access_appeal_for_user, visible_appeals
from qitong.appeals.models import Assignment, Category, Event
from qitong.core import clock
from qitong.enterprises import uscc

# action name in the URL → (the function in ``actions``, the body it takes)
ACTIONS = {
    "accept": (actions.accept, s.EmptyBody),
    "reject": (actions.reject, s.ReasonBody),
    "dispatch": (actions.dispatch, s.DispatchBody),
    "sign": (actions.sign, s.EmptyBody),
    "return": (actions.return_to_office, s.ReasonBody),
    "contact": (actions.contact, s.NoteBody),
    "reply": (actions.reply, s.NoteBody),
    "extend": (actions.extend, s.ExtendBody),
    "approve_extension": (actions.approve_extension, s.OptionalNoteBody),
    "deny_extension": (actions.deny_extension, s.OptionalReasonBody),
    "resolve": (actions.resolve, s.ResolveBody),
    "approve": (actions.approve, s.EmptyBody),
    "redo": (actions.redo, s.ReasonBody),
    "rate": (actions.rate, s.RateBody),
    "archive": (actions.archive, s.ReasonBody),
    "escalate": (actions.escalate, s.EscalateBody),
    "supervise": (actions.supervise, s.ReasonBody),
    "suspend": (actions.suspend, s.ReasonBody),
    "approve_suspension": (actions.approve_suspension, s.OptionalNoteBody),
    "deny_suspension": (actions.deny_suspension, s.OptionalReasonBody),
    "resume": (actions.resume, s.OptionalNoteBody),
    "contribute": (actions.contribute, s.NoteBody),
    "urge": (actions.urge, s.OptionalNoteBody),
}

DETAIL_PREFETCH = (
    Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(role=Assignment.Role.CO, active=True).select_related(
            "unit"
        ),
        to_attr="co_parts",
    ),
    "supervisions",
    Prefetch("events", queryset=Event.objects.select_related("actor", "unit")),
    "requests",
    "attachments",
)
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description=_("页码，从 1 开始")),
    OpenApiParameter("page_size", int, description=_("每页条数，默认 20，最多 100")),
]


def render(appeal, *, code=status.HTTP_200_OK):
    """The appeal as ``GET /api/v1/appeals/{id}`` shows it."""
    prefetch_related_objects([appeal], *DETAIL_PREFETCH)
    return Response(s.AppealSerializer(appeal, context={"at": clock.now()}).data, status=code)


def filtered_appeals(request, at):
    """The caller's visible appeals narrowed by the list's query parameters."""
    params = s.AppealFilterSerializer(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    filters = params.validated_data
    appeals = visible_appeals(request.user)
    if "status" in filters:
        appeals = appeals.filter(status=filters["status"])
    if "unit" in filters:
        # A unit's active lead part is the case's lead unit (indexed); its other
        # active parts are few: one short list, not a lookup per case.
        code = filters["unit"]
        others = Assignment.objects.filter(unit__code=code, active=True).exclude(
            role=Assignment.Role.LEAD
        )
        appeals = appeals.filter(Q(lead_unit__code=code) | Q(pk__in=others.values("appeal_id")))
    if filters.get("overdue") is not None:
        late = deadlines.overdue_q(at)
        appeals = appeals.filter(late) if filters["overdue"] else appeals.exclude(late)
    if "category" in filters:
        code = filters["category"]
        appeals = appeals.filter(Q(category__code=code) | Q(category__parent__code=code))
    if "enterprise" in filters:
        appeals = appeals.filter(enterprise__uscc=uscc.normalize(filters["enterprise"]))
    return search.submitted_between(
        appeals, filters.get("submitted_from"), filters.get("submitted_to")
    )


class AppealPagination(PageNumberPagination):
    """``?page=N&page_size=M`` → ``{"count", "results"}``."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data):
        return Response({"count": self.page.paginator.count, "results": data})


class FileDownloadMixin:
    """Binary answers: whatever the client accepts, errors still come as JSON."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class AppealListView(APIView):
    """File an appeal, or list the appeals the caller may see."""

    @extend_schema(
        operation_id="appeals_list",
        parameters=[s.AppealFilterSerializer, *PAGE_PARAMETERS],
        responses=inline_serializer(
            "AppealPage",
            {
                "count": drf_serializers.IntegerField(),
                "results": s.AppealListItemSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        at = clock.now()
        appeals = filtered_appeals(request, at).select_related(
            "enterprise", "category", "lead_unit"
        )
        paginator = AppealPagination()
        page = paginator.paginate_queryset(appeals, request, view=self)
        data = s.AppealListItemSerializer(page, many=True, context={"at": at}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="appeals_create",
        request=s.AppealCreateSerializer,
        responses={
            201: s.AppealSerializer,
            200: OpenApiResponse(
                s.AppealSerializer, description=_("同一渠道与外部编号已提交过：返回第一次的诉求")
            ),
        },
    )
    def post(self, request):
        body = s.AppealCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal, created = actions.file_appeal(acting_user=request.user, **body.validated_data)
        if created:
            return render(appeal, code=status.HTTP_201_CREATED)
        # a repeat shows the first appeal only to whoever may see it
        return render(access_appeal_for_user(request.user, appeal.pk))


class AppealDetailView(APIView):
    @extend_schema(operation_id="appeals_retrieve", responses=s.AppealSerializer)
    def get(self, request, pk):
        return render(access_appeal_for_user(request.user, pk))


class AppealActionSchema(AutoSchema):
    """Each action's path documents its own body; all answer with the appeal."""

    def get_request_serializer(self):
        return ACTIONS[self.view.operation][1]

    def get_response_serializers(self):
        return s.AppealSerializer

    def get_operation_id(self):
        return f"appeals_{self.view.operation}"


class AppealActionView(APIView):
    """``POST /api/v1/appeals/{id}/{action}``: one route per action of the contract's table."""

    operation = None
    schema = AppealActionSchema()

    def post(self, request, pk):
        appeal = access_appeal_for_user(request.user, pk)
        function, body_class = ACTIONS[self.operation]
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        return render(function(appeal, acting_user=request.user, **body.validated_data))


class UnknownActionView(APIView):
    """Any other name after an appeal is not an action: 404, as JSON."""

    @extend_schema(exclude=True)
    def post(self, request, pk, operation):
        raise NotFound(_("没有这个操作。"))


class AttachmentListView(APIView):
    """The case's files; its enterprise, office or lead unit adds one (multipart ``file``)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=s.AttachmentSerializer(many=True))
    def get(self, request, pk):
        appeal = access_appeal_for_user(request.user, pk)
        return Response(s.AttachmentSerializer(appeal.attachments.all(), many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        responses={201: s.AttachmentSerializer},
    )
    def post(self, request, pk):
        appeal = access_appeal_for_user(request.user, pk)
        body = s.AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = actions.attach(
            appeal, acting_user=request.user, upload=body.validated_data["file"]
        )
        return Response(
            s.AttachmentSerializer(appeal.added_attachment).data, status=status.HTTP_201_CREATED
        )


class AttachmentDownloadView(FileDownloadMixin, APIView):
    """One of the case's files, as it was uploaded."""

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk, attachment_id):
        appeal = access_appeal_for_user(request.user, pk)
        attachment = get_object_or_404(appeal.attachments, pk=attachment_id)
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )


class LedgerView(FileDownloadMixin, APIView):
    """The ledger of the caller's visible appeals, with the list's filters."""

    @extend_schema(
        parameters=[s.AppealFilterSerializer],
        responses={(200, ledger.CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request):
        if not ledger.allowed(request.user):
            raise PermissionDenied
        at = clock.now()
        appeals = filtered_appeals(request, at)
        stream = ledger.build(appeals, at=at)
        filename = _("诉求台帐-%(date)s.xlsx") % {"date": f"{clock.local(at):%Y%m%d}"}
        return FileResponse(
            stream, as_attachment=True, filename=filename, content_type=ledger.CONTENT_TYPE
        )


class CategoryListView(APIView):
    """The category tree, flat: each node names its parent's code."""

    @extend_schema(
        responses=inline_serializer("CategoryList", {"results": s.CategorySerializer(many=True)}),
    )
    def get(self, request):
        categories = Category.objects.filter(is_active=True).select_related("parent")
        return Response({"results": s.CategorySerializer(categories, many=True).data})


class FiguresView(APIView):
    """A month's figures per unit (received, on time, returned, redo, satisfaction, "three 100%")."""

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description=_("月份，如 2026-11；默认本月"))],
        responses=inline_serializer(
            "UnitFiguresList",
            {
                "start": drf_serializers.DateTimeField(),
                "end": drf_serializers.DateTimeField(),
                "results": drf_serializers.ListField(child=drf_serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        units = figures.units_for_user(request.user)
        start, end = s.MonthSerializer.period(request.query_params, today=clock.local(clock.now()))
        rows = figures.unit_figures(start, end, units=units, as_of=clock.now())
        return Response(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "results": [row.as_dict() for row in rows],
            }
        )
