"""A unit's score for a period: its items, weighted, ranked, and judged against the targets.

Each item (``ITEMS``) is a rate between 0 and 1 from the period's counts
(``tally``): a share done well (contacted, replied, resolved on time; rated
satisfied) or one less the share of what went wrong (returned, redone,
supervised), each of the cases the unit received. The office weighs the
items (``models.Weights``, the row in force on the period's first day).

An item counts for a unit only when it applies: it has a weight, its source
is there (visits and projects are measured by their own apps, once they are
installed) and the unit had something to measure (cases received; ratings
for satisfaction). The weights of the items that apply are scaled to add up
to 100, so a unit is never marked down for what it had no occasion to do:
score = 100 × Σ weight × rate / Σ weight, over the items that apply. The
points an item loses are its share less what it earned; the cases behind
them are listed by ``lost_cases``. A unit with no item that applies (it
received nothing, and nothing was rated) has no score and no rank.

Units are ranked by score, best first; equal scores share a rank (1, 2, 2, 4).
Seed 000's targets (``TARGETS``) are shown met or missed beside the score;
they do not change it.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qitong.assessment import periods, tally
from qitong.assessment.access import assessed_units
from qitong.assessment.models import Weights
from qitong.core import clock


@dataclass(frozen=True)
class Item:
    """One scored item: a rate of counts, or a measure another app gives.

    ``good``/``whole``: the share done well; ``bad``/``whole``: one less the
    share that went wrong (never below 0). ``source`` is ``(app, dotted path)``
    of a function ``(period, units) -> {unit code: (part, whole, url)}`` of an
    app that measures the item itself; the item applies only where that app
    is installed.
    """

    key: str
    label: str
    explain: str
    whole: str = "received"
    good: str = ""
    bad: tuple = ()
    source: tuple = ()

    def rate(self, counts):
        """``(rate, whole)`` of ``counts``; the rate is None when there is nothing to measure."""
        whole = counts.get(self.whole, 0)
        if not whole:
            return None, whole
        if self.good:
            return min(counts.get(self.good, 0) / whole, 1.0), whole
        wrong = sum(counts.get(name, 0) for name in self.bad)
        return max(1.0 - wrong / whole, 0.0), whole

    def lost_lists(self):
        """``(plus, minus)``: the lists whose difference is the cases behind the lost points."""
        if self.good:
            return (self.whole,), (self.good,)
        return self.bad, ()


ITEMS = (
    Item(
        "contact_on_time",
        _("按时联系"),
        _("收到的诉求中在期限内联系企业的比例"),
        good="contacted_on_time",
    ),
    Item(
        "reply_on_time",
        _("按时答复"),
        _("收到的诉求中在期限内答复企业的比例"),
        good="replied_on_time",
    ),
    Item(
        "resolve_on_time",
        _("按时办结"),
        _("收到的诉求中在期限内办结的比例"),
        good="resolved_on_time",
    ),
    Item("returned", _("转办退回"), _("按退回件数占收到件数的比例扣分"), bad=("returned",)),
    Item(
        "redo",
        _("回访重办"),
        _("按审核或回访后退回重办的次数占收到件数的比例扣分"),
        bad=("redo_by_office", "redo_after_rating"),
    ),
    Item(
        "supervised",
        _("被督办"),
        _("按因超期、临近期限或人工督办的诉求占收到件数的比例扣分"),
        bad=("supervised",),
    ),
    Item(
        "process_satisfaction",
        _("过程满意度"),
        _("企业评价中对办理过程满意或基本满意的比例"),
        whole="rated",
        good="process_satisfied",
    ),
    Item(
        "result_satisfaction",
        _("结果满意度"),
        _("企业评价中对办理结果满意或基本满意的比例"),
        whole="rated",
        good="result_satisfied",
    ),
    Item(
        "visit_coverage",
        _("走访覆盖"),
        _("应走访企业中已走访的比例（由走访模块提供）"),
        whole="",
        source=("qitong.visits", "qitong.visits.assessment.coverage"),
    ),
    Item(
        "project_progress",
        _("项目推进"),
        _("重点项目中按计划推进的比例（由项目模块提供）"),
        whole="",
        source=("qitong.projects", "qitong.projects.assessment.progress"),
    ),
)
# Each item's weight is the field of ``Weights`` named after it (a test checks both lists agree).
ITEM_KEYS = tuple(item.key for item in ITEMS)


@dataclass(frozen=True)
class Target:
    """A target of seed 000: ``part`` / ``whole`` at least ``threshold``."""

    key: str
    label: str
    part: str
    whole: str
    threshold: float

    @property
    def threshold_percent(self):
        return round(100 * self.threshold)

    def lost_lists(self):
        return (self.whole,), (self.part,)


TARGETS = (
    Target(
        "general_on_time",
        _("一般事项限时办结率"),
        "general_resolved_on_time",
        "general_received",
        1.0,
    ),
    Target(
        "special_on_time",
        _("特殊事项和多部门共同办理事项办结率"),
        "special_resolved_on_time",
        "special_received",
        0.9,
    ),
    Target("satisfaction", _("企业满意率"), "result_satisfied", "rated", 0.9),
)
# Everything whose missing cases can be listed: the items measured from counts, and the targets.
LISTED = {
    **{item.key: item for item in ITEMS if not item.source},
    **{target.key: target for target in TARGETS},
}


# --- weights ---------------------------------------------------------------------------


def weights_in_force(period, rows=None):
    """The weights a period is scored with: the row in force on its first day (the defaults
    when there is none). ``rows``: every row, newest first, when already read."""
    first = clock.local(period.start).date()
    rows = Weights.objects.all() if rows is None else rows
    for row in rows:
        if row.valid_from <= first:
            return row
    return Weights()


# --- scores ----------------------------------------------------------------------------


@dataclass
class ItemScore:
    item: Item
    weight: int
    rate: float | None = None
    whole: int = 0
    applies: bool = False
    why_not: str = ""
    share: float = 0.0  # the points the item is worth for this unit (weights rescaled)
    points: float = 0.0
    lost: float = 0.0
    url: str = ""  # where another app lists what is behind the item

    @property
    def percent(self):
        return None if self.rate is None else round(100 * self.rate, 1)

    def as_dict(self):
        return {
            "key": self.item.key,
            "label": str(self.item.label),
            "weight": self.weight,
            "applies": self.applies,
            "rate": None if self.rate is None else round(self.rate, 4),
            "share": round(self.share, 2),
            "points": round(self.points, 2),
            "lost": round(self.lost, 2),
        }


@dataclass
class TargetResult:
    target: Target
    part: int
    whole: int

    @property
    def value(self):
        return self.part / self.whole if self.whole else None

    @property
    def percent(self):
        return None if self.value is None else round(100 * self.value, 1)

    @property
    def met(self):
        return None if self.value is None else self.value >= self.target.threshold

    def as_dict(self):
        return {
            "key": self.target.key,
            "label": str(self.target.label),
            "threshold": self.target.threshold,
            "value": None if self.value is None else round(self.value, 4),
            "met": self.met,
        }


@dataclass
class UnitResult:
    unit: str
    name: str
    counts: dict
    items: list
    targets: list
    score: float | None = None
    rank: int | None = None

    def rates(self):
        return {
            item.item.key: None if item.rate is None else round(item.rate, 4)
            for item in self.items
            if not item.item.source
        }

    def as_dict(self):
        return {
            "unit": self.unit,
            "name": self.name,
            "score": self.score,
            "rank": self.rank,
            "figures": {**self.counts, "rates": self.rates()},
            "items": [item.as_dict() for item in self.items],
            "targets": [target.as_dict() for target in self.targets],
        }


@dataclass
class Assessment:
    period: object
    weights: Weights
    results: list  # every assessed unit: ranked ones by rank, then the others by code
    counted_at: object  # when the oldest of the months' counts was taken
    settled: bool  # every month's counts final
    left_out: list = field(default_factory=list)  # (item, why) for every unit

    @property
    def left_out_text(self):
        """The items left out, with why, as one line of text."""
        return words(
            gettext("%(item)s（%(why)s）") % {"item": item.label, "why": why}
            for item, why in self.left_out
        )

    def for_units(self, codes):
        codes = set(codes)
        return [result for result in self.results if result.unit in codes]


def words(texts):
    """Texts listed as a sentence lists them (、 in Chinese)."""
    return gettext("、").join(str(text) for text in texts)


def _sum(rows):
    total = Counter()
    for row in rows:
        total.update(row)
    return {name: total.get(name, 0) for name in tally.COUNTS}


def _source(item):
    """The function measuring ``item`` in the app that gives it; None while that app is not
    installed or does not give it yet."""
    app, path = item.source
    if not apps.is_installed(app):
        return None
    try:
        return import_string(path)
    except ImportError:
        return None


def _external(period, units, weights):
    """The measures of the items other apps give, for each item whose source is there and
    that weighs something in ``period`` (an item of weight 0 is not measured at all)."""
    measured = {}
    for item in ITEMS:
        function = _source(item) if item.source and getattr(weights, item.key) else None
        if function is not None:
            measured[item.key] = function(period, units)
    return measured


def left_out(weights, external):
    """The items no unit is scored on in a period, and why."""
    out = []
    for item in ITEMS:
        if not getattr(weights, item.key):
            out.append((item, _("权重为 0")))
        elif item.source and item.key not in external:
            out.append((item, _("相关模块尚未启用")))
    return out


def score_unit(unit, counts, weights, external=None):
    """The ``UnitResult`` of one unit from its counts for the period (unranked)."""
    external = external or {}
    parts = []
    for item in ITEMS:
        part = ItemScore(item, weight=getattr(weights, item.key))
        if item.source:
            measure = external.get(item.key, {}).get(unit.code) if item.key in external else None
            if item.key not in external:
                part.why_not = _("权重为 0") if not part.weight else _("相关模块尚未启用")
            elif measure is None or not measure[1]:
                part.why_not = _("本期无此项")
            else:
                done, whole, part.url = measure
                part.rate, part.whole = min(done / whole, 1.0), whole
        else:
            part.rate, part.whole = item.rate(counts)
            if part.rate is None:
                part.why_not = _("本期无此项")
        if part.rate is not None and not part.weight:
            part.why_not = _("权重为 0")
        part.applies = part.rate is not None and part.weight > 0
        parts.append(part)
    total = sum(part.weight for part in parts if part.applies)
    score = None
    if total:
        for part in parts:
            if part.applies:
                part.share = 100 * part.weight / total
                part.points = part.share * part.rate
                part.lost = part.share - part.points
        score = round(sum(part.points for part in parts), 2)
    targets = [
        TargetResult(target, counts.get(target.part, 0), counts.get(target.whole, 0))
        for target in TARGETS
    ]
    return UnitResult(unit.code, unit.name, counts, parts, targets, score=score)


def rank(results):
    """Give each scored result its rank (equal scores share one); returns them in rank order."""
    scored = sorted(
        (result for result in results if result.score is not None),
        key=lambda result: (-result.score, result.unit),
    )
    previous, place = None, 0
    for position, result in enumerate(scored, start=1):
        if result.score != previous:
            place, previous = position, result.score
        result.rank = place
    unscored = sorted((result for result in results if result.score is None), key=lambda r: r.unit)
    return scored + unscored


def _assess(period, months, rows, weights, units, external):
    """The assessment of ``period`` from the tallies ``rows`` of its ``months`` begun so far."""
    counts = {unit.code: _sum(row.units.get(unit.code, {}) for row in rows) for unit in units}
    results = rank([score_unit(unit, counts[unit.code], weights, external) for unit in units])
    return Assessment(
        period=period,
        weights=weights,
        results=results,
        counted_at=min(row.computed_at for row in rows),
        settled=len(rows) == len(period.months())
        and all(tally.final(row, end) for row, (_start, end) in zip(rows, months, strict=True)),
        left_out=left_out(weights, external),
    )


def begun(period, at):
    """The months of ``period`` that have begun by ``at`` (a period not begun is refused)."""
    return [(start, end) for start, end in period.months() if start <= at]


def assess(period, *, at):
    """Every assessed unit's score and rank for ``period``, as of ``at``."""
    units = list(assessed_units())
    months = begun(period, at)
    rows = tally.tallies(months, at=at)
    weights = weights_in_force(period)
    return _assess(period, months, rows, weights, units, _external(period, units, weights))


