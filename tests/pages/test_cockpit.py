"""The leaders' cockpit: city figures for a month, the cases behind each, ranking, trend, escalations."""

import json
import re
from html import unescape

import pytest
import time_machine

from qitong.appeals import actions, figures
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
NOW = at("2026-11-30 12:00")
MONDAY = at("2026-11-02 10:00")
CARD = re.compile(
    r'<a class="card[^"]*" href="([^"]+)" data-kind="([a-z_]+)" data-count="(\d+)">'
    r'.*?<span class="number">([^<]+)</span>',
    re.S,
)


@pytest.fixture
def month(city):
    """November 2026 in the city: six cases with every kind of outcome, one in October."""
    c = city
    fgw, gxj, zjj, town = c.fgw_user, c.gxj_user, c.zjj_user, c.town_user

    def done_on_time(appeal, user, rating=None):
        actions.sign(appeal, acting_user=user, at=MONDAY)
        actions.contact(appeal, acting_user=user, at=at("2026-11-02 15:00"), note="已联系")
        actions.reply(appeal, acting_user=user, at=at("2026-11-04 09:00"), note="已答复")
        actions.resolve(appeal, acting_user=user, at=at("2026-11-06 09:00"), result="已办结")
        if rating:
            actions.approve(appeal, acting_user=c.office_user, at=at("2026-11-06 10:00"))
            actions.rate(
                appeal,
                acting_user=c.ent_user,
                at=at("2026-11-06 11:00"),
                process=rating,
                result=rating,
            )
        return appeal

    cases = {
        "good": done_on_time(c.dispatched(when=MONDAY, title="按时办好"), fgw, "satisfied"),
        "unsatisfied": done_on_time(
            c.dispatched(when=MONDAY, lead="lixia-town1", title="企业不满意"), town, "unsatisfied"
        ),
        "zjj": done_on_time(
            c.dispatched(when=MONDAY, lead="zjj", title="住建办好"), zjj, "satisfied"
        ),
    }
    late = actions.sign(c.dispatched(when=MONDAY, title="拖延未办"), acting_user=fgw, at=MONDAY)
    actions.contact(late, acting_user=fgw, at=at("2026-11-05 10:00"), note="迟了")
    actions.reply(late, acting_user=fgw, at=at("2026-11-06 10:00"), note="迟了")
    cases["late"] = late

    returned = c.dispatched(when=MONDAY, lead="gxj", title="派错单位")
    actions.return_to_office(returned, acting_user=gxj, at=MONDAY, reason="非本单位职责")
    cases["returned"] = returned

    when = at("2026-11-25 10:00")
    up = actions.sign(
        c.dispatched(when=when, lead="gxj", title="升级到市长"), acting_user=gxj, at=when
    )
    actions.contact(up, acting_user=gxj, at=at("2026-11-25 11:00"), note="已联系")
    actions.reply(up, acting_user=gxj, at=at("2026-11-26 10:00"), note="已答复")
    actions.escalate(
        up, acting_user=c.office_user, at=at("2026-11-27 10:00"), level=3, reason="跨部门"
    )
    cases["escalated"] = up

    october = at("2026-10-12 10:00")
    earlier = actions.sign(
        c.dispatched(when=october, title="十月的事"), acting_user=fgw, at=october
    )
    actions.contact(earlier, acting_user=fgw, at=october, note="已联系")
    actions.reply(earlier, acting_user=fgw, at=october, note="已答复")
    actions.resolve(earlier, acting_user=fgw, at=october, result="已办结")
    cases["october"] = earlier
    return cases


@pytest.fixture
def leader(client, city):
    client.force_login(city.leader_user)
    with time_machine.travel(NOW, tick=False):
        yield client


def _cards(page):
    return {kind: (unescape(href), int(count)) for href, kind, count, _shown in CARD.findall(page)}


def _shown(page):
    return {kind: shown for _href, kind, _count, shown in CARD.findall(page)}


def _listed(client, href):
    """The appeal numbers on a click-through page, and the figure it says it explains."""
    page = client.get(href + "&page_size=100").content.decode()
    table = page.split('data-testid="cases"', 1)[1].split("</table>", 1)[0]
    numbers = set(re.findall(r'<a href="/appeals/\d+/">([^<]+)</a>', table))
    figure = int(re.search(r'data-testid="figure-count">(\d+)<', page).group(1))
    return numbers, figure


