"""The appeal loop over HTTP, as contracts/api-v1.md lays it down.

Every view is thin: parse the body with a serializer, fetch the appeal through
``access``, call the function in ``actions`` and render the result. Rules,
permissions and state checks live in ``actions``; the errors it raises become
the contract's bodies in ``qitong.core.api.exception_handler``.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, prefetch_related_objects
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
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
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.appeals import access, actions, figures, filters, ledger
from qitong.appeals import serializers as s
from qitong.appeals.access import (
    access_appeal_for_user,
    appeals_led_by_unit,
    contact_as_seen_by,
    events_as_seen_by,
)
from qitong.appeals.models import Appeal, Assignment, Category, Event
from qitong.core import clock, jobs
from qitong.core.api import CountedPagination, FileDownloadMixin
from qitong.core.openapi import AutoSchema
from qitong.core.views import JOB_SCHEMA
from qitong.orgs.models import User

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


def render(appeal, viewer, *, code=status.HTTP_200_OK, just_filed=False):
    """The appeal as ``GET /api/v1/appeals/{id}`` shows it.

    A case ``just_filed`` has no parts, supervisions, requests or attachments
    yet, and one event, which ``actions.file_appeal`` left in its prefetch
    cache: the others are put there as empty lists, where the prefetch would
    compile a query for each relation, empty or not; ``prefetch_related_objects``
    skips what is there. The serializer only iterates them.
    """
    if just_filed:
        appeal.co_parts = []
        known = getattr(appeal, "_prefetched_objects_cache", {})
        appeal._prefetched_objects_cache = {
            "supervisions": [],
            "requests": [],
            "attachments": [],
            "events": known.get("events")
            or list(Event.objects.filter(appeal=appeal).select_related("actor", "unit")),
        }
    prefetch_related_objects([appeal], *DETAIL_PREFETCH)
    events_as_seen_by(viewer, appeal.events.all())  # the prefetched list the serializer reads
    contact_as_seen_by(viewer, appeal)  # the phone masked for those who do not handle it
    return Response(s.AppealSerializer(appeal, context={"at": clock.now()}).data, status=code)


# The list's and the ledger's query parameters, documented from the one filter.
FILTER_PARAMETERS = [
    OpenApiParameter(name, str, description=str(field.help_text or field.label))
    for name, field in filters.api_fields().items()
]


class AppealPagination(CountedPagination):
    """``?page=N&page_size=M`` → ``{"count", "results"}``."""

    page_size_query_param = "page_size"
    max_page_size = 100


class UnitCaseList:
    """A unit's cases, newest first, for its unfiltered list: what Django's paginator pages.

    ``visible_appeals`` says "the unit leads it, or had another part in it"; an
    OR that makes both databases read and sort all of a unit's cases (48,000
    at a million) for every page and its count. The same cases are those it
    leads (``access.appeals_led_by_unit``) and, apart from those, the few it
    co-handles or led before a return (``access.other_parts``): the led ones are
    counted from an index and read newest first only as far as the page asks,
    the others' keys are read once; the two are merged here.
    """

    # A unit leading many cases (some 5% of a city's) has the first pages of
    # them read along the filing-time index, skipping other units' cases;
    # sorting all of its own would cost more. A unit leading few, or a page
    # deep into the list, sorts the unit's own cases.
    MANY = 5000
    ALONG_INDEX = 2000
    NEWEST = ("-created_at", "-id")

    def __init__(self, user, related):
        self.unit_id, self.related = user.unit_id, related
        self.led = appeals_led_by_unit(user)
        co, before = access.other_parts(user)
        self.others = Appeal.objects.filter(pk__in=co.union(before)).exclude(
            lead_unit_id=user.unit_id
        )
        self.led_count = self.other_keys = None

    def count(self):
        # The other cases are few (a tenth of a unit's): their keys are read once, for the
        # count and for every page.
        self.led_count = self.led.count()
        self.other_keys = list(self.others.order_by().values_list("created_at", "id"))
        return self.led_count + len(self.other_keys)

    def __getitem__(self, window):
        stop = window.stop
        led = self.led
        if self.led_count is None:
            self.count()
        if self.led_count >= self.MANY and stop <= self.ALONG_INDEX:
            # "+ 0" keeps the lead unit's index out of the plan, so the filing-time one is used.
            led = Appeal.objects.alias(lead=F("lead_unit_id") + 0).filter(lead=self.unit_id)
        keys = [
            *led.order_by(*self.NEWEST).values_list("created_at", "id")[:stop],
            *self.other_keys,
        ]
        ids = [pk for _at, pk in sorted(keys, reverse=True)[window]]
        found = Appeal.objects.select_related(*self.related).in_bulk(ids)
        return [found[pk] for pk in ids]


class AppealListView(APIView):
    """File an appeal, or list the appeals the caller may see."""

    @extend_schema(
        operation_id="appeals_list",
        parameters=[*FILTER_PARAMETERS, *PAGE_PARAMETERS],
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
        related = ("enterprise", "category", "lead_unit")
        user = request.user
        if (
            user.role == User.Role.UNIT
            and user.unit_id
            and set(request.query_params) <= {"page", "page_size"}
        ):
            appeals = UnitCaseList(user, related)  # the same cases, read from the unit's parts
        else:
            appeals = ledger.matching(user, request.query_params, at).select_related(*related)
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
            return render(appeal, request.user, code=status.HTTP_201_CREATED, just_filed=True)
        # a repeat shows the first appeal only to whoever may see it
        return render(access_appeal_for_user(request.user, appeal.pk), request.user)


class AppealDetailView(APIView):
    @extend_schema(operation_id="appeals_retrieve", responses=s.AppealSerializer)
    def get(self, request, pk):
        return render(access_appeal_for_user(request.user, pk), request.user)


class AppealActionSchema(AutoSchema):
    """Each action's path documents its own body; all answer with the appeal."""

    def get_request_serializer(self):
        return actions.ACTIONS[self.view.operation].body

    def get_response_serializers(self):
        return s.AppealSerializer

    def get_operation_id(self):
        return f"appeals_{self.view.operation}"


