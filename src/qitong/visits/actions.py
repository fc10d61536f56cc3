"""Every change to pairings, visits and batches, one function each, and the declared list.

Each action runs in one transaction, checks the actor's right first
(``PermissionDenied``, 403), then the state (``Conflict``, 409), validates its
input (``ValidationError`` with Chinese field messages) and queues its messages
in the same transaction.

Who does what: the service offices pair enterprises with leaders, units and
towns (a district office within its district) and run visit batches; a pairer
(the leader in person, the paired unit's staff) checks in and visits, and so may
an office within its scope. Each difficulty a visit raises is solved on the
spot or becomes an appeal with channel ``visit`` at once, filed by the visitor
through ``appeals.actions.file_appeal`` (``vetted``: this action let them visit),
so it enters the office's triage queue like any appeal. ``file_difficulty`` lets
an office file a difficulty recorded before this rule (left pending).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.appeals import actions as appeal_actions
from qitong.appeals import uploads
from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.enterprises.models import Enterprise
from qitong.notify import outbox
from qitong.orgs import scope
from qitong.orgs.models import Unit, User
from qitong.visits import access, rhythm
from qitong.visits.models import Batch, CheckIn, Difficulty, Pairing, Photo, Question, Visit

NOTE_MAX = 1000
ANSWER_MAX = 1000
DIFFICULTY_MAX = 1000
BATCH_NAME_MAX = Batch._meta.get_field("name").max_length
MOST_DIFFICULTIES = 20


def visit_url(visit):
    return reverse("visit-detail", args=[visit.pk])


def _allow(condition):
    if not condition:
        raise PermissionDenied(_("您无权执行此操作。"))


def _text(value, field, *, limit, required=True):
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: [_("应为文本。")]})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: [_("不能为空。")]})
    if len(value) > limit:
        raise ValidationError({field: [_("不能超过 %(limit)d 个字符。") % {"limit": limit}]})
    return value


def _enterprise(value):
    if not isinstance(value, Enterprise):
        raise ValidationError({"enterprise": [_("企业不存在。")]})
    return value


# --- pairing --------------------------------------------------------------------------


def pair(*, acting_user, enterprise, unit=None, leader=None, at=None):
    """Pair ``enterprise`` with a unit or town (``unit``) or a leader in person (``leader``)."""
    at = at or clock.now()
    enterprise = _enterprise(enterprise)
    _allow(access.keeps_pairings(acting_user, enterprise))
    if (unit is None) == (leader is None):
        raise ValidationError({"unit": [_("请选择包联单位或包联领导（二选一）。")]})
    if unit is not None:
        if not isinstance(unit, Unit) or not unit.is_active:
            raise ValidationError({"unit": [_("单位不存在。")]})
        if unit.kind in (Unit.Kind.LEADER, Unit.Kind.OFFICE):
            raise ValidationError({"unit": [_("包联单位应为部门、区县或镇街。")]})
        if not scope.within(acting_user.unit, unit):
            raise ValidationError({"unit": [_("只能安排本辖区的单位包联。")]})
    if leader is not None and not (
        isinstance(leader, User) and scope.has_role(leader, scope.Role.LEADER)
    ):
        raise ValidationError({"leader": [_("领导不存在。")]})
    try:
        with transaction.atomic():
            return Pairing.objects.create(
                enterprise=enterprise,
                kind=rhythm.kind_of(unit=unit, leader=leader),
                unit=unit,
                leader=leader,
                started_at=at,
                created_by=acting_user,
            )
    except IntegrityError:
        raise Conflict(_("该企业已由其包联。"), "paired") from None


def end_pairing(pairing, *, acting_user, at=None):
    """End a pairing: its pairer owes nothing from now on; its history stays."""
    at = at or clock.now()
    with transaction.atomic():
        locked = Pairing.objects.select_for_update().select_related("enterprise").get(pk=pairing.pk)
        _allow(access.keeps_pairings(acting_user, locked.enterprise))
        if locked.ended_at is not None:
            raise Conflict(_("该包联关系已结束。"), "ended")
        locked.ended_at = at
        locked.save(update_fields=["ended_at"])
    return locked


def check_in(pairing, *, acting_user, note, at=None):
    """The pairer's periodic call on the enterprise (调度), with what was learnt."""
    at = at or clock.now()
    with transaction.atomic():
        locked = Pairing.objects.select_for_update().get(pk=pairing.pk)
        _allow(access.pairs(acting_user, locked))
        if locked.ended_at is not None:
            raise Conflict(_("该包联关系已结束。"), "ended")
        note = _text(note, "note", limit=NOTE_MAX)
        return CheckIn.objects.create(pairing=locked, at=at, by=acting_user, note=note)


