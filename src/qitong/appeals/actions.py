"""Every state change of an appeal, one function each, and the declared list of actions.

Each action runs in one transaction on a locked row, checks the current state
(``Conflict``) and the actor's right (``PermissionDenied``) first, validates
its input (``ValidationError`` with Chinese field messages), writes its event
(``events.record``) and queues its notifications in the same transaction.
Pages, the API, the CLI and the sweep all call these; nothing else writes
``status``.

``ACTIONS`` at the end declares each action once: its label, its rule (who,
from which states, what else must hold), its request body, its page form and
its route. The API's routes, the case page's forms, the office's bulk toolbar
and ``available_actions`` are all read from it, so adding an action is one
function and one entry (``tests/appeals/test_action_list.py`` checks that each
entry has all its parts).
"""

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from qitong.appeals import deadlines, events, links, uploads
from qitong.appeals import serializers as bodies
from qitong.appeals.access import (
    is_co_unit_for,
    is_lead_for,
    is_office_for,
    is_owner,
)
from qitong.appeals.events import record
from qitong.appeals.models import (
    TEXT_INDEX,
    Appeal,
    Assignment,
    Attachment,
    Category,
    EscalationStep,
    Event,
    Request,
    Supervision,
)
from qitong.core import clock, numbering
from qitong.core.bulk import insert_rows
from qitong.core.clock import SHANGHAI
from qitong.core.errors import Conflict
from qitong.core.prepared import prepared_statements
from qitong.core.text import shows_anything
from qitong.core.workdays import WorkCalendar
from qitong.enterprises.models import Enterprise
from qitong.notify import outbox
from qitong.notify.models import Message
from qitong.orgs import scope
from qitong.orgs.models import Unit, User

S = Appeal.Status
# The longest text each kind of input may hold (the forms take them as their maxlength).
TITLE_MAX = Appeal._meta.get_field("title").max_length
CONTENT_MAX = Appeal._meta.get_field("content").max_length
NOTE_MAX = 2000
# The most working days one extension request may ask for (the cap from dispatch still applies).
EXTENSION_MAX_DAYS = Decimal(30)


# --- shared pieces --------------------------------------------------------------------


def case_links():
    """``pk -> the case page's path``, resolved once for a batch rather than once a case."""
    marker = "2147483647"
    path = reverse("appeal-detail", args=[int(marker)])
    return lambda pk: path.replace(marker, str(pk))


def case_url(appeal):
    """The case page, which every message about the case links to."""
    return reverse("appeal-detail", args=[appeal.pk])


def recipients(**condition):
    """Active users matching ``condition``, with just what the outbox reads of them (and their unit)."""
    return list(User.objects.filter(is_active=True, **condition).only("id", "email", "unit_id"))


def notify_unit(unit, appeal, *, kind, subject, body):
    """Queue a message about ``appeal`` to every active user of ``unit`` (sent after commit).

    One statement (``outbox.enqueue_select``): the users are not read first.
    Returns the messages' ids.
    """
    users = User.objects.filter(is_active=True, unit=unit)
    return outbox.enqueue_select(users, kind=kind, subject=subject, body=body, url=case_url(appeal))


def notify_enterprise(appeal, *, kind, subject, body):
    """Queue a message about ``appeal`` to the enterprise's active users."""
    users = recipients(enterprise_id=appeal.enterprise_id)
    outbox.enqueue(users, kind=kind, subject=subject, body=body, url=case_url(appeal))


def _conflict(appeal):
    return Conflict(
        _("诉求当前状态为“%(status)s”，不能执行此操作。") % {"status": appeal.get_status_display()},
        appeal.status,
    )


def _require(appeal, *states):
    if appeal.status not in states:
        raise _conflict(appeal)


def _allow(condition):
    if not condition:
        raise PermissionDenied(_("您无权对该诉求执行此操作。"))


@dataclass(frozen=True)
class Rule:
    """Who may take an action, from which states, and what else must hold."""

    who: Callable
    states: tuple
    blocked: Callable = staticmethod(lambda appeal: None)  # a reason it can't be done now


def _lead_not_direct(user, appeal):
    return is_lead_for(user, appeal) and appeal.handling_mode != Appeal.Mode.DIRECT


def _lead_or_office(user, appeal):
    return is_lead_for(user, appeal) or is_office_for(user, appeal)


def _case_party(user, appeal):
    return is_owner(user, appeal) or is_office_for(user, appeal) or is_lead_for(user, appeal)


def _pending_kind(appeal, kind):
    return appeal.requests.filter(kind=kind, decision=Request.Decision.PENDING).exists()


def _while_suspended(appeal):
    return _("诉求处于中止状态，请先恢复办理。") if appeal.suspended_since else None


def _unless_suspended(appeal):
    return None if appeal.suspended_since else _("诉求未处于中止状态。")


def _suspension_open(appeal):
    if appeal.suspended_since:
        return _("诉求已处于中止状态。")
    if _pending_kind(appeal, Request.Kind.SUSPENSION):
        return _("已有待审批的申请。")
    return None


def _extension_open(appeal):
    return _("已有待审批的申请。") if _pending_kind(appeal, Request.Kind.EXTENSION) else None


def _no_pending(kind):
    return lambda appeal: None if _pending_kind(appeal, kind) else _("没有待审批的申请。")


def _already_rated(appeal):
    return _("本轮办理已评价，等待服务企业办公室处理。") if appeal.rating_result else None


def _redo_blocked(appeal):
    if appeal.lead_unit_id is None:
        return _("诉求尚无牵头单位，不能退回重办。")
    if links.is_linked_duplicate(appeal):
        return _(
            "本诉求作为重复诉求随主诉求办结，不能单独退回重办；如需单独办理，请先取消重复关联。"
        )
    return None


def _check(appeal, user, name):
    """The one gate of every action: the actor's right (403), then the state (409)."""
    rule = ACTIONS[name].rule
    _allow(rule.who(user, appeal))
    _require(appeal, *rule.states)
    reason = rule.blocked(appeal)
    if reason:
        raise Conflict(reason, appeal.status)


def available_actions(user, appeal):
    """The names of the actions ``user`` may take on ``appeal`` now, for the pages."""
    return [
        name
        for name, action in ACTIONS.items()
        if appeal.status in action.rule.states
        and action.rule.who(user, appeal)
        and not action.rule.blocked(appeal)
    ]


def _text(value, field, *, required=True, limit=NOTE_MAX):
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise ValidationError({field: [_("应为文本。")]})
    if required and not value:
        raise ValidationError({field: [_("不能为空。")]})
    if required and not shows_anything(value):
        raise ValidationError({field: [_("不能只含空白或不可见字符。")]})
    if len(value) > limit:
        raise ValidationError({field: [_("不能超过 %(limit)d 个字符。") % {"limit": limit}]})
    return value


