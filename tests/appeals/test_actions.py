"""Each transition, and each refusal: wrong state (409), wrong actor (403), bad input (400)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.appeals import actions
from qitong.appeals.models import Appeal, Assignment, Event
from qitong.core.errors import Conflict
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
S = Appeal.Status
WHEN = at("2026-11-02 10:00")
FORBIDDEN = "您无权对该诉求执行此操作。"


def in_state(label):
    """The 409 message of an action not allowed in the state labelled ``label``."""
    return f"诉求当前状态为“{label}”，不能执行此操作。"


def test_it_rejects_an_appeal_with_a_reason_shown_to_the_enterprise(city):
    appeal = city.file(when=WHEN)
    appeal = actions.reject(appeal, acting_user=city.office_user, at=WHEN, reason="不属于涉企事项")
    assert appeal.status == S.REJECTED
    assert appeal.closed_at == WHEN
    assert appeal.events.last().note == "不属于涉企事项"


def test_it_refuses_to_accept_twice_with_the_current_state(city):
    appeal = city.file(when=WHEN)
    actions.accept(appeal, acting_user=city.office_user, at=WHEN)
    with pytest.raises(Conflict) as caught:
        actions.accept(appeal, acting_user=city.office_user, at=WHEN)
    assert caught.value.status == S.ACCEPTED
    assert caught.value.message == in_state("已受理")


def test_a_unit_may_not_accept(city):
    appeal = city.file(when=WHEN)
    with pytest.raises(PermissionDenied) as caught:
        actions.accept(appeal, acting_user=city.fgw_user, at=WHEN)
    assert caught.value.args == (FORBIDDEN,)
    assert Appeal.objects.get(pk=appeal.pk).status == S.SUBMITTED


def test_a_direct_case_is_handled_by_the_office_itself(city):
    appeal = city.dispatched(when=WHEN, mode="direct")
    assert appeal.status == S.IN_PROGRESS
    assert appeal.lead_unit == city.office
    appeal = actions.contact(appeal, acting_user=city.office_user, at=WHEN, note="已联系")
    appeal = actions.resolve(appeal, acting_user=city.office_user, at=WHEN, result="政策已解读")
    assert appeal.status == S.PENDING_REVIEW


def test_it_returns_a_misrouted_appeal_to_the_office(city):
    appeal = city.dispatched(when=WHEN)
    appeal = actions.return_to_office(
        appeal, acting_user=city.fgw_user, at=WHEN, reason="不属于本单位职责"
    )
    assert appeal.status == S.ACCEPTED
    assert appeal.lead_unit is None and appeal.resolve_due is None
    assert Assignment.objects.filter(appeal=appeal, unit=city.fgw, active=False).exists()
    # The unit still sees the case it once had.
    from qitong.appeals.access import visible_appeals

    assert visible_appeals(city.fgw_user).filter(pk=appeal.pk).exists()


def test_only_the_lead_unit_signs(city):
    appeal = city.dispatched(when=WHEN)
    with pytest.raises(PermissionDenied) as caught:
        actions.sign(appeal, acting_user=city.gxj_user, at=WHEN)
    assert caught.value.args == (FORBIDDEN,)
    appeal = actions.sign(appeal, acting_user=city.fgw_user, at=WHEN)
    assert appeal.status == S.IN_PROGRESS
    with pytest.raises(Conflict) as caught:
        actions.sign(appeal, acting_user=city.fgw_user, at=WHEN)
    assert (caught.value.status, caught.value.message) == (S.IN_PROGRESS, in_state("办理中"))


def test_contact_and_reply_record_only_the_first_time(city):
    appeal = city.dispatched(when=WHEN)
    with pytest.raises(Conflict) as caught:
        actions.contact(appeal, acting_user=city.fgw_user, at=WHEN, note="未签收不能联系")
    assert (caught.value.status, caught.value.message) == (S.DISPATCHED, in_state("已派单"))
    actions.sign(appeal, acting_user=city.fgw_user, at=WHEN)
    first, later = at("2026-11-02 11:00"), at("2026-11-03 11:00")
    actions.contact(appeal, acting_user=city.fgw_user, at=first, note="电话")
    appeal = actions.contact(appeal, acting_user=city.fgw_user, at=later, note="上门")
    assert appeal.contacted_at == first
    assert appeal.events.filter(action="contact").count() == 2


def test_a_coordinated_case_needs_co_units_and_each_contributes(city):
    appeal = city.file(when=WHEN)
    actions.accept(appeal, acting_user=city.office_user, at=WHEN)
    with pytest.raises(ValidationError) as caught:
        actions.dispatch(
            appeal, acting_user=city.office_user, at=WHEN, mode="coordinated", lead_unit="fgw"
        )
    assert caught.value.message_dict == {"co_units": ["协调办理至少需要一个协办单位。"]}
    appeal = actions.dispatch(
        appeal,
        acting_user=city.office_user,
        at=WHEN,
        mode="coordinated",
        lead_unit="fgw",
        co_units=["gxj", "zjj"],
    )
    with pytest.raises(PermissionDenied) as caught:
        actions.contribute(appeal, acting_user=city.town_user, at=WHEN, note="无关单位")
    assert caught.value.args == (FORBIDDEN,)
    actions.contribute(
        appeal, acting_user=city.gxj_user, at=at("2026-11-04 10:00"), note="工信局意见"
    )
    part = Assignment.objects.get(appeal=appeal, unit=city.gxj)
    assert part.contributed_at == at("2026-11-04 10:00")
    assert part.due_at is not None


def test_dispatch_refuses_unknown_units_and_a_lead_among_co_units(city):
    appeal = city.file(when=WHEN)
    actions.accept(appeal, acting_user=city.office_user, at=WHEN)
    for kwargs, errors in [
        ({"mode": "transfer", "lead_unit": "nope"}, {"lead_unit": ["单位 nope 不存在。"]}),
        (
            {"mode": "coordinated", "lead_unit": "fgw", "co_units": ["fgw"]},
            {"co_units": ["协办单位不能与牵头单位相同。"]},
        ),
        ({"mode": "sideways", "lead_unit": "fgw"}, {"mode": ["办理方式 sideways 无效。"]}),
        (
            {"mode": "transfer", "lead_unit": "vice-mayor"},
            {"lead_unit": ["不能派给领导，请使用升级。"]},
        ),
    ]:
        with pytest.raises(ValidationError) as caught:
            actions.dispatch(appeal, acting_user=city.office_user, at=WHEN, **kwargs)
        assert caught.value.message_dict == errors
    assert Appeal.objects.get(pk=appeal.pk).status == S.ACCEPTED
    assert not Assignment.objects.filter(appeal=appeal).exists()


def _resolved(city):
    appeal = city.dispatched(when=WHEN)
    actions.sign(appeal, acting_user=city.fgw_user, at=WHEN)
    return actions.resolve(appeal, acting_user=city.fgw_user, at=WHEN, result="已办结")


def test_the_office_sends_a_result_back_to_be_redone(city):
    appeal = actions.redo(
        _resolved(city), acting_user=city.office_user, at=WHEN, reason="答复不完整"
    )
    assert appeal.status == S.IN_PROGRESS
    assert appeal.redo_count == 1
    assert appeal.events.last().data["after_rating"] is False


def test_an_unsatisfied_rating_keeps_the_case_open_and_flags_it(city):
    appeal = actions.approve(_resolved(city), acting_user=city.office_user, at=WHEN)
    with pytest.raises(PermissionDenied) as caught:
        actions.rate(
            appeal, acting_user=city.other_user, at=WHEN, process="satisfied", result="satisfied"
        )
    assert caught.value.args == (FORBIDDEN,)
    appeal = actions.rate(
        appeal, acting_user=city.ent_user, at=WHEN, process="satisfied", result="unsatisfied"
    )
    assert appeal.status == S.PENDING_RATING
    assert appeal.unsatisfied
    with pytest.raises(Conflict) as caught:
        actions.rate(
            appeal, acting_user=city.ent_user, at=WHEN, process="satisfied", result="satisfied"
        )
    # Still pending rating, so it is the "already rated" rule that refuses, not the state.
    assert (caught.value.status, caught.value.message) == (
        S.PENDING_RATING,
        "本轮办理已评价，等待服务企业办公室处理。",
    )
    appeal = actions.redo(appeal, acting_user=city.office_user, at=WHEN, reason="企业不满意，重办")
    assert appeal.events.last().data == {"after_rating": True, "unsatisfied": True}


def test_the_office_archives_an_unreasonable_unsatisfied_rating_with_its_reason(city):
    appeal = actions.approve(_resolved(city), acting_user=city.office_user, at=WHEN)
    actions.rate(
        appeal, acting_user=city.ent_user, at=WHEN, process="unsatisfied", result="unsatisfied"
    )
    appeal = actions.archive(
        appeal, acting_user=city.office_user, at=WHEN, reason="诉求超出政策范围，已充分解释"
    )
    assert appeal.status == S.ARCHIVED


def test_a_basically_satisfied_result_archives_the_case(city):
    appeal = actions.approve(_resolved(city), acting_user=city.office_user, at=WHEN)
    appeal = actions.rate(
        appeal,
        acting_user=city.ent_user,
        at=WHEN,
        process="unsatisfied",
        result="basically_satisfied",
    )
    assert appeal.status == S.ARCHIVED


def test_rating_values_are_validated(city):
    appeal = actions.approve(_resolved(city), acting_user=city.office_user, at=WHEN)
    with pytest.raises(ValidationError) as caught:
        actions.rate(
            appeal, acting_user=city.ent_user, at=WHEN, process="great", result="satisfied"
        )
    assert caught.value.message_dict == {
        "process": ["应为 satisfied、basically_satisfied 或 unsatisfied。"]
    }


def test_escalate_raises_the_level_and_refuses_going_down(city):
    appeal = city.dispatched(when=WHEN)
    appeal = actions.escalate(
        appeal, acting_user=city.office_user, at=WHEN, level=3, reason="跨部门难题"
    )
    assert appeal.escalation_level == 3
    assert list(appeal.events.filter(action="escalate").values_list("data__level", flat=True)) == [
        1,
        2,
        3,
    ]
    refusal = {"level": ["升级级别应大于当前级别 3，且不超过 4。"]}
    with pytest.raises(ValidationError) as caught:
        actions.escalate(appeal, acting_user=city.office_user, at=WHEN, level=2, reason="降级")
    assert caught.value.message_dict == refusal
    with pytest.raises(ValidationError) as caught:
        actions.escalate(appeal, acting_user=city.office_user, at=WHEN, level=9, reason="超出阶梯")
    assert caught.value.message_dict == refusal


def test_a_policy_question_at_the_top_goes_to_the_executive_meeting(city):
    from qitong.appeals.models import Category

    appeal = city.dispatched(when=WHEN, category=Category.objects.get(code="policy"))
    actions.escalate(appeal, acting_user=city.office_user, at=WHEN, level=4, reason="政策突破")
    assert "常务会议" in appeal.events.filter(action="escalate").last().note


def test_the_office_supervises_by_hand_once_at_a_time(city):
    appeal = city.dispatched(when=WHEN)
    actions.supervise(appeal, acting_user=city.office_user, at=WHEN, reason="领导批示")
    with pytest.raises(Conflict) as caught:
        actions.supervise(appeal, acting_user=city.office_user, at=WHEN, reason="再次督办")
    assert (caught.value.status, caught.value.message) == (
        S.DISPATCHED,
        "该诉求已有进行中的人工督办。",
    )
    assert appeal.supervisions.get().trigger == "manual"


def test_a_refused_action_leaves_no_event(city):
    appeal = city.dispatched(when=WHEN)
    before = Event.objects.count()
    with pytest.raises(ValidationError) as caught:
        actions.return_to_office(appeal, acting_user=city.fgw_user, at=WHEN, reason="   ")
    assert caught.value.message_dict == {"reason": ["不能为空。"]}
    assert Event.objects.count() == before


def test_filing_refuses_empty_and_oversized_text_and_writes_nothing(city):
    for fields, errors in [
        ({"title": ""}, {"title": ["不能为空。"]}),
        ({"content": "x" * 5001}, {"content": ["不能超过 5000 个字符。"]}),
        ({"channel": "fax"}, {"channel": ["渠道 fax 无效。"]}),
    ]:
        with pytest.raises(ValidationError) as caught:
            city.file(when=WHEN, **fields)
        assert caught.value.message_dict == errors
    assert not Appeal.objects.exists()


def test_an_enterprise_files_only_for_itself(city):
    with pytest.raises(PermissionDenied) as caught:
        actions.file_appeal(
            acting_user=city.ent_user,
            enterprise=city.other_company,
            title="冒名",
            content="内容",
            channel="web",
        )
    assert caught.value.args == (FORBIDDEN,)
    assert not Appeal.objects.exists()


def test_the_same_channel_and_external_id_returns_the_first_appeal(city):
    first = city.file(when=WHEN, channel="hotline12345", external_id="12345-2026-0001")
    again, created = actions.file_appeal(
        acting_user=city.office_user,
        enterprise=city.company,
        title="重复推送",
        content="同一工单",
        channel="hotline12345",
        external_id="12345-2026-0001",
    )
    assert (again.pk, created) == (first.pk, False)
    assert Appeal.objects.count() == 1
    other_channel = city.file(when=WHEN, channel="wechat", external_id="12345-2026-0001")
    assert other_channel.pk != first.pk


def test_numbers_restart_each_year(city):
    city.file(when=at("2026-12-31 23:00"))
    assert city.file(when=at("2027-01-01 08:00")).number == "QT-2027-000001"


def test_the_pages_offer_exactly_the_actions_the_rules_allow(city):
    appeal = city.dispatched(when=WHEN)
    assert actions.available_actions(city.fgw_user, appeal) == ["sign", "return", "attach"]
    assert actions.available_actions(city.office_user, appeal) == [
        "attach",
        "supervise",
        "escalate",
        "urge",
    ]
    assert actions.available_actions(city.ent_user, appeal) == ["attach"]
    assert actions.available_actions(city.gxj_user, appeal) == []
    appeal = actions.sign(appeal, acting_user=city.fgw_user, at=WHEN)
    actions.suspend(appeal, acting_user=city.fgw_user, at=WHEN, reason="等待材料")
    assert "suspend" not in actions.available_actions(city.fgw_user, appeal)
    assert {"approve_suspension", "deny_suspension"} <= set(
        actions.available_actions(city.office_user, appeal)
    )
