"""GET /api/v1/assessment: each unit's score and rank for a month, quarter or year, scoped to
the caller; a malformed or future period is a 400 naming ``period``."""

import pytest
import time_machine

from tests.appeals.conftest import at
from tests.assessment.conftest import AFTER
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _get(user, query=""):
    with time_machine.travel(at(AFTER), tick=False):
        return client_for(user).get(f"/api/v1/assessment{query}")


def test_the_office_reads_every_units_score_rank_and_figures(november, city):
    body = _get(city.office_user, "?period=2026-11").json()
    assert body["period"] == "2026-11" and body["start"] == "2026-11-01T00:00:00+08:00"
    results = {row["unit"]: row for row in body["results"]}
    assert set(results) == {"fgw", "gxj", "zjj", "lixia", "lixia-town1"}  # no offices, leaders
    assert (results["fgw"]["score"], results["fgw"]["rank"]) == (87.5, 1)
    assert (results["gxj"]["score"], results["gxj"]["rank"]) == (28.57, 2)
    assert results["zjj"]["score"] is None and results["zjj"]["rank"] is None
    figures = results["fgw"]["figures"]
    assert figures["received"] == 2 and figures["contacted_on_time"] == 1
    assert figures["rates"]["contact_on_time"] == 0.5
    assert [row["unit"] for row in body["results"][:2]] == ["fgw", "gxj"]
    assert body["weights"]["resolve_on_time"] == 20
    assert {row["key"] for row in body["left_out"]} == {"visit_coverage", "project_progress"}
    items = {row["key"]: row for row in results["fgw"]["items"]}
    assert items["contact_on_time"]["lost"] == 5.0 and items["visit_coverage"]["applies"] is False
    targets = {row["key"]: row["met"] for row in results["fgw"]["targets"]}
    assert targets == {"general_on_time": True, "special_on_time": None, "satisfaction": True}


@pytest.mark.parametrize("period", ["2026-Q4", "2026"])
def test_quarters_and_years_are_scored_too(november, city, period):
    body = _get(city.office_user, f"?period={period}").json()
    assert body["period"] == period
    fgw = next(row for row in body["results"] if row["unit"] == "fgw")
    assert fgw["score"] == 87.5 and fgw["figures"]["received"] == 2


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-Q5", "26-11", "2026-11-01", "next", "1999", "2027-01", "2027"]
)
def test_a_malformed_or_future_period_is_refused_naming_it(city, period):
    response = _get(city.office_user, f"?period={period}")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["period"]


def test_without_a_period_it_is_the_running_month(city):
    assert _get(city.office_user).json()["period"] == "2026-12"


def test_a_unit_reads_its_own_score_and_rank_only(november, city):
    body = _get(city.gxj_user, "?period=2026-11").json()
    assert [(row["unit"], row["rank"]) for row in body["results"]] == [("gxj", 2)]


def test_a_district_office_reads_its_district_and_leaders_all(november, city):
    district = _get(city.district_user, "?period=2026-11").json()["results"]
    assert {row["unit"] for row in district} == {"lixia", "lixia-town1"}
    leader = _get(city.leader_user, "?period=2026-11").json()["results"]
    assert len(leader) == 5


def test_an_enterprise_may_not_read_scores(city):
    assert _get(city.ent_user, "?period=2026-11").status_code == 403
