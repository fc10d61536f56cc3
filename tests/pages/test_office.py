"""The service office's workbench: queues, search, bulk actions, export, triage and dispatch."""

import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from qitong.appeals import actions, deadlines
from qitong.appeals.models import Appeal, Category, Event, Supervision
from qitong.core import clock
from qitong.core.errors import Conflict
from qitong.core.models import ApiToken
from qitong.core.workdays import WorkCalendar
from qitong.notify.models import Message
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
S = Appeal.Status
WHEN = at("2026-11-02 10:00")  # a Monday; office hours 9:00–17:00
LATER = at("2026-11-04 10:00")  # contact deadline (Tue 10:00) passed, reply not yet


def _flash(text, level="error"):
    """A message at the top of the page, as the base template shows it."""
    role = "alert" if level == "error" else "status"
    return f'<div class="message {level}" role="{role}">{text}</div>'


def _page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _rows(page):
    return {int(pk) for pk in re.findall(r'data-testid="row-(\d+)"', page)}


def _count(page, key):
    match = re.search(
        rf'data-testid="queue-{key}"[^>]*>\s*[^<]*<span class="number">(\d+)</span>', page
    )
    return int(match.group(1))


def _signed(city, appeal, when):
    return actions.sign(appeal, acting_user=city.fgw_user, at=when)


@pytest.fixture
def queues(city):
    """One case in each queue, as of LATER."""
    cases = {"new": city.file(when=WHEN, title="新来的诉求")}
    accepted = city.file(when=WHEN, title="待派单的诉求")
    cases["accepted"] = actions.accept(accepted, acting_user=city.office_user, at=WHEN)
    # dispatched two weeks earlier, contacted and replied: only the resolve deadline is left
    early = at("2026-10-26 10:00")
    near = _signed(city, city.dispatched(when=early, title="快到期的诉求"), early)
    actions.contact(near, acting_user=city.fgw_user, at=early, note="已联系")
    actions.reply(near, acting_user=city.fgw_user, at=early, note="已答复")
    cases["near"] = near
    cases["overdue"] = city.dispatched(when=WHEN, title="未联系企业的诉求")
    supervised = city.file(when=WHEN, title="督办中的诉求")
    supervised = actions.accept(supervised, acting_user=city.office_user, at=WHEN)
    cases["supervised"] = actions.supervise(
        supervised, acting_user=city.office_user, at=WHEN, reason="领导关注"
    )
    review = _signed(city, city.dispatched(when=LATER, title="已办结的诉求"), LATER)
    cases["review"] = actions.resolve(review, acting_user=city.fgw_user, at=LATER, result="已解决")
    rated = _signed(city, city.dispatched(when=LATER, title="企业不满意的诉求"), LATER)
    rated = actions.resolve(rated, acting_user=city.fgw_user, at=LATER, result="已解决")
    rated = actions.approve(rated, acting_user=city.office_user, at=LATER)
    cases["unsatisfied"] = actions.rate(
        rated, acting_user=city.ent_user, at=LATER, process="satisfied", result="unsatisfied"
    )
    asking = _signed(city, city.dispatched(when=LATER, title="申请延期的诉求"), LATER)
    cases["requests"] = actions.extend(
        asking, acting_user=city.fgw_user, at=LATER, working_days=5, reason="需要现场核查"
    )
    return cases


def test_each_queue_shows_its_cases_with_counts(client, city, queues):
    resolve_due = queues["near"].resolve_due
    now = resolve_due - dt.timedelta(hours=2)  # under one working day before it
    assert now > LATER
    client.force_login(city.office_user)
    expected = {
        "new": {queues["new"].pk},
        "accepted": {queues["accepted"].pk, queues["supervised"].pk},
        "near": {queues["near"].pk},
        "overdue": {queues["overdue"].pk, queues["requests"].pk},
        "supervised": {queues["supervised"].pk},
        "review": {queues["review"].pk},
        "unsatisfied": {queues["unsatisfied"].pk},
        "requests": {queues["requests"].pk},
    }
    with time_machine.travel(now, tick=False):
        for key, pks in expected.items():
            page = _page(client, "/office/queues/", queue=key)
            assert _rows(page) == pks, key
            assert _count(page, key) == len(pks), key
            assert f'data-testid="queue-{key}" aria-current="true"' in page
        everything = _page(client, "/office/queues/", queue="all", page_size=50)
    assert _rows(everything) == {appeal.pk for appeal in queues.values()}


