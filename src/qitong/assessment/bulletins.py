"""The monthly bulletin (通报): the month's city figures, the units' ranking with its chart, the
targets met and missed, as a PDF (WeasyPrint) and a spreadsheet (``sheets``).

``render`` only makes the files; ``actions.build_bulletin`` stores them as the
month's ``Bulletin`` and ``actions.publish_bulletin`` tells the units.
The PDF's fonts are Debian's CJK fonts (fonts-wqy-zenhei or fonts-noto-cjk,
installed by scripts/system-deps.sh), found by Pango through fontconfig; its
charts are SVG drawn here (``charts``), so no script runs.
"""

import datetime as dt

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML

from qitong.assessment import charts, periods, scoring, sheets
from qitong.assessment.scoring import TARGETS
from qitong.core import clock
from qitong.core.workdays import WorkCalendar

BARS_PER_CHART = 40  # a chart per page of the PDF: an SVG does not break across pages
SUMMED = (
    "received",
    "contacted_on_time",
    "replied_on_time",
    "resolved_on_time",
    "returned",
    "redo_by_office",
    "redo_after_rating",
    "supervised",
    "rated",
    "process_satisfied",
    "result_satisfied",
    "signed",
    "replied",
)


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def city_figures(results):
    """The city's counts (the sum over the assessed units) and its rates, in percent."""
    total = {name: sum(result.counts.get(name, 0) for result in results) for name in SUMMED}
    received, rated = total["received"], total["rated"]
    rates = [
        (_("按时联系率"), _percent(total["contacted_on_time"], received)),
        (_("按时答复率"), _percent(total["replied_on_time"], received)),
        (_("按时办结率"), _percent(total["resolved_on_time"], received)),
        (_("过程满意度"), _percent(total["process_satisfied"], rated)),
        (_("结果满意度"), _percent(total["result_satisfied"], rated)),
        (_("问题见面率"), _percent(total["signed"], received)),
        (_("问题反馈率"), _percent(total["replied"], received)),
    ]
    return {"total": total, "rates": rates}


def title(month):
    return _("%(month)s服务企业工作通报") % {"month": month.label}


def context(month, *, at):
    """What the bulletin of ``month`` shows, as of ``at``."""
    assessment = scoring.assess(month, at=at)
    ranked = [result for result in assessment.results if result.rank is not None]
    bars = [(result.name, result.score, result.rank) for result in ranked]
    charts_drawn = [
        charts.ranking_bars(
            bars[start : start + BARS_PER_CHART],
            title=_("单位考核得分（第 %(first)s 至 %(last)s 名）")
            % {"first": start + 1, "last": min(start + BARS_PER_CHART, len(bars))},
            warn_below=90,
        )
        for start in range(0, len(bars), BARS_PER_CHART)
    ]
    missed = [
        {
            "target": target,
            "units": scoring.words(
                _("%(unit)s（%(percent)s%%）")
                % {"unit": result.name, "percent": result.targets[index].percent}
                for result in assessment.results
                if result.targets[index].met is False
            ),
            "met": sum(1 for result in assessment.results if result.targets[index].met),
            "measured": sum(
                1 for result in assessment.results if result.targets[index].met is not None
            ),
        }
        for index, target in enumerate(TARGETS)
    ]
    return {
        "title": title(month),
        "month": month,
        "assessment": assessment,
        "ranked": [
            (
                result,
                scoring.words(t.target.label for t in result.targets if t.met is False),
            )
            for result in ranked
        ],
        "unranked": scoring.words(
            result.name for result in assessment.results if result.rank is None
        ),
        "charts": charts_drawn,
        "city": city_figures(assessment.results),
        "missed": missed,
        "items": [(item, getattr(assessment.weights, item.key)) for item in scoring.ITEMS],
        "weights": assessment.weights,
        "left_out": assessment.left_out,
        "built_at": at,
    }


def render(month, *, at):
    """``(pdf bytes, xlsx bytes)`` of the bulletin of ``month`` as of ``at``."""
    data = context(month, at=at)
    pdf = _pdf(render_to_string("assessment/bulletin.html", data))
    stream, _rows = sheets.write(data["assessment"], data["assessment"].results)
    with stream:
        xlsx = stream.read()
    return pdf, xlsx


def _pdf(html):
    return HTML(string=html).write_pdf()


def file_names(month):
    stem = _("服务企业工作通报-%(month)s") % {"month": month.key}
    return f"{stem}.pdf", f"{stem}.xlsx"


# --- when the job builds one ------------------------------------------------------------


def first_working_day(year, month, calendar):
    """The first working day of a month (by the working-day calendar)."""
    day = dt.date(year, month, 1)
    while not calendar.day(day)[0]:
        day += dt.timedelta(days=1)
    return day


def due_month(at=None, calendar=None):
    """The month whose bulletin the job builds at ``at``: the previous month, from the first
    working day of this one on; None before it."""
    at = at or clock.now()
    today = clock.local(at).date()
    calendar = calendar or WorkCalendar()
    if today < first_working_day(today.year, today.month, calendar):
        return None
    return periods.previous_month(at)
