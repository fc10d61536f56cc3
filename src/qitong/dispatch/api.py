"""The dispatch help over HTTP: a case's suggestions and its similar cases (parse → access → read).

``GET /api/v1/appeals/{id}/suggestions`` and ``GET /api/v1/appeals/{id}/similar``:
staff only (offices, units, leaders, admins; an enterprise gets 403), on a
case they may see (404 otherwise); the similar cases are those the caller
may see (``access.comparable_appeals``). Reading writes nothing: a suggestion
is remembered only when the triage screen shows it.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.core import clock
from qitong.dispatch import access, duplicates, suggest
from qitong.dispatch import serializers as s


def _choices(choices):
    return [
        {"code": c.obj.code, "name": c.obj.name, "confidence": round(c.confidence, 4)}
        for c in choices
    ]


class SuggestionsView(APIView):
    """The top lead units the case's office may dispatch to and the top categories."""

    @extend_schema(
        operation_id="appeals_suggestions",
        responses=s.DispatchSuggestionsSerializer,
        description=_("诉求的建议牵头单位与建议分类（含置信度）"),
    )
    def get(self, request, pk):
        appeal = access.staff_appeal(request.user, pk)
        source, units, categories = suggest.suggest(appeal, access.dispatchable_units(appeal))
        return Response(
            {"source": source, "units": _choices(units), "categories": _choices(categories)}
        )


class SimilarView(APIView):
    """The open or recent cases most like this one, among those the caller may see."""

    @extend_schema(
        operation_id="appeals_similar",
        parameters=[OpenApiParameter("limit", int, description=_("最多列出几件，1 到 20，默认 5"))],
        responses=s.DispatchSimilarSerializer,
        description=_("与该诉求相似的在办或近期诉求（含相似度）"),
    )
    def get(self, request, pk):
        appeal = access.staff_appeal(request.user, pk)
        query = s.SimilarQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = duplicates.similar_appeals(
            appeal.title,
            appeal.content,
            access.comparable_appeals(request.user),
            at=clock.now(),
            exclude=appeal.pk,
            limit=query.validated_data["limit"],
        )
        return Response(
            {
                "threshold": duplicates.THRESHOLD,
                "results": [
                    {
                        "id": other.pk,
                        "number": other.number,
                        "title": other.title,
                        "status": other.status,
                        "enterprise": {
                            "uscc": other.enterprise.uscc,
                            "name": other.enterprise.name,
                        },
                        "created_at": clock.local(other.created_at).isoformat(),
                        "score": round(score, 4),
                        "likely": duplicates.likely(score),
                        "same_enterprise": other.enterprise_id == appeal.enterprise_id,
                    }
                    for other, score in found
                ],
            }
        )
