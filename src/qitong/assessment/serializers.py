"""The API's query parameters: parsed only; the rule of a period lives in ``periods.check``."""

from rest_framework import serializers

from qitong.assessment import periods


class PeriodQuery(serializers.Serializer):
    period = serializers.CharField(required=False, allow_blank=True, help_text=periods.HELP)

    def validate_period(self, value):
        return periods.check(value) if value else None

    @classmethod
    def parse(cls, params, *, at):
        """The period asked for (default: the running month); 400 naming ``period`` when bad."""
        parsed = cls(data=params)
        parsed.is_valid(raise_exception=True)
        return parsed.validated_data.get("period") or periods.running_month(at)
