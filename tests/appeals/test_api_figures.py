"""GET /api/v1/figures: a month's figures per unit, scoped to the caller."""

import pytest

from qitong.appeals import actions
from tests.appeals.conftest import at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_office_reads_every_units_figures_for_a_month(city):
    appeal = city.dispatched(when=at("2026-11-02 10:00"))
    actions.sign(appeal, acting_user=city.fgw_user, at=at("2026-11-02 10:00"))
    body = client_for(city.office_user).get("/api/v1/figures?month=2026-11").json()
    assert body["start"] == "2026-11-01T00:00:00+08:00"
    rows = {row["unit"]: row for row in body["results"]}
    assert {"fgw", "gxj", "lixia-town1"} <= set(rows)
    assert rows["fgw"]["received"] == 1 and rows["fgw"]["rates"]["met"] == 1.0
    assert "vice-mayor" not in rows


def test_a_unit_reads_only_its_own_and_a_district_office_its_district(city):
    assert [
        row["unit"] for row in client_for(city.fgw_user).get("/api/v1/figures").json()["results"]
    ] == ["fgw"]
    district = {
        row["unit"]
        for row in client_for(city.district_user).get("/api/v1/figures").json()["results"]
    }
    assert district == {"lixia", "lixia-office", "lixia-town1"}


def test_an_enterprise_may_not_read_figures_and_a_bad_month_is_named(city):
    assert client_for(city.ent_user).get("/api/v1/figures").status_code == 403
    response = client_for(city.office_user).get("/api/v1/figures?month=2026-13")
    assert response.status_code == 400
    assert "month" in response.json()["fields"]
