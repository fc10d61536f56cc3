"""The dispatch help's API shapes: a query's limit, and the answers' suggestions and similar cases."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MOST_SHOWN = 20


class SimilarQuery(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False,
        default=5,
        min_value=1,
        max_value=MOST_SHOWN,
        help_text=_("最多列出几件，1 到 20，默认 5"),
    )


class DispatchChoiceSerializer(serializers.Serializer):
    """One suggested unit or category: its code, name and confidence (0–1)."""

    code = serializers.CharField()
    name = serializers.CharField()
    confidence = serializers.FloatField()


class DispatchSuggestionsSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=["model", "rules"],
        help_text="model: the installation's trained model; rules: the keyword rules",
    )
    units = DispatchChoiceSerializer(many=True)
    categories = DispatchChoiceSerializer(many=True)


class DispatchEnterpriseSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()


class DispatchSimilarItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    enterprise = DispatchEnterpriseSerializer()
    created_at = serializers.DateTimeField()
    score = serializers.FloatField(help_text="cosine of the two texts' character pairs, 0–1")
    likely = serializers.BooleanField(help_text="score at or above the threshold")
    same_enterprise = serializers.BooleanField()


class DispatchSimilarSerializer(serializers.Serializer):
    threshold = serializers.FloatField(help_text="from this score a likely duplicate")
    results = DispatchSimilarItemSerializer(many=True)
