"""Every change to a key project, one function each, and the declared list of actions.

Each action runs in one transaction on the locked project, checks the actor's
right first (``PermissionDenied``, 403), then the project's state
(``Conflict``, 409), validates its input (``ValidationError`` with Chinese
field messages), writes its event and queues its messages in the same
transaction. Pages and the API call these; the month's close lives in
``qitong.projects.ranking``.

Who does what: the service offices register and edit projects and close
them (a district office within its district: ``access.keeps_project``); the
responsible unit reports each month's progress, and each problem it raises
becomes an appeal (channel ``project``) at once, filed in the reporter's name
(``file_appeal``'s ``vetted``: this action let them report), which from then
on runs the appeal loop like any other; ``file_problem`` lets the office in
charge file a problem recorded before this rule.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.appeals import actions as appeal_actions
from qitong.appeals import uploads
from qitong.appeals.models import Appeal
from qitong.appeals.serializers import EmptyBody
from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.enterprises.models import Enterprise
from qitong.notify import outbox
from qitong.orgs import scope
from qitong.orgs.models import Unit, User
from qitong.projects import access, events, months, ranking
from qitong.projects import serializers as bodies
from qitong.projects.models import Milestone, Photo, Problem, Progress, Project

State = Project.State
NAME_MAX = Project._meta.get_field("name").max_length
MILESTONE_NAME_MAX = Milestone._meta.get_field("name").max_length
TEXT_MAX = Progress._meta.get_field("text").max_length
PROBLEM_MAX = Problem._meta.get_field("text").max_length
NOTE_MAX = 500
# An amount's largest value in 万元 (the columns hold 10 digits before the point).
AMOUNT_MAX = Decimal("9999999999.99")
MOST_MILESTONES = 24
MOST_TEAM = 50
MOST_PROBLEMS = 10
TEAM_ROLES = (scope.Role.OFFICE, scope.Role.UNIT, scope.Role.LEADER)


# --- shared pieces --------------------------------------------------------------------


def project_url(project):
    return reverse("project-detail", args=[project.pk])


def _allow(condition):
    if not condition:
        raise PermissionDenied(_("您无权对该项目执行此操作。"))


def _conflict(project, message=None):
    return Conflict(
        message
        or _("项目当前状态为“%(state)s”，不能执行此操作。")
        % {"state": project.get_state_display()},
        project.state,
    )


def _check(project, user, name):
    """The gate of every action on a project: the actor's right (403), then the state (409)."""
    action = ACTIONS[name]
    _allow(action.who(user, project))
    if project.state not in action.states:
        raise _conflict(project)


def available_actions(user, project):
    """The names of the actions ``user`` may take on ``project`` now, for the pages."""
    return [
        name
        for name, action in ACTIONS.items()
        if project.state in action.states and action.who(user, project)
    ]


def on_locked_project(fn):
    """Run an action atomically on the freshly locked project."""

    @functools.wraps(fn)
    def wrapper(project, *, acting_user, at=None, **kwargs):
        with transaction.atomic():
            locked = (
                Project.objects.select_for_update(of=("self",))
                .select_related("enterprise", "district", "unit", "leader")
                .get(pk=project.pk)
            )
            result = fn(locked, acting_user=acting_user, at=at or clock.now(), **kwargs)
        return locked if result is None else result

    return wrapper


class Errors:
    """Field errors gathered while cleaning a body, raised together."""

    def __init__(self):
        self.by_field = {}

    def add(self, field, message):
        self.by_field.setdefault(field, []).append(message)

    def check(self, field, clean, *args, **kwargs):
        """``clean(*args)``, or None with its error noted under ``field``."""
        try:
            return clean(*args, **kwargs)
        except ValidationError as exc:
            for message in exc.messages:
                self.add(field, message)
            return None

    def raise_any(self):
        if self.by_field:
            raise ValidationError(self.by_field)


def _invalid(message):
    return ValidationError(message)


def clean_text(value, *, limit, required=True):
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(_("应为文本。"))
    value = value.strip()
    if required and not value:
        raise _invalid(_("不能为空。"))
    if len(value) > limit:
        raise _invalid(_("不能超过 %(limit)d 个字符。") % {"limit": limit})
    return value


