"""Open311 GeoReport v2 at /open311/v2/: thin views around ``open311``.

Each answers JSON or XML by the path's ``.json``/``.xml``, errors as the
spec's array of ``{code, description}`` (403 a missing or wrong key, 404
what does not exist, 400 the rest). A key is the ``api_key`` parameter.
"""

import functools
import json

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from qitong.core import ratelimit
from qitong.integrations import access, actions, open311
from qitong.integrations.models import Integration, ServiceRequest
from qitong.integrations.open311 import Open311Error

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# When this API's shape last changed: discovery's changeset.
CHANGESET = "2026-12-06T00:00:00+08:00"


def answer(data, fmt, root, status=200):
    if fmt == "xml":
        return HttpResponse(open311.as_xml(data, root), content_type=XML_TYPE, status=status)
    body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body, content_type=JSON_TYPE, status=status)


def error(code, description, fmt, headers=None):
    response = answer([{"code": code, "description": str(description)}], fmt, "errors", status=code)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_shape(request, status, message, fields):
    """Core's refusals (a NUL character, a body too large or unreadable, a rate limit) under
    /open311/, in the spec's shape: registered in ``errors.ERROR_SHAPES`` (``apps.py``)."""
    named = "; ".join(
        f"{field}: {' '.join(str(text) for text in texts)}" for field, texts in fields.items()
    )
    fmt = "xml" if request.path.split("?")[0].endswith(".xml") else "json"
    return error(status, f"{message} {named}".strip(), fmt)


# The media types a POST may come as: the spec's form encoding (multipart accepted too).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _params(request):
    """The request's parameters, or ``Open311Error`` 400 for a body that is none."""
    if request.method != "POST":
        return request.GET
    media = (request.content_type or "").split(";")[0].strip().lower()
    if media not in FORM_TYPES:
        raise Open311Error(
            400, _("请求体应为表单编码（Content-Type: application/x-www-form-urlencoded）。")
        )
    try:
        return request.POST
    except RequestDataTooBig:
        raise Open311Error(400, _("请求内容过大。")) from None
    except MultiPartParserError:
        raise Open311Error(400, _("表单内容无法解析。")) from None


def endpoint(*methods):
    """Check the method and the jurisdiction; turn ``Open311Error`` into the spec's array."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt="json", **kwargs):
            if request.method not in methods:
                return error(405, _("不支持 %(method)s 请求。") % {"method": request.method}, fmt)
            try:
                params = _params(request)
                open311.check_jurisdiction(params.get("jurisdiction_id", "").strip())
                return view(request, *args, fmt=fmt, params=params, **kwargs)
            except Open311Error as exc:
                return error(exc.code, exc.description, fmt, exc.headers)
            except ValidationError as exc:  # the intake's own rules (``file_appeal``)
                return error(400, _invalid(exc), fmt)

        return wrapper

    return decorate


def _invalid(exc):
    if hasattr(exc, "error_dict"):
        return " ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def keyed(params, *, required):
    """The integration of the ``api_key`` given; 403 if it is wrong, or missing when required."""
    key = params.get("api_key", "").strip()
    if not key:
        if required:
            raise Open311Error(403, _("缺少 api_key。"))
        return None
    integration = actions.integration_for_key(key, Integration.Kind.OPEN311)
    if integration is None:
        raise Open311Error(403, _("api_key 无效。"))
    return integration


def counted(request, params):
    """A POST's integration, counted against the rate limits first: per integration for a
    valid key, per address for none or a wrong one (then 403)."""
    key = params.get("api_key", "").strip()
    integration = actions.integration_for_key(key, Integration.Kind.OPEN311) if key else None
    if integration is not None:
        left = ratelimit.exceeded("integration", f"open311:{integration.pk}")
    else:
        left = ratelimit.exceeded("public", ratelimit.address(request))
    if left is not None:
        raise Open311Error(429, ratelimit.message(left), {"Retry-After": str(left)})
    if integration is None:
        raise Open311Error(403, _("api_key 无效。") if key else _("缺少 api_key。"))
    return integration


@endpoint("GET")
def discovery(request, *, fmt, params):
    data = {
        "changeset": CHANGESET,
        "contact": _("济南市服务企业办公室"),
        "key_service": _("API 密钥由系统管理员在“外部系统”中签发。"),
        "endpoints": [
            {
                "specification": open311.SPEC,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return answer(data, fmt, "discovery")


@endpoint("GET")
def services(request, *, fmt, params):
    return answer(open311.services(), fmt, "services")


@endpoint("GET")
def service_definition(request, code, *, fmt, params):
    return answer(open311.definition(code), fmt, "service_definition")


@endpoint("GET", "POST")
def requests(request, *, fmt, params):
    if request.method == "POST":
        integration = counted(request, params)
        submitted = actions.submit_service_request(integration, open311.parse_request(params))
        if submitted.appeal_id:
            row = {"service_request_id": submitted.appeal.number, "service_notice": None}
        else:
            row = {
                "token": submitted.token,
                "service_notice": _("请求已收到，待服务企业办公室核实后受理。"),
            }
        row["account_id"] = submitted.account_id or None
        return answer([row], fmt, "requests", status=201)
    integration = keyed(params, required=False)
    found = open311.search(access.open311_appeals(integration), params)
    return answer(open311.request_rows(found, integration), fmt, "requests")


@endpoint("GET")
def request_detail(request, number, *, fmt, params):
    integration = keyed(params, required=False)
    appeal = access.access_open311_appeal(integration, number)
    if appeal is None:
        raise Open311Error(404, _("服务请求 %(id)s 不存在。") % {"id": number})
    rows = open311.request_rows(type(appeal).objects.filter(pk=appeal.pk), integration)
    return answer(rows, fmt, "requests")


@endpoint("GET")
def token(request, value, *, fmt, params):
    """``tokens/{token}``: only the integration that posted the request may ask."""
    integration = keyed(params, required=True)
    found = (
        ServiceRequest.objects.filter(token=value, integration=integration)
        .select_related("appeal")
        .first()
    )
    if found is None:
        raise Open311Error(404, _("凭证 %(token)s 不存在。") % {"token": value})
    return answer([open311.token_row(found)], fmt, "tokens")


@csrf_exempt
def not_found(request, fmt="json", **kwargs):
    return error(404, _("该地址不存在。"), fmt)