# --- visits ---------------------------------------------------------------------------


def _batch(value, enterprise):
    if value is None:
        return None
    if not isinstance(value, Batch):
        raise ValidationError({"batch": [_("走访批次不存在。")]})
    if not value.enterprises.filter(pk=enterprise.pk).exists():
        raise ValidationError({"batch": [_("该企业不在本批次的走访名单中。")]})
    return value


def plan_visit(*, acting_user, enterprise, planned_on, batch=None, at=None):
    """Plan a visit to ``enterprise`` on ``planned_on`` (a date), in ``batch`` if given."""
    at = at or clock.now()
    enterprise = _enterprise(enterprise)
    _allow(access.may_visit(acting_user, enterprise))
    if planned_on is None:
        raise ValidationError({"planned_on": [_("不能为空。")]})
    if planned_on < clock.local(at).date():
        raise ValidationError({"planned_on": [_("计划日期不能早于今天。")]})
    batch = _batch(batch, enterprise)
    return Visit.objects.create(
        enterprise=enterprise,
        pairing=access.pairing_of(acting_user, enterprise),
        batch=batch,
        visitor=acting_user,
        unit=acting_user.unit,
        state=Visit.State.PLANNED,
        planned_on=planned_on,
        created_at=at,
    )


def cancel_visit(visit, *, acting_user):
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        _allow(locked.visitor_id == acting_user.pk or access.keeps_batches(acting_user))
        if locked.state != Visit.State.PLANNED:
            raise Conflict(_("只能取消计划中的走访。"), locked.state)
        locked.state = Visit.State.CANCELLED
        locked.save(update_fields=["state"])
    return locked


def _answers(values):
    """The survey's answers, by the active questions' codes; unknown codes are refused."""
    values = values or {}
    if not isinstance(values, dict):
        raise ValidationError({"answers": [_("应为问题代码到回答的对照。")]})
    questions = {q.code: q for q in Question.objects.filter(is_active=True)}
    unknown = sorted(set(values) - set(questions))
    if unknown:
        raise ValidationError(
            {"answers": [_("没有这些问题：%(codes)s。") % {"codes": "、".join(unknown)}]}
        )
    answers = {}
    for code, value in values.items():
        try:
            text = _text(value, code, limit=ANSWER_MAX, required=False)
        except ValidationError as exc:
            raise ValidationError(
                {"answers": [f"{questions[code].text}：{m}" for m in exc.messages]}
            ) from None
        if text:
            answers[code] = text
    return answers


def _difficulties(rows):
    """``[(text, solution or "")]``: each row a dict with ``text``, ``solved`` and ``solution``."""
    if rows is None:
        return []
    if not isinstance(rows, list | tuple) or not all(isinstance(row, dict) for row in rows):
        raise ValidationError({"difficulties": [_("应为困难问题的列表。")]})
    found, problems = [], []
    for number, row in enumerate(rows, start=1):
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            if row.get("solved") or (row.get("solution") or "").strip():
                problems.append(_("第 %(n)d 个问题：问题内容不能为空。") % {"n": number})
            continue
        if len(text.strip()) > DIFFICULTY_MAX:
            problems.append(
                _("第 %(n)d 个问题：不能超过 %(limit)d 个字符。")
                % {"n": number, "limit": DIFFICULTY_MAX}
            )
            continue
        solution = row.get("solution") or ""
        solution = solution.strip() if isinstance(solution, str) else ""
        if row.get("solved") and not solution:
            problems.append(_("第 %(n)d 个问题：现场解决的，请写明解决情况。") % {"n": number})
            continue
        if len(solution) > DIFFICULTY_MAX:
            problems.append(
                _("第 %(n)d 个问题：解决情况不能超过 %(limit)d 个字符。")
                % {"n": number, "limit": DIFFICULTY_MAX}
            )
            continue
        found.append((text.strip(), solution if row.get("solved") else ""))
    if problems:
        raise ValidationError({"difficulties": problems})
    if len(found) > MOST_DIFFICULTIES:
        raise ValidationError(
            {"difficulties": [_("一次最多记录 %(count)d 个问题。") % {"count": MOST_DIFFICULTIES}]}
        )
    return found


