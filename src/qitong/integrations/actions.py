"""Every state change of the integrations: the systems, their intake, callbacks, publications.

Work orders and service requests enter through ``appeals.actions.file_appeal``,
the one intake of every channel, as the integration's own account (an admin
account that cannot sign in, so the timeline names the system). What this app
keeps with the appeal is written in the filing's transaction (``intake``).
"""

import secrets
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.appeals import actions as appeal_actions
from qitong.appeals.access import is_owner
from qitong.appeals.models import Appeal, Category
from qitong.core import clock, masking
from qitong.core.errors import Conflict
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import normalize, validate_uscc
from qitong.integrations import intake, open311
from qitong.integrations.models import (
    Callback,
    Integration,
    Publication,
    ServiceRequest,
    WorkOrder,
    hash_key,
)
from qitong.notify import outbox
from qitong.orgs import scope

KEY_PREFIX = "q311_"


# --- the systems ----------------------------------------------------------------------


def create_integration(*, name, kind, title="", callback_url=""):
    """A new system with its account, a fresh shared secret and API key; returns (it, key).

    The key is returned this once: only its hash is kept.
    """
    User = get_user_model()
    with transaction.atomic():
        account = User(
            username=f"integration-{name}"[:150],
            role=User.Role.ADMIN,
            first_name=(title or name)[:150],
        )
        account.set_unusable_password()
        account.save()
        integration = Integration(
            name=name,
            title=title,
            kind=kind,
            callback_url=callback_url,
            secret=secrets.token_hex(32),
            account=account,
        )
        integration.full_clean(exclude=["account"])
        integration.save()
        key = new_api_key(integration)
    return integration, key


def new_api_key(integration):
    """Issue a new API key for ``integration`` (the old one stops working); returns it."""
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    integration.api_key_hash = hash_key(key)
    integration.api_key_prefix = key[: len(KEY_PREFIX) + 6]
    integration.save(update_fields=["api_key_hash", "api_key_prefix"])
    return key


