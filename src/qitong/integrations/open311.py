"""Open311 GeoReport v2: the services, the parsing of a request, the shapes of the answers.

The views (``views.py``) are thin around these: what a service is (the
appeal categories, with ``ATTRIBUTES`` for those that need more facts), how
a POST becomes the fields of a ``ServiceRequest`` (``parse_request``, raising
``Open311Error`` with the spec's codes), how an appeal reads as a service
request (``request_rows``), and the two formats (``as_xml``).
"""

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.appeals.models import Appeal, Category, Event
from qitong.core import clock
from qitong.core.clock import SHANGHAI
from qitong.enterprises.uscc import normalize, validate_uscc
from qitong.integrations.models import ServiceRequest

SPEC = "http://wiki.open311.org/GeoReport_v2"
DESCRIPTION_MAX = 4000
WINDOW = timedelta(days=90)
MOST_RESULTS = 1000
# The events whose note is public: the office's refusal, the unit's answer and result,
# the reason of an archive. ``status_notes`` is the latest of them.
PUBLIC_NOTES = (Event.Kind.REJECT, Event.Kind.REPLY, Event.Kind.RESOLVE, Event.Kind.ARCHIVE)
CLOSED = (Appeal.Status.ARCHIVED, Appeal.Status.REJECTED)
NO_CATEGORY = "uncategorized"


class Open311Error(Exception):
    """An error the spec's way: an HTTP code and a description, answered as an array."""

    def __init__(self, code, description, headers=None):
        super().__init__(description)
        self.code, self.description = code, str(description)
        self.headers = headers or {}


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    description: object  # lazy text
    required: bool = True
    values: tuple = ()  # (key, lazy name) for the list kinds


# The categories that need more facts than a description, and those facts.
ATTRIBUTES = {
    "factors-power": (
        Attribute("capacity_kva", "number", gettext_lazy("申请新增用电容量（千伏安）")),
        Attribute(
            "voltage",
            "singlevaluelist",
            gettext_lazy("接入电压等级"),
            values=(("10kv", gettext_lazy("10千伏")), ("35kv", gettext_lazy("35千伏及以上"))),
        ),
    ),
    "factors-land": (Attribute("area_mu", "number", gettext_lazy("用地面积（亩）")),),
    "factors-labour": (Attribute("workers", "number", gettext_lazy("用工缺口（人）")),),
    "financing-loan": (
        Attribute("amount_wan", "number", gettext_lazy("贷款金额（万元）")),
        Attribute(
            "purpose",
            "singlevaluelist",
            gettext_lazy("贷款用途"),
            values=(
                ("working_capital", gettext_lazy("流动资金")),
                ("equipment", gettext_lazy("设备购置")),
                ("construction", gettext_lazy("厂房建设")),
            ),
        ),
    ),
    "financing-guarantee": (Attribute("amount_wan", "number", gettext_lazy("担保金额（万元）")),),
    "projects-approval": (
        Attribute("project_name", "string", gettext_lazy("项目名称")),
        Attribute(
            "stages",
            "multivaluelist",
            gettext_lazy("卡在哪些审批环节"),
            values=(
                ("land", gettext_lazy("用地预审")),
                ("planning", gettext_lazy("规划许可")),
                ("environment", gettext_lazy("环评")),
                ("construction", gettext_lazy("施工许可")),
            ),
        ),
    ),
}


def jurisdiction():
    return settings.QITONG_OPEN311_JURISDICTION


def check_jurisdiction(value):
    """An empty or absent ``jurisdiction_id`` is ours; any other than ours does not exist here."""
    if value and value != jurisdiction():
        raise Open311Error(404, _("jurisdiction_id %(value)s 不存在。") % {"value": value})


# --- services -------------------------------------------------------------------------


def services():
    categories = Category.objects.filter(is_active=True).select_related("parent").order_by("code")
    return [service(category) for category in categories]


def service(category):
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name,
        "metadata": category.code in ATTRIBUTES,
        "type": "realtime",
        "keywords": None,
        "group": category.parent.name if category.parent_id else category.name,
    }


def category_of(code):
    """The active category of a service code, or ``Open311Error`` 404."""
    category = Category.objects.filter(code=code, is_active=True).first() if code else None
    if category is None:
        raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": code})
    return category


def definition(code):
    category = category_of(code)
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": None,
                "order": order,
                "description": str(attribute.description),
                **(
                    {"values": [{"key": key, "name": str(name)} for key, name in attribute.values]}
                    if attribute.values
                    else {}
                ),
            }
            for order, attribute in enumerate(ATTRIBUTES.get(category.code, ()), start=1)
        ],
    }