def record_visit(
    *,
    acting_user,
    enterprise,
    answers=None,
    difficulties=(),
    note="",
    photos=(),
    batch=None,
    visit=None,
    at=None,
):
    """Record a visit made at ``at`` (the planned ``visit``, or a new one); returns the visit.

    Each difficulty is solved on the spot (with how) or filed at once as an appeal
    of channel ``visit`` in the visitor's name.
    """
    at = at or clock.now()
    enterprise = _enterprise(enterprise)
    _allow(access.may_visit(acting_user, enterprise))
    errors = {}
    cleaned = {}
    for field, clean in (
        ("answers", lambda: _answers(answers)),
        ("difficulties", lambda: _difficulties(list(difficulties or []))),
        ("note", lambda: _text(note, "note", limit=NOTE_MAX, required=False)),
        ("photos", lambda: uploads.images(list(photos or []))),
        ("batch", lambda: _batch(batch, enterprise)),
    ):
        try:
            cleaned[field] = clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if not cleaned["answers"] and not cleaned["difficulties"] and not cleaned["note"]:
        raise ValidationError({"answers": [_("请至少填写一项走访内容。")]})
    with transaction.atomic():
        if visit is not None:
            visit = Visit.objects.select_for_update().get(pk=visit.pk)
            _allow(visit.visitor_id == acting_user.pk and visit.enterprise_id == enterprise.pk)
            if visit.state != Visit.State.PLANNED:
                raise Conflict(_("该走访已记录或已取消。"), visit.state)
            batch = cleaned["batch"] or visit.batch
        else:
            visit = Visit(
                enterprise=enterprise, visitor=acting_user, unit=acting_user.unit, created_at=at
            )
            batch = cleaned["batch"]
        visit.pairing = access.pairing_of(acting_user, enterprise)
        visit.batch = batch
        visit.state = Visit.State.DONE
        visit.visited_at = at
        visit.answers = cleaned["answers"]
        visit.note = cleaned["note"]
        visit.save()
        rows = [
            Difficulty(
                visit=visit,
                enterprise=enterprise,
                text=text,
                state=Difficulty.State.SOLVED if solution else Difficulty.State.PENDING,
                solution=solution,
            )
            for text, solution in cleaned["difficulties"]
        ]
        for row in rows:
            row.save()
        for row in rows:
            if row.state == Difficulty.State.PENDING:
                _file(row, visit, acting_user, at)
        # Last of the visit's writes: on a failure the files stored go again.
        uploads.store(
            (Photo(visit=visit, name=name, content_type=kind, size=upload.size), upload)
            for upload, name, kind in cleaned["photos"]
        )
    return visit


def difficulty_title(enterprise):
    return (_("走访问题：%(name)s") % {"name": enterprise.name})[: appeal_actions.TITLE_MAX]


def difficulty_content(difficulty, visit):
    visitor = visit.visitor.get_full_name() or visit.visitor.username
    unit = visit.unit.name if visit.unit_id else ""
    return _("%(at)s %(unit)s%(visitor)s走访时企业反映的困难问题：\n%(text)s") % {
        "at": f"{clock.local(visit.visited_at):%Y-%m-%d}",
        "unit": f"{unit} " if unit else "",
        "visitor": visitor,
        "text": difficulty.text,
    }


