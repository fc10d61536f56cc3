"""What every API endpoint shares: the contract's error bodies."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from qitong.core import errors
from qitong.core.errors import Conflict as DomainConflict


class Conflict(exceptions.APIException):
    """An action not allowed in the current state (409 with that state)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, message, current_status):
        super().__init__(message)
        self.current_status = current_status


def exception_handler(exc, context):
    """Shape every error as the contract does, with Chinese messages."""
    if isinstance(exc, DomainConflict):
        exc = Conflict(exc.message, exc.status)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("未找到，或您无权查看。"))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(_("您无权执行此操作。"))
    elif isinstance(exc, RequestDataTooBig):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (files aside) when it is
        # read; left alone, this became Django's HTML 400 page.
        body = {
            "error": "invalid",
            "message": _("请求内容过大：除附件外最多 %(size)s MB。")
            % {"size": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:g}"},
            "fields": {},
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Conflict):
        body = {"error": "conflict", "message": str(exc.detail), "status": exc.current_status}
    elif isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = {"error": "invalid", "message": _("请求内容有误，请检查后重试。"), "fields": fields}
    elif isinstance(exc, exceptions.ParseError):
        body = {"error": "invalid", "message": _parse_error_message(context), "fields": {}}
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        body = {"error": "unauthorized", "message": _("未登录或令牌无效。")}
        response.status_code = status.HTTP_401_UNAUTHORIZED
    elif isinstance(exc, exceptions.PermissionDenied):
        body = {"error": "forbidden", "message": str(exc.detail)}
    elif isinstance(exc, exceptions.NotFound):
        body = {"error": "not_found", "message": str(exc.detail)}
    else:
        body = {"error": exc.default_code, "message": str(exc.detail)}
    return Response(body, status=response.status_code, headers=_auth_headers(response))


def _parse_error_message(context):
    """A body that could not be parsed, named by what it was sent as."""
    request = context.get("request")
    media = (getattr(request, "content_type", "") or "").split(";")[0].strip()
    if media == "multipart/form-data":
        return _("上传的表单无法解析（例如文件名或表单头过长），请检查后重试。")
    if media == "application/x-www-form-urlencoded":
        return _("表单内容无法解析，请检查后重试。")
    return _("请求内容不是有效的 JSON。")


def _auth_headers(response):
    return {key: value for key, value in response.items() if key == "WWW-Authenticate"}


def not_found(request, exception):
    """The project's 404 (``handler404``): under /api/ the contract's JSON, like every other
    API error, even for a path no route takes (``/api/v1/appeals/-1/attachments/2``); under
    a road with a shape of its own (Open311), that shape (``errors.answer``)."""
    return errors.answer(
        request,
        404,
        "not_found",
        _("未找到，或您无权查看。"),
        page=lambda: defaults.page_not_found(request, exception),
    )


def server_error(request):
    """The project's 500 (``handler500``): under /api/ the contract's JSON error shape, so a
    client that reads JSON is not handed an HTML page, a road's own shape under it (Open311);
    elsewhere ``templates/500.html``."""
    return errors.answer(
        request,
        500,
        "server_error",
        _("服务器出错，请稍后重试。"),
        page=lambda: defaults.server_error(request),
    )


class CountedPagination(PageNumberPagination):
    """The contract's page of a list: ``?page=N`` → ``{"count", "results"}``, 20 a page."""

    page_size = 20

    def get_paginated_response(self, data):
        return Response({"count": self.page.paginator.count, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {"count": {"type": "integer"}, "results": schema},
        }


class FileDownloadMixin:
    """For views that answer with a file: whatever the client accepts, errors still come as JSON."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)
