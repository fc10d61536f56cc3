"""The unit workbench: my cases by tab, ordered by what is due next."""

import datetime as dt
import re

import pytest
import time_machine

from qitong.appeals import actions
from qitong.appeals.models import Appeal, Assignment
from qitong.core.clock import SHANGHAI
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
URL = "/unit/cases/"
WHEN = at("2026-11-02 10:00")
LATER = at("2026-11-03 11:00")


def rows(page):
    """The appeal ids of the table rows, in order."""
    return [int(pk) for pk in re.findall(r'data-testid="row-(\d+)"', page)]


def row(page, pk):
    match = re.search(rf'data-testid="row-{pk}">(.*?)</tr>', page, re.S)
    assert match, f"no row for appeal {pk}"
    return match.group(1)


def counts(page):
    found = re.findall(r'data-testid="tab-(\w+)".*?<span class="number">(\d+)</span>', page, re.S)
    return {key: int(number) for key, number in found}


def get(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def working_day(offset):
    """The offset-th weekday from 2026-11-02 at 10:00, Shanghai."""
    day = dt.date(2026, 11, 2)
    while offset:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            offset -= 1
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=SHANGHAI)


def next_due(appeal):
    pending = [
        appeal.contact_due if appeal.contacted_at is None else None,
        appeal.reply_due if appeal.replied_at is None else None,
        appeal.resolve_due if appeal.resolved_at is None else None,
    ]
    return min(due for due in pending if due is not None)


def test_it_lists_only_my_units_cases_in_next_deadline_order_across_pages(client, city):
    # Dispatched on shuffled days; every other one contacted, so its next
    # deadline is the reply two days later and interleaves with the others.
    mine = []
    for index, offset in enumerate([5, 0, 9, 3, 7, 1, 11, 4, 8, 2, 10, 6]):
        appeal = city.dispatched(when=working_day(offset), title=f"诉求{index}")
        actions.sign(appeal, acting_user=city.fgw_user, at=working_day(offset))
        if index % 2 == 0:
            actions.contact(
                appeal, acting_user=city.fgw_user, at=working_day(offset), note="已电话联系"
            )
        mine.append(appeal.pk)
    theirs = city.dispatched(when=WHEN, lead="zjj")
    actions.sign(theirs, acting_user=city.zjj_user, at=WHEN)
    expected = [
        appeal.pk
        for appeal in sorted(Appeal.objects.filter(pk__in=mine), key=lambda a: (next_due(a), -a.pk))
    ]
    client.force_login(city.fgw_user)

    first = get(client, tab="doing", page_size=10)
    second = get(client, tab="doing", page_size=10, page=2)

    assert rows(first) + rows(second) == expected
    assert len(rows(first)) == 10
    assert theirs.pk not in rows(first) + rows(second)
    for tab in ("sign", "co", "done", "returned"):
        assert theirs.pk not in rows(get(client, tab=tab))
    assert "答复" in row(first, expected[0]) or "联系" in row(first, expected[0])


def test_the_tabs_count_my_cases_by_where_they_stand(client, city):
    city.dispatched(when=WHEN)
    city.dispatched(when=WHEN, mode="coordinated", co=["gxj"])
    doing = city.dispatched(when=WHEN)
    actions.sign(doing, acting_user=city.fgw_user, at=WHEN)
    done = city.dispatched(when=WHEN)
    actions.sign(done, acting_user=city.fgw_user, at=WHEN)
    actions.resolve(done, acting_user=city.fgw_user, at=LATER, result="已办结")
    returned = city.dispatched(when=WHEN)
    actions.return_to_office(returned, acting_user=city.fgw_user, at=LATER, reason="不属本单位职责")
    helping = city.dispatched(when=WHEN, lead="gxj", mode="coordinated", co=["fgw"])
    city.dispatched(when=WHEN, lead="zjj")
    client.force_login(city.fgw_user)

    page = get(client)

    assert counts(page) == {"sign": 2, "doing": 1, "co": 1, "done": 1, "returned": 1}
    assert rows(get(client, tab="co")) == [helping.pk]
    assert rows(get(client, tab="done")) == [done.pk]


def test_every_tab_lists_only_cases_the_unit_may_see(city):
    """The tabs start from the unit's parts (``access``), not from ``visible_appeals``: check both agree."""
    from qitong.appeals.access import appeals_led_by_unit, appeals_with_unit_part, visible_appeals
    from qitong.appeals.views.unit import TABS, tab_queryset

    mine = [
        city.dispatched(when=WHEN),
        city.dispatched(when=WHEN, lead="gxj", mode="coordinated", co=["fgw"]),
    ]
    returned = city.dispatched(when=WHEN)
    actions.return_to_office(returned, acting_user=city.fgw_user, at=LATER, reason="不属本单位职责")
    others = [city.dispatched(when=WHEN, lead="zjj"), city.dispatched(when=WHEN, lead="gxj")]
    visible = set(visible_appeals(city.fgw_user).values_list("pk", flat=True))
    listed = set()
    for tab in TABS:
        listed |= set(tab_queryset(tab.key, city.fgw_user).values_list("pk", flat=True))
    assert listed <= visible
    assert listed == {appeal.pk for appeal in [*mine, returned]}
    assert not listed & {appeal.pk for appeal in others}
    for user in (city.office_user, city.ent_user, city.leader_user):
        assert not appeals_led_by_unit(user).exists() and not appeals_with_unit_part(user).exists()
    city.fgw_user.is_active = False
    assert not appeals_led_by_unit(city.fgw_user).exists()