def _file(difficulty, visit, acting_user, at):
    """File ``difficulty`` as an appeal of channel ``visit``: the visitor may, since
    ``record_visit`` let them visit (``vetted``); an office may file one left pending."""
    appeal, _created = appeal_actions.file_appeal(
        acting_user=acting_user,
        vetted=True,
        enterprise=visit.enterprise,
        title=difficulty_title(visit.enterprise),
        content=difficulty_content(difficulty, visit)[: appeal_actions.CONTENT_MAX],
        channel=Appeal.Channel.VISIT,
        external_id=f"visit-difficulty-{difficulty.pk}",
        at=at,
    )
    difficulty.state, difficulty.appeal = Difficulty.State.FILED, appeal
    difficulty.filed_by, difficulty.filed_at = acting_user, at
    difficulty.save(update_fields=["state", "appeal", "filed_by", "filed_at"])
    return appeal


def file_difficulty(difficulty, *, acting_user, at=None):
    """The office files a visit's pending difficulty as an appeal (channel ``visit``); returns it.

    Filed through ``appeals.actions.file_appeal`` with the difficulty as its
    external id, so filing twice is refused here (409) and could not make a
    second appeal anyway.
    """
    at = at or clock.now()
    with transaction.atomic():
        locked = (
            Difficulty.objects.select_for_update(of=("self",))
            .select_related("enterprise", "appeal")
            .get(pk=difficulty.pk)
        )
        _allow(access.files_difficulty(acting_user, locked))
        if locked.state != Difficulty.State.PENDING:
            if locked.appeal_id:
                raise Conflict(
                    _("该问题已转为诉求 %(number)s。") % {"number": locked.appeal.number}, "filed"
                )
            raise Conflict(_("该问题已现场解决。"), locked.state)
        visit = Visit.objects.select_related("enterprise", "visitor", "unit").get(
            pk=locked.visit_id
        )
        appeal = _file(locked, visit, acting_user, at)
        if visit.visitor.is_active:
            outbox.enqueue(
                [visit.visitor],
                kind="visit_difficulty_filed",
                subject=_("走访问题已转为诉求 %(number)s") % {"number": appeal.number},
                body=locked.text,
                url=visit_url(visit),
            )
    return appeal


# --- batches --------------------------------------------------------------------------


def create_batch(*, acting_user, name, starts_on, ends_on, enterprises, at=None):
    """A visit batch over ``enterprises`` (those in the office's scope), between two days."""
    at = at or clock.now()
    _allow(access.keeps_batches(acting_user))
    errors = {}
    try:
        name = _text(name, "name", limit=BATCH_NAME_MAX)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if starts_on is None:
        errors["starts_on"] = [_("不能为空。")]
    if ends_on is None:
        errors["ends_on"] = [_("不能为空。")]
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    ids = list(
        access.enterprises_in_scope(acting_user)
        .filter(pk__in=enterprises)
        .values_list("pk", flat=True)
    )
    if not ids:
        errors["enterprises"] = [_("请至少选择一家本辖区的企业。")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            batch = Batch.objects.create(
                name=name,
                starts_on=starts_on,
                ends_on=ends_on,
                created_by=acting_user,
                created_at=at,
            )
            batch.enterprises.set(ids)
    except IntegrityError:
        raise ValidationError(
            {"name": [_("批次名称“%(name)s”已存在。") % {"name": name}]}
        ) from None
    return batch


# --- the declared list of actions -----------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One action, declared once: the pages and the API read it."""

    name: str
    label: str
    function: Callable
    route: str  # the page's URL name


ACTIONS = {
    action.name: action
    for action in (
        Action("pair", gettext_lazy("安排包联"), pair, "visit-pairings"),
        Action("end_pairing", gettext_lazy("结束包联"), end_pairing, "visit-pairing-end"),
        Action("check_in", gettext_lazy("登记调度"), check_in, "visit-checkin"),
        Action("plan_visit", gettext_lazy("计划走访"), plan_visit, "visit-plan"),
        Action("record_visit", gettext_lazy("记录走访"), record_visit, "visit-new"),
        Action("cancel_visit", gettext_lazy("取消走访"), cancel_visit, "visit-cancel"),
        Action(
            "file_difficulty", gettext_lazy("转为诉求"), file_difficulty, "visit-file-difficulty"
        ),
        Action("create_batch", gettext_lazy("新建走访批次"), create_batch, "visit-batches"),
    )
}