def transition(fn):
    """Run an action atomically on the freshly locked appeal."""

    @functools.wraps(fn)
    def wrapper(appeal, *, acting_user, at=None, **kwargs):
        with transaction.atomic():
            locked = (
                Appeal.objects.select_for_update(of=("self",))
                .select_related("enterprise", "office", "lead_unit", "category")
                .get(pk=appeal.pk)
            )
            fn(locked, acting_user=acting_user, at=at or clock.now(), **kwargs)
        return locked

    return wrapper


def _unit(code, field):
    if not isinstance(code, str) or not code:
        raise ValidationError({field: [_("请填写单位代码。")]})
    try:
        return Unit.objects.get(code=code, is_active=True)
    except Unit.DoesNotExist:
        raise ValidationError({field: [_("单位 %(code)s 不存在。") % {"code": code}]}) from None


# --- filing ---------------------------------------------------------------------------


# How long a process keeps the city office it looked up (``city_office``).
CITY_OFFICE_KEPT = timedelta(seconds=10)
_city_office = {"row": None, "until": None}
_city_office_lock = threading.Lock()
_UNIT_COLUMNS = [field.attname for field in Unit._meta.concrete_fields]


def city_office():
    """The city's service office, which every new appeal goes to first.

    Every filing asks, and the answer changes perhaps once in years: a process
    keeps it ``CITY_OFFICE_KEPT`` and forgets it at once when a unit is saved
    or deleted in that process (``_forget_city_office``); another process's
    admin edit reaches this one within that time. Each call gets its own
    instance of the row.
    """
    now = clock.now()
    with _city_office_lock:
        row, until = _city_office["row"], _city_office["until"]
    if row is None or not until - CITY_OFFICE_KEPT <= now < until:  # (or the clock went back)
        office = (
            Unit.objects.filter(kind=Unit.Kind.OFFICE, parent__isnull=True, is_active=True)
            .order_by("id")
            .first()
        )
        if office is None:
            raise ValidationError(_("系统尚未设置市服务企业办公室，无法受理诉求。"))
        row = (office._state.db, [getattr(office, name) for name in _UNIT_COLUMNS])
        with _city_office_lock:
            _city_office.update(row=row, until=now + CITY_OFFICE_KEPT)
        return office
    return Unit.from_db(row[0], _UNIT_COLUMNS, row[1])


def _forget_city_office(**_kwargs):
    with _city_office_lock:
        _city_office.update(row=None, until=None)


for _signal in (post_save, post_delete):
    _signal.connect(_forget_city_office, sender=Unit, dispatch_uid="appeals-city-office")


def file_appeal(
    *,
    acting_user,
    enterprise,
    title,
    content,
    channel,
    category=None,
    major=False,
    contact_name="",
    contact_phone="",
    external_id="",
    at=None,
    vetted=False,
):
    """File a new appeal; returns (appeal, created).

    The same channel + external_id again returns the first appeal and creates
    nothing, also when two such requests race.

    Who may file: an enterprise for itself, an office or an admin for any
    enterprise; and, with ``vetted``, whoever another app's action has itself
    let raise this enterprise's problem (a pairer's visit, a project's report:
    ``visits.actions.record_visit``, ``projects.actions.report_progress``).
    ``vetted`` is never read from a request.

    The number is taken last (``numbering.take_last``): the appeal, its event,
    its index row and the office's messages are written with a placeholder
    where the digits go, so the year's counter, which every filing must wait
    for, is locked only for the one statement that fills them in and the
    commit, which on PostgreSQL is sent with it (``numbering.commit_with_number``).
    A filing that fails gives its number back with the rollback.

    The rest is kept cheap, since every filing waits on the counter's lock in
    turn: its statements are prepared once a connection (``core.prepared``), the
    office comes from the process's memory (``city_office``), the
    office's messages are one ``INSERT … SELECT`` (``notify_unit``), and the
    appeal comes back with its one event in its prefetch cache, so the answer
    reads nothing more (``api.render``).
    """
    at = at or clock.now()
    errors = {}
    if channel not in Appeal.Channel.values:
        errors["channel"] = [_("渠道 %(value)s 无效。") % {"value": channel}]
    external_id = (external_id or "").strip()
    if len(external_id) > 100:
        errors["external_id"] = [_("外部编号不能超过 100 个字符。")]
    try:
        title = _text(title, "title", limit=TITLE_MAX)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        content = _text(content, "content", limit=CONTENT_MAX)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for field, value in (("contact_name", contact_name), ("contact_phone", contact_phone)):
        limit = Appeal._meta.get_field(field).max_length
        if len(value or "") > limit:  # refused, never cut
            errors[field] = [_("不能超过 %(limit)d 个字符。") % {"limit": limit}]
    if not isinstance(enterprise, Enterprise):
        errors["enterprise"] = [_("企业不存在。")]
    if category is not None and not isinstance(category, Category):
        errors["category"] = [_("分类不存在。")]
    if errors:
        raise ValidationError(errors)
    if scope.has_role(acting_user, scope.Role.ENTERPRISE):
        _allow(acting_user.enterprise_id == enterprise.pk)
    elif not vetted:
        _allow(scope.has_role(acting_user, scope.Role.OFFICE, scope.Role.ADMIN))

    if external_id:
        existing = Appeal.objects.filter(channel=channel, external_id=external_id).first()
        if existing:
            return _repeat_of(existing, enterprise), False
    year = at.astimezone(SHANGHAI).year
    token = numbering.placeholder()
    office = city_office()
    try:
        with prepared_statements(), numbering.commit_with_number(), transaction.atomic():
            appeal = Appeal.objects.create(
                number=f"QT-{year}-{token}",
                enterprise=enterprise,
                title=title,
                content=content,
                channel=channel,
                external_id=external_id,
                category=category,
                major=bool(major),
                contact_name=contact_name or "",
                contact_phone=contact_phone or "",
                office=office,
                created_at=at,
            )
            event = record(appeal, "submit", actor=acting_user, at=at, channel=channel)
            _prefetched(appeal, "events", [event])  # its whole timeline, for the answer
            messages = notify_unit(
                office,
                appeal,
                kind="submit",
                subject=_("新诉求待受理：%(number)s") % {"number": appeal.number},
                body=appeal.title,
            )
            spots = [
                numbering.Spot(Appeal._meta.db_table, "number", (appeal.pk,)),
                numbering.Spot(Message._meta.db_table, "subject", tuple(messages)),
            ]
            # PostgreSQL's index row is written now and its placeholder term
            # filled in with the rest; SQLite's FTS5 rows cannot be updated, and
            # SQLite lets one writer in at a time anyway, so there it comes after.
            index_now = transaction.get_connection().vendor == "postgresql"
            if index_now:
                TEXT_INDEX.add_many([(appeal.pk, appeal.searchable_text)])
                spots.append(numbering.Spot(TEXT_INDEX.table, "terms", (appeal.pk,), "tsvector"))
            taken = numbering.take_last("QT", year, token, spots)
            if not index_now:
                appeal.number = taken.number
                TEXT_INDEX.add_many([(appeal.pk, appeal.searchable_text)])
    except IntegrityError:
        if not external_id:
            raise
        return _repeat_of(
            Appeal.objects.get(channel=channel, external_id=external_id), enterprise
        ), False
    appeal.number = taken.number  # read once the number went with the commit
    return appeal, True


