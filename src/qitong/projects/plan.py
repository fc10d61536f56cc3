"""A project's status against its plan: what the plan expects by a month, and the verdict.

The plan is a list of milestones, each with the cumulative investment to be
spent by its month. Between two milestones the plan is taken to grow evenly
month by month, from nothing in the month before the project's start month
to the first milestone's amount, and so on; after the last milestone it
stays at that amount. So every month has an expected cumulative investment.

The verdict of a month (``judge``), with the margins of ``Rules``:

- no progress: nothing reported for the month, or the month added no investment;
- lagging: cumulative investment below the expected amount by more than the
  lagging margin (default 10%), or a milestone due by that month not reached;
- ahead: cumulative investment at least the ahead margin (default 10%) above
  the expected amount (and no milestone missed);
- normal: anything else (also while the plan expects nothing yet).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from qitong.projects import months
from qitong.projects.models import Standing

Status = Standing.Status
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def expected(start_month, milestones, month):
    """The cumulative investment the plan expects by the end of ``month``.

    ``milestones``: ``(month, cumulative investment)`` pairs of the plan.
    """
    points = [(months.index(start_month) - 1, Decimal(0))]
    for due, amount in sorted(milestones):
        at = months.index(due)
        if at == points[-1][0]:
            points[-1] = (at, max(points[-1][1], amount))
        else:
            points.append((at, amount))
    now = months.index(month)
    if now <= points[0][0]:
        return Decimal(0)
    for (left, low), (right, high) in zip(points, points[1:], strict=False):
        if now <= right:
            share = (high - low) * (now - left) / (right - left)
            return (low + share).quantize(CENT, ROUND_HALF_UP)
    return points[-1][1]


def rate(done, expected_amount):
    """Cumulative investment done as a percentage of the expected amount; None when nothing is expected."""
    if expected_amount <= 0:
        return None
    return (done * HUNDRED / expected_amount).quantize(CENT, ROUND_HALF_UP)


def judge(*, expected, done, added, reported, missed_milestone, rules):
    """The month's status (``Standing.Status``) by the rules above."""
    if not reported or added <= 0:
        return Status.NO_PROGRESS
    if missed_milestone:
        return Status.LAGGING
    if expected <= 0:
        return Status.NORMAL
    # Exactly, not on the rounded rate: 329.99 of 300 is not yet 10% ahead.
    if done * HUNDRED >= expected * (HUNDRED + rules.ahead_margin):
        return Status.AHEAD
    if done * HUNDRED < expected * (HUNDRED - rules.lagging_margin):
        return Status.LAGGING
    return Status.NORMAL


@dataclass
class Month:
    """One project's month as the plan and the reports give it."""

    project_id: int
    expected: Decimal
    done: Decimal  # cumulative, through the month
    added: Decimal  # the month's own report (0 if none)
    reported: bool
    missed: list = field(default_factory=list)  # milestones due by then, not reached by then
    status: str = ""

    @property
    def rate(self):
        return rate(self.done, self.expected)


def evaluate(project, month, *, reports, milestones, rules):
    """``project``'s ``month``: ``reports`` are its ``(month, investment)``, ``milestones`` its
    ``(name, month, investment, reached_month)``."""
    done = sum((amount for when, amount in reports if when <= month), Decimal(0))
    own = [amount for when, amount in reports if when == month]
    missed = [
        name
        for name, due, _amount, reached in milestones
        if due <= month and (not reached or reached > month)
    ]
    result = Month(
        project_id=project.pk,
        expected=expected(
            project.start_month, [(due, amount) for _n, due, amount, _r in milestones], month
        ),
        done=done,
        added=own[0] if own else Decimal(0),
        reported=bool(own),
        missed=missed,
    )
    result.status = judge(
        expected=result.expected,
        done=result.done,
        added=result.added,
        reported=result.reported,
        missed_milestone=bool(missed),
        rules=rules,
    )
    return result


def evaluate_live(project, month, rules):
    """``project``'s ``month`` read from the database now (the project page's running month)."""
    reports = list(project.reports.values_list("month", "investment"))
    milestones = list(
        project.milestones.values_list("name", "month", "investment", "reached_month")
    )
    return evaluate(project, month, reports=reports, milestones=milestones, rules=rules)