def test_overdue_and_near_follow_the_clock(client, city):
    appeal = city.dispatched(when=WHEN)
    client.force_login(city.office_user)
    with time_machine.travel(at("2026-11-02 16:00"), tick=False):
        assert _rows(_page(client, "/office/queues/", queue="overdue")) == set()
    with time_machine.travel(at("2026-11-03 10:01"), tick=False):
        page = _page(client, "/office/queues/", queue="overdue")
    assert _rows(page) == {appeal.pk}
    assert 'class="late"' in page and "超期" in page


def test_running_cases_are_sorted_by_their_next_deadline(client, city):
    later = city.dispatched(when=at("2026-11-03 10:00"), title="后派的")
    sooner = city.dispatched(when=WHEN, title="先派的")
    client.force_login(city.office_user)
    with time_machine.travel(at("2026-11-06 16:00"), tick=False):
        page = _page(client, "/office/queues/", queue="overdue")
    assert _rows(page) == {sooner.pk, later.pk}
    assert page.index(f"row-{sooner.pk}") < page.index(f"row-{later.pk}")
    assert "超期" in page


def test_all_cases_are_listed_newest_first_with_the_working_time_left(client, city):
    older = city.dispatched(when=WHEN, title="先提交的")
    newer = city.dispatched(when=at("2026-11-03 10:00"), title="后提交的")
    client.force_login(city.office_user)
    with time_machine.travel(at("2026-11-03 11:00"), tick=False):
        page = _page(client, "/office/queues/", queue="all")
    assert page.index(f"row-{newer.pk}") < page.index(f"row-{older.pk}")
    assert "剩余" in page and "按提交时间从新到旧排列" in page


def test_search_finds_by_number_enterprise_uscc_and_words(client, city):
    power = city.file(when=WHEN, title="用电增容", content="变压器容量不足")
    loan = city.file(city.key_company, when=WHEN, title="贷款贴息", content="申请技改贷款贴息")
    client.force_login(city.office_user)

    def found(q):
        return _rows(_page(client, "/office/queues/", queue="all", q=q))

    assert found(loan.number) == {loan.pk}
    assert found("重工") == {loan.pk}
    assert found(city.company.uscc.lower()) == {power.pk}
    assert found("变压器") == {power.pk}
    assert found("贷款 技改") == {loan.pk}
    assert found("贷款 变压器") == set()


def test_filters_by_category_lead_unit_and_status(client, city):
    money = Category.objects.create(code="money", name="融资")
    loans = Category.objects.create(code="loans", name="贷款", parent=money)
    by_fgw = city.dispatched(when=WHEN, category=loans)
    by_gxj = city.dispatched(when=WHEN, lead="gxj")
    waiting = city.file(when=WHEN)
    client.force_login(city.office_user)
    assert _rows(_page(client, "/office/queues/", queue="all", category="money")) == {by_fgw.pk}
    assert _rows(_page(client, "/office/queues/", queue="all", lead_unit="gxj")) == {by_gxj.pk}
    assert _rows(_page(client, "/office/queues/", queue="all", status="submitted")) == {waiting.pk}


