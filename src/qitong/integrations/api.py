"""The 12345 bridge's inbound endpoint and the enterprise's Open311 publication switch.

``POST /api/v1/hotline12345/workorders`` is authenticated by its signature,
not by a token: the body, as sent, is checked against each active hotline's
shared secret (``signing``), then parsed, then filed (``actions.receive_work_order``).
"""

import json

from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from qitong.appeals.access import access_appeal_for_user
from qitong.core import clock, ratelimit
from qitong.integrations import actions, signing
from qitong.integrations import serializers as s
from qitong.integrations.models import Integration

SIGNATURE_PARAMETERS = [
    OpenApiParameter(
        signing.TIMESTAMP_HEADER,
        str,
        OpenApiParameter.HEADER,
        required=True,
        description=_("Unix 时间戳（秒），与服务器时间相差不得超过 5 分钟"),
    ),
    OpenApiParameter(
        signing.SIGNATURE_HEADER,
        str,
        OpenApiParameter.HEADER,
        required=True,
        description=_("HMAC-SHA256(共享密钥, 时间戳 + 换行 + 请求体) 的十六进制"),
    ),
]


def _unauthorized(message):
    return Response(
        {"error": "unauthorized", "message": message}, status=status.HTTP_401_UNAUTHORIZED
    )


def signed_integration(request, body):
    """The active hotline whose secret signs ``body`` at the request's timestamp; or a reason."""
    timestamp = request.headers.get(signing.TIMESTAMP_HEADER, "")
    given = request.headers.get(signing.SIGNATURE_HEADER, "")
    if not timestamp or not given:
        return None, _("缺少签名：请提供 X-Qitong-Timestamp 与 X-Qitong-Signature。")
    if not signing.timestamp_fresh(timestamp, now=clock.now()):
        return None, _("时间戳与服务器时间相差超过 5 分钟，请求被拒绝。")
    for integration in Integration.objects.filter(kind=Integration.Kind.HOTLINE, active=True):
        if signing.matches(integration.secret, timestamp, body, given):
            return integration, None
    return None, _("签名无效。")


def _no_constant(name):
    raise ValueError(name)  # NaN, Infinity: not JSON, though Python's reader takes them


def parse_json(request, body):
    """The JSON object of a signed body: 415 for another media type, 400 naming ``body``
    for what is not one JSON object (empty, not UTF-8, not JSON, nested past the parser)."""
    media = (request.content_type or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType(
            media, detail=_("请求体应为 JSON（Content-Type: application/json）。")
        )

    def refuse(message):
        return ValidationError({"body": [message]})

    if not body.strip():
        raise refuse(_("请求体为空：应为 JSON 对象。"))
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise refuse(_("请求体应为 UTF-8 编码的 JSON。")) from None
    except RecursionError:
        raise refuse(_("请求体的 JSON 嵌套过深。")) from None
    except ValueError:
        raise refuse(_("请求体不是有效的 JSON。")) from None
    if not isinstance(data, dict):
        raise refuse(_("请求体应为 JSON 对象（工单的各字段）。"))
    return data


class WorkOrderView(APIView):
    """Receive a 12345 work order: 201 with the new appeal, 200 with the first for a retry."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="hotline12345_workorders_create",
        parameters=SIGNATURE_PARAMETERS,
        request=s.WorkOrderSerializer,
        responses={
            201: s.WorkOrderAnswerSerializer,
            200: OpenApiResponse(
                s.WorkOrderAnswerSerializer, description=_("该工单编号已接收过：返回第一次的诉求")
            ),
        },
        auth=[],
    )
    def post(self, request):
        try:
            body = request._request.body  # the bytes as signed, before anything parses them
        except RawPostDataException:
            # a multipart form, already read by the middleware: its bytes are gone, and a
            # work order is JSON anyway (the server error schemathesis found)
            raise UnsupportedMediaType(
                request.content_type, _("工单须以 JSON 发送（Content-Type: application/json）。")
            ) from None
        integration, reason = signed_integration(request, body)
        # Counted per integration once its signature proves which one asks; what proves
        # none counts per address, as the public endpoints do.
        rule, client = (
            ("public", ratelimit.address(request))
            if integration is None
            else ("integration", f"hotline:{integration.pk}")
        )
        left = ratelimit.exceeded(rule, client)
        if left is not None:
            return ratelimit.too_many(request._request, left)
        if integration is None:
            return _unauthorized(reason)
        data = parse_json(request, body)
        order = s.WorkOrderSerializer(data=data)
        order.is_valid(raise_exception=True)
        appeal, created = actions.receive_work_order(integration, order.validated_data)
        answer = {
            "work_order_no": order.validated_data["work_order_no"],
            "appeal_id": appeal.pk,
            "number": appeal.number,
            "status": appeal.status,
            "created": created,
            "enterprise": {
                "uscc": appeal.enterprise.uscc,
                "name": appeal.enterprise.name,
                "verified": appeal.enterprise.verified,
            },
        }
        return Response(
            s.WorkOrderAnswerSerializer(answer).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PublicationView(APIView):
    """The enterprise shows its appeal to everyone through Open311 (``public: true``), or stops."""

    @extend_schema(
        operation_id="open311_publications_create",
        request=s.PublicationSerializer,
        responses=s.PublicationSerializer,
    )
    def post(self, request):
        body = s.PublicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = access_appeal_for_user(request.user, body.validated_data["appeal"])
        public = actions.set_public(
            appeal, acting_user=request.user, public=body.validated_data["public"]
        )
        return Response({"appeal": appeal.pk, "public": public})
