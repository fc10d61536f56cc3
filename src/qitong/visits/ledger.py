"""A batch's coverage ("three 100%"), and the visit and pairing ledgers as .xlsx.

Coverage of a batch: of the enterprises it must cover, how many were visited in
it; of the difficulties its visits raised, the shares met, fed back and
satisfied — Lin'an's "three 100%" (问题见面率、反馈率、处理满意率):

- met: solved on the spot, or filed and the handling unit has contacted the
  enterprise (the appeal's ``contacted_at``);
- fed back: solved on the spot, or the appeal has been answered (``replied_at``);
- satisfied: solved on the spot, or the enterprise rated the appeal's result
  satisfied or basically satisfied.
"""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from qitong.appeals.models import Appeal
from qitong.core import exports
from qitong.core.clock import local
from qitong.visits.models import Difficulty, Visit

SOLVED = Q(state=Difficulty.State.SOLVED)
FILED = Q(state=Difficulty.State.FILED)
SATISFIED = (Appeal.Rating.SATISFIED, Appeal.Rating.BASICALLY_SATISFIED)


@dataclass(frozen=True)
class Coverage:
    due: int
    visited: int
    problems: int
    met: int
    fed_back: int
    satisfied: int

    @staticmethod
    def _rate(part, whole):
        return None if not whole else round(100 * part / whole, 1)

    @property
    def visited_rate(self):
        return self._rate(self.visited, self.due)

    @property
    def met_rate(self):
        return self._rate(self.met, self.problems)

    @property
    def fed_back_rate(self):
        return self._rate(self.fed_back, self.problems)

    @property
    def satisfied_rate(self):
        return self._rate(self.satisfied, self.problems)


def difficulty_counts(difficulties):
    """``{problems, met, fed_back, satisfied}`` of ``difficulties``, counted in one query."""
    return difficulties.aggregate(
        problems=Count("pk"),
        met=Count("pk", filter=SOLVED | (FILED & Q(appeal__contacted_at__isnull=False))),
        fed_back=Count("pk", filter=SOLVED | (FILED & Q(appeal__replied_at__isnull=False))),
        satisfied=Count("pk", filter=SOLVED | (FILED & Q(appeal__rating_result__in=SATISFIED))),
    )


def coverage(batch):
    """The batch's coverage now."""
    done = Visit.objects.filter(batch=batch, state=Visit.State.DONE)
    visited = batch.enterprises.filter(pk__in=done.values("enterprise_id")).count()
    counts = difficulty_counts(Difficulty.objects.filter(visit__in=done.values("pk")))
    return Coverage(due=batch.enterprises.count(), visited=visited, **counts)


# --- the ledgers ----------------------------------------------------------------------


def visit_headers(questions):
    return [
        _("企业名称"),
        _("统一社会信用代码"),
        _("走访时间"),
        _("走访人"),
        _("走访单位"),
        _("走访批次"),
        *(question.text for question in questions),
        _("困难问题数"),
        _("现场解决"),
        _("已转诉求"),
        _("待转诉求"),
        _("转办诉求编号"),
        _("备注"),
    ]


def visit_rows(visits, questions):
    """One row per done visit, its answers in the questions' order and its difficulties counted."""
    visits = (
        visits.filter(state=Visit.State.DONE)
        .select_related("enterprise", "visitor", "unit", "batch")
        .prefetch_related("difficulties__appeal")
        .order_by("-visited_at", "-pk")
    )
    for visit in visits.iterator(chunk_size=500):
        difficulties = list(visit.difficulties.all())
        states = [d.state for d in difficulties]
        yield [
            visit.enterprise.name,
            visit.enterprise.uscc,
            visit.visited_at,
            visit.visitor.get_full_name() or visit.visitor.username,
            visit.unit.name if visit.unit_id else "",
            visit.batch.name if visit.batch_id else "",
            *(visit.answers.get(question.code, "") for question in questions),
            len(difficulties),
            states.count(Difficulty.State.SOLVED),
            states.count(Difficulty.State.FILED),
            states.count(Difficulty.State.PENDING),
            "、".join(d.appeal.number for d in difficulties if d.appeal_id),
            visit.note,
        ]


def visit_ledger(visits, questions):
    stream, _count = exports.export_to_tempfile(
        title=_("走访台帐"),
        headers=visit_headers(questions),
        rows=visit_rows(visits, questions),
    )
    return stream


def pairing_headers():
    return [
        _("企业名称"),
        _("统一社会信用代码"),
        _("包联类型"),
        _("包联领导或单位"),
        _("包联开始"),
        _("包联结束"),
        _("最近调度"),
        _("下次调度应在"),
        _("最近走访"),
        _("下次走访应在"),
        _("是否逾期"),
    ]


def pairing_rows(pairings):
    """One row per pairing (annotated with ``owed``, as ``rhythm.with_owed`` gives them)."""
    for pairing in pairings:
        owed = pairing.owed
        yield [
            pairing.enterprise.name,
            pairing.enterprise.uscc,
            pairing.get_kind_display(),
            pairing.pairer_name,
            pairing.started_at,
            pairing.ended_at,
            pairing.last_checkin,
            owed.checkin_due if pairing.is_active else None,
            pairing.last_visit,
            owed.visit_due if pairing.is_active else None,
            _("逾期") if pairing.is_active and owed.overdue else "",
        ]


def pairing_ledger(pairings):
    stream, _count = exports.export_to_tempfile(
        title=_("包联台帐"), headers=pairing_headers(), rows=pairing_rows(pairings)
    )
    return stream


def filename(kind, at):
    names = {"visits": _("走访台帐"), "pairings": _("包联台帐")}
    return f"{names[kind]}-{local(at):%Y%m%d}.xlsx"
