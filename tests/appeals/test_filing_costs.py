"""What keeps a filing cheap, and that each shortcut gives what the long way gave.

A filing waits on the year's counter behind every other one, so the rest of it
is kept short (``actions.file_appeal``): the city office from the process's
memory, the office's messages in one ``INSERT … SELECT`` (``outbox.enqueue_select``),
the answer from what the filing wrote, shown by plans made once per shape
(``serializers.Shown``), and at most two e-mail wakes per ``outbox.WAKE_EVERY``. The
query count itself is pinned in ``test_numbering.py``.
"""

import pytest
import time_machine
from celery.signals import task_prerun
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework import serializers

from qitong.appeals import actions
from qitong.appeals import serializers as shapes
from qitong.appeals.models import Appeal
from qitong.celery import app as celery_app
from qitong.core import prepared
from qitong.notify import outbox
from qitong.notify import tasks as notify_tasks
from qitong.notify.models import Message
from qitong.orgs.models import Unit, User
from tests.appeals import files
from tests.appeals.conftest import at
from tests.conftest import _user, client_for
from tests.notify.conftest import mailbox, smtp_port, smtp_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


# --- the answers: plans made once per shape, against DRF's own walk -------------------


@pytest.fixture
def drf_walk(monkeypatch):
    """Show an answer the way DRF itself walks a serializer's fields (the reference)."""

    def walk(client, path):
        with monkeypatch.context() as patch:
            patch.setattr(
                shapes.Shown, "to_representation", serializers.Serializer.to_representation
            )
            return client.get(path).json()

    return walk


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@time_machine.travel(at("2026-11-02 10:00"), tick=False)
def test_every_answer_along_a_case_is_what_drf_would_show(city, drf_walk):
    """Filed, dispatched with a co-unit, an attachment, a request, a supervision, a rating."""
    office, fgw, gxj, ent = city.office_user, city.fgw_user, city.gxj_user, city.ent_user
    filed = client_for(ent).post(
        "/api/v1/appeals",
        {
            "enterprise": city.company.uscc,
            "title": "用电增容审批缓慢",
            "content": "新厂房需要增容。",
            "channel": "web",
            "category": "factors-power",
            "contact_name": "王经理",
        },
        format="json",
    )
    assert filed.status_code == 201
    pk = filed.json()["id"]
    path = f"/api/v1/appeals/{pk}"
    assert filed.json() == drf_walk(client_for(ent), path)

    steps = [
        (office, "accept", {}),
        (office, "dispatch", {"mode": "coordinated", "lead_unit": "fgw", "co_units": ["gxj"]}),
        (fgw, "sign", {}),
        (fgw, "suspend", {"reason": "等待企业补交材料"}),
        (office, "supervise", {"reason": "企业多次来电"}),
        (gxj, "contribute", {"note": "已提供用电指标"}),
        (fgw, "resolve", {"result": "已完成增容"}),
        (office, "approve", {}),
        (ent, "rate", {"process": "satisfied", "result": "unsatisfied", "comment": "电价仍偏高"}),
    ]
    attached = client_for(ent).post(
        f"{path}/attachments",
        {"file": SimpleUploadedFile("批复.pdf", files.PDF)},
        format="multipart",
    )
    assert attached.status_code == 201
    for user, action, body in steps:
        client = client_for(user)
        answer = client.post(f"{path}/{action}", body, format="json")
        assert answer.status_code == 200, answer.json()
        assert answer.json() == drf_walk(client, path) == client.get(path).json()
    shown = answer.json()
    assert shown["co_unit_deadlines"][0]["contributed_at"] is not None
    assert shown["requests"] and shown["attachments"] and shown["supervisions"]
    assert shown["rating"]["comment"] == "电价仍偏高"

    for query in ("", "?status=pending_rating", "?overdue=false"):
        listed = client_for(office).get(f"/api/v1/appeals{query}").json()
        assert listed == drf_walk(client_for(office), f"/api/v1/appeals{query}")
        assert listed["count"] == 1


# --- the office's messages: one INSERT … SELECT, decided as enqueue decides --------------