def _prefetched(appeal, relation, objects):
    """Let ``appeal.<relation>.all()`` answer ``objects``, as ``prefetch_related`` leaves it.

    For what an action has just written and knows whole (a new case's event):
    whoever shows the case next reads it without a query.
    """
    rows = getattr(appeal, relation).all()
    rows._result_cache, rows._prefetch_done = list(objects), True
    cache = appeal.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[Appeal._meta.get_field(relation).cache_name] = rows


def _repeat_of(existing, enterprise):
    """The first appeal of a repeated request, never another enterprise's."""
    if existing.enterprise_id != enterprise.pk:
        raise ValidationError({"external_id": [_("该渠道的外部编号已被使用。")]})
    return existing


# --- the office's triage --------------------------------------------------------------


@transition
def accept(appeal, *, acting_user, at):
    _check(appeal, acting_user, "accept")
    appeal.status = S.ACCEPTED
    appeal.save(update_fields=["status"])
    record(appeal, "accept", actor=acting_user, at=at)


@transition
def reject(appeal, *, acting_user, at, reason):
    _check(appeal, acting_user, "reject")
    reason = _text(reason, "reason")
    appeal.status, appeal.closed_at = S.REJECTED, at
    appeal.save(update_fields=["status", "closed_at"])
    record(appeal, "reject", actor=acting_user, at=at, note=reason)
    _close_supervisions(appeal, at)
    notify_enterprise(
        appeal,
        kind="reject",
        subject=_("诉求 %(number)s 不予受理") % {"number": appeal.number},
        body=reason,
    )


@transition
def dispatch(appeal, *, acting_user, at, mode, lead_unit=None, co_units=(), complex=False):
    """Send the case to its units and start the clock.

    The city office may also hand a case to a district office, which then
    dispatches it within its district as the city office would.
    """
    _check(appeal, acting_user, "dispatch")
    if mode not in Appeal.Mode.values:
        raise ValidationError({"mode": [_("办理方式 %(value)s 无效。") % {"value": mode}]})
    if not isinstance(co_units, list | tuple):
        raise ValidationError({"co_units": [_("应为单位代码的列表。")]})
    if not isinstance(complex, bool):
        raise ValidationError({"complex": [_("应为 true 或 false。")]})
    office = appeal.office

    if mode == Appeal.Mode.DIRECT:
        if co_units:
            raise ValidationError({"co_units": [_("直接办理不设协办单位。")]})
        lead = office
    else:
        lead = _unit(lead_unit, "lead_unit")
        if lead.kind == Unit.Kind.OFFICE:
            return _hand_to_district(appeal, acting_user, at, lead)
        if lead.kind == Unit.Kind.LEADER:
            raise ValidationError({"lead_unit": [_("不能派给领导，请使用升级。")]})
        _check_within_district(office, lead, "lead_unit")
    codes = list(dict.fromkeys(co_units))
    if mode == Appeal.Mode.COORDINATED and not codes:
        raise ValidationError({"co_units": [_("协调办理至少需要一个协办单位。")]})
    if mode == Appeal.Mode.TRANSFER and codes:
        raise ValidationError({"co_units": [_("转交办理不设协办单位；需要协办请选择协调办理。")]})
    co = [_unit(code, "co_units") for code in codes]
    if any(unit.pk == lead.pk for unit in co):
        raise ValidationError({"co_units": [_("协办单位不能与牵头单位相同。")]})
    for unit in co:
        _check_within_district(office, unit, "co_units")

    appeal.handling_mode, appeal.lead_unit, appeal.complex = mode, lead, complex
    appeal.halved = deadlines.halved_for(appeal.enterprise)
    appeal.limits = deadlines.limits_in_force()
    appeal.dispatched_at = at
    appeal.extension_days = appeal.suspended_days = Decimal(0)
    appeal.suspended_since = None
    appeal.status = S.IN_PROGRESS if mode == Appeal.Mode.DIRECT else S.DISPATCHED
    appeal.signed_at = at if mode == Appeal.Mode.DIRECT else None
    appeal.contacted_at = appeal.replied_at = appeal.resolved_at = None
    Assignment.objects.create(appeal=appeal, unit=lead, role=Assignment.Role.LEAD, assigned_at=at)
    for unit in co:
        Assignment.objects.create(appeal=appeal, unit=unit, role=Assignment.Role.CO, assigned_at=at)
    deadlines.apply(appeal)
    appeal.save()
    record(
        appeal,
        "dispatch",
        actor=acting_user,
        at=at,
        unit=lead,
        note=appeal.get_handling_mode_display(),
        mode=mode,
        lead_unit=lead.code,
        co_units=[unit.code for unit in co],
        complex=complex,
    )
    for unit in [lead, *co] if mode != Appeal.Mode.DIRECT else []:
        notify_unit(
            unit,
            appeal,
            kind="dispatch",
            subject=_("新交办诉求：%(number)s") % {"number": appeal.number},
            body=_("%(title)s。办结期限：%(due)s")
            % {
                "title": appeal.title,
                "due": f"{appeal.resolve_due.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
            },
        )


@transition
def recategorize(appeal, *, acting_user, at, category):
    """Set the case's category (a code) while the office triages it, e.g. one click on the
    dispatch help's suggestion. The same category again changes and records nothing.
    """
    _check(appeal, acting_user, "recategorize")
    if not isinstance(category, str) or not category.strip():
        raise ValidationError({"category": [_("请选择分类。")]})
    found = Category.objects.filter(code=category.strip(), is_active=True).first()
    if found is None:
        raise ValidationError(
            {"category": [_("分类 %(code)s 不存在或已停用。") % {"code": category.strip()}]}
        )
    if found.pk == appeal.category_id:
        return
    previous = appeal.category.code if appeal.category_id else ""
    appeal.category = found
    appeal.save(update_fields=["category"])
    record(
        appeal,
        "recategorize",
        actor=acting_user,
        at=at,
        note=found.name,
        category=found.code,
        previous=previous,
    )


def _hand_to_district(appeal, acting_user, at, district_office):
    if not scope.is_city_office(acting_user.unit) or scope.is_city_office(district_office):
        raise ValidationError(
            {"lead_unit": [_("只有市服务企业办公室可以转交区县服务企业办公室。")]}
        )
    appeal.office = district_office
    appeal.save(update_fields=["office"])
    Assignment.objects.create(
        appeal=appeal, unit=district_office, role=Assignment.Role.OFFICE, assigned_at=at
    )
    record(
        appeal,
        "dispatch",
        actor=acting_user,
        at=at,
        unit=district_office,
        note=district_office.name,
        mode=events.TO_DISTRICT,
        lead_unit=district_office.code,
    )
    notify_unit(
        district_office,
        appeal,
        kind="dispatch",
        subject=_("市服务企业办公室转来诉求：%(number)s") % {"number": appeal.number},
        body=appeal.title,
    )


