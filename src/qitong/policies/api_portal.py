"""The enterprise portal's policies over the API: its pushes and the policies it is eligible for.

``GET /api/v1/portal/policies`` answers what the 我的政策 page and the calculator show: the
enterprise's pushes (a page of them, newest first, ``?read=read|unread``), the open
policies its profile fits (ranked, with the conditions matched) and its near misses
(with what is lacking). Enterprise users only (403 for anyone else).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.core.api import CountedPagination
from qitong.orgs import scope
from qitong.policies import matching
from qitong.policies.access import visible_pushes
from qitong.policies.forms_portal import ReadFilter
from qitong.policies.models import Policy, Push


class PolicySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Policy
        fields = ["id", "title", "issuer", "number", "category", "published", "valid_until"]


class PushSerializer(serializers.ModelSerializer):
    policy = PolicySummarySerializer()
    reasons = serializers.ListField(child=serializers.CharField(), source="matched")

    class Meta:
        model = Push
        fields = ["id", "policy", "pushed_at", "read_at", "reasons"]


class FitSerializer(serializers.Serializer):
    policy = PolicySummarySerializer()
    matched = serializers.ListField(child=serializers.CharField())
    push = serializers.IntegerField(source="push_id", allow_null=True)


class NearMissSerializer(FitSerializer):
    lacking = serializers.CharField()


class PortalPoliciesView(APIView):
    """The caller's enterprise: its pushes, its eligible policies and its near misses."""

    @extend_schema(
        operation_id="portal_policies",
        parameters=[
            OpenApiParameter("read", str, enum=["read", "unread"], description=_("推送的阅读状态")),
            OpenApiParameter("page", int, description=_("推送的页码，从 1 开始")),
        ],
        responses=inline_serializer(
            "PortalPolicies",
            {
                "pushed": inline_serializer(
                    "PushPage",
                    {"count": serializers.IntegerField(), "results": PushSerializer(many=True)},
                ),
                "eligible": FitSerializer(many=True),
                "near_misses": NearMissSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        user = request.user
        scope.require_role(user, scope.Role.ENTERPRISE)
        pushes = visible_pushes(user)
        listed = ReadFilter(request.query_params).checked().apply(pushes)
        paginator = CountedPagination()
        page = paginator.paginate_queryset(
            listed.select_related("policy").defer("policy__body"), request, view=self
        )
        result = matching.calculate(user.enterprise)
        matching.mark_pushed(result.eligible + result.near_misses, pushes)
        return Response(
            {
                "pushed": {
                    "count": paginator.page.paginator.count,
                    "results": PushSerializer(page, many=True).data,
                },
                "eligible": FitSerializer(result.eligible, many=True).data,
                "near_misses": NearMissSerializer(result.near_misses, many=True).data,
            }
        )
