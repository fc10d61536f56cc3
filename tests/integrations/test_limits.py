"""Rate limits of the integrations: the 12345 intake per integration, Open311 POSTs per key
(per address without a valid one); a Chinese 429 with Retry-After, each in its API's shape."""

import datetime as dt

import time_machine

from qitong.core import clock
from qitong.integrations import actions
from qitong.integrations.models import Integration
from tests.integrations.conftest import order, push
from tests.integrations.test_open311 import V2, _post

START = dt.datetime(2026, 12, 7, 10, 0, 10, tzinfo=clock.SHANGHAI)


def test_the_12345_intake_is_limited_per_integration(settings, api, city, hotline):
    settings.QITONG_RATE_LIMITS = "integration=3/60,public=2/60"
    other, _key = actions.create_integration(name="other12345", kind=Integration.Kind.HOTLINE)
    with time_machine.travel(START, tick=False):
        statuses = [push(api, hotline, order(f"GD-{n}")).status_code for n in range(4)]
        assert statuses == [201, 201, 201, 429]
        refused = push(api, hotline, order("GD-9"))
        assert refused.status_code == 429 and refused["Content-Type"] == "application/json"
        assert refused.json() == {
            "error": "rate_limited",
            "message": f"操作过于频繁，请在 {refused['Retry-After']} 秒后再试。",
        }
        # another hotline from the same address is not held back by the first one's count
        assert push(api, other, order("GD-other")).status_code == 201
        # what proves no integration counts per address: two refusals, then 429
        forged = [push(api, hotline, order("GD-x"), secret="0" * 64).status_code for _ in range(3)]
        assert forged == [401, 401, 429]
    with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
        assert push(api, hotline, order("GD-later")).status_code == 201


def test_open311_posts_are_limited_per_key_and_per_address_without_one(settings, client, city):
    settings.QITONG_RATE_LIMITS = "integration=2/60,public=3/60"
    first, first_key = actions.create_integration(name="app1", kind=Integration.Kind.OPEN311)
    second, second_key = actions.create_integration(name="app2", kind=Integration.Kind.OPEN311)
    with time_machine.travel(START, tick=False):
        assert [_post(client, first_key).status_code for _ in range(3)] == [201, 201, 429]
        refused = _post(client, first_key)
        assert refused["Content-Type"] == "application/json; charset=utf-8"
        assert refused.json() == [
            {"code": 429, "description": f"操作过于频繁，请在 {refused['Retry-After']} 秒后再试。"}
        ]
        xml = client.post(f"{V2}/requests.xml", {"api_key": first_key, "service_code": "other"})
        assert xml.status_code == 429 and b"<code>429</code>" in xml.content
        # the same address with another key: its own count, not the first key's nor the address's
        assert [_post(client, second_key).status_code for _ in range(2)] == [201, 201]
        # keyless and wrong keys count per address (public=3): 403, 403, 403, then 429
        tries = [_post(client, None), _post(client, "q311_wrong"), _post(client, "")]
        assert [answer.status_code for answer in tries] == [403, 403, 403]
        assert _post(client, None).status_code == 429