def _check_within_district(office, unit, field):
    """A district office dispatches within its district only (``scope.within``)."""
    if not scope.within(office, unit):
        raise ValidationError({field: [_("%(unit)s 不属于本区县。") % {"unit": unit.name}]})


# --- the lead unit's work -------------------------------------------------------------


@transition
def sign(appeal, *, acting_user, at):
    _check(appeal, acting_user, "sign")
    appeal.status, appeal.signed_at = S.IN_PROGRESS, at
    appeal.save(update_fields=["status", "signed_at"])
    record(appeal, "sign", actor=acting_user, at=at, unit=appeal.lead_unit)


@transition
def return_to_office(appeal, *, acting_user, at, reason):
    """A misrouted case goes back to the office; its deadlines are cleared."""
    _check(appeal, acting_user, "return")
    reason = _text(reason, "reason")
    unit = appeal.lead_unit
    appeal.assignments.filter(active=True).exclude(role=Assignment.Role.OFFICE).update(active=False)
    appeal.status = S.ACCEPTED
    appeal.lead_unit = None
    appeal.handling_mode = ""
    appeal.dispatched_at = appeal.signed_at = None
    appeal.contact_due = appeal.reply_due = appeal.resolve_due = None
    appeal.provisional = False
    appeal.suspended_since = None
    appeal.save()
    appeal.requests.filter(decision=Request.Decision.PENDING).update(
        decision=Request.Decision.DENIED, decided_at=at
    )
    record(appeal, "return", actor=acting_user, at=at, unit=unit, note=reason)
    notify_unit(
        appeal.office,
        appeal,
        kind="return",
        subject=_("诉求 %(number)s 被退回") % {"number": appeal.number},
        body=reason,
    )


def _milestone(appeal, acting_user, at, note, field, action):
    _check(appeal, acting_user, action)
    note = _text(note, "note")
    first = getattr(appeal, field) is None
    if first:
        setattr(appeal, field, at)
        appeal.save(update_fields=[field])
    record(appeal, action, actor=acting_user, at=at, unit=appeal.lead_unit, note=note, first=first)


@transition
def contact(appeal, *, acting_user, at, note):
    _milestone(appeal, acting_user, at, note, "contacted_at", "contact")


@transition
def reply(appeal, *, acting_user, at, note):
    _milestone(appeal, acting_user, at, note, "replied_at", "reply")
    notify_enterprise(
        appeal,
        kind="reply",
        subject=_("诉求 %(number)s 有了答复") % {"number": appeal.number},
        body=note,
    )


@transition
def contribute(appeal, *, acting_user, at, note):
    _check(appeal, acting_user, "contribute")
    note = _text(note, "note")
    part = appeal.assignments.get(unit_id=acting_user.unit_id, role=Assignment.Role.CO, active=True)
    if part.contributed_at is None:
        part.contributed_at = at
    part.contribution = note
    part.save(update_fields=["contributed_at", "contribution"])
    record(appeal, "contribute", actor=acting_user, at=at, unit=part.unit, note=note)


@transition
def resolve(appeal, *, acting_user, at, result):
    _check(appeal, acting_user, "resolve")
    result = _text(result, "result", limit=CONTENT_MAX)
    appeal.status, appeal.resolved_at, appeal.result = S.PENDING_REVIEW, at, result
    appeal.save(update_fields=["status", "resolved_at", "result"])
    record(appeal, "resolve", actor=acting_user, at=at, unit=appeal.lead_unit, note=result)
    _close_supervisions(
        appeal, at, triggers=[Supervision.Trigger.NEAR_DEADLINE, Supervision.Trigger.OVERDUE]
    )
    notify_unit(
        appeal.office,
        appeal,
        kind="resolve",
        subject=_("诉求 %(number)s 已办结，待审核") % {"number": appeal.number},
        body=result,
    )


# --- extension and suspension ---------------------------------------------------------


def _working_days(value):
    try:
        days = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"working_days": [_("应为工作日数，如 5 或 2.5。")]}) from None
    if not days.is_finite() or days <= 0 or days > EXTENSION_MAX_DAYS or (days * 2) % 1:
        raise ValidationError(
            {
                "working_days": [
                    _("应为 0.5 到 %(max)s 之间、以 0.5 为单位的工作日数。")
                    % {"max": EXTENSION_MAX_DAYS}
                ]
            }
        )
    return days


def _open_request(appeal, acting_user, at, kind, reason, working_days=None):
    if appeal.requests.filter(kind=kind, decision=Request.Decision.PENDING).exists():
        raise Conflict(_("已有待审批的申请。"), appeal.status)
    return Request.objects.create(
        appeal=appeal,
        kind=kind,
        working_days=working_days,
        reason=reason,
        requested_by=acting_user,
        requested_at=at,
    )


def _pending(appeal, kind):
    pending = appeal.requests.filter(kind=kind, decision=Request.Decision.PENDING).first()
    if pending is None:
        raise Conflict(_("没有待审批的申请。"), appeal.status)
    return pending


def _decide(request, acting_user, at, decision):
    request.decision, request.decided_by, request.decided_at = decision, acting_user, at
    request.save(update_fields=["decision", "decided_by", "decided_at"])


@transition
def extend(appeal, *, acting_user, at, working_days, reason):
    _check(appeal, acting_user, "extend")
    days = _working_days(working_days)
    reason = _text(reason, "reason")
    if deadlines.extension_room(appeal) <= 0:
        raise ValidationError({"working_days": [_("已达到自派单起的最长办理时限，不能再延期。")]})
    _open_request(appeal, acting_user, at, Request.Kind.EXTENSION, reason, days)
    record(
        appeal,
        "extend",
        actor=acting_user,
        at=at,
        unit=appeal.lead_unit,
        note=reason,
        working_days=str(days),
    )
    notify_unit(
        appeal.office,
        appeal,
        kind="extend",
        subject=_("诉求 %(number)s 申请延期 %(days)s 个工作日")
        % {"number": appeal.number, "days": days},
        body=reason,
    )


