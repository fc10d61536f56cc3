"""Recording a visit: its answers, and each difficulty solved on the spot or made an appeal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.appeals.access import visible_appeals
from qitong.appeals.models import Appeal
from qitong.core.errors import Conflict
from qitong.notify.models import Message
from qitong.visits import actions
from qitong.visits.models import Difficulty, Visit
from tests.appeals.conftest import at

WHEN = at("2026-03-10 10:00")
TWO = [
    {"text": "新厂房用电增容审批缓慢"},
    {"text": "招工难，缺熟练焊工"},
    {"text": "消防验收流程不清", "solved": True, "solution": "现场讲解了验收流程"},
]


def test_an_office_visitor_files_each_difficulty_as_an_appeal_at_once(city):
    visit = city.visit(city.office_user, when=WHEN, difficulties=TWO)
    assert visit.state == Visit.State.DONE and visit.answers["orders"] == "订单同比增长一成。"
    filed = list(visit.difficulties.filter(state=Difficulty.State.FILED).select_related("appeal"))
    assert [d.text for d in filed] == ["新厂房用电增容审批缓慢", "招工难，缺熟练焊工"]
    for difficulty in filed:
        appeal = difficulty.appeal
        assert appeal.channel == Appeal.Channel.VISIT
        assert appeal.enterprise == city.company
        assert appeal.external_id == f"visit-difficulty-{difficulty.pk}"
        assert difficulty.text in appeal.content
        assert visible_appeals(city.office_user).filter(pk=appeal.pk).exists()
    solved = visit.difficulties.get(state=Difficulty.State.SOLVED)
    assert solved.appeal is None and solved.solution == "现场讲解了验收流程"


def test_a_towns_difficulties_become_appeals_at_once_in_its_name(city):
    """Not held for an office's click: the appeal enters the office's triage like any other."""
    visit = city.visit(when=WHEN, difficulties=TWO[:2])
    filed = list(visit.difficulties.order_by("pk").select_related("appeal"))
    assert {d.state for d in filed} == {Difficulty.State.FILED}
    appeals = [d.appeal for d in filed]
    assert {a.channel for a in appeals} == {Appeal.Channel.VISIT}
    assert {a.status for a in appeals} == {Appeal.Status.SUBMITTED}
    for appeal in appeals:
        submitted = appeal.events.get(action="submit")
        assert submitted.actor == city.town_user  # in the visitor's name
        assert visible_appeals(city.office_user).filter(pk=appeal.pk).exists()
    told = Message.objects.filter(kind="submit", recipient=city.office_user)
    assert told.count() == 2  # the city office hears of each, as of any new appeal
    assert not Message.objects.filter(kind="visit_difficulty").exists()


def test_a_difficulty_left_pending_by_an_earlier_rule_is_filed_by_an_office_once(city):
    visit = city.visit(when=WHEN, difficulties=[TWO[2]])  # solved on the spot: no appeal
    pending = Difficulty.objects.create(
        visit=visit,
        enterprise=visit.enterprise,
        text="厂区道路破损",
        state=Difficulty.State.PENDING,
    )
    with pytest.raises(PermissionDenied):
        actions.file_difficulty(pending, acting_user=city.town_user)
    appeal = actions.file_difficulty(pending, acting_user=city.district_user, at=WHEN)
    assert appeal.channel == "visit"
    with pytest.raises(Conflict):
        actions.file_difficulty(pending, acting_user=city.office_user)
    assert Appeal.objects.count() == 1
    assert Message.objects.filter(kind="visit_difficulty_filed", recipient=city.town_user).exists()


def test_only_a_pairer_or_an_office_in_scope_may_visit(city):
    with pytest.raises(PermissionDenied):
        city.visit(city.fgw_user, when=WHEN)  # fgw pairs another enterprise
    with pytest.raises(PermissionDenied):
        city.visit(city.ent_user, when=WHEN)
    visit = city.visit(city.leader_user, city.key_company, when=WHEN)
    assert visit.pairing == city.leader_pairing


def test_bad_input_is_refused_by_field_and_writes_nothing(city):
    with pytest.raises(ValidationError) as caught:
        city.visit(
            when=WHEN,
            answers={"nonsense": "x"},
            difficulties=[{"text": "问题", "solved": True}],
        )
    assert set(caught.value.message_dict) == {"answers", "difficulties"}
    assert "解决情况" in caught.value.message_dict["difficulties"][0]
    with pytest.raises(ValidationError) as caught:
        city.visit(when=WHEN, answers={})
    assert "answers" in caught.value.message_dict
    assert not Visit.objects.exists()


def test_a_planned_visit_is_recorded_once(city):
    import datetime as dt

    planned = actions.plan_visit(
        acting_user=city.town_user,
        enterprise=city.company,
        planned_on=dt.date(2026, 3, 12),
        at=WHEN,
    )
    assert planned.state == Visit.State.PLANNED
    done = city.visit(when=at("2026-03-12 15:00"), visit=planned)
    assert done.pk == planned.pk and done.state == Visit.State.DONE
    with pytest.raises(Conflict):
        city.visit(when=at("2026-03-12 16:00"), visit=planned)
    with pytest.raises(Conflict):
        actions.cancel_visit(planned, acting_user=city.town_user)