def clean_amount(value, *, positive=False):
    """An amount in 万元: a number of at most two decimals, not negative (``positive``: above 0)."""
    if value is None or value == "":
        raise _invalid(_("不能为空。"))
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _invalid(_("应为数字（万元）。"))
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise _invalid(_("应为数字（万元）。")) from None
    if not amount.is_finite():
        raise _invalid(_("应为数字（万元）。"))
    if amount != amount.quantize(Decimal("0.01")):
        raise _invalid(_("最多两位小数。"))
    if amount < 0 or (positive and amount == 0):
        raise _invalid(_("应大于 0。") if positive else _("不能为负数。"))
    if amount > AMOUNT_MAX:
        raise _invalid(_("金额过大。"))
    return amount.quantize(Decimal("0.01"))


def clean_month(value):
    try:
        return months.check(value if isinstance(value, str) else "", "month")
    except ValidationError as exc:
        raise _invalid(exc.message_dict["month"][0]) from None


# --- the registry ---------------------------------------------------------------------


def _enterprise(value):
    if not isinstance(value, Enterprise):
        if value:
            raise _invalid(_("企业 %(code)s 不存在。") % {"code": value})
        raise _invalid(_("不能为空。"))
    return value


def _district(value, acting_user):
    if not isinstance(value, Unit) or value.kind != Unit.Kind.DISTRICT or not value.is_active:
        if value:
            raise _invalid(_("区县 %(code)s 不存在。") % {"code": getattr(value, "code", value)})
        raise _invalid(_("不能为空。"))
    if not access.keeps_district(acting_user, value):
        raise _invalid(_("只能登记本区县的项目。"))
    return value


def _leader(value):
    if not isinstance(value, User) or value.role != User.Role.LEADER or not value.is_active:
        if value:
            raise _invalid(
                _("领导 %(name)s 不存在。") % {"name": getattr(value, "username", value)}
            )
        raise _invalid(_("不能为空。"))
    return value


def _responsible_unit(value):
    if not isinstance(value, Unit) or not value.is_active or value.kind == Unit.Kind.LEADER:
        if value:
            raise _invalid(_("单位 %(code)s 不存在。") % {"code": getattr(value, "code", value)})
        raise _invalid(_("不能为空。"))
    return value


def _team(values):
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise _invalid(_("应为用户名的列表。"))
    if len(values) > MOST_TEAM:
        raise _invalid(_("最多 %(count)d 人。") % {"count": MOST_TEAM})
    team = {}
    for value in values:
        if (
            not isinstance(value, User)
            or not value.is_active
            or not scope.has_role(value, *TEAM_ROLES)
        ):
            raise _invalid(
                _("用户 %(name)s 不存在或不是政府工作人员。")
                % {"name": getattr(value, "username", value)}
            )
        team[value.pk] = value
    return list(team.values())


def _milestones(rows, start_month, planned):
    """The plan: at least one milestone, months from the start, cumulative amounts not falling."""
    if rows is None:
        raise _invalid(_("请至少填写一个计划节点。"))
    if not isinstance(rows, list | tuple) or not all(isinstance(row, dict) for row in rows):
        raise _invalid(_("应为计划节点的列表。"))
    # A page's blank rows are left out.
    rows = [row for row in rows if any(str(value or "").strip() for value in row.values())]
    if not rows:
        raise _invalid(_("请至少填写一个计划节点。"))
    if len(rows) > MOST_MILESTONES:
        raise _invalid(_("计划节点最多 %(count)d 个。") % {"count": MOST_MILESTONES})
    plan, problems = [], []
    for number, row in enumerate(rows, start=1):
        row_errors = Errors()
        name = row_errors.check("name", clean_text, row.get("name"), limit=MILESTONE_NAME_MAX)
        month = row_errors.check("month", clean_month, row.get("month"))
        amount = row_errors.check("investment", clean_amount, row.get("investment"))
        for field, messages in row_errors.by_field.items():
            label = {"name": _("节点"), "month": _("计划月份"), "investment": _("计划累计投资")}
            for message in messages:
                problems.append(
                    _("第 %(number)d 个节点的%(field)s：%(message)s")
                    % {"number": number, "field": label[field], "message": message}
                )
        if not row_errors.by_field:
            plan.append((month, name, amount, number))
    if problems:
        raise ValidationError(problems)
    names = [name for _month, name, _amount, _number in plan]
    if len(set(names)) != len(names):
        raise _invalid(_("节点名称不能重复。"))
    if start_month and any(month < start_month for month, *_rest in plan):
        raise _invalid(_("节点的计划月份不能早于计划开始月份。"))
    if planned is not None and any(amount > planned for _m, _n, amount, _no in plan):
        raise _invalid(_("节点的计划累计投资不能超过计划总投资。"))
    ordered = sorted(plan, key=lambda row: (row[0], row[3]))
    amounts = [amount for _month, _name, amount, _number in ordered]
    if amounts != sorted(amounts):
        raise _invalid(_("计划累计投资应随月份递增（后面的节点不能少于前面的节点）。"))
    return [(name, month, amount) for month, name, amount, _number in ordered]


