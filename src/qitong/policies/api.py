"""The policy library over HTTP: the search and one policy, open to everyone.

No token is needed: a caller without one sees the public policies, government staff
every policy (``access.visible_policies``). The search takes the library page's one
filter (``filters.PolicyFilter``); a bad parameter is a 400 naming it.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.core.api import CountedPagination
from qitong.core.pages import SEARCH_COUNT_LIMIT, CappedPaginator
from qitong.policies import access, filters
from qitong.policies import serializers as s
from qitong.policies.search import Results

FILTER_PARAMETERS = [
    OpenApiParameter(name, str, description=str(field.help_text or field.label))
    for name, field in filters.api_fields().items()
]
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description=_("页码，从 1 开始")),
    OpenApiParameter("page_size", int, description=_("每页条数，默认 20，最多 100")),
]


class SearchPaginator(CappedPaginator):
    """A search's pages: counting stops past ``SEARCH_COUNT_LIMIT`` matches (1,001: "more")."""

    def __init__(self, object_list, per_page, **kwargs):
        super().__init__(object_list, per_page, limit=SEARCH_COUNT_LIMIT, **kwargs)


class PolicyPagination(CountedPagination):
    """``?page=N&page_size=M`` → ``{"count", "results"}``, the count capped."""

    django_paginator_class = SearchPaginator
    page_size_query_param = "page_size"
    max_page_size = 100


class PolicyListView(APIView):
    """Search the library: words, category, issuer, level, region, published since."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="policies_list",
        parameters=[*FILTER_PARAMETERS, *PAGE_PARAMETERS],
        responses=inline_serializer(
            "PolicyPage",
            {
                "count": drf_serializers.IntegerField(),
                "results": s.PolicyListItemSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        form = filters.PolicyFilter(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.error_dict())
        results = Results(request.user, form.query(request.user), passages=False)
        paginator = PolicyPagination()
        page = paginator.paginate_queryset(results, request, view=self)
        return paginator.get_paginated_response(s.PolicyListItemSerializer(page, many=True).data)


class PolicyDetailView(APIView):
    """One policy the caller may see (404 otherwise), with its text, files and readings."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="policies_retrieve", responses=s.PolicySerializer)
    def get(self, request, pk):
        policy = access.access_policy_for_user(request.user, pk)
        interprets, interpretations = access.visible_readings(request.user, policy)
        context = {"interprets": interprets, "interpretations": interpretations}
        return Response(s.PolicySerializer(policy, context=context).data)
