"""12345 callbacks: every change told, signed, in order; retries while the receiver is down,
dead letters after the configured attempts, replay from the admin, recovery."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import Appeal
from qitong.celery import app as celery_app
from qitong.core import clock
from qitong.core.schedule import JOBS
from qitong.core.scheduler import Scheduler
from qitong.integrations import actions, callbacks, intake, signing
from qitong.integrations import tasks as _tasks  # noqa: F401  (registers the task: eager runs)
from qitong.integrations.models import Callback
from tests.appeals.conftest import at
from tests.conftest import _user
from tests.integrations.conftest import order, push


def _hotline_appeal(api, hotline, number="GD-2026-000001", **fields):
    answer = push(api, hotline, order(number, **fields))
    assert answer.status_code == 201, answer.json()
    return Appeal.objects.get(pk=answer.json()["appeal_id"])


def _through_the_loop(city, appeal, when):
    office, unit = city.office_user, city.fgw_user
    appeal_actions.accept(appeal, acting_user=office, at=when)
    appeal_actions.dispatch(
        appeal, acting_user=office, at=when, mode="transfer", lead_unit="fgw", co_units=[]
    )
    appeal_actions.sign(appeal, acting_user=unit, at=when)
    appeal_actions.contact(appeal, acting_user=unit, at=when, note="已电话联系企业")
    appeal_actions.resolve(appeal, acting_user=unit, at=when, result="已协调供电公司完成增容")


def test_every_change_is_posted_signed_and_in_order(api, city, hotline, receiver):
    appeal = _hotline_appeal(api, hotline)
    _through_the_loop(city, appeal, at("2026-12-07 10:00"))
    assert callbacks.deliver_due() == {"sent": 6, "failed": 0, "dead": 0}
    payloads = receiver.payloads()
    assert [p["seq"] for p in payloads] == [1, 2, 3, 4, 5, 6]
    assert [p["event"] for p in payloads] == [
        "submit",
        "accept",
        "dispatch",
        "sign",
        "contact",
        "resolve",
    ]
    assert [p["status"] for p in payloads] == [
        "submitted",
        "accepted",
        "dispatched",
        "in_progress",
        "in_progress",
        "pending_review",
    ]
    assert {p["work_order_no"] for p in payloads} == {"GD-2026-000001"}
    assert {p["appeal_number"] for p in payloads} == {appeal.number}
    assert payloads[-1]["note"] == "已协调供电公司完成增容"
    assert payloads[1]["at"].endswith("+08:00")
    for headers, body in receiver.received:
        stamp = headers[signing.TIMESTAMP_HEADER]
        assert signing.matches(hotline.secret, stamp, body, headers[signing.SIGNATURE_HEADER])
    assert set(Callback.objects.values_list("status", flat=True)) == {"sent"}
    assert callbacks.deliver_due() == {"sent": 0, "failed": 0, "dead": 0}  # nothing twice


def test_other_channels_and_unchanged_states_tell_nobody(api, city, hotline, receiver):
    web = city.file()
    appeal_actions.accept(web, acting_user=city.office_user)
    hotline_appeal = _hotline_appeal(api, hotline)
    appeal_actions.supervise(hotline_appeal, acting_user=city.office_user, reason="重点关注")
    assert Callback.objects.count() == 1  # the hotline appeal's submit alone


def test_a_receiver_down_is_retried_with_backoff_then_recovers(
    api, city, hotline, receiver, settings
):
    settings.QITONG_CALLBACK_FIRST_RETRY_SECONDS = 30
    appeal = _hotline_appeal(api, hotline)
    appeal_actions.accept(appeal, acting_user=city.office_user)
    receiver.stop()
    now = clock.now()
    assert callbacks.deliver_due(now) == {"sent": 0, "failed": 1, "dead": 0}
    first = Callback.objects.get(seq=1)
    assert first.attempts == 1 and first.next_attempt_at == now + timedelta(seconds=30)
    assert "ConnectError" in first.last_error
    # the second waits behind the first: not even tried
    assert Callback.objects.get(seq=2).attempts == 0
    assert callbacks.deliver_due(now + timedelta(seconds=29))["failed"] == 0  # not due yet
    assert callbacks.deliver_due(now + timedelta(seconds=30))["failed"] == 1
    first.refresh_from_db()
    assert first.next_attempt_at == now + timedelta(seconds=30 + 60)  # doubled
    receiver.start()
    assert callbacks.deliver_due(now + timedelta(seconds=90)) == {"sent": 2, "failed": 0, "dead": 0}
    assert [p["seq"] for p in receiver.payloads()] == [1, 2]


def test_an_error_status_counts_as_a_failure(api, city, hotline, receiver):
    _hotline_appeal(api, hotline)
    receiver.status = 503
    assert callbacks.deliver_due() == {"sent": 0, "failed": 1, "dead": 0}
    assert Callback.objects.get().last_error == "HTTP 503"


def test_dead_letters_hold_their_appeal_back_until_replayed(api, city, hotline, receiver, settings):
    settings.QITONG_CALLBACK_ATTEMPTS = 3
    settings.QITONG_CALLBACK_FIRST_RETRY_SECONDS = 1
    held = _hotline_appeal(api, hotline)
    appeal_actions.accept(held, acting_user=city.office_user)
    receiver.stop()
    now = clock.now()
    outcomes = [callbacks.deliver_due(now + timedelta(hours=step)) for step in range(4)]
    assert [o["failed"] for o in outcomes] == [1, 1, 0, 0]
    assert [o["dead"] for o in outcomes] == [0, 0, 1, 0]
    dead = Callback.objects.get(appeal=held, seq=1)
    assert dead.status == "dead" and dead.attempts == 3
    receiver.start()
    # another appeal goes on; the held one's second callback waits behind its dead first
    _hotline_appeal(api, hotline, "GD-2026-000002")
    later = now + timedelta(hours=5)
    assert callbacks.deliver_due(later) == {"sent": 1, "failed": 0, "dead": 0}
    assert Callback.objects.get(appeal=held, seq=2).status == "pending"
    # only an admin replays
    with pytest.raises(PermissionDenied):
        actions.replay_callback(dead, acting_user=city.office_user)
    admin = city.leader_user
    admin.role, admin.unit = "admin", None
    admin.save()
    assert actions.replay_callback(dead, acting_user=admin, at=later) == 1
    assert callbacks.deliver_due(later) == {"sent": 2, "failed": 0, "dead": 0}
    assert [(p["work_order_no"], p["seq"]) for p in receiver.payloads()] == [
        ("GD-2026-000002", 1),
        ("GD-2026-000001", 1),
        ("GD-2026-000001", 2),
    ]


def test_the_admin_replays_from_the_callback_list(api, city, hotline, receiver, settings, client):
    settings.QITONG_CALLBACK_ATTEMPTS = 1
    _hotline_appeal(api, hotline)
    receiver.stop()
    assert callbacks.deliver_due()["dead"] == 1
    receiver.start()
    admin = _user("root", "admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    dead = Callback.objects.get()
    answer = client.post(
        "/admin/integrations/callback/",
        {"action": "replay", "_selected_action": [dead.pk]},
    )
    assert answer.status_code == 302
    dead.refresh_from_db()
    assert dead.status == "pending" and dead.attempts == 0
    assert callbacks.deliver_due()["sent"] == 1


def test_in_production_the_commit_wakes_a_worker_which_sends_at_once(
    api, city, hotline, receiver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMBEDDED = False
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    intake._wake.reset()
    appeal = _hotline_appeal(api, hotline)
    with django_capture_on_commit_callbacks(execute=True):
        appeal_actions.accept(appeal, acting_user=city.office_user)
    assert [p["event"] for p in receiver.payloads()] == ["submit", "accept"]


def test_the_embedded_scheduler_sends_them(api, city, hotline, receiver):
    _hotline_appeal(api, hotline)
    [job] = [job for job in JOBS if job.name == "deliver-callbacks"]
    assert Scheduler([job], clock=lambda: 0).run_due() == ["deliver-callbacks"]
    assert [p["event"] for p in receiver.payloads()] == ["submit"]
