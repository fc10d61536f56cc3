"""GET /api/v1/figures: a month's figures per unit, scoped to the caller."""

import datetime as dt

import pytest
import time_machine

from qitong.appeals import actions, figures
from qitong.appeals.models import MonthFigures
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


def test_the_figures_come_from_the_months_snapshot_and_equal_a_live_count(
    city, django_assert_max_num_queries
):
    appeal = city.dispatched(when=at("2026-11-02 10:00"))
    actions.sign(appeal, acting_user=city.fgw_user, at=at("2026-11-02 10:30"))
    actions.return_to_office(
        city.dispatched(city.key_company, when=at("2026-11-03 10:00"), lead="gxj"),
        acting_user=city.gxj_user,
        at=at("2026-11-03 11:00"),
        reason="不属于本单位职责",
    )
    instant = at("2026-11-20 10:00")
    start, end = figures.month(2026, 11)
    office = client_for(city.office_user)
    with time_machine.travel(instant, tick=False):
        figures.refresh_snapshots(instant)  # what the periodic job does
        with django_assert_max_num_queries(4):  # no counting: the snapshot is read
            body = office.get("/api/v1/figures?month=2026-11").json()
    assert body["counted_at"] == "2026-11-20T10:00:00+08:00"
    live = figures.unit_figures(
        start, end, units=figures.units_for_user(city.office_user), as_of=instant
    )
    assert body["results"] == [row.as_dict() for row in live]
    by_unit = {row["unit"]: row for row in body["results"]}
    assert by_unit["fgw"]["received"] == 1 and by_unit["gxj"]["returned"] == 1


def test_a_month_without_a_snapshot_is_counted_when_asked_for(city):
    city.dispatched(when=at("2026-11-02 10:00"))
    with time_machine.travel(at("2026-11-20 10:00"), tick=False):
        body = client_for(city.fgw_user).get("/api/v1/figures?month=2026-11").json()
    assert [row["received"] for row in body["results"]] == [1]
    assert MonthFigures.objects.filter(month=dt.date(2026, 11, 1)).exists()


@pytest.mark.parametrize(
    ("month", "words"),
    [
        ("2026-13", "月份应为 YYYY-MM 格式，如 2026-11。"),
        ("2026-1", "月份应为 YYYY-MM 格式，如 2026-11。"),
        ("２０２６-11", "月份应为 YYYY-MM 格式，如 2026-11。"),  # full-width digits
        ("2026-11-01", "月份应为 YYYY-MM 格式，如 2026-11。"),
        ("1999-12", "月份超出范围：应在 2000-01 至 2099-12 之间。"),
    ],
)
def test_the_api_and_the_cockpit_refuse_a_month_by_one_rule(client, city, month, words):
    response = client_for(city.office_user).get("/api/v1/figures", {"month": month})
    assert response.status_code == 400
    assert response.json()["fields"] == {"month": [words]}
    client.force_login(city.leader_user)
    page = client.get("/leader/cockpit/", {"month": month})
    assert page.status_code == 400
    assert words in page.content.decode()