def year_trend(period, *, at):
    """The monthly assessments of ``period``'s year, from January to the month ``at`` is in
    (or December): ``[(month period, Assessment)]``, the months read in one go."""
    year = period.year_period()
    months = [periods.parse(key) for key in year.month_keys() if periods.parse(key).start <= at]
    rows = tally.tallies([(month.start, month.end) for month in months], at=at)
    units = list(assessed_units())
    every = list(Weights.objects.all())
    trend = []
    for month, row in zip(months, rows, strict=True):
        weights = weights_in_force(month, every)
        external = _external(month, units, weights)
        trend.append((month, _assess(month, month.months(), [row], weights, units, external)))
    return trend


# --- the cases behind lost points -------------------------------------------------------


def lost_cases(period, unit, key, *, at):
    """The appeal ids behind the points ``unit`` lost on item or target ``key`` in ``period``,
    counted now month by month as the tallies count them: ``Counter`` of id → times counted."""
    spec = LISTED[key]
    plus, minus = spec.lost_lists()
    total = Counter()
    for start, end in begun(period, at):
        lists = tally.unit_lists(start, end, units=[unit], as_of=min(at, end))[unit.code]
        found = Counter(pk for name in plus for pk in lists[name])
        found.subtract(Counter(pk for name in minus for pk in lists[name]))
        total.update(+found)
    return total