@transition
def approve_extension(appeal, *, acting_user, at, note=""):
    """Grant the extension, cut to the cap of 30 (15 for key enterprises) working days from dispatch."""
    _check(appeal, acting_user, "approve_extension")
    pending = _pending(appeal, Request.Kind.EXTENSION)
    granted = min(pending.working_days, deadlines.extension_room(appeal))
    _decide(pending, acting_user, at, Request.Decision.APPROVED)
    appeal.extension_days += granted
    deadlines.apply(appeal)
    appeal.save()
    record(
        appeal,
        "approve_extension",
        actor=acting_user,
        at=at,
        note=_text(note, "note", required=False),
        requested=str(pending.working_days),
        granted=str(granted),
        resolve_due=appeal.resolve_due.isoformat(),
    )
    notify_unit(
        appeal.lead_unit,
        appeal,
        kind="extension",
        subject=_("诉求 %(number)s 延期已批准") % {"number": appeal.number},
        body=_("批准延期 %(days)s 个工作日。") % {"days": granted},
    )


def _settle(appeal, acting_user, at, action, kind, decision, note, field):
    """Decide the pending request of ``kind`` and record it with the office's optional note."""
    _check(appeal, acting_user, action)
    _decide(_pending(appeal, kind), acting_user, at, decision)
    record(appeal, action, actor=acting_user, at=at, note=_text(note, field, required=False))


@transition
def deny_extension(appeal, *, acting_user, at, reason=""):
    D = Request.Decision
    _settle(
        appeal,
        acting_user,
        at,
        "deny_extension",
        Request.Kind.EXTENSION,
        D.DENIED,
        reason,
        "reason",
    )


@transition
def suspend(appeal, *, acting_user, at, reason):
    """Ask to stop the clock while the case waits on the enterprise."""
    _check(appeal, acting_user, "suspend")
    reason = _text(reason, "reason")
    _open_request(appeal, acting_user, at, Request.Kind.SUSPENSION, reason)
    record(appeal, "suspend", actor=acting_user, at=at, unit=appeal.lead_unit, note=reason)


@transition
def approve_suspension(appeal, *, acting_user, at, note=""):
    D = Request.Decision
    _settle(
        appeal,
        acting_user,
        at,
        "approve_suspension",
        Request.Kind.SUSPENSION,
        D.APPROVED,
        note,
        "note",
    )
    appeal.suspended_since = at
    appeal.save(update_fields=["suspended_since"])


@transition
def deny_suspension(appeal, *, acting_user, at, reason=""):
    D = Request.Decision
    _settle(
        appeal,
        acting_user,
        at,
        "deny_suspension",
        Request.Kind.SUSPENSION,
        D.DENIED,
        reason,
        "reason",
    )


@transition
def resume(appeal, *, acting_user, at, note=""):
    """Restart the clock: every deadline moves by the working time spent suspended."""
    _check(appeal, acting_user, "resume")
    calendar = WorkCalendar()
    paused = deadlines.suspended_working_days(appeal, at, calendar)
    appeal.suspended_days += paused
    appeal.suspended_since = None
    deadlines.apply(appeal, calendar)
    appeal.save()
    record(
        appeal,
        "resume",
        actor=acting_user,
        at=at,
        note=_text(note, "note", required=False),
        suspended_working_days=str(paused),
    )


# --- review, rating, archive ----------------------------------------------------------


@transition
def approve(appeal, *, acting_user, at):
    _check(appeal, acting_user, "approve")
    appeal.status = S.PENDING_RATING
    appeal.rating_process = appeal.rating_result = ""
    appeal.save(update_fields=["status", "rating_process", "rating_result"])
    record(appeal, "approve", actor=acting_user, at=at)
    notify_enterprise(
        appeal,
        kind="approve",
        subject=_("诉求 %(number)s 已办结，请评价") % {"number": appeal.number},
        body=appeal.result,
    )


@transition
def redo(appeal, *, acting_user, at, reason):
    """Send the result back to the lead unit to be done again."""
    _check(appeal, acting_user, "redo")
    reason = _text(reason, "reason")
    after_rating = appeal.status == S.PENDING_RATING
    appeal.status, appeal.resolved_at = S.IN_PROGRESS, None
    appeal.redo_count += 1
    appeal.save(update_fields=["status", "resolved_at", "redo_count"])
    record(
        appeal,
        "redo",
        actor=acting_user,
        at=at,
        unit=appeal.lead_unit,
        note=reason,
        after_rating=after_rating,
        unsatisfied=appeal.unsatisfied,
    )
    notify_unit(
        appeal.lead_unit,
        appeal,
        kind="redo",
        subject=_("诉求 %(number)s 退回重办") % {"number": appeal.number},
        body=reason,
    )


@transition
def rate(appeal, *, acting_user, at, process, result, comment=""):
    _check(appeal, acting_user, "rate")
    errors = {}
    if process not in Appeal.Rating.values:
        errors["process"] = [_("应为 satisfied、basically_satisfied 或 unsatisfied。")]
    if result not in Appeal.Rating.values:
        errors["result"] = [_("应为 satisfied、basically_satisfied 或 unsatisfied。")]
    if errors:
        raise ValidationError(errors)
    comment = _text(comment, "comment", required=False)
    appeal.rating_process, appeal.rating_result, appeal.rating_comment = process, result, comment
    appeal.rated_at = at
    if result != Appeal.Rating.UNSATISFIED:
        appeal.status, appeal.closed_at = S.ARCHIVED, at
    appeal.save()
    record(appeal, "rate", actor=acting_user, at=at, note=comment, process=process, result=result)
    if appeal.status == S.ARCHIVED:
        _close_supervisions(appeal, at)
    else:
        notify_unit(
            appeal.office,
            appeal,
            kind="unsatisfied",
            subject=_("诉求 %(number)s 企业评价不满意") % {"number": appeal.number},
            body=comment,
        )


@transition
def archive(appeal, *, acting_user, at, reason):
    _check(appeal, acting_user, "archive")
    reason = _text(reason, "reason")
    appeal.status, appeal.closed_at = S.ARCHIVED, at
    appeal.save(update_fields=["status", "closed_at"])
    record(appeal, "archive", actor=acting_user, at=at, note=reason)
    _close_supervisions(appeal, at)


# The states a duplicate leaves when its primary closes: it has no result of its own yet.
FOLLOWING_STATES = (S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS)