# How each field of a project is cleaned: (value, acting user) -> value, or ValidationError.
CLEANERS = {
    "name": lambda value, _user: clean_text(value, limit=NAME_MAX),
    "enterprise": lambda value, _user: _enterprise(value),
    "planned_investment": lambda value, _user: clean_amount(value, positive=True),
    "district": _district,
    "leader": lambda value, _user: _leader(value),
    "unit": lambda value, _user: _responsible_unit(value),
    "team": lambda value, _user: _team(value),
    "start_month": lambda value, _user: clean_month(value),
    "public": lambda value, _user: True if value is None else bool(value),
}
# Every field of a project's body: those above, and the plan.
FIELDS = (*CLEANERS, "milestones")


def _clean(fields, *, acting_user, project=None):
    """The body's fields, cleaned, for a new project (all needed) or an edit (those given)."""
    errors = Errors()
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {', '.join(sorted(unknown))}")
    creating = project is None
    given = fields if not creating else {name: fields.get(name) for name in FIELDS}
    cleaned = {
        name: errors.check(name, clean, given[name], acting_user)
        for name, clean in CLEANERS.items()
        if name in given
    }
    start = cleaned.get("start_month", project.start_month if project else None)
    planned = cleaned.get("planned_investment", project.planned_investment if project else None)
    if "milestones" in given:
        cleaned["milestones"] = errors.check(
            "milestones", _milestones, given["milestones"], start, planned
        )
    elif project is not None and ("start_month" in given or "planned_investment" in given):
        # The plan stays; it must still fit the new start and total.
        kept = [
            {"name": m.name, "month": m.month, "investment": m.investment}
            for m in project.milestones.all()
        ]
        errors.check("milestones", _milestones, kept, start, planned)
    errors.raise_any()
    return cleaned


def _write_plan(project, plan):
    """Put ``plan`` in place of the project's milestones; a reached one keeps its date.

    A milestone already reached may be moved or changed but not dropped.
    """
    existing = {milestone.name: milestone for milestone in project.milestones.all()}
    wanted = {name for name, _month, _amount in plan}
    dropped = [m.name for name, m in existing.items() if name not in wanted and m.reached_month]
    if dropped:
        raise ValidationError(
            {"milestones": [_("已完成的节点不能删除：%(names)s。") % {"names": "、".join(dropped)}]}
        )
    project.milestones.exclude(name__in=wanted).delete()
    for name, month, amount in plan:
        milestone = existing.get(name) or Milestone(project=project, name=name)
        milestone.month, milestone.investment = month, amount
        milestone.save()


def register_project(*, acting_user, at=None, **fields):
    """A new key project in the registry, with its plan; returns it. The service offices register."""
    _allow(access.keeps_registry(acting_user))
    at = at or clock.now()
    cleaned = _clean(fields, acting_user=acting_user)
    team, plan = cleaned.pop("team"), cleaned.pop("milestones")
    with transaction.atomic():
        project = Project.objects.create(created_at=at, created_by=acting_user, **cleaned)
        project.team.set(team)
        _write_plan(project, plan)
        events.record(project, "create", actor=acting_user, at=at)
    return project


@on_locked_project
def edit_project(project, *, acting_user, at, **fields):
    """Change what is given of a project's fields (the plan as a whole, when given)."""
    _check(project, acting_user, "edit")
    cleaned = _clean(fields, acting_user=acting_user, project=project)
    team, plan = cleaned.pop("team", None), cleaned.pop("milestones", None)
    changed = sorted(name for name, value in cleaned.items() if getattr(project, name) != value)
    for name, value in cleaned.items():
        setattr(project, name, value)
    project.save()
    if team is not None and {user.pk for user in team} != set(
        project.team.values_list("pk", flat=True)
    ):
        project.team.set(team)
        changed.append("team")
    if plan is not None:
        before = list(project.milestones.values_list("name", "month", "investment"))
        _write_plan(project, plan)
        if sorted(before) != sorted(plan):
            changed.append("milestones")
    if changed:
        events.record(project, "edit", actor=acting_user, at=at, fields=changed)