def test_the_co_unit_tab_shows_my_part_with_its_own_deadline(client, city):
    appeal = city.dispatched(when=WHEN, mode="coordinated", co=["gxj"])
    part = Assignment.objects.get(appeal=appeal, unit=city.gxj, role="co")
    client.force_login(city.gxj_user)

    page = get(client, tab="co")

    assert rows(page) == [appeal.pk]
    cells = row(page, appeal.pk)
    assert part.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in cells
    assert part.due_at != appeal.contact_due
    assert f'href="/appeals/{appeal.pk}/' in cells and "协办" in cells
    assert rows(get(client, tab="sign")) == []

    actions.contribute(appeal, acting_user=city.gxj_user, at=LATER, note="已提供用地意见")
    assert rows(get(client, tab="co")) == []


def test_signing_from_the_list_moves_the_case_to_in_progress(client, city):
    appeal = city.dispatched(when=WHEN)
    client.force_login(city.fgw_user)
    page = get(client, tab="sign")
    assert f'action="/appeals/{appeal.pk}/act/sign/"' in row(page, appeal.pk)

    response = client.post(
        f"/appeals/{appeal.pk}/act/sign/", {"next": f"{URL}?tab=sign"}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"{URL}?tab=sign"
    assert "已完成：签收" in response.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == "in_progress"
    assert rows(response.content.decode()) == []
    assert rows(get(client, tab="doing")) == [appeal.pk]


def test_a_returned_case_shows_under_returned_and_offers_no_action(client, city):
    appeal = city.dispatched(when=WHEN)
    actions.return_to_office(appeal, acting_user=city.fgw_user, at=LATER, reason="不属本单位职责")
    client.force_login(city.fgw_user)

    page = get(client, tab="returned")

    assert rows(page) == [appeal.pk]
    assert "/act/" not in row(page, appeal.pk)
    assert appeal.pk not in rows(get(client, tab="sign"))
    assert appeal.pk not in rows(get(client, tab="doing"))
    detail = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "/act/" not in detail

    actions.dispatch(
        appeal, acting_user=city.office_user, at=LATER, mode="transfer", lead_unit="fgw"
    )
    assert rows(get(client, tab="returned")) == []
    assert rows(get(client, tab="sign")) == [appeal.pk]


@pytest.mark.parametrize("persona", ["office_user", "ent_user", "leader_user"])
def test_only_unit_users_may_open_it(client, city, persona):
    client.force_login(getattr(city, persona))
    assert client.get(URL).status_code == 403
    client.force_login(city.fgw_user)
    assert client.get(URL).status_code == 200  # the 403 was the role gate, not a missing page


def test_anonymous_users_are_sent_to_log_in(client, city):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("tab", ["sign", "doing", "co", "done", "returned"])
def test_the_query_count_does_not_grow_with_the_page(
    client, city, tab, django_assert_max_num_queries
):
    for offset in range(12):
        when = working_day(offset)
        city.dispatched(when=when, enterprise=city.key_company)
        signed = city.dispatched(when=when)
        actions.sign(signed, acting_user=city.fgw_user, at=when)
        city.dispatched(when=when, lead="gxj", mode="coordinated", co=["fgw"])
        gone = city.dispatched(when=when)
        actions.return_to_office(gone, acting_user=city.fgw_user, at=when, reason="不属本单位职责")
        finished = city.dispatched(when=when)
        actions.sign(finished, acting_user=city.fgw_user, at=when)
        actions.resolve(finished, acting_user=city.fgw_user, at=when, result="已办结")
    client.force_login(city.fgw_user)

    # session, user, five tab counts, the search's enterprises and text index,
    # page count, page rows, office hours and one year of calendar, unread
    # messages, categories: the same for any size.
    for size in (10, 100):
        with (
            time_machine.travel(at("2026-11-20 10:00"), tick=False),
            django_assert_max_num_queries(16),
        ):
            page = get(client, tab=tab, page_size=size, q="用电")
        assert len(rows(page)) == min(size, 12)


def test_a_suspended_case_shows_the_clock_stopped_instead_of_time_left(client, city):
    suspended = city.dispatched(when=WHEN)
    running = city.dispatched(when=WHEN)
    for appeal in (suspended, running):
        actions.sign(appeal, acting_user=city.fgw_user, at=WHEN)
    actions.suspend(suspended, acting_user=city.fgw_user, at=WHEN, reason="等待企业补充材料")
    actions.approve_suspension(suspended, acting_user=city.office_user, at=WHEN)
    client.force_login(city.fgw_user)

    with time_machine.travel(at("2026-11-04 10:00"), tick=False):
        page = get(client, tab="doing")

    stopped, late = row(page, suspended.pk), row(page, running.pk)
    assert "中止计时" in stopped and "个工作日" not in stopped
    assert "中止计时" not in late
    assert 'class="late">超期 1 个工作日' in late
