"""The sweep: four triggers, escalation up the ladder, urging in office hours, idempotence."""

import json

import pytest
import time_machine
from django.core.management import call_command

from qitong.appeals import actions, sweep
from qitong.appeals.models import Category, EscalationStep, Event, Supervision
from qitong.core.models import CalendarDay
from qitong.core.workdays import WorkCalendar
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.notify.models import Message
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
MONDAY = at("2026-11-02 10:00")


def _triggers(appeal):
    return sorted(appeal.supervisions.values_list("trigger", flat=True))


def test_a_major_case_is_supervised_once_accepted(city):
    waiting = city.file(when=MONDAY, major=True)
    accepted = city.file(when=MONDAY, major=True)
    actions.accept(accepted, acting_user=city.office_user, at=MONDAY)
    summary = sweep.run(at("2026-11-02 11:00"))
    assert summary["opened"]["major"] == 1
    assert _triggers(accepted) == ["major"]
    assert _triggers(waiting) == []
    assert accepted.supervisions.get().opened_at == at("2026-11-02 11:00")


def test_three_appeals_of_one_category_from_one_enterprise_within_30_days_are_supervised(city):
    land = Category.objects.get(code="factors-land")
    appeals = [city.file(when=at(f"2026-11-0{day} 10:00"), category=land) for day in (2, 3)]
    assert sweep.run(at("2026-11-04 09:00"))["opened"]["repeated"] == 0
    appeals.append(city.file(when=at("2026-11-04 10:00"), category=land))
    assert sweep.run(at("2026-11-04 11:00"))["opened"]["repeated"] == 3
    assert all(_triggers(appeal) == ["repeated"] for appeal in appeals)


def test_appeals_older_than_30_days_do_not_count_as_repeated(city):
    land = Category.objects.get(code="factors-land")
    city.file(when=at("2026-09-01 10:00"), category=land)
    city.file(when=at("2026-11-02 10:00"), category=land)
    city.file(when=at("2026-11-03 10:00"), category=land)
    assert sweep.run(at("2026-11-04 11:00"))["opened"]["repeated"] == 0


def test_five_enterprises_raising_one_category_within_7_days_are_supervised(city):
    power = Category.objects.get(code="factors-power")
    companies = [city.company, city.key_company, city.other_company] + [
        Enterprise.objects.create(
            uscc=make_uscc(f"91370102MA3C0001{n}"),
            name=f"济南第{n}企业有限公司",
            region=city.lixia,
            industry="C3989",
        )
        for n in (4, 5)
    ]
    for day, company in enumerate(companies[:4], start=2):
        city.file(company, when=at(f"2026-11-0{day} 10:00"), category=power)
    assert sweep.run(at("2026-11-06 09:00"))["opened"]["repeated"] == 0
    city.file(companies[4], when=at("2026-11-06 10:00"), category=power)
    assert sweep.run(at("2026-11-06 11:00"))["opened"]["repeated"] == 5


def test_less_than_a_working_day_before_the_resolve_deadline_is_near(city):
    appeal = city.dispatched(when=MONDAY)
    actions.contact(
        actions.sign(appeal, acting_user=city.fgw_user, at=MONDAY),
        acting_user=city.fgw_user,
        at=MONDAY,
        note="已联系",
    )
    actions.reply(appeal, acting_user=city.fgw_user, at=MONDAY, note="已答复")
    # Resolve deadline: Monday 23 November 10:00.
    assert sweep.run(at("2026-11-20 09:30"))["opened"]["near_deadline"] == 0
    assert sweep.run(at("2026-11-20 10:30"))["opened"]["near_deadline"] == 1
    assert _triggers(appeal) == ["near_deadline"]


