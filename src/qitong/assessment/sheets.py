"""The ranking as a spreadsheet: one row per unit, its score, rank, items and targets.

The assessment page's export and the bulletin's .xlsx are this one sheet,
written by ``core.exports`` (text always text, numbers as numbers).
"""

from django.utils.translation import gettext as _

from qitong.assessment.scoring import ITEMS, TARGETS
from qitong.core import exports


def _percent(value):
    return None if value is None else round(100 * value, 2)


def ranking_sheet(assessment, results):
    """``write_sheet``'s arguments for ``results`` (``UnitResult``s) of ``assessment``."""
    weights = assessment.weights
    headers = [_("名次"), _("单位代码"), _("单位"), _("得分"), _("收到诉求")]
    for item in ITEMS:
        headers.append(
            _("%(item)s得分（权重 %(weight)s）")
            % {"item": item.label, "weight": getattr(weights, item.key)}
        )
    for target in TARGETS:
        headers.append(
            _("%(target)s（%%，目标 %(threshold)s%%）")
            % {"target": target.label, "threshold": round(100 * target.threshold)}
        )
        headers.append(_("%(target)s是否达标") % {"target": target.label})
    met_words = {True: _("达标"), False: _("未达标"), None: _("无此类事项")}

    def rows():
        for result in results:
            cells = [
                result.rank,
                result.unit,
                result.name,
                result.score,
                result.counts.get("received", 0),
            ]
            cells.extend(
                round(item.points, 2) if item.applies else _("不计分") for item in result.items
            )
            for target in result.targets:
                cells.extend([_percent(target.value), met_words[target.met]])
            yield cells

    return {
        "title": _("考核排名 %(period)s") % {"period": assessment.period.key},
        "headers": headers,
        "rows": rows(),
        "widths": [6, 14, 28, 8, 10, *([14] * len(ITEMS)), *([16, 10] * len(TARGETS))],
    }


def write(assessment, results):
    """The sheet in a rewound temporary file: ``(file, rows)``; the caller closes it."""
    return exports.export_to_tempfile(**ranking_sheet(assessment, results))