def close_as_duplicate(appeal, *, primary, at=None, actor=None):
    """Close ``appeal`` with the outcome of ``primary``, the case it repeats; True if closed.

    Called by the action that links duplicates, or in the transaction of the
    primary's approval, archiving or rejection (``dispatch.actions.follow_result``,
    which knows the links). An approved primary (pending rating or archived)
    gives the duplicate its result, and the duplicate waits for its own
    enterprise's rating as an approved case does (a rating of a linked duplicate
    is kept on the case but left out of the figures with the rest of its
    events); a rejected primary rejects it with its reason. The duplicate's
    timeline says so publicly, naming the primary, and its enterprise is told.
    A duplicate with a result of its own, or already closed, is left as it is.
    """
    at = at or clock.now()
    approved = primary.status in (S.PENDING_RATING, S.ARCHIVED)
    if not approved and primary.status != S.REJECTED:
        raise _conflict(primary)
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update(of=("self",)).get(pk=appeal.pk)
        if appeal.status not in FOLLOWING_STATES:
            return False
        words = {"number": appeal.number, "primary": primary.number}
        if approved:
            note = _("与 %(primary)s 为同一事项，随其办结。办理结果：%(result)s") % {
                **words,
                "result": primary.result,
            }
            appeal.status, appeal.result = S.PENDING_RATING, primary.result
            appeal.rating_process = appeal.rating_result = ""
            appeal.resolved_at = appeal.resolved_at or at
            subject = _("诉求 %(number)s 与 %(primary)s 为同一事项，已随其办结，请评价") % words
            body = primary.result
        else:
            reason = primary.events.filter(action=Event.Kind.REJECT).order_by("-at", "-id").first()
            body = reason.note if reason else ""
            note = _("与 %(primary)s 为同一事项，随其不予受理。理由：%(reason)s") % {
                **words,
                "reason": body,
            }
            appeal.status = S.REJECTED
            subject = _("诉求 %(number)s 与 %(primary)s 为同一事项，随其不予受理") % words
        appeal.closed_at = None if approved else at
        appeal.suspended_since = None
        appeal.save(
            update_fields=[
                "status",
                "result",
                "closed_at",
                "resolved_at",
                "suspended_since",
                "rating_process",
                "rating_result",
            ]
        )
        appeal.requests.filter(decision=Request.Decision.PENDING).update(
            decision=Request.Decision.DENIED, decided_at=at
        )
        record(
            appeal,
            "approve" if approved else "reject",
            actor=actor,
            at=at,
            note=note,
            primary=primary.pk,
        )
        _close_supervisions(appeal, at)
        notify_enterprise(appeal, kind="duplicate_result", subject=subject, body=body)
    return True


# --- attachments ----------------------------------------------------------------------


@transition
def attach(appeal, *, acting_user, at, upload):
    """Store a file on an open case, by its enterprise, its office or its lead unit.

    The upload is judged by its content (``uploads.inspect``); the stored file
    is removed again if the row or its event cannot be written. The new row is
    left on the returned appeal as ``added_attachment``.
    """
    _check(appeal, acting_user, "attach")
    content_type = uploads.inspect(upload)
    name = uploads.display_name(upload.name)
    attachment = Attachment(
        appeal=appeal,
        name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=acting_user,
        uploaded_at=at,
    )
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
        record(appeal, "attach", actor=acting_user, at=at, note=name, attachment=attachment.pk)
    except Exception:
        attachment.file.delete(save=False)
        raise
    appeal.added_attachment = attachment


# --- supervision and escalation -------------------------------------------------------


def _close_supervisions(appeal, at, triggers=None):
    open_ones = appeal.supervisions.filter(closed_at__isnull=True)
    if triggers:
        open_ones = open_ones.filter(trigger__in=triggers)
    open_ones.update(closed_at=at)


def open_supervisions(appeals, trigger, *, at, reason, actor=None):
    """Open a supervision of ``trigger`` on each case that has none open; returns their pks.

    ``appeals`` need only their ``pk``. One transaction for the whole list, with
    its ``supervise`` events. The cases are locked first (on PostgreSQL; SQLite
    runs one writer at a time), so of two sweeps at once only one opens a case's
    supervision; a case that an action holds right now is left to the next sweep
    rather than waited for.
    """

    ids = [appeal.pk for appeal in appeals]
    if not ids:
        return []
    with transaction.atomic():
        held = Appeal.objects.select_for_update(skip_locked=True).filter(pk__in=ids)
        held = set(held.values_list("pk", flat=True))
        taken = set(
            Supervision.objects.filter(
                appeal_id__in=held, trigger=trigger, closed_at__isnull=True
            ).values_list("appeal_id", flat=True)
        )
        fresh = [pk for pk in ids if pk in held and pk not in taken]
        insert_rows(
            Supervision,
            ("appeal", "trigger", "reason", "opened_at"),
            [(pk, trigger, reason, at) for pk in fresh],
        )
        actor_id = actor.pk if actor else None
        events.insert(
            events.row(pk, Event.Kind.SUPERVISE, actor_id, at, None, reason, trigger=str(trigger))
            for pk in fresh
        )
    return fresh


@transition
def supervise(appeal, *, acting_user, at, reason):
    _check(appeal, acting_user, "supervise")
    reason = _text(reason, "reason")
    manual = Supervision.Trigger.MANUAL
    if not open_supervisions([appeal], manual, at=at, reason=reason, actor=acting_user):
        raise Conflict(_("该诉求已有进行中的人工督办。"), appeal.status)


def urge_responsible(urges, *, at, actor=None):
    """Urge whoever owes the next step of each case: its lead unit while handling, else its office.

    ``urges`` are ``(appeal, note, cause, data)``; an appeal needs only ``pk``,
    ``number``, ``title``, ``status``, ``lead_unit_id`` and ``office_id`` (the
    sweep passes plain rows). Writes each ``urge`` event, counts the urge on the
    case's open supervisions and messages the unit, a few statements for the
    whole list. The sweep's daily urges (by the batch) and the office's hand urge
    both come here; the caller holds the transaction.
    """

    urges = list(urges)
    if not urges:
        return
    Supervision.objects.filter(
        appeal_id__in=[appeal.pk for appeal, *_rest in urges], closed_at__isnull=True
    ).update(urge_count=F("urge_count") + 1)
    subject, body, link = _("催办：%(number)s"), _("%(title)s（%(cause)s）"), case_links()
    actor_id = actor.pk if actor else None
    rows, letters = [], []
    for appeal, note, cause, data in urges:
        handling = appeal.status in Appeal.HANDLING_STATES
        unit_id = appeal.lead_unit_id if handling else appeal.office_id
        rows.append(events.row(appeal.pk, Event.Kind.URGE, actor_id, at, unit_id, note, **data))
        letters.append(
            (
                unit_id,
                subject % {"number": appeal.number},
                body % {"title": appeal.title, "cause": cause},
                link(appeal.pk),
            )
        )
    events.insert(rows)
    members = _members({unit_id for unit_id, *_rest in letters})
    outbox.enqueue_many(
        ((members.get(unit_id, ()), subject, body, url) for unit_id, subject, body, url in letters),
        kind="urge",
    )


def _members(unit_ids):
    """The active users of each unit, by unit id: whom a unit's messages go to."""
    members = {}
    for user in recipients(unit_id__in=unit_ids):
        members.setdefault(user.unit_id, []).append(user)
    return members


@transition
def urge(appeal, *, acting_user, at, note=""):
    """The office urges the responsible unit by hand; it counts as the day's urge."""
    _check(appeal, acting_user, "urge")
    note = _text(note, "note", required=False) or _("请抓紧办理。")
    appeal.last_urged_on = clock.local(at).date()
    appeal.save(update_fields=["last_urged_on"])
    urge_responsible([(appeal, note, note, {"manual": True})], at=at, actor=acting_user)


