"""Enterprises over HTTP: an admin registers one."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.enterprises.serializers import EnterpriseSerializer
from qitong.orgs.api import ADMIN_ONLY


class EnterpriseListView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(request=EnterpriseSerializer, responses={201: EnterpriseSerializer})
    def post(self, request):
        body = EnterpriseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(EnterpriseSerializer(body.save()).data, status=status.HTTP_201_CREATED)