def test_an_overdue_case_is_supervised_and_escalated_one_level_per_working_day(city):
    appeal = city.dispatched(when=MONDAY)  # contact due Tuesday 10:00
    summary = sweep.run(at("2026-11-03 10:30"))
    assert summary["opened"]["overdue"] == 1
    appeal.refresh_from_db()
    assert appeal.escalation_level == 1
    # One full working day after the missed contact deadline (Tuesday 10:00).
    assert sweep.run(at("2026-11-04 09:59"))["escalated"] == 0
    assert sweep.run(at("2026-11-04 10:30"))["escalated"] == 1
    appeal.refresh_from_db()
    assert appeal.escalation_level == 2
    escalations = appeal.events.filter(action="escalate").order_by("at")
    assert [(event.data["level"], event.at) for event in escalations] == [
        (1, at("2026-11-03 10:30")),
        (2, at("2026-11-04 10:30")),
    ]
    # The ladder ends with the mayor (level 4), however late the case is.
    sweep.run(at("2026-12-31 10:00"))
    appeal.refresh_from_db()
    assert appeal.escalation_level == 4
    assert Message.objects.filter(recipient=city.leader_user, kind="escalate").exists()


def test_a_suspended_case_is_not_overdue(city):
    appeal = actions.sign(city.dispatched(when=MONDAY), acting_user=city.fgw_user, at=MONDAY)
    actions.suspend(appeal, acting_user=city.fgw_user, at=MONDAY, reason="等待企业补充材料")
    actions.approve_suspension(appeal, acting_user=city.office_user, at=MONDAY)
    assert sweep.run(at("2026-11-10 10:00"))["opened"]["overdue"] == 0


def test_running_twice_for_one_instant_changes_nothing_the_second_time(city):
    city.dispatched(when=MONDAY, major=True)
    first = sweep.run(at("2026-11-04 11:00"))
    events, messages = Event.objects.count(), Message.objects.count()
    second = sweep.run(at("2026-11-04 11:00"))
    assert first["opened"] == {"major": 1, "repeated": 0, "near_deadline": 0, "overdue": 1}
    assert first["urged"] == 1 and first["escalated"] == 2
    assert second["opened"] == {"major": 0, "repeated": 0, "near_deadline": 0, "overdue": 0}
    assert second["urged"] == second["escalated"] == 0
    assert (Event.objects.count(), Message.objects.count()) == (events, messages)


def test_the_responsible_unit_is_urged_once_per_working_day_in_office_hours_only(city):
    appeal = city.dispatched(when=MONDAY)
    actions.supervise(appeal, acting_user=city.office_user, at=MONDAY, reason="领导关注")
    assert sweep.run(at("2026-11-02 20:00"))["urged"] == 0  # evening
    assert sweep.run(at("2026-11-03 09:30"))["urged"] == 1
    assert sweep.run(at("2026-11-03 15:00"))["urged"] == 0  # already today, though now overdue too
    assert sweep.run(at("2026-11-07 10:00"))["urged"] == 0  # Saturday
    assert sweep.run(at("2026-11-09 09:00"))["urged"] == 1  # Monday, at opening
    urges = Message.objects.filter(kind="urge", recipient=city.fgw_user)
    assert urges.count() == 2
    assert appeal.events.filter(action="urge").count() == 2


def test_a_dry_run_writes_nothing(city):
    city.dispatched(when=MONDAY, major=True)
    summary = sweep.run(at("2026-11-04 11:00"), dry_run=True)
    assert summary["opened"]["major"] == 1
    assert not Supervision.objects.exists()


def test_qitong_sweep_prints_a_json_summary_for_the_given_instant(city, capsys):
    city.dispatched(when=MONDAY)
    call_command("sweep", "--at", "2026-11-03T10:30+08:00")
    summary = json.loads(capsys.readouterr().out)
    assert summary["at"] == "2026-11-03T10:30:00+08:00"
    assert summary["opened"]["overdue"] == 1


def test_a_case_without_an_open_supervision_is_not_urged(city):
    city.dispatched(when=MONDAY)  # on time, not major: nothing to supervise yet
    assert sweep.run(at("2026-11-02 15:00"))["urged"] == 0