def attribute_lines(code, values):
    """``(label, value)`` of a request's attributes, for the appeal's text the office reads."""
    lines = []
    for attribute in ATTRIBUTES.get(code, ()):
        value = values.get(attribute.code)
        if value in (None, "", []):
            continue
        names = dict(attribute.values)
        shown = [str(names.get(v, v)) for v in (value if isinstance(value, list) else [value])]
        lines.append((str(attribute.description), _("、").join(shown)))
    return lines


# --- POST requests --------------------------------------------------------------------

TEXT_FIELDS = {
    # form field: (ServiceRequest field, longest)
    "email": ("email", 254),
    "first_name": ("first_name", 50),
    "last_name": ("last_name", 50),
    "phone": ("phone", 20),
    "address_string": ("address", 300),
    "address_id": ("address_id", 100),
    "device_id": ("device_id", 100),
    "account_id": ("account_id", 100),
    "media_url": ("media_url", 500),
    # Qitong's extension: the enterprise the request is for, when the client knows it.
    "enterprise_uscc": ("enterprise_uscc", 18),
    "enterprise_name": ("enterprise_name", 200),
}


def parse_request(form):
    """The fields of a ``ServiceRequest`` from a POST's form, or ``Open311Error`` 400/404."""
    category = category_of(form.get("service_code", "").strip())
    fields = {"service_code": category.code}
    description = form.get("description", "")
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(
            400, _("description 不能超过 %(limit)d 个字符。") % {"limit": DESCRIPTION_MAX}
        )
    if not any(char.isprintable() and not char.isspace() for char in description):
        raise Open311Error(400, _("description 不能为空，也不能只含不可见字符。"))
    fields["description"] = description.strip()
    for name, (target, longest) in TEXT_FIELDS.items():
        value = form.get(name, "").strip()
        if len(value) > longest:
            raise Open311Error(
                400, _("%(field)s 不能超过 %(limit)d 个字符。") % {"field": name, "limit": longest}
            )
        fields[target] = value
    if len(f"{fields['last_name']} {fields['first_name']}".strip()) > 50:
        raise Open311Error(400, _("first_name 与 last_name 合计不能超过 50 个字符。"))
    if fields["media_url"] and not fields["media_url"].startswith(("http://", "https://")):
        raise Open311Error(400, _("media_url 应为 http 或 https 地址。"))
    if fields["enterprise_uscc"]:
        try:
            validate_uscc(fields["enterprise_uscc"])
        except ValidationError as exc:
            raise Open311Error(400, f"enterprise_uscc: {' '.join(exc.messages)}") from None
        fields["enterprise_uscc"] = normalize(fields["enterprise_uscc"])
    for name in ("lat", "long"):
        fields[name] = _coordinate(form.get(name, "").strip(), name)
    if (fields["lat"] is None) != (fields["long"] is None):
        raise Open311Error(400, _("lat 与 long 须同时提供。"))
    if fields["lat"] is None and not fields["address"] and not fields["address_id"]:
        raise Open311Error(400, _("请提供位置：lat 和 long、address_string 或 address_id。"))
    fields["attributes"] = _attributes(category.code, form)
    return fields


def _coordinate(value, name):
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    bound = 90 if name == "lat" else 180
    if not math.isfinite(number) or abs(number) > bound:
        raise Open311Error(400, _("%(field)s 应为有效的坐标。") % {"field": name})
    return number


def _attributes(code, form):
    values = {}
    for attribute in ATTRIBUTES.get(code, ()):
        key = f"attribute[{attribute.code}]"
        if attribute.datatype == "multivaluelist":
            given = [v.strip() for v in form.getlist(key + "[]") + form.getlist(key) if v.strip()]
        else:
            given = form.get(key, "").strip()
        field = f"attribute[{attribute.code}]"
        if not given:
            if attribute.required:
                raise Open311Error(400, _("%(field)s 不能为空。") % {"field": field})
            continue
        keys = {key for key, _name in attribute.values}
        if attribute.datatype == "number":
            try:
                number = float(given)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or number < 0:
                raise Open311Error(400, _("%(field)s 应为非负数字。") % {"field": field})
        elif (
            attribute.datatype == "singlevaluelist"
            and given not in keys
            or attribute.datatype == "multivaluelist"
            and not set(given) <= keys
        ):
            raise Open311Error(400, _("%(field)s 的取值无效。") % {"field": field})
        elif len(given) > 500:
            raise Open311Error(400, _("%(field)s 过长。") % {"field": field})
        values[attribute.code] = given
    return values


# --- GET requests ---------------------------------------------------------------------


def parse_instant(value, name):
    """A w3c datetime with its zone (2026-12-01T08:00:00+08:00, or Z), or ``Open311Error`` 400."""
    try:
        instant = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise Open311Error(
            400, _("%(field)s 应为带时区的时间，如 2026-12-01T08:00:00+08:00。") % {"field": name}
        )
    try:  # a time at the calendar's edge whose UTC falls outside it (0001-01-01T00:00+08:00)
        return instant.astimezone(UTC)
    except OverflowError:
        raise Open311Error(400, _("%(field)s 超出可表示的时间范围。") % {"field": name}) from None


