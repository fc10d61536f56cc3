"""The appeal list: scope, filters, pages, the overdue flag, and a bounded number of queries."""

import pytest
import time_machine

from qitong.appeals import actions, deadlines
from qitong.appeals.models import Appeal
from tests.appeals.conftest import at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LIST_FIELDS = {"id", "number", "status", "title", "enterprise", "lead_unit", "deadlines", "overdue"}


def numbers(response):
    assert response.status_code == 200, response.json()
    return {row["number"] for row in response.json()["results"]}


def test_each_caller_lists_only_what_it_may_see(city):
    to_fgw = city.dispatched(when=at("2026-11-02 10:00"), lead="fgw")
    to_gxj = city.dispatched(city.key_company, when=at("2026-11-02 10:00"), lead="gxj")
    unsent = city.file(city.other_company)
    assert numbers(client_for(city.office_user).get("/api/v1/appeals")) == {
        to_fgw.number,
        to_gxj.number,
        unsent.number,
    }
    assert numbers(client_for(city.leader_user).get("/api/v1/appeals")) == {
        to_fgw.number,
        to_gxj.number,
        unsent.number,
    }
    assert numbers(client_for(city.fgw_user).get("/api/v1/appeals")) == {to_fgw.number}
    assert numbers(client_for(city.ent_user).get("/api/v1/appeals")) == {to_fgw.number}
    assert numbers(client_for(city.key_user).get("/api/v1/appeals")) == {to_gxj.number}
    assert numbers(client_for(city.zjj_user).get("/api/v1/appeals")) == set()


def test_a_list_row_carries_the_light_shape(city):
    city.dispatched(when=at("2026-11-02 10:00"))
    response = client_for(city.office_user).get("/api/v1/appeals")
    assert response.json()["count"] == 1
    row = response.json()["results"][0]
    assert row.keys() >= LIST_FIELDS
    assert row["lead_unit"] == "fgw"
    assert row["deadlines"]["contact"] == "2026-11-03T10:00:00+08:00"


def test_it_filters_by_status_unit_category_and_enterprise(city):
    power = city.dispatched(
        when=at("2026-11-02 10:00"), lead="fgw", category=city_category("factors-power")
    )
    loan = city.dispatched(
        city.key_company,
        when=at("2026-11-02 10:00"),
        mode="coordinated",
        lead="gxj",
        co=["zjj"],
        category=city_category("financing-loan"),
    )
    submitted = city.file(city.other_company)
    client = client_for(city.office_user)
    assert numbers(client.get("/api/v1/appeals", {"status": "submitted"})) == {submitted.number}
    assert numbers(client.get("/api/v1/appeals", {"status": "dispatched"})) == {
        power.number,
        loan.number,
    }
    assert numbers(client.get("/api/v1/appeals", {"unit": "zjj"})) == {loan.number}
    assert numbers(client.get("/api/v1/appeals", {"unit": "fgw"})) == {power.number}
    assert numbers(client.get("/api/v1/appeals", {"category": "factors"})) == {power.number}
    assert numbers(client.get("/api/v1/appeals", {"category": "financing-loan"})) == {loan.number}
    assert numbers(
        client.get("/api/v1/appeals", {"enterprise": city.key_company.uscc.lower()})
    ) == {loan.number}


def city_category(code):
    from qitong.appeals.models import Category

    return Category.objects.get(code=code)


