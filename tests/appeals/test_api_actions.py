"""Every action of the contract's table through the API: its code, its answer, its refusals."""

import pytest

from qitong.appeals.models import Appeal, Event, Request
from tests.appeals.conftest import at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {
    "id",
    "number",
    "status",
    "enterprise",
    "title",
    "content",
    "channel",
    "category",
    "major",
    "handling_mode",
    "lead_unit",
    "co_units",
    "deadlines",
    "overdue",
    "escalation_level",
    "supervisions",
    "rating",
    "events",
}


NOT_FOUND = {"error": "not_found", "message": "未找到，或您无权查看。"}


def act(user, appeal_id, action, body=None):
    return client_for(user).post(f"/api/v1/appeals/{appeal_id}/{action}", body or {}, format="json")


def ok(response, status, last_event):
    """The action answered 200 with the appeal as GET shows it, in the expected state."""
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body.keys() >= CONTRACT_FIELDS
    assert body["status"] == status
    assert body["events"][-1]["action"] == last_event
    return body


def test_it_takes_an_appeal_through_every_handling_action(city):
    filed = client_for(city.ent_user).post(
        "/api/v1/appeals",
        {
            "enterprise": city.company.uscc,
            "title": "用电增容审批缓慢",
            "content": "新厂房需要增容。",
            "channel": "web",
        },
        format="json",
    )
    assert filed.status_code == 201
    pk = filed.json()["id"]
    office, fgw, gxj, ent = city.office_user, city.fgw_user, city.gxj_user, city.ent_user

    ok(act(office, pk, "accept"), "accepted", "accept")
    body = ok(
        act(
            office,
            pk,
            "dispatch",
            {"mode": "coordinated", "lead_unit": "fgw", "co_units": ["gxj"], "complex": False},
        ),
        "dispatched",
        "dispatch",
    )
    assert body["lead_unit"] == "fgw"
    assert body["handling_mode"] == "coordinated"
    assert body["co_units"] == ["gxj"]
    assert body["co_unit_deadlines"][0]["unit"] == "gxj"
    assert body["co_unit_deadlines"][0]["contributed_at"] is None
    assert body["deadlines"]["resolve"].endswith("+08:00")

    ok(act(fgw, pk, "sign"), "in_progress", "sign")
    body = ok(act(fgw, pk, "contact", {"note": "已电话联系企业"}), "in_progress", "contact")
    assert body["events"][-1] == {
        "at": body["events"][-1]["at"],
        "actor": "fgw",
        "action": "contact",
        "note": "已电话联系企业",
        "unit": "fgw",
    }
    ok(act(fgw, pk, "reply", {"note": "已协调供电公司"}), "in_progress", "reply")
    body = ok(act(gxj, pk, "contribute", {"note": "已提供用电指标"}), "in_progress", "contribute")
    assert body["co_unit_deadlines"][0]["contributed_at"] is not None

    body = ok(act(office, pk, "supervise", {"reason": "企业多次来电"}), "in_progress", "supervise")
    assert body["supervisions"][0]["trigger"] == "manual"
    assert body["supervisions"][0]["closed_at"] is None
    body = ok(
        act(office, pk, "escalate", {"level": 1, "reason": "协调困难"}), "in_progress", "escalate"
    )
    assert body["escalation_level"] == 1

    ok(act(fgw, pk, "resolve", {"result": "已完成增容"}), "pending_review", "resolve")
    ok(act(office, pk, "redo", {"reason": "结果未附批复"}), "in_progress", "redo")
    ok(act(fgw, pk, "resolve", {"result": "已完成增容并附批复"}), "pending_review", "resolve")
    body = ok(act(office, pk, "approve"), "pending_rating", "approve")
    assert body["rating"] is None
    body = ok(
        act(
            ent,
            pk,
            "rate",
            {"process": "satisfied", "result": "unsatisfied", "comment": "电价仍偏高"},
        ),
        "pending_rating",
        "rate",
    )
    assert body["rating"]["process"] == "satisfied"
    assert body["rating"]["result"] == "unsatisfied"
    assert body["rating"]["comment"] == "电价仍偏高"
    body = ok(act(office, pk, "archive", {"reason": "电价非本次诉求范围"}), "archived", "archive")
    assert body["supervisions"][0]["closed_at"] is not None


