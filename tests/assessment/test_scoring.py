"""Each scoring rule: items from the month's timeline, weights rescaled over what applies,
ranks, targets, and the cases behind every lost point."""

import pytest

from qitong.appeals import actions
from qitong.assessment import periods, scoring
from qitong.assessment.models import MonthTally, Weights
from tests.appeals.conftest import at
from tests.assessment.conftest import AFTER, DISPATCHED, finish

pytestmark = pytest.mark.django_db


def _results(period="2026-11", when=AFTER):
    """Scored from a fresh count (the stored tallies are the subject of test_tally.py)."""
    MonthTally.objects.all().delete()
    assessment = scoring.assess(periods.parse(period), at=at(when))
    return assessment, {result.unit: result for result in assessment.results}


def _items(result):
    return {part.item.key: part for part in result.items}


def test_a_unit_scores_its_items_weighted_by_the_defaults(november):
    _assessment, results = _results()
    fgw = results["fgw"]
    rates = {key: part.rate for key, part in _items(fgw).items()}
    assert rates["contact_on_time"] == 0.5 and rates["reply_on_time"] == 1.0
    assert rates["resolve_on_time"] == 1.0 and rates["process_satisfaction"] == 0.5
    assert rates["returned"] == rates["redo"] == rates["supervised"] == 1.0
    # 10×0.5 + 10 + 20 + 10 + 10 + 10 + 15×0.5 + 15 of 100
    assert fgw.score == 87.5
    assert _items(fgw)["contact_on_time"].lost == pytest.approx(5.0)
    assert _items(fgw)["process_satisfaction"].lost == pytest.approx(7.5)


def test_items_that_do_not_apply_are_left_out_and_the_weights_rescaled(november):
    assessment, results = _results()
    gxj = _items(results["gxj"])
    # gxj received one case, returned it, and had nothing rated: satisfaction does not apply.
    assert not gxj["process_satisfaction"].applies and not gxj["result_satisfaction"].applies
    # Only its returned case counts: redo and supervision are whole (20 of 70 applicable).
    assert results["gxj"].score == pytest.approx(round(100 * 20 / 70, 2))
    assert gxj["redo"].share == pytest.approx(100 * 10 / 70)
    # Visits and projects are measured by apps not installed: out for every unit, and said so.
    assert {item.key for item, _why in assessment.left_out} == {
        "visit_coverage",
        "project_progress",
    }
    assert not gxj["visit_coverage"].applies and gxj["visit_coverage"].why_not


def test_a_unit_with_nothing_to_measure_has_no_score_and_no_rank(november):
    _assessment, results = _results()
    assert results["zjj"].score is None and results["zjj"].rank is None


def test_units_are_ranked_by_score_and_equal_scores_share_a_rank(november, city):
    finish(
        city,
        city.dispatched(when=at(DISPATCHED), lead="zjj", title="同分"),
        contact="2026-11-02 15:00",
        reply="2026-11-04 09:00",
        resolve="2026-11-06 09:00",
        process="unsatisfied",
    )
    # zjj: one case, contacted on time, process unsatisfied: 100 - 15 = 85.
    assessment, results = _results()
    ranked = [(result.unit, result.score, result.rank) for result in assessment.results[:3]]
    assert ranked == [("fgw", 87.5, 1), ("zjj", 85.0, 2), ("gxj", 28.57, 3)]
    other = city.dispatched(when=at(DISPATCHED), lead="zjj", title="第二件")
    finish(
        city,
        other,
        contact="2026-11-04 09:00",
        reply="2026-11-04 10:00",
        resolve="2026-11-06 09:00",
    )
    # zjj now: contact 1/2, process 1/2: 87.5, equal to fgw; both first, gxj third.
    assessment, _results_by_unit = _results()
    assert [(r.unit, r.rank) for r in assessment.results[:3]] == [
        ("fgw", 1),
        ("zjj", 1),
        ("gxj", 3),
    ]


def test_a_period_is_scored_with_the_weights_in_force_on_its_first_day(november, db):
    Weights.objects.bulk_create(
        [
            # Bulk-created: past months cannot be set through the action any more.
            Weights(
                valid_from=at("2026-11-01 00:00").date(),
                contact_on_time=50,
                reply_on_time=0,
                resolve_on_time=0,
                returned=0,
                redo=0,
                supervised=0,
                process_satisfaction=0,
                result_satisfaction=50,
                visit_coverage=0,
                project_progress=0,
            ),
            Weights(valid_from=at("2026-12-01 00:00").date()),
        ]
    )
    assessment, results = _results()
    assert assessment.weights.valid_from.isoformat() == "2026-11-01"
    assert results["fgw"].score == 75.0  # 50 × 0.5 + 50 × 1
    # gxj: only contact applies (nothing rated): 0.
    assert results["gxj"].score == 0.0
    # The year starts in January, before either row: the defaults.
    year, _by_unit = _results("2026")
    assert year.weights.pk is None and _by_unit["fgw"].score == 87.5