def test_messages_to_a_unit_are_decided_as_the_outbox_decides_them(city):
    unit = city.fgw
    _user("fgw-2", User.Role.UNIT, unit=unit)  # no e-mail address
    _user("fgw-3", User.Role.UNIT, unit=unit, email="gone@example.org", is_active=False)
    users = User.objects.filter(is_active=True, unit=unit)

    def shown(ids):
        return {
            message.recipient_id: (
                message.email_status,
                message.email_next_attempt_at,
                message.subject,
                message.body,
                message.url,
                message.created_at,
                message.read_at,
                message.email_attempts,
                message.email_sent_at,
                message.email_last_error,
            )
            for message in Message.objects.filter(pk__in=ids)
        }

    with time_machine.travel(at("2026-11-02 10:00"), tick=False):
        for email in (True, False):
            letter = {"kind": "dispatch", "subject": "新诉求", "body": "请签收。", "url": "/a/1/"}
            selected = outbox.enqueue_select(users, email=email, **letter)
            listed = outbox.enqueue(list(users), email=email, **letter)
            assert shown(selected) == shown([message.pk for message in listed])
            assert len(selected) == 2
    by_user = shown(selected)
    assert {status for status, *_rest in by_user.values()} == {Message.EmailStatus.NONE}


# --- the city office, from the process's memory ----------------------------------------


def test_a_unit_saved_in_this_process_takes_effect_at_the_next_filing(city):
    assert city.file().office_id == city.office.pk
    city.office.is_active = False
    city.office.save(update_fields=["is_active"])
    successor = Unit.objects.create(code="office-2", name="市服务企业办公室", kind=Unit.Kind.OFFICE)
    assert city.file().office_id == successor.pk


def test_another_process_s_edit_reaches_filings_within_the_time_kept(city):
    successor = Unit.objects.create(code="office-2", name="市服务企业办公室", kind=Unit.Kind.OFFICE)
    with time_machine.travel(at("2026-11-02 10:00"), tick=False) as clock:
        assert city.file().office_id == city.office.pk
        # as an admin's edit in another process: no signal reaches this one
        Unit.objects.filter(pk=city.office.pk).update(is_active=False)
        clock.shift(actions.CITY_OFFICE_KEPT)
        assert city.file().office_id == successor.pk


def test_without_a_city_office_nothing_is_filed(city):
    city.file()
    city.office.is_active = False
    city.office.save(update_fields=["is_active"])
    with pytest.raises(ValidationError):
        city.file()
    assert Appeal.objects.count() == 1


# --- the e-mail wake: two per WAKE_EVERY and process, nothing left behind ----------------


def test_a_burst_of_filings_wakes_the_delivery_once_at_once_and_once_delayed(
    city,
    mailbox,  # noqa: F811 (the fixture imported above)
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    settings.EMBEDDED = False
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    outbox._wake_delivery.reset()
    assert notify_tasks.deliver_email.name == outbox.DELIVER_TASK  # registered: runs eagerly
    runs = []

    def count(sender=None, **_kwargs):
        runs.append(sender.name)

    task_prerun.connect(count)
    try:
        with time_machine.travel(at("2026-11-02 10:00"), tick=False) as clock:
            for _index in range(5):
                with django_capture_on_commit_callbacks(execute=True):
                    city.file()
            # the first at once, the second delayed (due when WAKE_EVERY is up); the
            # delayed one sends what the three after it queued
            assert runs == [outbox.DELIVER_TASK] * 2
            assert outbox._wake_delivery.delayed == at("2026-11-02 10:00") + outbox.WAKE_EVERY
            assert Message.objects.filter(email_status=Message.EmailStatus.PENDING).count() == 3

            clock.shift(outbox.WAKE_EVERY)
            with django_capture_on_commit_callbacks(execute=True):
                city.file()
    finally:
        task_prerun.disconnect(count)
    assert len(runs) == 3
    assert not Message.objects.filter(email_status=Message.EmailStatus.PENDING).exists()
    assert len(mailbox.received) == 6


# --- prepared statements (core.prepared) ------------------------------------------------


def _prepared_texts():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_filing_s_statements_are_prepared_on_postgresql_unless_turned_off(city, settings):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    connection.ensure_connection()
    factory = connection.connection.cursor_factory
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")

    settings.QITONG_DATABASE_PREPARED = False
    for _ in range(prepared.PREPARE_THRESHOLD + 1):
        city.file()
    assert _prepared_texts() == []

    settings.QITONG_DATABASE_PREPARED = True
    client = client_for(city.office_user)
    for _ in range(prepared.PREPARE_THRESHOLD + 1):
        city.file()
        assert client.get("/api/v1/appeals/999999999").status_code == 404  # authenticated
    texts = _prepared_texts()
    assert any(text.startswith('INSERT INTO "appeals_appeal"') for text in texts)
    assert any(text.startswith("WITH taken AS") for text in texts)  # the number's statement
    assert any(text.startswith('SELECT "core_apitoken"') for text in texts)  # the token's
    # and the connection's other statements are bound on the client again, as Django's
    assert connection.connection.cursor_factory is factory
    beyond_server_binding = [-n for n in range(1, 70_000)]  # > 65,535 values
    assert Appeal.objects.filter(pk__in=beyond_server_binding).count() == 0