def _window_start(end):
    """The default start: ``WINDOW`` before ``end``, or the calendar's first instant."""
    try:
        return end - WINDOW
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def search(appeals, query):
    """Narrow ``appeals`` (already what the caller may see) by the GET's parameters.

    ``service_request_id`` (comma-separated) overrides the rest; otherwise
    ``start_date``/``end_date`` (default: the 90 days before now), ``status``
    (``open``, ``closed``, or both) and ``service_code`` (comma-separated), the
    newest first, at most 1,000.
    """
    ids = [part.strip() for part in query.get("service_request_id", "").split(",") if part.strip()]
    if ids:
        return appeals.filter(number__in=ids[:MOST_RESULTS]).order_by("-created_at", "-id")
    end = parse_instant(query["end_date"], "end_date") if query.get("end_date") else clock.now()
    start = (
        parse_instant(query["start_date"], "start_date")
        if query.get("start_date")
        else _window_start(end)
    )
    appeals = appeals.filter(created_at__gte=start, created_at__lte=end)
    statuses = {part.strip() for part in query.get("status", "").split(",") if part.strip()}
    if not statuses <= {"open", "closed"}:
        raise Open311Error(400, _("status 应为 open 或 closed。"))
    if statuses == {"open"}:
        appeals = appeals.exclude(status__in=CLOSED)
    elif statuses == {"closed"}:
        appeals = appeals.filter(status__in=CLOSED)
    codes = [part.strip() for part in query.get("service_code", "").split(",") if part.strip()]
    if codes:
        appeals = appeals.filter(category__code__in=codes)
    return appeals.order_by("-created_at", "-id")[:MOST_RESULTS]


def request_rows(appeals, integration=None):
    """Each appeal as a GeoReport service request; ``media_url`` only for ``integration``'s own."""
    latest = Event.objects.filter(appeal=OuterRef("pk")).order_by("-at", "-id")
    appeals = appeals.select_related("category", "lead_unit", "service_request").annotate(
        last_change=Subquery(latest.values("at")[:1]),
        public_note=Subquery(latest.filter(action__in=PUBLIC_NOTES).values("note")[:1]),
    )
    return [_request(appeal, integration) for appeal in appeals]


def _request(appeal, integration):
    submitted = getattr(appeal, "service_request", None)
    own = submitted is not None and integration is not None
    own = own and submitted.integration_id == integration.pk
    description = submitted.description if submitted else appeal.content
    return {
        "service_request_id": appeal.number,
        "status": "closed" if appeal.status in CLOSED else "open",
        "status_notes": appeal.public_note or None,
        "service_name": appeal.category.name if appeal.category_id else None,
        "service_code": appeal.category.code if appeal.category_id else NO_CATEGORY,
        "description": description[:DESCRIPTION_MAX],
        "agency_responsible": appeal.lead_unit.name if appeal.lead_unit_id else None,
        "service_notice": None,
        "requested_datetime": instant(appeal.created_at),
        "updated_datetime": instant(appeal.last_change or appeal.created_at),
        "expected_datetime": instant(appeal.resolve_due),
        "address": (submitted.address or None) if submitted else None,
        "address_id": (submitted.address_id or None) if submitted else None,
        "zipcode": None,
        "lat": submitted.lat if submitted else None,
        "long": submitted.long if submitted else None,
        "media_url": (submitted.media_url or None) if own else None,
    }


def instant(value):
    """A datetime as the spec wants it, with its zone (Asia/Shanghai), or None."""
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def token_row(request):
    """``GET tokens/{token}``: the request's id once filed, else null; the office's answer or
    reason to decline as ``status_notes`` when it handled the request without an appeal."""
    row = {
        "token": request.token,
        "service_request_id": request.appeal.number if request.appeal_id else None,
    }
    if request.state in (ServiceRequest.State.ANSWERED, ServiceRequest.State.DECLINED):
        row["status_notes"] = request.office_note
    return row


# --- formats --------------------------------------------------------------------------

# The XML names of a list's root and of its items, by what the list holds.
XML_ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
    "tokens": ("service_requests", "request"),
}
XML_ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint"}


def as_xml(data, root):
    """The XML text of ``data`` (a list under ``XML_ROOTS[root]``, or a dict under ``root``)."""
    if isinstance(data, list):
        outer, inner = XML_ROOTS[root]
        element = ET.Element(outer)
        for item in data:
            _fill(ET.SubElement(element, inner), item)
    else:
        element = ET.Element(root)
        _fill(element, data)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def _fill(element, value):
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        child = XML_ITEMS.get(element.tag, "format" if element.tag == "formats" else "item")
        for item in value:
            _fill(ET.SubElement(element, child), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
