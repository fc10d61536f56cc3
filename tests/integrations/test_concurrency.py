"""Work orders at once: retries racing the first make one appeal (PostgreSQL, where writers
really race), and the simulator played against a live server makes each order once."""

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from qitong.appeals.models import Appeal
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.integrations import actions, simulate
from qitong.integrations.models import Callback, Integration, WorkOrder
from tests.appeals.conftest import City
from tests.appeals.test_concurrency import _together
from tests.integrations.conftest import WORKORDERS, order, push

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# Decided before the database is set up, so that SQLite does not pay for the setup of a skip.
postgres_only = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="concurrency is tested on PostgreSQL: SQLite lets one writer in at a time",
)


@pytest.fixture
def pg_hotline(transactional_db, receiver):
    City()
    integration, _key = actions.create_integration(
        name="jinan12345", kind=Integration.Kind.HOTLINE, callback_url=receiver.url
    )
    return integration


@postgres_only
def test_one_work_order_sent_four_times_at_once_makes_one_appeal(pg_hotline):
    def send(_index):
        answer = push(APIClient(), pg_hotline, order("GD-RACE-1"))
        return answer.status_code, answer.json()["appeal_id"]

    results = _together(send, count=4)
    assert sorted(code for code, _id in results) == [200, 200, 200, 201]
    assert len({appeal for _code, appeal in results}) == 1
    assert Appeal.objects.count() == 1 and WorkOrder.objects.count() == 1
    assert list(Callback.objects.values_list("seq", flat=True)) == [1]


@postgres_only
def test_one_unknown_enterprise_named_by_four_orders_at_once_is_created_once(pg_hotline):
    code = make_uscc("91370102MA3C05555")

    def send(index):
        data = order(f"GD-NEW-{index}", uscc=code, enterprise_name="济南同时科技有限公司")
        return push(APIClient(), pg_hotline, data).status_code

    assert _together(send, count=4) == [201] * 4
    assert Enterprise.objects.filter(uscc=code, verified=False).count() == 1
    assert Appeal.objects.filter(enterprise__uscc=code).count() == 4
    assert WorkOrder.objects.filter(new_enterprise=True).count() == 1


def test_the_simulator_against_a_live_server_loses_and_repeats_nothing(live_server):
    City()
    # On the tests' in-memory SQLite the live server's threads share the test's one
    # connection, so requests there go one at a time; PostgreSQL takes four clients.
    # The enterprises are known: the race for a new one is tested above.
    clients = "4" if connection.vendor == "postgresql" else "1"
    for serial in range(3):
        order = simulate.work_order("x", serial, enterprises=3)
        Enterprise.objects.create(uscc=order["uscc"], name=order["enterprise_name"])
    hotline, _key = actions.create_integration(name="sim", kind=Integration.Kind.HOTLINE)
    out = io.StringIO()
    call_command(
        "hotline12345",
        "simulate",
        "--url",
        live_server.url + WORKORDERS,
        "--count",
        "24",
        "--clients",
        clients,
        "--enterprises",
        "3",
        "--repeat-every",
        "4",
        "--secret",
        hotline.secret,
        stdout=out,
    )
    tallies = json.loads(out.getvalue())
    assert tallies["created"] == 24 and tallies["repeated"] == 6 and tallies["errors"] == 0
    assert tallies["appeals"] == 24 and tallies["mismatched"] == 0
    assert Appeal.objects.filter(channel="hotline12345").count() == 24
    assert WorkOrder.objects.filter(integration=hotline).count() == 24
    assert not Enterprise.objects.filter(verified=False).exists()
