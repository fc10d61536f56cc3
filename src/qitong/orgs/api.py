"""Administration over HTTP: units and users (admin token); the unit list for everyone."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.orgs import scope
from qitong.orgs.models import Unit
from qitong.orgs.serializers import UnitSerializer, UserCreateSerializer


class IsAdminRole(permissions.BasePermission):
    """The system administrator's role; reading may be open to all, as each view says."""

    message = _("只有系统管理员可以执行此操作。")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS and getattr(view, "open_reads", False):
            return True
        return scope.has_role(request.user, scope.Role.ADMIN)


ADMIN_ONLY = [permissions.IsAuthenticated, IsAdminRole]


class UnitListView(APIView):
    """The active units; an admin adds one."""

    permission_classes = ADMIN_ONLY
    open_reads = True

    @extend_schema(responses=inline_serializer("UnitList", {"results": UnitSerializer(many=True)}))
    def get(self, request):
        units = Unit.objects.filter(is_active=True).select_related("parent")
        return Response({"results": UnitSerializer(units, many=True).data})

    @extend_schema(request=UnitSerializer, responses={201: UnitSerializer})
    def post(self, request):
        body = UnitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(UnitSerializer(body.save()).data, status=status.HTTP_201_CREATED)


class UserListView(APIView):
    permission_classes = ADMIN_ONLY

    @extend_schema(request=UserCreateSerializer, responses={201: UserCreateSerializer})
    def post(self, request):
        body = UserCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(UserCreateSerializer(body.save()).data, status=status.HTTP_201_CREATED)