@on_locked_project
def finish_project(project, *, acting_user, at, state, note=""):
    """Close a project: completed (竣工) or withdrawn (撤销); it is no longer reported or ranked."""
    _check(project, acting_user, "finish")
    if state not in (State.COMPLETED, State.WITHDRAWN):
        raise ValidationError({"state": [_("应为 completed 或 withdrawn。")]})
    errors = Errors()
    note = errors.check("note", clean_text, note, limit=NOTE_MAX, required=False)
    errors.raise_any()
    project.state, project.finished_at = state, at
    project.save(update_fields=["state", "finished_at"])
    events.record(project, "finish", actor=acting_user, at=at, note=note, state=state)


# --- the monthly report ---------------------------------------------------------------


def _problems(values):
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise _invalid(_("应为问题的列表。"))
    problems = []
    for value in values:
        text = clean_text(value, limit=PROBLEM_MAX, required=False)
        if text:
            problems.append(text)
    if len(problems) > MOST_PROBLEMS:
        raise _invalid(_("一次最多提出 %(count)d 个问题。") % {"count": MOST_PROBLEMS})
    return problems


def _reached(project, ids, repeat_of=None):
    """The milestones ``ids`` reported reached; those ``repeat_of`` (the month's first report,
    when this is its retry) reached are no mistake."""
    if not ids:
        return []
    if not isinstance(ids, list | tuple) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in ids
    ):
        raise _invalid(_("应为计划节点 id 的列表。"))
    found = {m.pk: m for m in project.milestones.filter(pk__in=ids)}
    for pk in ids:
        milestone = found.get(pk)
        if milestone is None:
            raise _invalid(_("计划节点 %(id)s 不属于本项目。") % {"id": pk})
        if milestone.reached_month and (
            repeat_of is None or milestone.reached_in_id != repeat_of.pk
        ):
            raise _invalid(
                _("计划节点“%(name)s”已于 %(month)s 完成。")
                % {"name": milestone.name, "month": milestone.reached_month}
            )
    return list(found.values())


def _same_report(report, investment, text, problems):
    return (
        report.investment == investment
        and report.text == text
        and list(report.problems.order_by("pk").values_list("text", flat=True)) == problems
    )


@on_locked_project
def report_progress(
    project,
    *,
    acting_user,
    at,
    month,
    investment,
    text,
    problems=(),
    milestones=(),
    photos=(),
):
    """The responsible unit's report of ``month``; returns ``(report, created)``.

    One report a month: the same report again (a retried request) returns the
    first and creates nothing; a different one is refused (409). A month can be
    reported from the project's start month until the month is ranked
    (``ranking.close_instant``), never ahead of time.
    """
    _check(project, acting_user, "report")
    errors = Errors()
    month = errors.check("month", clean_month, month)
    investment = errors.check("investment", clean_amount, investment)
    text = errors.check("text", clean_text, text, limit=TEXT_MAX)
    problems = errors.check("problems", _problems, list(problems))
    existing = project.reports.filter(month=month).first() if month else None
    reached = errors.check("milestones", _reached, project, list(milestones), existing)
    checked = errors.check("photos", uploads.images, list(photos))
    if month:
        if month > months.of(at):
            errors.add("month", _("不能填报以后月份的进展。"))
        elif month < project.start_month:
            errors.add(
                "month",
                _("早于项目计划开始月份 %(start)s。") % {"start": project.start_month},
            )
    errors.raise_any()
    if existing is not None:
        if _same_report(existing, investment, text, problems):
            return existing, False
        raise _conflict(
            project,
            _("%(month)s的进展已于 %(at)s 填报，不能重复填报。")
            % {
                "month": months.words(month),
                "at": f"{clock.local(existing.reported_at):%Y-%m-%d %H:%M}",
            },
        )
    closed = ranking.last_closed()
    if closed is not None and month <= closed:
        raise _conflict(
            project,
            _("%(month)s已排名，不能再填报。") % {"month": months.words(month)},
        )
    report = Progress.objects.create(
        project=project,
        month=month,
        investment=investment,
        text=text,
        reported_by=acting_user,
        reported_at=at,
    )
    raised = [
        Problem.objects.create(project=project, progress=report, text=problem)
        for problem in problems
    ]
    for milestone in reached:
        milestone.reached_month, milestone.reached_in = month, report
        milestone.save(update_fields=["reached_month", "reached_in"])
    events.record(
        project,
        "report",
        actor=acting_user,
        at=at,
        month=month,
        investment=str(investment),
        problems=len(problems),
        photos=len(checked),
    )
    for problem in raised:
        problem.progress = report
        _file(problem, project, acting_user, at)
    # Last of the report's writes: on a failure the files stored go again.
    uploads.store(
        (Photo(progress=report, name=name, content_type=kind, size=upload.size), upload)
        for upload, name, kind in checked
    )
    return report, True