def test_a_district_office_sees_only_its_district(client, city):
    handed = city.file(when=WHEN, title="交区里办的")
    actions.accept(handed, acting_user=city.office_user, at=WHEN)
    actions.dispatch(
        handed, acting_user=city.office_user, at=WHEN, mode="transfer", lead_unit="lixia-office"
    )
    kept = city.dispatched(when=WHEN, title="市里办的")
    client.force_login(city.district_user)
    page = _page(client, "/office/queues/", queue="all")
    assert _rows(page) == {handed.pk}
    assert _count(page, "all") == 1 and _count(page, "accepted") == 1
    # its triage offers only units of its district
    triage = _page(client, f"/office/appeals/{handed.pk}/triage/")
    assert 'value="lixia-town1"' in triage and 'value="lixia"' in triage
    assert 'value="fgw"' not in triage and 'value="lixia-office"' not in triage
    assert client.get(f"/office/appeals/{kept.pk}/triage/").status_code == 404
    # while the city office may hand a case to the district office
    client.force_login(city.office_user)
    _page(client, f"/office/appeals/{kept.pk}/triage/")  # the 404 above was the district's view
    accepted = actions.accept(city.file(when=WHEN), acting_user=city.office_user, at=WHEN)
    city_triage = _page(client, f"/office/appeals/{accepted.pk}/triage/")
    assert '<optgroup label="区县服务企业办公室">' in city_triage
    assert '<optgroup label="市直部门">' in city_triage and 'value="fgw"' in city_triage


def test_triage_accepts_then_offers_the_dispatch_form(client, city):
    appeal = city.file(when=WHEN)
    client.force_login(city.office_user)
    triage_url = f"/office/appeals/{appeal.pk}/triage/"
    page = _page(client, triage_url)
    assert appeal.content in page
    assert f'action="/appeals/{appeal.pk}/act/accept/"' in page
    assert f'action="/appeals/{appeal.pk}/act/reject/"' in page
    assert 'id="dispatch-form"' not in page
    response = client.post(f"/appeals/{appeal.pk}/act/accept/", {"next": triage_url}, follow=True)
    assert response.redirect_chain[-1][0] == triage_url
    page = response.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == S.ACCEPTED
    assert 'id="dispatch-form"' in page and "hx-get" in page
    assert f"/office/appeals/{appeal.pk}/triage/preview/" in page


def test_triage_rejects_with_a_reason(client, city):
    appeal = city.file(when=WHEN)
    client.force_login(city.office_user)
    triage_url = f"/office/appeals/{appeal.pk}/triage/"
    empty = client.post(
        f"/appeals/{appeal.pk}/act/reject/", {"next": triage_url, "reason": ""}, follow=True
    )
    assert _flash("理由：不能为空。") in empty.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == S.SUBMITTED
    page = client.post(
        f"/appeals/{appeal.pk}/act/reject/",
        {"next": triage_url, "reason": "不属于涉企事项"},
        follow=True,
    ).content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == S.REJECTED
    assert "无需分拣派单" in page


def _preview_dues(page):
    return re.findall(r'data-testid="preview-due"><time datetime="([^"]+)"', page)


def test_the_preview_shows_the_deadlines_the_dispatch_then_sets(client, city):
    appeal = city.file(city.key_company, when=WHEN)  # a key enterprise: limits halved
    actions.accept(appeal, acting_user=city.office_user, at=WHEN)
    client.force_login(city.office_user)
    choice = {"mode": "coordinated", "lead_unit": "fgw", "co_units": ["gxj"], "complex": "true"}
    with time_machine.travel(WHEN, tick=False):
        fragment = _page(client, f"/office/appeals/{appeal.pk}/triage/preview/", **choice)
        assert "重点企业时限减半" in fragment and "<html" not in fragment
        response = client.post(f"/office/appeals/{appeal.pk}/triage/", choice)
    assert response.status_code == 302 and response.url == f"/appeals/{appeal.pk}/"
    appeal = Appeal.objects.get(pk=appeal.pk)
    assert appeal.status == S.DISPATCHED and appeal.halved and appeal.complex
    co_due = appeal.assignments.get(role="co").due_at
    assert _preview_dues(fragment) == [
        clock.local(due).isoformat()
        for due in (appeal.contact_due, appeal.reply_due, appeal.resolve_due, co_due)
    ]
    # ½, 1½, 15 (30 × ½) and 5 (10 × ½) working days from Monday 10:00
    assert appeal.contact_due == at("2026-11-02 14:00")
    assert appeal.reply_due == at("2026-11-03 14:00")
    assert appeal.resolve_due == at("2026-11-23 10:00")
    assert co_due == at("2026-11-09 10:00")