def integration_for_key(key, kind):
    """The active integration of ``kind`` holding ``key``, or None."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX):
        return None
    return Integration.objects.filter(api_key_hash=hash_key(key), kind=kind, active=True).first()


# --- enterprises named by a caller ----------------------------------------------------


def find_or_flag_enterprise(uscc, name):
    """``(enterprise, created)``: the enterprise of ``uscc``, else a new unverified one.

    A new one carries ``verified=False`` (the office's flag: 未核实) and the
    name the caller gave. Call inside the filing's transaction: a filing that
    fails takes the new enterprise back with it. Two callers racing for the
    same new code both end with the one row.
    """
    code = normalize(uscc)
    found = Enterprise.objects.filter(uscc=code).first()
    if found:
        return found, False
    try:
        with transaction.atomic():
            enterprise = Enterprise(uscc=code, name=name.strip()[:200], verified=False)
            enterprise.save()
            return enterprise, True
    except IntegrityError:
        return Enterprise.objects.get(uscc=code), False


def _flag_to_office(enterprise, source):
    """Tell the city office's staff that ``enterprise`` was created unverified from ``source``."""
    users = get_user_model().objects.filter(is_active=True, unit=appeal_actions.city_office())
    outbox.enqueue_select(
        users,
        kind="enterprise_unverified",
        subject=_("待核实企业：%(name)s") % {"name": enterprise.name},
        body=_("%(source)s 提到的企业 %(name)s（%(uscc)s）尚未建档，已新建为未核实企业，请核实。")
        % {"source": source, "name": enterprise.name, "uscc": enterprise.uscc},
        # The dossier (an office reads it; by name, as ``dashboard`` stands above this app).
        url=reverse("dossier", args=[enterprise.pk]),
    )


# --- 12345 work orders ----------------------------------------------------------------


def receive_work_order(integration, order, *, at=None):
    """File a 12345 work order (``serializers.WorkOrderSerializer``'s data); returns
    ``(appeal, created)``.

    Idempotent by the work order's number (the appeal's external id on channel
    ``hotline12345``): a retry, also one racing the first, returns the first
    appeal and writes nothing. An enterprise the platform does not know is
    created unverified and put before the office, in the filing's transaction.
    """
    at = at or clock.now()
    number = order["work_order_no"]
    existing = (
        Appeal.objects.filter(channel=Appeal.Channel.HOTLINE, external_id=number)
        .select_related("enterprise")
        .first()
    )
    if existing:
        return _repeat(existing, order["uscc"]), False
    lines = [order["content"].strip(), ""]
    facts = (
        (_("工单编号"), number),
        (_("诉求类型"), order.get("kind", "")),
        (_("紧急程度"), str(WorkOrder.Urgency(order["urgency"]).label)),
        (_("来电时间"), _when(order.get("called_at"))),
        (_("交办时限"), _when(order.get("due_at"))),
    )
    lines += [f"{label}: {value}" for label, value in facts if value]
    current = intake.Filing(
        integration=integration,
        external_id=number,
        work_order={
            "number": number,
            "called_at": order.get("called_at"),
            "caller": order.get("caller", ""),
            "phone": order.get("phone", ""),
            "kind": order.get("kind", ""),
            "urgency": order["urgency"],
            "due_at": order.get("due_at"),
            "attachments": order.get("attachments") or [],
            "received_at": at,
        },
    )
    known = Enterprise.objects.filter(uscc=normalize(order["uscc"])).first()
    # A known enterprise: ``file_appeal`` is the outermost transaction, so on PostgreSQL
    # its number's statement and COMMIT go together. A new one is created in the same
    # transaction as the appeal, and taken back with it if the filing fails.
    with transaction.atomic() if known is None else nullcontext(), intake.filing(current):
        enterprise, new = (
            (known, False)
            if known
            else find_or_flag_enterprise(order["uscc"], order["enterprise_name"])
        )
        current.work_order["new_enterprise"] = new
        appeal, created = appeal_actions.file_appeal(
            acting_user=integration.account,
            enterprise=enterprise,
            title=_title(order.get("kind", ""), order["content"]),
            content="\n".join(lines).strip(),
            channel=Appeal.Channel.HOTLINE,
            contact_name=order.get("caller", ""),
            contact_phone=order.get("phone", ""),
            external_id=number,
            at=at,
        )
        if new and created:
            _flag_to_office(enterprise, _("12345工单 %(number)s") % {"number": number})
    return appeal, created


def _repeat(appeal, uscc):
    """The first appeal of a repeated work order, never one of another enterprise."""
    if appeal.enterprise.uscc != normalize(uscc):
        raise ValidationError({"work_order_no": [_("该工单编号已用于另一家企业的诉求。")]})
    return appeal


def _when(value):
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _title(kind, content):
    first = " ".join(content.split())
    summary = first[:40] + ("…" if len(first) > 40 else "")
    return f"{kind} {summary}".strip() if kind else summary


# --- Open311 service requests ---------------------------------------------------------


def submit_service_request(integration, fields, *, at=None):
    """File an Open311 request (``open311.parse_request``'s fields); returns the ``ServiceRequest``.

    A request naming an enterprise (``enterprise_uscc``, or a name the
    platform knows exactly) is filed at once as an appeal of channel
    ``open311``; one naming none waits, from an unverified reporter, for the
    office (``file_service_request`` or ``decline_service_request``).
    """
    at = at or clock.now()
    request = ServiceRequest(
        integration=integration,
        token=secrets.token_hex(10),
        state=ServiceRequest.State.PENDING,
        received_at=at,
        **fields,
    )
    enterprise, new = None, False
    with transaction.atomic():
        if request.enterprise_uscc:
            enterprise, new = find_or_flag_enterprise(
                request.enterprise_uscc, request.enterprise_name or request.enterprise_uscc
            )
        elif request.enterprise_name:
            enterprise = enterprise_by_name(request.enterprise_name)
        if enterprise is None:
            request.save()
            users = get_user_model().objects.filter(
                is_active=True, unit=appeal_actions.city_office()
            )
            outbox.enqueue_select(
                users,
                kind="open311_pending",
                subject=_("Open311 请求待核实：%(token)s") % {"token": request.token},
                body=request.description[:200],
                url=reverse("office-open311-request", args=[request.pk]),
            )
            return request
        _file(request, enterprise, integration.account, at)
        if new:
            _flag_to_office(enterprise, _("Open311 请求 %(token)s") % {"token": request.token})
    return request


def enterprise_by_name(name):
    """The one known enterprise called exactly ``name`` (brackets full- or half-width), or None.

    Two enterprises of the same name are no answer: the request waits for the office.
    """
    name = " ".join((name or "").split())
    if not name:
        return None
    spellings = {
        name,
        name.replace("(", "（").replace(")", "）"),
        name.replace("（", "(").replace("）", ")"),
    }
    named = list(Enterprise.objects.filter(name__in=spellings)[:2])
    return named[0] if len(named) == 1 else None


def _waiting(request):
    """The request locked, if it still waits for the office (else 409)."""
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != ServiceRequest.State.PENDING:
        raise Conflict(
            _("该请求已处理（%(state)s）。") % {"state": request.get_state_display()},
            request.state,
        )
    return request


def _require_office(user):
    """Who decides on waiting Open311 requests: the service offices and admins."""
    if not scope.has_role(user, scope.Role.OFFICE, scope.Role.ADMIN):
        raise PermissionDenied(_("只有服务企业办公室可以处理待核实的 Open311 请求。"))


def file_service_request(request, *, enterprise, acting_user, at=None):
    """The office links a waiting Open311 request to ``enterprise``, which files it."""
    _require_office(acting_user)
    with transaction.atomic():
        request = _waiting(request)
        if not isinstance(enterprise, Enterprise):
            raise ValidationError({"enterprise": [_("企业不存在。")]})
        at = at or clock.now()
        request.handled_by, request.handled_at = acting_user, at  # saved with the appeal
        _file(request, enterprise, acting_user, at)
    return request


def link_service_request(request, *, acting_user, uscc="", name="", at=None):
    """The office links a waiting request to the enterprise it names, which files it.

    By ``uscc`` (a known enterprise; an unknown, valid code with ``name`` makes
    a new unverified enterprise, as a hotline's does), or by ``name`` alone (the
    one known enterprise of exactly that name).
    """
    _require_office(acting_user)
    uscc, name = (uscc or "").strip(), " ".join((name or "").split())
    if len(name) > 200:
        raise ValidationError({"name": [_("企业名称不能超过 200 个字符。")]})
    if uscc:
        try:
            validate_uscc(uscc)
        except ValidationError as exc:
            raise ValidationError({"uscc": exc.messages}) from None
        enterprise = Enterprise.objects.filter(uscc=normalize(uscc)).first()
        if enterprise is None and not name:
            raise ValidationError(
                {
                    "name": [
                        _("该统一社会信用代码尚未建档：请同时填写企业名称，将新建为未核实企业。")
                    ]
                }
            )
    elif name:
        enterprise = enterprise_by_name(name)
        if enterprise is None:
            raise ValidationError(
                {
                    "name": [
                        _("没有恰好一家名为“%(name)s”的企业，请填写统一社会信用代码。")
                        % {"name": name}
                    ]
                }
            )
    else:
        raise ValidationError({"uscc": [_("请填写统一社会信用代码或企业名称。")]})
    with transaction.atomic():
        _waiting(request)  # refused before a new enterprise is made for nothing
        if enterprise is None:
            enterprise, _new = find_or_flag_enterprise(uscc, name)
        return file_service_request(request, enterprise=enterprise, acting_user=acting_user, at=at)


def answer_service_request(request, *, acting_user, answer, at=None):
    """The office handles a waiting request as it stands: it answers the reporter itself,
    without an appeal; the answer is the request's public status note."""
    _require_office(acting_user)
    answer = _office_text(answer, "answer", _("请填写答复内容。"))
    with transaction.atomic():
        request = _waiting(request)
        request.state, request.answer = ServiceRequest.State.ANSWERED, answer
        request.handled_by, request.handled_at = acting_user, at or clock.now()
        request.save(update_fields=["state", "answer", "handled_by", "handled_at"])
    return request


def decline_service_request(request, *, acting_user, reason, at=None):
    """The office declines a waiting Open311 request; the reason is its public status note."""
    _require_office(acting_user)
    reason = _office_text(reason, "reason", _("请填写不予受理的理由。"))
    with transaction.atomic():
        request = _waiting(request)
        request.state, request.decline_reason = ServiceRequest.State.DECLINED, reason
        request.handled_by, request.handled_at = acting_user, at or clock.now()
        request.save(update_fields=["state", "decline_reason", "handled_by", "handled_at"])
    return request


OFFICE_NOTE_MAX = 2000


def _office_text(value, field, missing):
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise ValidationError({field: [_("应为文本。")]})
    if not any(char.isprintable() and not char.isspace() for char in value):
        raise ValidationError({field: [missing]})
    if len(value) > OFFICE_NOTE_MAX:
        raise ValidationError(
            {field: [_("不能超过 %(limit)d 个字符。") % {"limit": OFFICE_NOTE_MAX}]}
        )
    return value


@dataclass(frozen=True)
class RequestAction:
    """One decision the office takes on a waiting request, declared once for its page."""

    name: str
    label: str
    function: Callable
    fields: tuple  # (name, label, required) of its form, the function's keywords
    danger: bool = False


# The office's decisions on a waiting Open311 request: link it (an appeal), or handle it
# as it stands (answer it, or decline it). The page and the tests read this list.
REQUEST_ACTIONS = {
    action.name: action
    for action in (
        RequestAction(
            "link",
            gettext_lazy("关联企业并受理"),
            link_service_request,
            (
                ("uscc", gettext_lazy("统一社会信用代码"), False),
                ("name", gettext_lazy("企业名称"), False),
            ),
        ),
        RequestAction(
            "answer",
            gettext_lazy("直接答复（不转诉求）"),
            answer_service_request,
            (("answer", gettext_lazy("答复内容"), True),),
        ),
        RequestAction(
            "decline",
            gettext_lazy("不予受理"),
            decline_service_request,
            (("reason", gettext_lazy("不予受理理由"), True),),
            danger=True,
        ),
    )
}


def _file(request, enterprise, acting_user, at):
    """File ``request`` for ``enterprise``; its row is saved with the appeal (``intake``)."""
    category = Category.objects.filter(code=request.service_code).first()
    content = [request.description.strip()]
    content += [f"{label}: {value}" for label, value in request_facts(request)]
    current = intake.Filing(
        integration=request.integration, external_id=request.token, service_request=request
    )
    with intake.filing(current):
        appeal, _created = appeal_actions.file_appeal(
            acting_user=acting_user,
            enterprise=enterprise,
            title=_title(category.name if category else "", request.description),
            content="\n".join(content)[: appeal_actions.CONTENT_MAX],
            channel=Appeal.Channel.OPEN311,
            category=category,
            contact_name=request.reporter,
            contact_phone=request.phone,
            external_id=request.token,
            at=at,
        )
    request.appeal, request.state = appeal, ServiceRequest.State.FILED
    return appeal


def request_facts(request):
    """``(label, value)`` of what a request says beyond its description (the appeal's text,
    the office's page). The phone is masked (``core.masking``): in full it is the appeal's
    contact phone, and on the office's page it is revealed with a reason."""
    facts = [*open311.attribute_lines(request.service_code, request.attributes)]
    facts += [
        (_("报告人"), request.reporter),
        (_("电话"), masking.mask_phone(request.phone)),
        (_("电子邮箱"), request.email),
        (_("地址"), request.address),
        (_("位置"), f"{request.lat}, {request.long}" if request.lat is not None else ""),
        (_("图片链接"), request.media_url),
    ]
    return [(label, value) for label, value in facts if value]


# --- publication ----------------------------------------------------------------------


def set_public(appeal, *, acting_user, public, at=None):
    """The enterprise makes its appeal public (readable through Open311 without a key), or not."""
    if not is_owner(acting_user, appeal):
        raise PermissionDenied(_("只有诉求所属企业可以公开该诉求。"))
    if not isinstance(public, bool):
        raise ValidationError({"public": [_("应为 true 或 false。")]})
    if public:
        Publication.objects.get_or_create(
            appeal=appeal,
            defaults={"published_by": acting_user, "published_at": at or clock.now()},
        )
    else:
        Publication.objects.filter(appeal=appeal).delete()
    return public


# --- callbacks ------------------------------------------------------------------------


def replay_callback(callback, *, acting_user, at=None):
    """Send a dead (or waiting) callback again now, its attempts counted afresh."""
    scope.require_role(acting_user, scope.Role.ADMIN)
    return Callback.objects.filter(
        pk=callback.pk, status__in=[Callback.Status.DEAD, Callback.Status.PENDING]
    ).update(
        status=Callback.Status.PENDING, attempts=0, next_attempt_at=at or clock.now(), last_error=""
    )