@transition
def escalate(appeal, *, acting_user, at, level, reason):
    _check(appeal, acting_user, "escalate")
    reason = _text(reason, "reason")
    top = ladder_top()
    if (
        not isinstance(level, int)
        or isinstance(level, bool)
        or not appeal.escalation_level < level <= top
    ):
        raise ValidationError(
            {
                "level": [
                    _("升级级别应大于当前级别 %(current)d，且不超过 %(top)d。")
                    % {"current": appeal.escalation_level, "top": top}
                ]
            }
        )
    raise_levels([(appeal, level)], at=at, reason=reason, actor=acting_user)


def ladder_top():
    return EscalationStep.objects.order_by("-level").values_list("level", flat=True).first() or 0


def raise_levels(rises, *, at, reason, actor=None):
    """Move each case of ``(appeal, level)`` up the ladder to ``level``: an event per rung,
    a message to each rung's holder, a few statements for all of them.

    The appeals come locked by the caller, with their category; the caller
    holds the transaction.
    """

    rises = [(appeal, level) for appeal, level in rises if level > appeal.escalation_level]
    if not rises:
        return
    steps = {step.level: step for step in EscalationStep.objects.all()}
    top = max(steps, default=0)
    actor_id = actor.pk if actor else None
    link = case_links()
    rows, letters, by_level = [], [], {}
    for appeal, level in rises:
        for rung in range(appeal.escalation_level + 1, level + 1):
            step = steps.get(rung)
            note = reason
            if rung == top and appeal.category_id and appeal.category.is_policy:
                note = _("%(reason)s；政策性问题，提交市政府常务会议研究。") % {"reason": reason}
            unit_id = step.unit_id if step else None
            rows.append(
                events.row(
                    appeal.pk,
                    Event.Kind.ESCALATE,
                    actor_id,
                    at,
                    unit_id,
                    note,
                    level=rung,
                    title=step.title if step else "",
                )
            )
            if step and step.unit_id:
                subject = _("诉求 %(number)s 升级至%(title)s") % {
                    "number": appeal.number,
                    "title": step.title,
                }
                letters.append((step.unit_id, subject, note, link(appeal.pk)))
        appeal.escalation_level = level
        by_level.setdefault(level, []).append(appeal.pk)
    events.insert(rows)
    members = _members({unit_id for unit_id, *_rest in letters})
    outbox.enqueue_many(
        ((members.get(unit_id, ()), subject, body, url) for unit_id, subject, body, url in letters),
        kind="escalate",
    )
    for level, ids in by_level.items():  # a statement per level reached, a handful at most
        Appeal.objects.filter(pk__in=ids).update(escalation_level=level)


# --- calendar changes -----------------------------------------------------------------


def recompute_deadlines_for_years(years, *, progress=None):
    """Recompute open dispatched appeals whose deadlines touch ``years``; returns the count changed.

    Each case is recomputed in its own transaction on its locked row, with an
    event when a deadline moved. ``progress(done, total)`` hears how far it
    got (the background job's progress), every ``PROGRESS_EVERY`` cases.
    """
    years = set(years)
    calendar = WorkCalendar()
    count = 0
    candidates = Appeal.objects.filter(status__in=Appeal.TIMED_STATES, dispatched_at__isnull=False)
    total = candidates.count()
    if progress:
        progress(0, total)
    fields = ("pk", "dispatched_at", "contact_due", "reply_due", "resolve_due")
    # Read whole before writing: on SQLite a connection that writes while its own
    # read is still open fails at once ("database is locked") when another thread
    # has committed meanwhile. The running cases are tens of thousands at most.
    rows = list(candidates.values_list(*fields))
    for done, row in enumerate(rows, start=1):
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, total)
        touched = {instant.astimezone(SHANGHAI).year for instant in row[1:] if instant}
        span = set(range(min(touched), max(touched) + 1)) if touched else set()
        if not span & years:
            continue
        with transaction.atomic():
            locked = Appeal.objects.select_for_update(of=("self",)).get(pk=row[0])
            before = (locked.contact_due, locked.reply_due, locked.resolve_due, locked.provisional)
            deadlines.apply(locked, calendar)
            after = (locked.contact_due, locked.reply_due, locked.resolve_due, locked.provisional)
            if before == after:
                continue
            locked.save()
            record(
                locked,
                Event.Kind.RECOMPUTE_DEADLINES,
                note=_("工作日历变更，期限已重新计算。"),
                years=sorted(years),
                resolve_due=locked.resolve_due.isoformat(),
                provisional=locked.provisional,
            )
            count += 1
    # Overdue cases rise by the working days since their missed deadline, which
    # the change may have shortened though no deadline moved.
    deadlines.rejudge_overdue(clock.now())
    if progress:
        progress(total, total)
    return count


PROGRESS_EVERY = 500


# --- the declared list of actions -----------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One input of an action's page form; the API body has a field of the same name."""

    name: str
    label: str
    kind: str = "text"  # text, days (working days), level (a rung of the ladder), rating, file
    required: bool = True
    limit: int = NOTE_MAX  # a text's maxlength


@dataclass(frozen=True)
class Action:
    """One action of the appeal loop, declared once.

    ``function`` changes the appeal; ``rule`` is checked by it (``_check``) and
    by ``available_actions``; ``body`` parses the request for the API and the
    pages alike; ``form`` lays out its page form; ``route`` names its API route.
    """

    name: str
    label: str  # its button, and its name in messages
    function: Callable
    rule: Rule
    body: type
    form: tuple = ()
    screen: str = "case"  # where its form is: the case page, or the office's "triage" screen
    on_triage: bool = False  # also offered on the triage screen
    bulk: bool = (
        False  # on the office's bulk toolbar; its first text field takes the toolbar's text
    )
    danger: bool = False  # a step back: shown as such
    route: str = ""  # the API route's URL name; default ``api-appeal-<name>``

    @property
    def route_name(self):
        return self.route or f"api-appeal-{self.name}"

    @property
    def labels(self):
        """Each input's label by field name, to name it in an error."""
        return {field.name: field.label for field in self.form}

    @property
    def text_field(self):
        """The first text input, which the bulk toolbar's text fills."""
        return next((field.name for field in self.form if field.kind == "text"), None)