def test_the_preview_follows_the_choice(client, city):
    appeal = actions.accept(city.file(when=WHEN), acting_user=city.office_user, at=WHEN)
    client.force_login(city.office_user)
    url = f"/office/appeals/{appeal.pk}/triage/preview/"
    with time_machine.travel(WHEN, tick=False):
        plain = _preview_dues(_page(client, url, mode="transfer", lead_unit="fgw"))
        hard = _preview_dues(_page(client, url, mode="transfer", lead_unit="fgw", complex="true"))
        handed = _page(client, url, mode="transfer", lead_unit="lixia-office")
        nothing = _page(client, url)
    assert plain[2].startswith("2026-11-23T10:00") and hard[2].startswith("2026-12-14T10:00")
    assert len(plain) == 3  # no co-unit deadline unless coordinated
    assert "由其派单并开始计时" in handed and "请选择办理方式" in nothing
    # the triage page renders the first preview itself
    page = _page(client, f"/office/appeals/{appeal.pk}/triage/")
    assert 'data-testid="preview-due"' in page


def test_a_bad_dispatch_is_named_in_chinese_and_writes_nothing(client, city):
    appeal = actions.accept(city.file(when=WHEN), acting_user=city.office_user, at=WHEN)
    events = Event.objects.count()
    client.force_login(city.office_user)
    url = f"/office/appeals/{appeal.pk}/triage/"
    for choice, error in [
        (
            {"mode": "transfer", "lead_unit": ""},
            '<div id="lead-unit-error" class="error">请填写单位代码。</div>',
        ),
        (
            {"mode": "coordinated", "lead_unit": "fgw"},
            '<div id="co-units-error" class="error">协调办理至少需要一个协办单位。</div>',
        ),
        (
            {"mode": "transfer", "lead_unit": "nowhere"},
            '<div id="lead-unit-error" class="error">单位 nowhere 不存在。</div>',
        ),
    ]:
        page = client.post(url, choice).content.decode()
        assert _flash("派单未成功，请按提示修改。") in page
        assert error in page
        assert page.count('class="error">') == 1, choice  # that field alone is named
    assert Appeal.objects.get(pk=appeal.pk).status == S.ACCEPTED
    assert Event.objects.count() == events


def test_the_deadline_rule_is_one_pure_function(city):
    appeal = city.dispatched(city.key_company, when=WHEN, mode="coordinated", co=["gxj"])
    due = deadlines.schedule(
        WHEN, halved=True, mode="coordinated", complex=False, calendar=WorkCalendar()
    )
    assert (due.contact.at, due.reply.at, due.resolve.at) == (
        appeal.contact_due,
        appeal.reply_due,
        appeal.resolve_due,
    )
    assert due.co_unit.at == appeal.assignments.get(role="co").due_at