def test_the_targets_of_seed_000_are_shown_met_or_missed(november, city):
    slow = city.dispatched(when=at(DISPATCHED), mode="coordinated", co=["zjj"], title="多部门")
    finish(
        city, slow, contact="2026-11-02 15:00", reply="2026-11-04 09:00", resolve="2026-11-25 09:00"
    )
    _assessment, results = _results()
    targets = {target.target.key: target for target in results["fgw"].targets}
    assert (targets["general_on_time"].part, targets["general_on_time"].whole) == (2, 2)
    assert targets["general_on_time"].met is True
    # The coordinated case was resolved after its 30 working days? No: 23 days, on time.
    assert targets["special_on_time"].whole == 1 and targets["special_on_time"].met is True
    assert targets["satisfaction"].met is True
    late = city.dispatched(when=at(DISPATCHED), complex=True, title="疑难")
    finish(
        city, late, contact="2026-11-02 15:00", reply="2026-11-04 09:00", resolve="2026-12-15 09:00"
    )
    _assessment, results = _results(when="2026-12-16 10:00")
    targets = {target.target.key: target for target in results["fgw"].targets}
    assert (targets["special_on_time"].part, targets["special_on_time"].whole) == (1, 2)
    assert targets["special_on_time"].met is False
    assert {target.target.key: target.met for target in results["gxj"].targets} == {
        "general_on_time": False,
        "special_on_time": None,
        "satisfaction": None,
    }


def test_returns_redos_and_supervisions_cost_points(city):
    redone = city.dispatched(when=at(DISPATCHED), title="重办")
    finish(
        city,
        redone,
        contact="2026-11-02 15:00",
        reply="2026-11-04 09:00",
        resolve="2026-11-06 09:00",
        process=None,
    )
    actions.redo(redone, acting_user=city.office_user, at=at("2026-11-06 10:00"), reason="未解决")
    actions.resolve(redone, acting_user=city.fgw_user, at=at("2026-11-09 09:00"), result="已补充")
    supervised = city.dispatched(when=at(DISPATCHED), title="督办")
    actions.sign(supervised, acting_user=city.fgw_user, at=at(DISPATCHED))
    actions.supervise(
        supervised, acting_user=city.office_user, at=at("2026-11-03 11:00"), reason="加快"
    )
    # A major case is supervised for what it is, not how it is handled: not charged.
    major = city.dispatched(when=at(DISPATCHED), major=True, title="重大")
    actions.open_supervisions([major], "major", at=at("2026-11-02 11:00"), reason="重大事项")
    _assessment, results = _results()
    fgw = _items(results["fgw"])
    assert fgw["redo"].rate == pytest.approx(1 - 1 / 3)
    assert fgw["supervised"].rate == pytest.approx(1 - 1 / 3)
    assert results["fgw"].counts["supervised"] == 1


def test_the_cases_behind_lost_points_are_exactly_those_counted(november, city):
    period = periods.parse("2026-11")
    lost = scoring.lost_cases(period, city.fgw, "contact_on_time", at=at(AFTER))
    assert set(lost) == {november.late.pk}
    assert set(scoring.lost_cases(period, city.fgw, "process_satisfaction", at=at(AFTER))) == {
        november.late.pk
    }
    assert set(scoring.lost_cases(period, city.gxj, "returned", at=at(AFTER))) == {
        november.misrouted.pk
    }
    assert not scoring.lost_cases(period, city.fgw, "resolve_on_time", at=at(AFTER))
    # The quarter adds its months: the same cases.
    quarter = periods.parse("2026-Q4")
    assert set(scoring.lost_cases(quarter, city.fgw, "contact_on_time", at=at(AFTER))) == {
        november.late.pk
    }


def test_a_quarter_and_a_year_add_up_their_months(november, city):
    december = city.dispatched(when=at("2026-12-01 10:00"), title="十二月")
    actions.sign(december, acting_user=city.fgw_user, at=at("2026-12-01 10:00"))
    actions.contact(december, acting_user=city.fgw_user, at=at("2026-12-01 11:00"), note="已联系")
    _assessment, quarter = _results("2026-Q4", when="2026-12-31 10:00")
    assert quarter["fgw"].counts["received"] == 3
    assert quarter["fgw"].counts["contacted_on_time"] == 2
    _assessment, year = _results("2026", when="2026-12-31 10:00")
    assert year["fgw"].counts == quarter["fgw"].counts


def test_every_item_has_its_weight_field():
    assert tuple(Weights().as_dict()) == scoring.ITEM_KEYS


def test_a_running_year_is_scored_on_its_months_begun_and_not_settled(city):
    assessment = scoring.assess(periods.parse("2027"), at=at("2027-01-15 10:00"))
    assert list(MonthTally.objects.values_list("month", flat=True)) == [
        at("2027-01-01 00:00").date()
    ]
    assert not assessment.settled and assessment.results[0].score is None