def _overdue_on_its_resolve_deadline(city):
    """Dispatched Friday 6 November, contacted and replied: only the resolve deadline can pass."""
    friday = at("2026-11-06 10:00")
    appeal = actions.sign(city.dispatched(when=friday), acting_user=city.fgw_user, at=friday)
    actions.contact(appeal, acting_user=city.fgw_user, at=friday, note="已联系")
    actions.reply(appeal, acting_user=city.fgw_user, at=friday, note="已答复")
    appeal.refresh_from_db()
    assert appeal.resolve_due == at("2026-11-27 10:00")  # a Friday
    return appeal


def test_a_weekend_day_made_a_working_day_brings_the_next_rise_forward(city):
    appeal = _overdue_on_its_resolve_deadline(city)
    assert sweep.run(at("2026-11-27 10:30"))["escalated"] == 1
    # Saturday becomes a working day after the deadline: no deadline moves, but one
    # full working day after it is now Saturday 10:00, not Monday's.
    with time_machine.travel(at("2026-11-27 18:00"), tick=False):
        CalendarDay.objects.create(
            date=at("2026-11-28 00:00").date(), kind=CalendarDay.Kind.WORKDAY
        )
        actions.recompute_deadlines_for_years([2026])
    assert sweep.run(at("2026-11-28 10:30"))["escalated"] == 1
    appeal.refresh_from_db()
    assert appeal.escalation_level == 2


def test_a_rung_added_to_the_ladder_is_climbed_by_cases_at_the_old_top(city):
    appeal = _overdue_on_its_resolve_deadline(city)
    assert sweep.run(at("2026-12-10 10:30"))["escalated"] == 4
    with time_machine.travel(at("2026-12-10 10:30"), tick=False):
        EscalationStep.objects.create(level=5, title="省级督查")
    assert sweep.run(at("2026-12-10 10:31"))["escalated"] == 1
    appeal.refresh_from_db()
    assert appeal.escalation_level == 5


def test_escalation_due_is_never_later_than_the_sweeps_own_judgement_after_any_action(city):
    """``Appeal.escalation_due`` is derived state: after every action it must be no later
    than the instant the sweep would judge the case due, or the case rises late."""
    calendar, top = WorkCalendar(), actions.ladder_top()
    office, fgw = city.office_user, city.fgw_user

    def check(appeal, when):
        appeal.refresh_from_db()
        truth = sweep.next_look(appeal, when, calendar, top)
        if truth is not None:
            assert appeal.escalation_due is not None and appeal.escalation_due <= truth
        return appeal

    appeal = check(city.dispatched(when=MONDAY), MONDAY)
    sweep.run(at("2026-11-04 10:30"))  # overdue on its contact deadline: level 2
    appeal = check(appeal, at("2026-11-04 10:30"))
    assert appeal.escalation_level == 2
    when = at("2026-11-04 11:00")
    actions.return_to_office(appeal, acting_user=fgw, at=when, reason="不属于本单位职责")
    appeal = check(appeal, when)
    assert appeal.escalation_due is None  # with the office: nothing can fall due
    actions.dispatch(appeal, acting_user=office, at=when, mode="transfer", lead_unit="fgw")
    appeal = check(appeal, when)
    assert appeal.escalation_due == appeal.contact_due
    actions.sign(appeal, acting_user=fgw, at=when)
    actions.contact(appeal, acting_user=fgw, at=when, note="已联系")
    appeal = check(appeal, when)
    assert appeal.escalation_due == appeal.reply_due
    actions.suspend(appeal, acting_user=fgw, at=when, reason="等待企业补充材料")
    actions.approve_suspension(appeal, acting_user=office, at=when)
    appeal = check(appeal, when)
    assert appeal.escalation_due is None  # the clock is stopped
    when = at("2026-11-06 10:00")
    actions.resume(appeal, acting_user=fgw, at=when)
    appeal = check(appeal, when)
    actions.reply(appeal, acting_user=fgw, at=when, note="已答复")
    actions.resolve(appeal, acting_user=fgw, at=when, result="已解决")
    appeal = check(appeal, when)
    assert appeal.escalation_due is None  # with the office for review
    actions.redo(appeal, acting_user=office, at=when, reason="请补充办理依据")
    appeal = check(appeal, when)
    assert appeal.escalation_due == appeal.resolve_due
