from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


@never_cache
def healthz(request):
    """For load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class MeView(APIView):
    """Who the token belongs to: role and scope."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "role": serializers.CharField(),
                "unit": serializers.CharField(allow_null=True),
                "enterprise": serializers.CharField(allow_null=True),
            },
        )
    )
    def get(self, request):
        user = request.user
        return Response(
            {
                "username": user.username,
                "role": user.role,
                "unit": user.unit.code if user.unit_id else None,
                "enterprise": user.enterprise.uscc if user.enterprise_id else None,
            }
        )