def test_bulk_accept_reports_who_could_not_be_accepted(client, city):
    first, second = city.file(when=WHEN), city.file(when=WHEN)
    already = actions.accept(city.file(when=WHEN), acting_user=city.office_user, at=WHEN)
    client.force_login(city.office_user)
    response = client.post(
        "/office/queues/act/",
        {
            "action": "accept",
            "appeals": [first.pk, second.pk, already.pk],
            "next": "/office/queues/?queue=new",
        },
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/office/queues/?queue=new"
    assert (
        _flash(
            f"受理：2 件成功，1 件未能办理：{already.number}"
            "（诉求当前状态为“已受理”，不能执行此操作）",
            "warning",
        )
        in page
    )
    assert set(Appeal.objects.values_list("status", flat=True)) == {S.ACCEPTED}


def test_bulk_supervise_and_urge_take_the_shared_text(client, city):
    one, two = city.dispatched(when=WHEN), city.dispatched(when=WHEN)
    client.force_login(city.office_user)
    missing = client.post(
        "/office/queues/act/", {"action": "supervise", "appeals": [one.pk]}, follow=True
    )
    assert _flash(f"督办：0 件成功，1 件未能办理：{one.number}（理由：不能为空）") in (
        missing.content.decode()
    )
    with time_machine.travel(LATER, tick=False):
        client.post(
            "/office/queues/act/",
            {"action": "supervise", "appeals": [one.pk, two.pk], "text": "领导批示"},
        )
        page = client.post(
            "/office/queues/act/",
            {"action": "urge", "appeals": [one.pk, two.pk], "text": "本周内办结"},
            follow=True,
        ).content.decode()
    assert "2 件成功。" in page
    assert Supervision.objects.filter(trigger="manual", reason="领导批示").count() == 2
    assert Event.objects.filter(action="urge", note="本周内办结", unit=city.fgw).count() == 2
    assert Message.objects.filter(kind="urge", recipient=city.fgw_user).count() == 2


def test_bulk_approve_moves_reviewed_cases_on(client, city):
    appeal = _signed(city, city.dispatched(when=WHEN), WHEN)
    appeal = actions.resolve(appeal, acting_user=city.fgw_user, at=WHEN, result="已解决")
    client.force_login(city.office_user)
    page = client.post(
        "/office/queues/act/", {"action": "approve", "appeals": [appeal.pk]}, follow=True
    ).content.decode()
    assert "1 件成功" in page
    assert Appeal.objects.get(pk=appeal.pk).status == S.PENDING_RATING


def test_bulk_actions_never_reach_cases_the_office_cannot_see(client, city):
    handed = actions.accept(city.file(when=WHEN), acting_user=city.office_user, at=WHEN)
    actions.dispatch(
        handed, acting_user=city.office_user, at=WHEN, mode="transfer", lead_unit="lixia-office"
    )
    foreign = city.file(when=WHEN)
    client.force_login(city.district_user)
    page = client.post(
        "/office/queues/act/", {"action": "accept", "appeals": [foreign.pk]}, follow=True
    ).content.decode()
    assert _flash("受理：0 件成功，1 件未能办理：1 件未找到") in page
    assert Appeal.objects.get(pk=foreign.pk).status == S.SUBMITTED


def _export_query(page):
    href = re.search(r'href="([^"]+)" data-testid="export"', page).group(1).replace("&amp;", "&")
    parts = urlsplit(href)
    assert parts.path == "/api/v1/appeals/ledger.xlsx"
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_the_export_link_carries_the_tables_own_query_and_the_ledger_selects_its_rows(client, city):
    Category.objects.create(code="power", name="用电")
    late = city.dispatched(when=WHEN, category=Category.objects.get(code="power"))
    city.dispatched(when=WHEN)  # overdue too, in no category
    city.dispatched(when=WHEN, lead="gxj", category=Category.objects.get(code="power"))
    client.force_login(city.office_user)
    filters = {
        "category": "power",
        "lead_unit": "fgw",
        "status": "dispatched",
        "q": city.company.uscc,
    }
    with time_machine.travel(LATER, tick=False):
        page = _page(client, "/office/queues/", queue="overdue", **filters)
        query = _export_query(page)
        assert query == {**filters, "queue": "overdue"}
        assert _rows(page) == {late.pk}
        ledger = client.get("/api/v1/appeals/ledger.xlsx", query)
    assert ledger.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(ledger.streaming_content))).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [late.number]
    words = _page(client, "/office/queues/", queue="supervised", q="增容")
    assert _export_query(words) == {"queue": "supervised", "q": "增容"}
    assert _export_query(_page(client, "/office/queues/")) == {"queue": "new"}


@pytest.mark.parametrize("cases", [2, 30])
def test_the_list_page_query_count_does_not_grow_with_the_page(
    client, city, cases, django_assert_max_num_queries
):
    for number in range(cases):
        appeal = city.dispatched(when=WHEN, title=f"诉求 {number}")
        actions.supervise(appeal, acting_user=city.office_user, at=WHEN, reason="关注")
    client.force_login(city.office_user)
    with time_machine.travel(LATER, tick=False):
        client.get("/office/queues/")  # warm the session
        with django_assert_max_num_queries(20):  # 8 of them: one count per queue card
            page = _page(client, "/office/queues/", queue="all", page_size=50)
    assert len(_rows(page)) == cases