def test_the_cards_show_the_city_figures_of_the_month(leader, month):
    page = leader.get("/leader/cockpit/?month=2026-11").content.decode()
    counts = {kind: count for kind, (_href, count) in _cards(page).items()}
    assert counts == {
        "received": 6,
        "contact_late": 2,
        "reply_late": 2,
        "resolve_late": 3,
        "process_unsatisfied": 1,
        "unsatisfied": 1,
        "overdue_now": 1,
        "escalated": 1,
        "escalated_to_me": 1,
        "unsigned": 1,
        "not_replied": 1,
    }
    # city rates from the summed counts, not the average of the units' rates (which gives 75%)
    shown = _shown(page)
    assert (shown["contact_late"], shown["resolve_late"], shown["unsatisfied"]) == (
        "66.7%",
        "50.0%",
        "66.7%",
    )
    assert (shown["unsigned"], shown["not_replied"]) == ("83.3%", "83.3%")


def test_each_card_leads_to_exactly_the_cases_behind_it(leader, month):
    page = leader.get("/leader/cockpit/?month=2026-11").content.decode()
    n = {key: appeal.number for key, appeal in month.items()}
    expected = {
        "received": {
            n["good"],
            n["unsatisfied"],
            n["zjj"],
            n["late"],
            n["returned"],
            n["escalated"],
        },
        "contact_late": {n["late"], n["returned"]},
        "reply_late": {n["late"], n["returned"]},
        "resolve_late": {n["late"], n["returned"], n["escalated"]},
        "process_unsatisfied": {n["unsatisfied"]},
        "unsatisfied": {n["unsatisfied"]},
        "overdue_now": {n["late"]},
        "escalated": {n["escalated"]},
        "escalated_to_me": {n["escalated"]},
        "unsigned": {n["returned"]},
        "not_replied": {n["returned"]},
    }
    cards = _cards(page)
    assert set(cards) == set(expected)
    for kind, (href, count) in cards.items():
        numbers, figure = _listed(leader, href)
        assert numbers == expected[kind], kind
        assert len(numbers) == count == figure, kind


def test_a_unit_figure_in_the_ranking_leads_to_that_units_cases(leader, month):
    numbers, figure = _listed(leader, "/leader/cockpit/cases/?kind=returned&month=2026-11&unit=gxj")
    assert numbers == {month["returned"].number} and figure == 1
    numbers, _figure = _listed(
        leader, "/leader/cockpit/cases/?kind=received&month=2026-11&unit=fgw"
    )
    assert numbers == {month["good"].number, month["late"].number}
    numbers, _figure = _listed(
        leader, "/leader/cockpit/cases/?kind=received&month=2026-10&unit=fgw"
    )
    assert numbers == {month["october"].number}


def test_cases_escalated_to_the_leaders_rung_are_listed_for_the_leader(leader, month, city):
    page = leader.get("/leader/cockpit/").content.decode()
    mine = page.split('data-testid="escalated-to-me"', 1)[1].split("</table>", 1)[0]
    assert f'href="/appeals/{month["escalated"].pk}/"' in mine
    assert "3 分管副市长" in mine
    assert month["late"].number not in mine

    leader.force_login(city.office_user)  # the office is rung 1: its own list, the same case
    office_page = leader.get("/leader/cockpit/").content.decode()
    assert _cards(office_page)["escalated_to_me"][1] == 1


def test_units_are_ranked_by_resolve_on_time_rate_then_result_satisfaction(leader, month):
    page = leader.get("/leader/cockpit/?month=2026-11").content.decode()
    ranking = page.split('data-testid="ranking"', 1)[1].split("</table>", 1)[0]
    # zjj and the town resolved all on time, only zjj's enterprise was satisfied; fgw 1 of 2; gxj 0
    assert re.findall(r'<tr data-unit="([^"]+)">', ranking) == ["zjj", "lixia-town1", "fgw", "gxj"]


