"""The SMTP server, the SMS gateway and the 12345 callback receiver down, then up (issue 15).

All three are real servers on loopback, stopped while work orders come in from the hotline
and the office accepts and dispatches them; the periodic deliveries run every minute of a
quarter of an hour of outage and find every receiver down. Then the receivers come back:
within minutes everything is delivered, in the order it was written, each exactly once.
"""

import datetime as dt
import time

import pytest
import time_machine
from rest_framework.test import APIClient

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import Appeal
from qitong.core import clock
from qitong.core.clock import SHANGHAI
from qitong.integrations import actions, callbacks
from qitong.integrations.models import Callback, Integration
from qitong.notify import actions as notify_actions
from qitong.notify import outbox
from qitong.notify.models import Message
from tests.appeals.conftest import City
from tests.integrations.conftest import Receiver, order, push
from tests.notify.conftest import SmtpServer
from tests.notify.gateways import Gateway
from tests.processes import free_port

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # a working day, in office hours
ORDERS = 6
OUTAGE_MINUTES = 15


@pytest.fixture
def receivers(settings):
    """SMTP, the SMS gateway and a hotline's callback receiver on loopback, configured."""
    smtp = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 5
    settings.DEFAULT_FROM_EMAIL = "qitong@example.org"
    sms = Gateway(free_port())
    settings.QITONG_SMS_URL = sms.url
    settings.QITONG_SMS_KEY_ID = "qitong-key"
    settings.QITONG_SMS_SECRET = "sms-secret-0123456789"
    settings.QITONG_SMS_TEMPLATES = "default=SMS_100"
    hotline = Receiver()
    yield smtp, sms, hotline
    for server in (smtp, sms, hotline):
        server.stop()


def _deliver(at):
    """One pass of the periodic deliveries: e-mail and SMS (the outbox), then callbacks."""
    mail = outbox.deliver_due(at)
    told = callbacks.deliver_due(at)
    return mail["sent"] + told["sent"], mail["failed"] + told["failed"]


def test_receivers_down_then_up_get_everything_after_in_order_once(receivers):
    api = APIClient()
    smtp, sms, hotline = receivers
    city = City()
    clerk = city.fgw_user  # e-mail, and SMS too
    clerk.phone = "13800000001"
    clerk.save(update_fields=["phone"])
    notify_actions.set_channels(clerk, {"": {"inbox", "email", "sms"}}, acting_user=clerk)
    integration, _key = actions.create_integration(
        name="jinan12345",
        kind=Integration.Kind.HOTLINE,
        title="济南12345热线",
        callback_url=hotline.url,
    )
    hotline.stop()  # all three down now

    with time_machine.travel(MONDAY, tick=False) as traveller:
        for n in range(1, ORDERS + 1):
            answer = push(api, integration, order(f"GD-2026-{n:06d}"))
            assert answer.status_code == 201, answer.json()
            appeal = Appeal.objects.get(pk=answer.json()["appeal_id"])
            appeal_actions.accept(appeal, acting_user=city.office_user)
            appeal_actions.dispatch(
                appeal, acting_user=city.office_user, mode="transfer", lead_unit="fgw", co_units=[]
            )
            traveller.shift(dt.timedelta(seconds=10))
        failed = 0
        for _minute in range(OUTAGE_MINUTES):
            sent, failures = _deliver(None)
            assert sent == 0
            failed += failures
            traveller.shift(dt.timedelta(minutes=1))

        emails = list(Message.objects.filter(email_status="pending").order_by("pk"))
        texts = list(Message.objects.filter(sms_status="pending").order_by("pk"))
        told = list(Callback.objects.order_by("pk"))
        assert emails and texts and len(told) == ORDERS * 3  # submit, accept, dispatch
        assert not Callback.objects.filter(status=Callback.Status.DEAD).exists()

        smtp.start()
        sms.start()
        hotline.start()
        came_back = clock.now()
        started = time.monotonic()
        passes = 0
        while Message.objects.filter(email_status="pending").exists() or (
            Message.objects.filter(sms_status="pending").exists()
            or Callback.objects.filter(status=Callback.Status.PENDING).exists()
        ):
            assert passes < 120, "not delivered within two hours of the receivers' return"
            _deliver(None)
            passes += 1
            traveller.shift(dt.timedelta(minutes=1))
        drained = clock.now() - came_back

    wall = time.monotonic() - started
    # E-mail and SMS: each message once, in the order the messages were written.
    assert [m["subject"] for m in smtp.mailbox.received] == [m.subject for m in emails]
    assert [r["json"]["request_id"] for r in sms.received] == [f"qitong-{m.pk}" for m in texts]
    # Callbacks: each once; per work order in its events' order.
    payloads = hotline.payloads()
    assert len(payloads) == len(told)
    by_order = {}
    for payload in payloads:
        by_order.setdefault(payload["work_order_no"], []).append(payload["seq"])
    assert by_order == {f"GD-2026-{n:06d}": [1, 2, 3] for n in range(1, ORDERS + 1)}
    assert set(Callback.objects.values_list("status", flat=True)) == {"sent"}
    assert _deliver(None) == (0, 0)  # nothing twice
    print(
        f"\nreceivers down {OUTAGE_MINUTES} min: {len(emails)} e-mails, {len(texts)} SMS,"
        f" {len(told)} callbacks queued; {failed} failed attempts while down; after the return"
        f" all delivered within {drained.total_seconds() / 60:.0f} min of the clock"
        f" ({passes} delivery passes, {wall:.1f} s of the test), 0 lost, 0 duplicated,"
        " order kept"
    )