def test_others_get_403(client, city):
    appeal = city.file(when=WHEN)
    for user in (city.fgw_user, city.ent_user, city.leader_user):
        client.force_login(user)
        assert client.get("/office/queues/").status_code == 403
        assert client.get(f"/office/appeals/{appeal.pk}/triage/").status_code == 403
        assert client.get(f"/office/appeals/{appeal.pk}/triage/preview/").status_code == 403
        response = client.post("/office/queues/act/", {"action": "accept", "appeals": [appeal.pk]})
        assert response.status_code == 403
    assert Appeal.objects.get(pk=appeal.pk).status == S.SUBMITTED
    # the same pages open for the office: the 403s were the role gate, not missing pages
    client.force_login(city.office_user)
    for url in (
        "/office/queues/",
        f"/office/appeals/{appeal.pk}/triage/",
        f"/office/appeals/{appeal.pk}/triage/preview/",
    ):
        _page(client, url)
    client.logout()
    assert client.get("/office/queues/").status_code == 302


# --- the hand urge (actions.urge), as tests/appeals/test_actions.py tests actions -------


def test_the_office_urges_the_lead_unit_by_hand(city):
    appeal = city.dispatched(when=WHEN)
    actions.supervise(appeal, acting_user=city.office_user, at=WHEN, reason="领导关注")
    appeal = actions.urge(appeal, acting_user=city.office_user, at=LATER, note="请今天联系企业")
    event = appeal.events.get(action="urge")
    assert (event.unit, event.actor, event.note) == (city.fgw, city.office_user, "请今天联系企业")
    message = Message.objects.get(kind="urge", recipient=city.fgw_user)
    assert appeal.number in message.subject and "请今天联系企业" in message.body
    assert appeal.last_urged_on == dt.date(2026, 11, 4)
    assert appeal.supervisions.get().urge_count == 1


def test_an_accepted_case_urges_its_office_and_a_blank_note_gets_a_default(city):
    handed = actions.accept(city.file(when=WHEN), acting_user=city.office_user, at=WHEN)
    handed = actions.dispatch(
        handed, acting_user=city.office_user, at=WHEN, mode="transfer", lead_unit="lixia-office"
    )
    actions.urge(handed, acting_user=city.office_user, at=LATER)
    event = handed.events.get(action="urge")
    assert event.unit == city.district_office and event.note == "请抓紧办理。"


def test_the_hand_urge_counts_as_the_days_urge_for_the_sweep(city):
    from qitong.appeals import sweep

    appeal = city.dispatched(when=WHEN)
    actions.supervise(appeal, acting_user=city.office_user, at=WHEN, reason="领导关注")
    actions.urge(appeal, acting_user=city.office_user, at=at("2026-11-03 09:10"))
    assert sweep.run(at("2026-11-03 10:00"))["urged"] == 0
    assert sweep.run(at("2026-11-04 10:00"))["urged"] == 1
    assert appeal.supervisions.get(trigger="manual").urge_count == 2


def test_urge_is_refused_in_the_wrong_state_or_by_the_wrong_actor(city):
    waiting = city.file(when=WHEN)
    with pytest.raises(Conflict) as caught:
        actions.urge(waiting, acting_user=city.office_user, at=WHEN)
    assert (caught.value.status, caught.value.message) == (
        S.SUBMITTED,
        "诉求当前状态为“待受理”，不能执行此操作。",
    )
    appeal = city.dispatched(when=WHEN)
    for stranger in (city.fgw_user, city.district_user):
        with pytest.raises(PermissionDenied) as caught:
            actions.urge(appeal, acting_user=stranger, at=WHEN)
        assert caught.value.args == ("您无权对该诉求执行此操作。",)
    assert not Event.objects.filter(action="urge").exists()


