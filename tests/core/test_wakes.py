"""``core.wakes.Waker`` against a broker that is down: one commit pays the retries, then the
waker rests (the periodic job is the net meanwhile), then it tries again."""

import datetime as dt
import socket

import pytest
import time_machine
from celery import Celery, current_app
from kombu.exceptions import OperationalError

from qitong.core.wakes import Waker

START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def broker_down(settings):
    """The current Celery app publishes to a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    previous = current_app._get_current_object()
    app = Celery("wakes-test", broker=f"redis://127.0.0.1:{port}/0", set_as_current=True)
    app.conf.broker_connection_retry_on_startup = False
    settings.EMBEDDED = False
    yield app
    previous.set_current()


def test_a_failed_publish_rests_the_waker_then_it_tries_again(broker_down):
    waker = Waker("qitong.tests.nothing", rest=dt.timedelta(seconds=5))
    with time_machine.travel(START, tick=False) as traveller:
        with pytest.raises(OperationalError):
            waker()  # logged by on_commit(robust=True) in real use
        traveller.shift(dt.timedelta(seconds=1))
        waker()  # resting: nothing sent, nothing raised
        traveller.shift(dt.timedelta(seconds=3.5))
        waker()
        traveller.shift(dt.timedelta(seconds=0.5))  # the rest is over
        with pytest.raises(OperationalError):
            waker()


def test_the_rest_ends_if_the_clock_goes_back(broker_down):
    waker = Waker("qitong.tests.nothing", rest=dt.timedelta(seconds=5))
    with time_machine.travel(START, tick=False) as traveller:
        with pytest.raises(OperationalError):
            waker()
        traveller.move_to(START - dt.timedelta(minutes=1))
        with pytest.raises(OperationalError):
            waker()