REASON = Field("reason", gettext_lazy("理由"))
OPTIONAL_REASON = Field("reason", gettext_lazy("理由（可选）"), required=False)
OPTIONAL_NOTE = Field("note", gettext_lazy("说明（可选）"), required=False)
OPEN = Appeal.OPEN_STATES
HANDLED = (S.IN_PROGRESS,)
ACTIONS = {
    action.name: action
    for action in (
        Action(
            "accept",
            gettext_lazy("受理"),
            accept,
            Rule(is_office_for, (S.SUBMITTED,)),
            bodies.EmptyBody,
            on_triage=True,
            bulk=True,
        ),
        Action(
            "reject",
            pgettext_lazy("action", "不予受理"),
            reject,
            Rule(is_office_for, (S.SUBMITTED,)),
            bodies.ReasonBody,
            (REASON,),
            on_triage=True,
            danger=True,
        ),
        Action(
            "dispatch",
            gettext_lazy("派单"),
            dispatch,
            Rule(is_office_for, (S.ACCEPTED,)),
            bodies.DispatchBody,
            (
                Field("mode", gettext_lazy("办理方式"), "mode"),
                Field("lead_unit", gettext_lazy("牵头单位"), "unit", required=False),
                Field("co_units", gettext_lazy("协办单位"), "units", required=False),
                Field("complex", gettext_lazy("疑难复杂"), "flag", required=False),
            ),
            screen="triage",
        ),
        Action(
            "recategorize",
            gettext_lazy("调整分类"),
            recategorize,
            Rule(is_office_for, Appeal.TRIAGE_STATES),
            bodies.RecategorizeBody,
            (Field("category", gettext_lazy("分类"), "category"),),
            screen="triage",
        ),
        Action(
            "sign", gettext_lazy("签收"), sign, Rule(is_lead_for, (S.DISPATCHED,)), bodies.EmptyBody
        ),
        Action(
            "return",
            pgettext_lazy("action", "退回"),
            return_to_office,
            Rule(_lead_not_direct, (S.DISPATCHED, S.IN_PROGRESS)),
            bodies.ReasonBody,
            (REASON,),
            danger=True,
        ),
        Action(
            "contact",
            gettext_lazy("联系企业"),
            contact,
            Rule(is_lead_for, HANDLED),
            bodies.NoteBody,
            (Field("note", gettext_lazy("联系情况")),),
        ),
        Action(
            "reply",
            gettext_lazy("答复企业"),
            reply,
            Rule(is_lead_for, HANDLED),
            bodies.NoteBody,
            (Field("note", gettext_lazy("答复内容")),),
        ),
        Action(
            "contribute",
            gettext_lazy("提交协办意见"),
            contribute,
            Rule(is_co_unit_for, (S.DISPATCHED, S.IN_PROGRESS)),
            bodies.NoteBody,
            (Field("note", gettext_lazy("协办意见")),),
        ),
        Action(
            "resolve",
            gettext_lazy("办结"),
            resolve,
            Rule(is_lead_for, HANDLED, _while_suspended),
            bodies.ResolveBody,
            (Field("result", gettext_lazy("办理结果"), limit=CONTENT_MAX),),
        ),
        Action(
            "extend",
            gettext_lazy("申请延期"),
            extend,
            Rule(is_lead_for, HANDLED, _extension_open),
            bodies.ExtendBody,
            (
                Field(
                    "working_days", gettext_lazy("延期工作日数"), "days", limit=EXTENSION_MAX_DAYS
                ),
                REASON,
            ),
        ),
        Action(
            "approve_extension",
            gettext_lazy("批准延期"),
            approve_extension,
            Rule(is_office_for, HANDLED, _no_pending(Request.Kind.EXTENSION)),
            bodies.OptionalNoteBody,
            (OPTIONAL_NOTE,),
        ),
        Action(
            "deny_extension",
            gettext_lazy("不批准延期"),
            deny_extension,
            Rule(is_office_for, HANDLED, _no_pending(Request.Kind.EXTENSION)),
            bodies.OptionalReasonBody,
            (OPTIONAL_REASON,),
        ),
        Action(
            "suspend",
            gettext_lazy("申请中止"),
            suspend,
            Rule(is_lead_for, HANDLED, _suspension_open),
            bodies.ReasonBody,
            (REASON,),
        ),
        Action(
            "approve_suspension",
            gettext_lazy("批准中止"),
            approve_suspension,
            Rule(is_office_for, HANDLED, _no_pending(Request.Kind.SUSPENSION)),
            bodies.OptionalNoteBody,
            (OPTIONAL_NOTE,),
        ),
        Action(
            "deny_suspension",
            gettext_lazy("不批准中止"),
            deny_suspension,
            Rule(is_office_for, HANDLED, _no_pending(Request.Kind.SUSPENSION)),
            bodies.OptionalReasonBody,
            (OPTIONAL_REASON,),
        ),
        Action(
            "resume",
            gettext_lazy("恢复办理"),
            resume,
            Rule(_lead_or_office, HANDLED, _unless_suspended),
            bodies.OptionalNoteBody,
            (OPTIONAL_NOTE,),
        ),
        Action(
            "approve",
            gettext_lazy("审核通过"),
            approve,
            Rule(is_office_for, (S.PENDING_REVIEW,)),
            bodies.EmptyBody,
            bulk=True,
        ),
        Action(
            "redo",
            gettext_lazy("退回重办"),
            redo,
            Rule(is_office_for, (S.PENDING_REVIEW, S.PENDING_RATING), _redo_blocked),
            bodies.ReasonBody,
            (REASON,),
            danger=True,
        ),
        Action(
            "rate",
            gettext_lazy("企业评价"),
            rate,
            Rule(is_owner, (S.PENDING_RATING,), _already_rated),
            bodies.RateBody,
            (
                Field("process", gettext_lazy("对办理过程"), "rating"),
                Field("result", gettext_lazy("对办理结果"), "rating"),
                Field("comment", gettext_lazy("意见（可选）"), required=False),
            ),
        ),
        Action(
            "archive",
            gettext_lazy("归档"),
            archive,
            Rule(is_office_for, (S.PENDING_RATING,)),
            bodies.ReasonBody,
            (REASON,),
        ),
        Action(
            "attach",
            gettext_lazy("上传附件"),
            attach,
            Rule(_case_party, OPEN),
            bodies.AttachmentUploadSerializer,
            (
                Field(
                    "file", gettext_lazy("上传附件（PDF、图片、Office 文档，20 MB 以内）"), "file"
                ),
            ),
            route="api-appeal-attachments",
        ),
        Action(
            "supervise",
            gettext_lazy("督办"),
            supervise,
            Rule(is_office_for, OPEN),
            bodies.ReasonBody,
            (REASON,),
            bulk=True,
        ),
        Action(
            "escalate",
            gettext_lazy("升级"),
            escalate,
            Rule(is_office_for, OPEN),
            bodies.EscalateBody,
            (Field("level", gettext_lazy("升级到"), "level"), REASON),
        ),
        # by hand, while a unit (or a district office) owes the next step
        Action(
            "urge",
            gettext_lazy("催办"),
            urge,
            Rule(is_office_for, (S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS)),
            bodies.OptionalNoteBody,
            (OPTIONAL_NOTE,),
            bulk=True,
        ),
    )
}
# The actions a route ``POST /api/v1/appeals/{id}/{name}`` takes (attach has its own upload route).
ROUTED = tuple(name for name, action in ACTIONS.items() if not action.route)
BULK = tuple(action for action in ACTIONS.values() if action.bulk)
