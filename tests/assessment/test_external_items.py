"""The two items other apps measure: visit coverage (visits) and project progress (projects),
each scored once the office gives it a weight."""

from decimal import Decimal

import pytest

from qitong.assessment import periods, scoring
from qitong.assessment.models import MonthTally, Weights
from qitong.projects import assessment as project_assessment
from qitong.projects.models import Project, Standing
from qitong.visits import actions as visit_actions
from qitong.visits import assessment as visit_assessment
from tests.appeals.conftest import at
from tests.assessment.conftest import AFTER

pytestmark = pytest.mark.django_db

NOVEMBER = periods.parse("2026-11")


def _weights(**items):
    values = dict.fromkeys(scoring.ITEM_KEYS, 0)
    values.update(items)
    Weights.objects.bulk_create([Weights(valid_from=at("2026-11-01 00:00").date(), **values)])


def _results(period="2026-11"):
    MonthTally.objects.all().delete()
    assessment = scoring.assess(periods.parse(period), at=at(AFTER))
    return assessment, {result.unit: result for result in assessment.results}


def _pair(city, unit, enterprise, when):
    return visit_actions.pair(
        acting_user=city.office_user, enterprise=enterprise, unit=unit, at=at(when)
    )


def _visit(city, user, enterprise, when):
    return visit_actions.record_visit(
        acting_user=user, enterprise=enterprise, answers={"orders": "正常"}, at=at(when)
    )


def test_visit_coverage_counts_the_pairings_owed_a_visit_in_the_period(city):
    # fgw's two pairings began in July: each owed its quarterly visit by the end of September.
    _pair(city, city.fgw, city.company, "2026-07-01 09:00")
    _pair(city, city.fgw, city.other_company, "2026-07-01 09:00")
    # zjj's began on 10 November: its first visit falls due in February, not in November.
    _pair(city, city.zjj, city.key_company, "2026-11-10 09:00")
    _visit(city, city.fgw_user, city.company, "2026-11-12 10:00")  # covered in November
    _visit(city, city.fgw_user, city.other_company, "2026-10-20 10:00")  # October: not November's
    found = visit_assessment.coverage(NOVEMBER, [city.fgw, city.zjj, city.gxj])
    assert set(found) == {"fgw"}  # zjj owed nothing yet, gxj is paired with no one
    covered, owed, url = found["fgw"]
    assert (covered, owed) == (1, 1)  # the October visit put the other's next one in January
    assert "visits/pairings/" in url
    # In October both were owed (due 30 September), one was visited then.
    assert visit_assessment.coverage(periods.parse("2026-10"), [city.fgw])["fgw"][:2] == (1, 2)


def test_visit_coverage_is_scored_once_it_has_a_weight(city):
    _pair(city, city.fgw, city.company, "2026-07-01 09:00")
    _pair(city, city.fgw, city.other_company, "2026-07-01 09:00")
    _visit(city, city.fgw_user, city.company, "2026-11-12 10:00")
    _assessment, results = _results()
    assert not {p.item.key: p for p in results["fgw"].items}["visit_coverage"].applies  # weight 0
    _weights(visit_coverage=50, contact_on_time=50)
    assessment, results = _results()
    items = {part.item.key: part for part in results["fgw"].items}
    assert items["visit_coverage"].applies and items["visit_coverage"].rate == 0.5
    assert items["visit_coverage"].url  # drills down to the unit's pairings
    assert "visit_coverage" not in {item.key for item, _why in assessment.left_out}
    # fgw received no case: contact does not apply, so coverage alone is the score.
    assert results["fgw"].score == 50.0


def _project(city, unit, name):
    return Project.objects.create(
        name=name,
        enterprise=city.company,
        district=city.district,
        leader=city.leader_user,
        unit=unit,
        planned_investment=Decimal("1000"),
        start_month="2026-09",
        created_at=at("2026-09-01 09:00"),
        created_by=city.office_user,
    )


def test_project_progress_is_the_share_of_project_months_on_plan(city):
    one, two = _project(city, city.fgw, "一号项目"), _project(city, city.fgw, "二号项目")
    other = _project(city, city.gxj, "三号项目")
    for project, month, status in (
        (one, "2026-10", Standing.Status.AHEAD),
        (one, "2026-11", Standing.Status.NORMAL),
        (two, "2026-11", Standing.Status.LAGGING),
        (other, "2026-11", Standing.Status.NO_PROGRESS),
    ):
        Standing.objects.create(
            project=project, month=month, expected=Decimal(100), done=Decimal(90), status=status
        )
    found = project_assessment.progress(NOVEMBER, [city.fgw, city.gxj, city.zjj])
    assert {code: value[:2] for code, value in found.items()} == {"fgw": (1, 2), "gxj": (0, 1)}
    assert "unit=fgw" in found["fgw"][2]
    quarter = project_assessment.progress(periods.parse("2026-Q4"), [city.fgw])
    assert quarter["fgw"][:2] == (2, 3)
    _weights(project_progress=100)
    _assessment, results = _results()
    assert results["fgw"].score == 50.0 and results["gxj"].score == 0.0
    assert results["zjj"].score is None  # no project, no case: nothing to score
