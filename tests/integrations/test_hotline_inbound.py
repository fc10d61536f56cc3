"""12345 work orders in: signature, replay window, idempotency, unknown enterprises, bad input."""

import json
from datetime import timedelta

from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.integrations import signing
from qitong.integrations.models import WorkOrder
from qitong.notify.models import Message
from tests.integrations.conftest import order, push


def test_a_signed_work_order_becomes_a_hotline_appeal(api, city, hotline):
    answer = push(api, hotline, order())
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    appeal = Appeal.objects.get(pk=body["appeal_id"])
    assert body["number"] == appeal.number and body["created"] is True
    assert body["enterprise"] == {
        "uscc": city.company.uscc,
        "name": city.company.name,
        "verified": True,
    }
    assert appeal.channel == "hotline12345" and appeal.external_id == "GD-2026-000001"
    assert appeal.enterprise == city.company
    assert appeal.contact_name == "王先生" and appeal.contact_phone == "13800000000"
    assert "用电增容" in appeal.title and "工单编号: GD-2026-000001" in appeal.content
    assert appeal.events.get().actor == hotline.account
    work_order = WorkOrder.objects.get(appeal=appeal)
    assert work_order.integration == hotline and work_order.urgency == "urgent"
    assert work_order.attachments == ["https://12345.jinan.gov.cn/files/a1.jpg"]
    assert work_order.due_at == clock.local(work_order.due_at).replace(day=8, hour=17, minute=0)
    assert not work_order.new_enterprise


def test_a_retry_returns_the_same_appeal_and_writes_nothing(api, city, hotline):
    first = push(api, hotline, order()).json()
    again = push(api, hotline, order())
    assert again.status_code == 200
    assert again.json()["appeal_id"] == first["appeal_id"] and again.json()["created"] is False
    assert Appeal.objects.count() == 1 and WorkOrder.objects.count() == 1


def test_the_same_number_for_another_enterprise_is_refused(api, city, hotline):
    push(api, hotline, order())
    answer = push(api, hotline, order(uscc=city.other_company.uscc))
    assert answer.status_code == 400
    assert "work_order_no" in answer.json()["fields"]


def test_an_unknown_enterprise_is_created_unverified_and_flagged_to_the_office(api, city, hotline):
    code = make_uscc("91370102MA3C09999")
    answer = push(api, hotline, order(uscc=code, enterprise_name="济南新来科技有限公司"))
    assert answer.status_code == 201
    assert answer.json()["enterprise"] == {
        "uscc": code,
        "name": "济南新来科技有限公司",
        "verified": False,
    }
    enterprise = Enterprise.objects.get(uscc=code)
    assert not enterprise.verified
    assert WorkOrder.objects.get().new_enterprise
    flag = Message.objects.get(kind="enterprise_unverified")
    assert flag.recipient == city.office_user and "济南新来科技有限公司" in flag.subject
    # a retry neither creates a second enterprise nor flags it twice
    assert (
        push(api, hotline, order(uscc=code, enterprise_name="济南新来科技有限公司")).status_code
        == 200
    )
    assert Enterprise.objects.filter(uscc=code).count() == 1
    assert Message.objects.filter(kind="enterprise_unverified").count() == 1


def test_no_signature_or_a_wrong_one_is_refused(api, city, hotline):
    data = order()
    assert push(api, hotline, data, headers={}).status_code == 401
    assert push(api, hotline, data, secret="not-the-secret").status_code == 401
    body = json.dumps(data, ensure_ascii=False).encode()
    signed = signing.headers(hotline.secret, body, now=clock.now())
    tampered = body.replace("两个月".encode(), "三个月".encode())
    answer = push(api, hotline, data, body=tampered, headers=signed)
    assert answer.status_code == 401 and answer.json()["error"] == "unauthorized"
    hotline.active = False
    hotline.save()
    assert push(api, hotline, data).status_code == 401
    assert not Appeal.objects.exists()


def test_a_timestamp_more_than_five_minutes_off_is_refused(api, city, hotline):
    now = clock.now()
    late = push(api, hotline, order(), now=now - timedelta(minutes=5, seconds=30))
    assert late.status_code == 401 and "5 分钟" in late.json()["message"]
    early = push(api, hotline, order(), now=now + timedelta(minutes=5, seconds=30))
    assert early.status_code == 401
    assert not Appeal.objects.exists()
    assert push(api, hotline, order(), now=now - timedelta(minutes=4)).status_code == 201


def test_bad_fields_are_named_and_nothing_is_written(api, city, hotline):
    answer = push(api, hotline, order(uscc="91370102MA3C000010", content="", urgency="很急"))
    assert answer.status_code == 400
    fields = answer.json()["fields"]
    assert {"uscc", "content", "urgency"} <= set(fields)
    assert "校验位" in fields["uscc"][0]
    assert push(api, hotline, order(attachments=["not a url"])).status_code == 400
    invisible = push(api, hotline, order(content="\u200b\u2060"))
    assert invisible.status_code == 400 and "content" in invisible.json()["fields"]
    body = b'{"work_order_no": '
    signed = signing.headers(hotline.secret, body, now=clock.now())
    assert push(api, hotline, None, body=body, headers=signed).status_code == 400
    assert not Appeal.objects.exists() and not Enterprise.objects.filter(verified=False).exists()