def test_the_api_has_the_urge_action(city):
    appeal = city.dispatched(when=WHEN)
    _token, key = ApiToken.issue(city.office_user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = api.post(f"/api/v1/appeals/{appeal.pk}/urge", {"note": "加快"}, format="json")
    assert response.status_code == 200
    assert response.json()["events"][-1]["action"] == "urge"
    refused = api.post(f"/api/v1/appeals/{city.file(when=WHEN).pk}/urge", {}, format="json")
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "conflict",
        "message": "诉求当前状态为“待受理”，不能执行此操作。",
        "status": "submitted",
    }


def test_a_search_stops_counting_past_the_limit(client, city, monkeypatch):
    for number in range(4):
        city.file(when=WHEN, title=f"用电增容 {number}")
    city.file(when=WHEN, title="贷款贴息", content="申请技改贷款贴息")
    client.force_login(city.office_user)
    with time_machine.travel(LATER, tick=False):
        monkeypatch.setattr("qitong.appeals.views.office.SEARCH_COUNT_LIMIT", 3)
        page = _page(client, "/office/queues/", queue="all", q="增容", page_size=10)
        assert "超过 3 条，请增加搜索条件缩小范围" in page and len(_rows(page)) == 4
        monkeypatch.setattr("qitong.appeals.views.office.SEARCH_COUNT_LIMIT", 4)
        page = _page(client, "/office/queues/", queue="all", q="增容", page_size=10)
        assert "共 4 条" in page and "超过" not in page
        unsearched = _page(client, "/office/queues/", queue="all", page_size=10)
        assert "共 5 条" in unsearched


def test_a_common_word_is_searched_in_the_texts_and_finds_the_same(client, city, monkeypatch):
    common = [city.file(when=WHEN, title=f"用电增容 {n}", content="变压器") for n in range(3)]
    city.file(when=WHEN, title="贷款贴息", content="申请技改贷款贴息")
    client.force_login(city.office_user)
    with time_machine.travel(LATER, tick=False):
        by_index = _rows(_page(client, "/office/queues/", queue="all", q="增容"))
        monkeypatch.setattr("qitong.appeals.search.TEXT_MATCHES_LISTED", 2)
        by_text = _rows(_page(client, "/office/queues/", queue="all", q="增容"))
        single = _rows(_page(client, "/office/queues/", queue="all", q="贷"))
    assert by_index == by_text == {appeal.pk for appeal in common}
    assert len(single) == 1  # one character: read from the texts


def test_the_filing_date_range_filters_the_table_and_goes_into_the_export(client, city):
    early = city.file(when=WHEN)
    later = city.file(when=LATER)
    client.force_login(city.office_user)
    with time_machine.travel(LATER, tick=False):
        page = _page(
            client,
            "/office/queues/",
            queue="all",
            submitted_from="2026-11-03",
            submitted_to="2026-11-30",
        )
        assert _rows(page) == {later.pk} and early.pk not in _rows(page)
        assert "submitted_from=2026-11-03&amp;submitted_to=2026-11-30" in page
        backwards = _page(
            client,
            "/office/queues/",
            queue="all",
            submitted_from="2026-11-30",
            submitted_to="2026-11-03",
        )
    assert "提交日期的结束日不能早于开始日。" in backwards


def test_the_preview_names_each_step_as_the_case_page_does(client, city):
    appeal = actions.accept(city.file(when=WHEN), acting_user=city.office_user, at=WHEN)
    client.force_login(city.office_user)
    choice = {"mode": "coordinated", "lead_unit": "fgw", "co_units": ["gxj"]}
    with time_machine.travel(WHEN, tick=False):
        fragment = _page(client, f"/office/appeals/{appeal.pk}/triage/preview/", **choice)
    labels = re.findall(
        r'<tr><td>([^<]+)</td><td class="nowrap" data-testid="preview-due"', fragment
    )
    assert labels == ["联系企业", "答复企业", "办结", "协办单位提交意见"]