def test_the_trend_covers_twelve_months_ending_with_the_chosen_one(leader, month):
    page = leader.get("/leader/cockpit/?month=2026-11").content.decode()
    data = json.loads(
        re.search(
            r'<script id="trend-data" type="application/json">(.*?)</script>', page, re.S
        ).group(1)
    )
    assert [row["month"] for row in data] == [f"2025-{12}"] + [
        f"2026-{m:02d}" for m in range(1, 12)
    ]
    assert data[-1] == {
        "month": "2026-11",
        "received": 6,
        "resolved_on_time": 3,
        "resolve_percent": 50.0,
    }
    assert data[-2] == {
        "month": "2026-10",
        "received": 1,
        "resolved_on_time": 1,
        "resolve_percent": 100.0,
    }
    assert all(row["received"] == 0 and row["resolve_percent"] is None for row in data[:-2])
    assert 'id="trend-chart"' in page and "echarts.common.min.js" in page


@pytest.mark.parametrize("persona", ["ent_user", "fgw_user", "district_user"])
def test_enterprises_units_and_district_offices_get_403(client, city, persona):
    client.force_login(getattr(city, persona))
    assert client.get("/leader/cockpit/").status_code == 403
    assert client.get("/leader/cockpit/cases/?kind=received").status_code == 403


def test_the_city_office_may_read_the_cockpit(client, city):
    client.force_login(city.office_user)
    assert client.get("/leader/cockpit/").status_code == 200


def test_a_bad_month_or_kind_is_named(leader, month):
    page = leader.get("/leader/cockpit/?month=2026-13")
    assert page.status_code == 400 and "YYYY-MM" in page.content.decode()
    assert leader.get("/leader/cockpit/cases/?kind=nonsense").status_code == 400


def test_the_cockpit_needs_a_bounded_number_of_queries(
    leader, month, city, django_assert_max_num_queries
):
    for number in range(10):  # more cases must not mean more queries
        city.dispatched(when=at("2026-11-10 10:00"), title=f"批量 {number}", lead="zjj")
    figures.refresh_snapshots(NOW)  # what the periodic job has done
    # 12, and two for the overdue pairings (the rhythm table, then one count).
    with django_assert_max_num_queries(14):
        assert leader.get("/leader/cockpit/").status_code == 200
    with django_assert_max_num_queries(10):
        assert leader.get("/leader/cockpit/cases/?kind=received&month=2026-11").status_code == 200


def test_month_figures_come_from_the_snapshot_the_job_keeps_fresh(leader, month, city):
    page = leader.get("/leader/cockpit/?month=2026-11").content.decode()
    received = _cards(page)["received"][1]
    assert "月度指标统计于 2026-11-30 12:00" in page
    city.dispatched(when=at("2026-11-30 11:00"), title="刚派的")
    later = leader.get("/leader/cockpit/?month=2026-11").content.decode()
    assert _cards(later)["received"][1] == received  # the snapshot of 12:00
    href = _cards(later)["received"][0]
    assert _listed(leader, href)[1] == received + 1  # the cases behind it are counted anew

    figures.refresh_snapshots(NOW)
    page = leader.get("/leader/cockpit/?month=2026-11").content.decode()
    assert _cards(page)["received"][1] == received + 1


def test_a_snapshot_the_job_left_stale_is_counted_again_by_the_page(leader, month, city):
    leader.get("/leader/cockpit/?month=2026-11")
    city.dispatched(when=at("2026-11-30 11:00"), title="刚派的")
    with time_machine.travel(at("2026-11-30 12:16"), tick=False):  # job down for 16 minutes
        page = leader.get("/leader/cockpit/?month=2026-11").content.decode()
    assert "月度指标统计于 2026-11-30 12:16" in page
    assert _cards(page)["received"][1] == _listed(leader, _cards(page)["received"][0])[1]


def test_the_month_picker_shows_the_month_on_view(leader, month):
    page = leader.get("/leader/cockpit/").content.decode()
    assert 'name="month" value="2026-11"' in page


def test_the_cockpit_counts_the_overdue_pairings(leader, city):
    import datetime as dt

    from qitong.visits import actions as visit_actions

    visit_actions.pair(
        acting_user=city.office_user,
        enterprise=city.company,
        unit=city.town,
        at=NOW - dt.timedelta(days=8),  # a town owes a weekly visit
    )
    visit_actions.pair(
        acting_user=city.office_user, enterprise=city.key_company, unit=city.town, at=NOW
    )
    page = leader.get("/leader/cockpit/").content.decode()
    assert "1 个包联关系的调度或走访已逾期" in page
