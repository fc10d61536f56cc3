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


def test_a_towns_difficulties_wait_for_the_office_which_files_them_once(city):
    visit = city.visit(when=WHEN, difficulties=TWO[:2])
    pending = list(visit.difficulties.order_by("pk"))
    assert {d.state for d in pending} == {Difficulty.State.PENDING}
    assert not Appeal.objects.exists()
    told = Message.objects.filter(kind="visit_difficulty")
    assert {m.recipient_id for m in told} >= {city.office_user.pk, city.district_user.pk}

    with pytest.raises(PermissionDenied):
        actions.file_difficulty(pending[0], acting_user=city.town_user)
    appeal = actions.file_difficulty(pending[0], acting_user=city.district_user, at=WHEN)
    assert appeal.channel == "visit"
    with pytest.raises(Conflict):
        actions.file_difficulty(pending[0], acting_user=city.office_user)
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