def test_extensions_and_suspensions_go_through_the_office(city):
    appeal = city.dispatched(when=at("2026-11-02 10:00"))
    pk, office, fgw = appeal.pk, city.office_user, city.fgw_user
    body = ok(act(fgw, pk, "sign"), "in_progress", "sign")
    resolve_before = body["deadlines"]["resolve"]
    ok(act(fgw, pk, "extend", {"working_days": 2, "reason": "需现场勘查"}), "in_progress", "extend")
    body = ok(
        act(office, pk, "approve_extension", {"note": "同意"}), "in_progress", "approve_extension"
    )
    assert body["deadlines"]["resolve"] > resolve_before
    ok(
        act(fgw, pk, "extend", {"working_days": "1.5", "reason": "再需勘查"}),
        "in_progress",
        "extend",
    )
    ok(act(office, pk, "deny_extension", {"reason": "时限足够"}), "in_progress", "deny_extension")
    assert Request.objects.filter(appeal_id=pk, decision="pending").count() == 0

    ok(act(fgw, pk, "suspend", {"reason": "等待企业补交材料"}), "in_progress", "suspend")
    body = ok(act(office, pk, "approve_suspension"), "in_progress", "approve_suspension")
    assert body["suspended"] is True
    body = ok(act(fgw, pk, "resume", {"note": "材料已补齐"}), "in_progress", "resume")
    assert body["suspended"] is False
    ok(act(fgw, pk, "suspend", {"reason": "再等材料"}), "in_progress", "suspend")
    ok(
        act(office, pk, "deny_suspension", {"reason": "材料不影响办理"}),
        "in_progress",
        "deny_suspension",
    )


def test_a_satisfied_rating_archives_the_case(city):
    appeal = city.dispatched(when=at("2026-11-02 10:00"))
    for user, action, body in [
        (city.fgw_user, "sign", {}),
        (city.fgw_user, "resolve", {"result": "已办结"}),
        (city.office_user, "approve", {}),
    ]:
        assert act(user, appeal.pk, action, body).status_code == 200
    ok(
        act(
            city.ent_user,
            appeal.pk,
            "rate",
            {"process": "satisfied", "result": "basically_satisfied"},
        ),
        "archived",
        "rate",
    )


def test_the_office_rejects_an_appeal(city):
    appeal = city.file()
    ok(
        act(city.office_user, appeal.pk, "reject", {"reason": "不属于受理范围"}),
        "rejected",
        "reject",
    )


def test_a_lead_unit_returns_a_misrouted_case(city):
    appeal = city.dispatched(when=at("2026-11-02 10:00"), lead="zjj")
    body = ok(
        act(city.zjj_user, appeal.pk, "return", {"reason": "不属于本单位职责"}),
        "accepted",
        "return",
    )
    assert body["lead_unit"] is None
    assert body["handling_mode"] is None
    assert body["deadlines"] == {
        "contact": None,
        "reply": None,
        "resolve": None,
        "provisional": False,
    }
    # a unit keeps seeing the case it once had
    assert client_for(city.zjj_user).get(f"/api/v1/appeals/{appeal.pk}").status_code == 200


def test_a_refused_transition_answers_409_with_the_current_status(city):
    appeal = city.file()
    events = Event.objects.count()
    response = act(city.office_user, appeal.pk, "approve")
    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "message": "诉求当前状态为“待受理”，不能执行此操作。",
        "status": "submitted",
    }
    assert Event.objects.count() == events


def test_a_unit_trying_an_office_action_on_a_case_it_sees_gets_403(city):
    appeal = city.dispatched(when=at("2026-11-02 10:00"))
    response = act(city.fgw_user, appeal.pk, "supervise", {"reason": "自己督办自己"})
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "message": "您无权执行此操作。"}
    assert not appeal.supervisions.exists()


def test_a_unit_gets_404_for_a_case_never_dispatched_to_it(city):
    appeal = city.dispatched(when=at("2026-11-02 10:00"), lead="fgw")
    for action, body in [("sign", {}), ("contact", {"note": "x"}), ("contribute", {"note": "x"})]:
        response = act(city.gxj_user, appeal.pk, action, body)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    response = client_for(city.gxj_user).get(f"/api/v1/appeals/{appeal.pk}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert Appeal.objects.get(pk=appeal.pk).status == "dispatched"


def test_an_unknown_action_is_404(city):
    appeal = city.file()
    response = act(city.office_user, appeal.pk, "teleport")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "没有这个操作。"}


def test_an_unknown_unit_in_dispatch_is_400_and_writes_nothing(city):
    appeal = city.file()
    client_for(city.office_user).post(f"/api/v1/appeals/{appeal.pk}/accept", {}, format="json")
    events = Event.objects.count()
    response = act(
        city.office_user, appeal.pk, "dispatch", {"mode": "transfer", "lead_unit": "nosuchunit"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": "请求内容有误，请检查后重试。",
        "fields": {"lead_unit": ["单位 nosuchunit 不存在。"]},
    }
    assert Event.objects.count() == events
    assert Appeal.objects.get(pk=appeal.pk).status == "accepted"


def test_a_missing_reason_is_400_on_that_field(city):
    appeal = city.file()
    response = act(city.office_user, appeal.pk, "reject", {})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": "请求内容有误，请检查后重试。",
        "fields": {"reason": ["不能为空。"]},
    }
    assert Appeal.objects.get(pk=appeal.pk).status == "submitted"


def test_malformed_json_on_an_action_is_400_and_writes_nothing(city):
    appeal = city.file()
    events = Event.objects.count()
    response = client_for(city.office_user).post(
        f"/api/v1/appeals/{appeal.pk}/accept", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": "请求内容不是有效的 JSON。",
        "fields": {},
    }
    assert Event.objects.count() == events
    assert Appeal.objects.get(pk=appeal.pk).status == "submitted"
