"""Deadlines at dispatch: halving, long cases, extension cap, suspension, calendar changes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from qitong.appeals import actions
from qitong.appeals.models import Assignment
from qitong.appeals.tasks import RECOMPUTE_DEADLINES
from qitong.core import jobs
from qitong.core.errors import Conflict
from qitong.core.models import Job
from qitong.core.workdays import add_workdays, load_official_schedule, parse_schedule
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
MONDAY = at("2026-11-02 10:00")


def _signed(city, **kwargs):
    appeal = city.dispatched(when=MONDAY, **kwargs)
    return actions.sign(appeal, acting_user=city.fgw_user, at=MONDAY)


def test_a_normal_enterprise_gets_1_3_15_working_days(city):
    appeal = city.dispatched(when=MONDAY)
    assert appeal.contact_due == at("2026-11-03 10:00")
    assert appeal.reply_due == at("2026-11-05 10:00")
    assert appeal.resolve_due == at("2026-11-23 10:00")


def test_a_key_enterprise_gets_half_of_each_limit(city):
    appeal = city.dispatched(city.key_company, when=MONDAY)
    assert appeal.halved
    assert appeal.contact_due == at("2026-11-02 14:00")
    assert appeal.reply_due == at("2026-11-03 14:00")
    assert appeal.resolve_due == at("2026-11-11 14:00")


def test_complex_and_coordinated_cases_get_30_working_days(city):
    complex_case = city.dispatched(when=MONDAY, complex=True)
    coordinated = city.dispatched(when=MONDAY, mode="coordinated", co=["gxj"])
    thirty = add_workdays(MONDAY, 30).at
    assert complex_case.resolve_due == coordinated.resolve_due == thirty == at("2026-12-14 10:00")


def test_each_co_unit_has_its_own_deadline(city):
    appeal = city.dispatched(when=MONDAY, mode="coordinated", co=["gxj", "zjj"])
    dues = set(Assignment.objects.filter(appeal=appeal, role="co").values_list("due_at", flat=True))
    assert dues == {at("2026-11-16 10:00")}


def test_an_approved_extension_moves_the_resolve_deadline(city):
    appeal = _signed(city)
    actions.extend(
        appeal, acting_user=city.fgw_user, at=MONDAY, working_days=5, reason="需要现场勘验"
    )
    with pytest.raises(Conflict) as caught:
        actions.extend(
            appeal, acting_user=city.fgw_user, at=MONDAY, working_days=5, reason="再申请"
        )
    assert (caught.value.status, caught.value.message) == ("in_progress", "已有待审批的申请。")
    appeal = actions.approve_extension(appeal, acting_user=city.office_user, at=MONDAY)
    assert appeal.extension_days == Decimal(5)
    assert appeal.resolve_due == at("2026-11-30 10:00")


def test_extensions_are_capped_at_30_working_days_from_dispatch(city):
    appeal = _signed(city)
    actions.extend(
        appeal, acting_user=city.fgw_user, at=MONDAY, working_days=20, reason="需要多部门会商"
    )
    appeal = actions.approve_extension(appeal, acting_user=city.office_user, at=MONDAY)
    assert appeal.extension_days == Decimal(15)
    assert appeal.resolve_due == add_workdays(MONDAY, 30).at
    with pytest.raises(ValidationError) as caught:
        actions.extend(
            appeal, acting_user=city.fgw_user, at=MONDAY, working_days=1, reason="还要延期"
        )
    assert caught.value.message_dict == {
        "working_days": ["已达到自派单起的最长办理时限，不能再延期。"]
    }


def test_a_key_enterprises_cap_is_15_working_days(city):
    appeal = city.dispatched(city.key_company, when=MONDAY)
    actions.sign(appeal, acting_user=city.fgw_user, at=MONDAY)
    actions.extend(appeal, acting_user=city.fgw_user, at=MONDAY, working_days=10, reason="等待评审")
    appeal = actions.approve_extension(appeal, acting_user=city.office_user, at=MONDAY)
    assert appeal.extension_days == Decimal("7.5")
    assert appeal.resolve_due == add_workdays(MONDAY, 15).at


def test_a_denied_extension_changes_nothing(city):
    appeal = _signed(city)
    before = appeal.resolve_due
    actions.extend(appeal, acting_user=city.fgw_user, at=MONDAY, working_days=3, reason="理由")
    appeal = actions.deny_extension(
        appeal, acting_user=city.office_user, at=MONDAY, reason="无需延期"
    )
    assert appeal.resolve_due == before
    assert appeal.requests.get().decision == "denied"


def test_extension_days_are_validated(city):
    appeal = _signed(city)
    out_of_range = ["应为 0.5 到 30 之间、以 0.5 为单位的工作日数。"]
    for bad, messages in [
        (0, out_of_range),
        (-1, out_of_range),
        (31, out_of_range),
        ("many", ["应为工作日数，如 5 或 2.5。"]),
        (1.3, out_of_range),
    ]:
        with pytest.raises(ValidationError) as caught:
            actions.extend(
                appeal, acting_user=city.fgw_user, at=MONDAY, working_days=bad, reason="理由"
            )
        assert caught.value.message_dict == {"working_days": messages}, bad
    assert not appeal.requests.exists()


def test_suspension_stops_the_clock(city):
    appeal = _signed(city)
    before = (appeal.contact_due, appeal.resolve_due)
    actions.suspend(appeal, acting_user=city.fgw_user, at=MONDAY, reason="等待企业补充材料")
    with pytest.raises(Conflict) as caught:
        actions.resume(appeal, acting_user=city.fgw_user, at=MONDAY)
    assert (caught.value.status, caught.value.message) == ("in_progress", "诉求未处于中止状态。")
    actions.approve_suspension(appeal, acting_user=city.office_user, at=at("2026-11-03 10:00"))
    with pytest.raises(Conflict) as caught:
        actions.resolve(
            appeal, acting_user=city.fgw_user, at=at("2026-11-04 10:00"), result="中止中不能办结"
        )
    assert (caught.value.status, caught.value.message) == (
        "in_progress",
        "诉求处于中止状态，请先恢复办理。",
    )
    # Tuesday 10:00 to Thursday 10:00 is two working days.
    appeal = actions.resume(appeal, acting_user=city.fgw_user, at=at("2026-11-05 10:00"))
    assert appeal.suspended_days == Decimal(2)
    assert appeal.contact_due == add_workdays(before[0], 2).at == at("2026-11-05 10:00")
    assert appeal.resolve_due == add_workdays(before[1], 2).at == at("2026-11-25 10:00")


def test_a_span_into_an_unpublished_year_is_provisional_until_the_year_is_loaded(
    city, django_capture_on_commit_callbacks
):
    appeal = city.dispatched(when=at("2026-12-30 10:00"))
    assert appeal.provisional
    assert appeal.reply_due == at("2027-01-05 10:00")
    with django_capture_on_commit_callbacks(execute=True):
        load_official_schedule(
            2027, parse_schedule("2027-01-01,holiday,元旦\n2027-01-04,holiday,调整", 2027)
        )
    # The recomputation is a background job: queued by the change, run by a worker.
    job = Job.objects.get(kind=RECOMPUTE_DEADLINES)
    assert job.status == Job.Status.QUEUED and job.params == {"years": [2027]}
    appeal.refresh_from_db()
    assert appeal.provisional
    assert jobs.run_queued() == [job.pk]
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.done == job.total == 1
    appeal.refresh_from_db()
    assert not appeal.provisional
    assert appeal.reply_due == at("2027-01-06 10:00")
    event = appeal.events.get(action="recompute_deadlines")
    assert event.data["years"] == [2027]


def test_a_calendar_change_elsewhere_leaves_deadlines_alone(
    city, django_capture_on_commit_callbacks
):
    appeal = city.dispatched(when=MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        load_official_schedule(2030, parse_schedule("2030-01-01,holiday,元旦", 2030))
    jobs.run_queued()
    assert not appeal.events.filter(action="recompute_deadlines").exists()
    assert appeal.resolve_due - MONDAY < dt.timedelta(days=30)


def test_time_limits_set_in_the_admin_apply_to_later_dispatches_only(city, admin_client):
    from qitong.appeals.models import TimeLimits

    before = city.dispatched(when=MONDAY)
    page = admin_client.get("/admin/appeals/timelimits/", follow=True)
    assert page.status_code == 200 and "办理时限" in page.content.decode()
    form = {
        "contact_days": "1",
        "reply_days": "2",
        "resolve_days": "10",
        "long_days": "20",
        "cap_days": "25",
        "co_unit_days": "5",
        "key_factor": "0.5",
    }
    response = admin_client.post("/admin/appeals/timelimits/1/change/", form)
    assert response.status_code == 302
    assert TimeLimits.load().resolve_days == Decimal(10)
    after = city.dispatched(when=MONDAY)
    assert after.reply_due == at("2026-11-04 10:00")
    assert after.resolve_due == at("2026-11-16 10:00")
    # The earlier case keeps the limits it was dispatched with, also when recomputed.
    actions.sign(before, acting_user=city.fgw_user, at=MONDAY)
    actions.extend(before, acting_user=city.fgw_user, at=MONDAY, working_days=20, reason="会商")
    before = actions.approve_extension(before, acting_user=city.office_user, at=MONDAY)
    assert before.extension_days == Decimal(15)  # its cap is still 30


def test_time_limits_must_be_in_order(db):
    from qitong.appeals.models import TimeLimits

    limits = TimeLimits.load()
    limits.reply_days = Decimal(20)
    with pytest.raises(ValidationError) as caught:
        limits.full_clean()
    assert caught.value.message_dict == {
        "__all__": ["时限应为正数，且 联系 ≤ 答复 ≤ 办结 ≤ 疑难复杂 ≤ 含延期最长。"]
    }


def test_near_deadline_is_less_than_one_working_day_on_the_calendar(city):
    """The indexed range of ``near_deadline_q`` agrees with walking the calendar, instant by instant."""
    from qitong.appeals.deadlines import near_deadline_q
    from qitong.appeals.models import Appeal
    from qitong.core.workdays import WorkCalendar

    appeal = city.dispatched(when=at("2026-11-02 10:00"))  # resolve due Monday 23 Nov, 10:00
    calendar = WorkCalendar()
    due = Appeal.objects.get(pk=appeal.pk).resolve_due
    instants = [due - dt.timedelta(minutes=minutes) for minutes in range(0, 6 * 24 * 60, 37)]
    instants += [due - calendar.day_length, at("2026-11-20 10:00"), at("2026-11-20 10:01")]
    for instant in instants:
        near = Appeal.objects.filter(near_deadline_q(instant, calendar), pk=appeal.pk).exists()
        left = calendar.between(instant, due)[0]
        assert near == (instant < due and left < calendar.day_length), instant