# --- problems become appeals ----------------------------------------------------------


def problem_title(project):
    return (_("重点项目问题：%(name)s") % {"name": project.name})[: appeal_actions.TITLE_MAX]


def problem_content(problem, project):
    return _(
        "重点项目“%(name)s”（%(district)s，责任单位：%(unit)s）%(month)s月度进展中提出的问题：\n%(text)s"
    ) % {
        "name": project.name,
        "district": project.district.name,
        "unit": project.unit.name,
        "month": months.words(problem.progress.month),
        "text": problem.text,
    }


def _file(problem, project, acting_user, at):
    """File ``problem`` as an appeal of the project's enterprise (channel ``project``), with
    the problem as its external id, and say so on the project's timeline."""
    appeal, _created = appeal_actions.file_appeal(
        acting_user=acting_user,
        vetted=True,
        enterprise=project.enterprise,
        title=problem_title(project),
        content=problem_content(problem, project)[: appeal_actions.CONTENT_MAX],
        channel=Appeal.Channel.PROJECT,
        external_id=f"project-problem-{problem.pk}",
        at=at,
    )
    problem.appeal, problem.filed_by, problem.filed_at = appeal, acting_user, at
    problem.save(update_fields=["appeal", "filed_by", "filed_at"])
    events.record(
        project,
        "file_problem",
        actor=acting_user,
        at=at,
        note=problem.text,
        problem=problem.pk,
        appeal=appeal.number,
    )
    return appeal


def file_problem(problem, *, acting_user, at=None):
    """The office in charge files a problem left unfiled (raised before problems were filed
    with their report) as an appeal (channel ``project``); returns it.

    The appeal is the project enterprise's, filed through ``appeals.actions.file_appeal``
    with the problem as its external id, so filing twice is refused here (409)
    and could not make a second appeal anyway.
    """
    at = at or clock.now()
    with transaction.atomic():
        project = (
            Project.objects.select_for_update(of=("self",))
            .select_related("enterprise", "district", "unit")
            .get(pk=problem.project_id)
        )
        locked = (
            Problem.objects.select_for_update(of=("self",))
            .select_related("progress", "appeal")
            .get(pk=problem.pk)
        )
        _allow(ACTIONS["file_problem"].who(acting_user, project))
        if locked.appeal_id is not None:
            raise Conflict(
                _("该问题已转为诉求 %(number)s。") % {"number": locked.appeal.number}, "filed"
            )
        appeal = _file(locked, project, acting_user, at)
        reporter = locked.progress.reported_by
        if reporter.is_active:
            outbox.enqueue(
                [reporter],
                kind="project_problem_filed",
                subject=_("项目问题已转为诉求 %(number)s") % {"number": appeal.number},
                body=locked.text,
                url=project_url(project),
            )
    return appeal


# --- the declared list of actions -----------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One action on a project, declared once: the pages and the API read it."""

    name: str
    label: str
    function: Callable
    who: Callable  # (user, project) -> whether the user may
    states: tuple  # the project states it is allowed in
    body: type


ACTIONS = {
    action.name: action
    for action in (
        Action(
            "edit",
            gettext_lazy("修改项目"),
            edit_project,
            access.keeps_project,
            (State.ACTIVE,),
            bodies.ProjectBody,
        ),
        Action(
            "report",
            gettext_lazy("填报月度进展"),
            report_progress,
            access.reports_for,
            (State.ACTIVE,),
            bodies.ProgressBody,
        ),
        Action(
            "finish",
            gettext_lazy("结束项目"),
            finish_project,
            access.keeps_project,
            (State.ACTIVE,),
            bodies.FinishBody,
        ),
        Action(
            "file_problem",
            gettext_lazy("转为诉求"),
            file_problem,
            access.keeps_project,
            (State.ACTIVE, State.COMPLETED, State.WITHDRAWN),
            EmptyBody,
        ),
    )
}
