"""``POST /filings``: validate; in one transaction take the number (one UPDATE of
the counter row), insert the filing and its event; answer 201."""

from django.db import connection, transaction
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from intake_app.models import Counter, Filing, FilingEvent

NEXT_NUMBER = (
    f"UPDATE {Counter._meta.db_table} SET value = value + 1 WHERE name = %s RETURNING value"
)


class FilingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Filing
        fields = [
            "id",
            "number",
            "enterprise",
            "title",
            "content",
            "channel",
            "contact_name",
            "contact_phone",
            "created_at",
        ]
        read_only_fields = ["id", "number", "created_at"]


class FilingView(APIView):
    def post(self, request):
        body = FilingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(NEXT_NUMBER, ["filings"])
                (value,) = cursor.fetchone()
            filing = body.save(number=f"QT-2026-{value:06d}")
            FilingEvent.objects.create(filing=filing, action="submit")
        return Response(FilingSerializer(filing).data, status=status.HTTP_201_CREATED)