def test_an_unknown_status_is_400(city):
    response = client_for(city.office_user).get("/api/v1/appeals", {"status": "lost"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": "请求内容有误，请检查后重试。",
        "fields": {"status": ["选择一个有效的选项。 lost 不在可用的选项中。"]},
    }


def test_overdue_is_judged_now_and_filters_the_list(city):
    late = city.dispatched(when=at("2026-11-02 10:00"))
    actions.sign(late, acting_user=city.fgw_user, at=at("2026-11-02 11:00"))
    contacted = city.dispatched(when=at("2026-11-02 10:00"))
    actions.sign(contacted, acting_user=city.fgw_user, at=at("2026-11-02 11:00"))
    actions.contact(contacted, acting_user=city.fgw_user, at=at("2026-11-02 14:00"), note="已联系")
    waiting = city.file()
    client = client_for(city.office_user)
    with time_machine.travel(at("2026-11-03 09:30"), tick=False):
        assert numbers(client.get("/api/v1/appeals", {"overdue": "true"})) == set()
    with time_machine.travel(at("2026-11-03 10:30"), tick=False):
        assert numbers(client.get("/api/v1/appeals", {"overdue": "true"})) == {late.number}
        assert numbers(client.get("/api/v1/appeals", {"overdue": "false"})) == {
            contacted.number,
            waiting.number,
        }
        assert client.get(f"/api/v1/appeals/{late.pk}").json()["overdue"] is True
        assert client.get(f"/api/v1/appeals/{contacted.pk}").json()["overdue"] is False


def test_a_suspended_case_is_not_overdue(city):
    appeal = city.dispatched(when=at("2026-11-02 10:00"))
    actions.sign(appeal, acting_user=city.fgw_user, at=at("2026-11-02 10:30"))
    actions.suspend(appeal, acting_user=city.fgw_user, at=at("2026-11-02 11:00"), reason="等材料")
    appeal = actions.approve_suspension(
        appeal, acting_user=city.office_user, at=at("2026-11-02 11:30")
    )
    assert deadlines.is_overdue(appeal, at("2026-11-20 10:00")) is False
    assert not Appeal.objects.filter(deadlines.overdue_q(at("2026-11-20 10:00"))).exists()


def test_it_pages_by_20_and_by_the_requested_size_up_to_100(city):
    for _n in range(23):
        city.file()
    client = client_for(city.office_user)
    first = client.get("/api/v1/appeals").json()
    assert first["count"] == 23
    assert len(first["results"]) == 20
    assert len(client.get("/api/v1/appeals", {"page": 2}).json()["results"]) == 3
    assert len(client.get("/api/v1/appeals", {"page_size": 5}).json()["results"]) == 5
    assert len(client.get("/api/v1/appeals", {"page_size": 500}).json()["results"]) == 23
    beyond = client.get("/api/v1/appeals", {"page": 9})
    assert beyond.status_code == 404
    assert beyond.json() == {"error": "not_found", "message": "无效页面。"}


def test_the_list_and_the_detail_take_a_bounded_number_of_queries(
    city, django_assert_max_num_queries
):
    for n in range(12):
        appeal = city.dispatched(
            when=at("2026-11-02 10:00"),
            mode="coordinated",
            lead="fgw",
            co=["gxj", "zjj"],
            category=city_category("other"),
        )
        actions.supervise(appeal, acting_user=city.office_user, reason=f"督办 {n}")
    client = client_for(city.fgw_user)
    # the token, the count of each of the unit's parts, the page's keys from each, the page's
    # rows: however many rows
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/appeals")
    assert response.json()["count"] == 12
    # the token, the appeal, then one each for co-units, supervisions, events, requests,
    # attachments; and the audit row of the contact phone's reading
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/appeals/{appeal.pk}")
    assert response.json()["co_units"] == ["gxj", "zjj"]


def test_it_filters_by_the_filing_date_in_local_time(city):
    late_monday = city.file(when=at("2026-11-02 23:30"))  # Tuesday 15:30 UTC is Monday here
    tuesday = city.file(when=at("2026-11-03 00:10"))
    wednesday = city.file(when=at("2026-11-04 09:00"))
    office = client_for(city.office_user)
    one_day = {"submitted_from": "2026-11-03", "submitted_to": "2026-11-03"}
    assert numbers(office.get("/api/v1/appeals", one_day)) == {tuesday.number}
    since = numbers(office.get("/api/v1/appeals", {"submitted_from": "2026-11-03"}))
    assert since == {tuesday.number, wednesday.number}
    until = numbers(office.get("/api/v1/appeals", {"submitted_to": "2026-11-02"}))
    assert until == {late_monday.number}

    backwards = office.get(
        "/api/v1/appeals", {"submitted_from": "2026-11-04", "submitted_to": "2026-11-03"}
    )
    assert backwards.status_code == 400
    assert backwards.json() == {
        "error": "invalid",
        "message": "请求内容有误，请检查后重试。",
        "fields": {"submitted_to": ["提交日期的结束日不能早于开始日。"]},
    }
    garbled = office.get("/api/v1/appeals", {"submitted_from": "11/03"})
    assert garbled.status_code == 400
    assert garbled.json() == {
        "error": "invalid",
        "message": "请求内容有误，请检查后重试。",
        "fields": {"submitted_from": ["输入一个有效的日期。"]},
    }


def test_a_units_unfiltered_list_is_its_visible_cases_newest_first_page_by_page(
    city, monkeypatch, django_assert_max_num_queries
):
    from qitong.appeals.access import unit_cases, visible_appeals
    from qitong.appeals.api import UnitCaseList

    led = [city.dispatched(when=at(f"2026-11-0{day} 10:00"), lead="fgw") for day in (2, 3, 4)]
    co = city.dispatched(when=at("2026-11-03 12:00"), mode="coordinated", lead="gxj", co=["fgw"])
    returned = city.dispatched(when=at("2026-11-04 09:00"), lead="fgw")
    actions.return_to_office(
        returned, acting_user=city.fgw_user, at=at("2026-11-04 10:00"), reason="不属于本单位职责"
    )
    city.dispatched(when=at("2026-11-05 10:00"), lead="gxj")  # not fgw's
    same_instant = [city.dispatched(when=at("2026-11-06 10:00"), lead="fgw") for _ in range(2)]
    expected = list(visible_appeals(city.fgw_user).values_list("number", flat=True))
    assert len(expected) == 7 and set(expected) >= {co.number, returned.number}
    # the ledger's and the filtered list's road to the same cases
    assert list(unit_cases(city.fgw_user).values_list("number", flat=True)) == expected
    assert unit_cases(city.office_user) is None
    assert {appeal.number for appeal in led + same_instant} <= set(expected)

    client = client_for(city.fgw_user)

    def pages(size):
        listed = []
        for page in range(1, -(-7 // size) + 1):
            body = client.get(f"/api/v1/appeals?page_size={size}&page={page}").json()
            assert body["count"] == 7
            listed += [row["number"] for row in body.get("results", [])]
        return listed

    assert pages(3) == expected  # merged across its parts, in the list's order (-created_at, -id)
    monkeypatch.setattr(UnitCaseList, "MANY", 1)  # a unit leading many: along the filing index
    assert pages(3) == expected
    monkeypatch.setattr(UnitCaseList, "ALONG_INDEX", 1)  # deep pages sort the unit's own cases
    assert pages(2) == expected
    with django_assert_max_num_queries(6):
        client.get("/api/v1/appeals")
