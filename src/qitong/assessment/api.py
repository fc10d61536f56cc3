"""The assessment over HTTP: ``GET /api/v1/assessment?period=…`` (parse → access → compute)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.assessment import access, periods, scoring
from qitong.assessment.serializers import PeriodQuery
from qitong.core import clock


def as_json(assessment, results):
    """An assessment as the API shows it: the period, its weights, and ``results``."""
    return {
        "period": assessment.period.key,
        "label": assessment.period.label,
        "start": assessment.period.start.isoformat(),
        "end": assessment.period.end.isoformat(),
        "counted_at": clock.local(assessment.counted_at).isoformat(),
        "settled": assessment.settled,
        "weights": {
            "valid_from": f"{assessment.weights.valid_from:%Y-%m}"
            if assessment.weights.valid_from
            else None,
            **assessment.weights.as_dict(),
        },
        "left_out": [{"key": item.key, "why": str(why)} for item, why in assessment.left_out],
        "results": [result.as_dict() for result in results],
    }


class AssessmentView(APIView):
    """Each unit's score, rank, items and targets for a month, quarter or year.

    The city office, leaders and admins read every assessed unit; a district
    office the units of its district; a unit its own score and rank; an
    enterprise gets 403. Ranks are the city's.
    """

    @extend_schema(
        parameters=[OpenApiParameter("period", str, description=str(periods.HELP))],
        responses=inline_serializer(
            "Assessment",
            {
                "period": serializers.CharField(),
                "label": serializers.CharField(),
                "start": serializers.DateTimeField(),
                "end": serializers.DateTimeField(),
                "counted_at": serializers.DateTimeField(),
                "settled": serializers.BooleanField(),
                "weights": serializers.DictField(),
                "left_out": serializers.ListField(child=serializers.DictField()),
                "results": serializers.ListField(child=serializers.DictField()),
            },
        ),
        description=_("各单位考核得分与排名"),
    )
    def get(self, request):
        units = access.visible_units(request.user)
        at = clock.now()
        period = PeriodQuery.parse(request.query_params, at=at)
        assessment = scoring.assess(period, at=at)
        results = assessment.for_units(units.values_list("code", flat=True))
        return Response(as_json(assessment, results))