class AppealActionView(APIView):
    """``POST /api/v1/appeals/{id}/{action}``: one route per declared action (``actions.ACTIONS``)."""

    operation = None
    schema = AppealActionSchema()

    def post(self, request, pk):
        appeal = access_appeal_for_user(request.user, pk)
        action = actions.ACTIONS[self.operation]
        body = action.body(data=request.data)
        body.is_valid(raise_exception=True)
        return render(
            action.function(appeal, acting_user=request.user, **body.validated_data), request.user
        )


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
    """The ledger of the caller's visible appeals, with the list's filters.

    Up to ``exports.job_threshold()`` rows (100,000) the answer is the file itself. A
    larger ledger is made by a background job: 202 with the job (poll its
    ``url``; ``download`` appears once it is done), or, for a browser that
    followed the workbench's export link (it asks for HTML), a redirect to the
    job's page, which shows the progress and then the download.
    """

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            (200, ledger.CONTENT_TYPE): OpenApiTypes.BINARY,
            (202, "application/json"): JOB_SCHEMA,
        },
    )
    def get(self, request):
        if not ledger.allowed(request.user):
            raise PermissionDenied
        at = clock.now()
        appeals = ledger.matching(request.user, request.query_params, at)
        if ledger.needs_job(appeals):
            job = ledger.start_export(request.user, request.query_params.urlencode(), at=at)
            if "text/html" in request.headers.get("Accept", ""):
                return HttpResponseRedirect(jobs.job_page_url(job), status=303)
            return Response(
                jobs.as_json(job),
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": jobs.job_api_url(job)},
            )
        return FileResponse(
            ledger.build(appeals, at=at),
            as_attachment=True,
            filename=ledger.filename(at),
            content_type=ledger.CONTENT_TYPE,
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
    """A month's figures per unit (received, on time, returned, redo, satisfaction, "three 100%").

    Read from the month's snapshot, which the refresh job keeps a few minutes
    fresh; ``counted_at`` says when it was counted.
    """

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description=_("月份，如 2026-11；默认本月"))],
        responses=inline_serializer(
            "UnitFiguresList",
            {
                "start": drf_serializers.DateTimeField(),
                "end": drf_serializers.DateTimeField(),
                "counted_at": drf_serializers.DateTimeField(),
                "results": drf_serializers.ListField(child=drf_serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        units = figures.units_for_user(request.user)
        at = clock.now()
        start, end = s.MonthSerializer.period(request.query_params, today=clock.local(at))
        ((rows, counted_at),) = figures.month_snapshots([(start, end)], at=at, units=list(units))
        return Response(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "counted_at": clock.local(counted_at).isoformat(),
                "results": [row.as_dict() for row in rows],
            }
        )
