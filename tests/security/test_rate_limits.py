"""Rate limits: login, filing, urging, public endpoints; Chinese 429 with Retry-After;
counts in the database or in Redis, shared by every process."""

import datetime as dt

import pytest
import redis
import time_machine
from django.core.exceptions import ImproperlyConfigured

from qitong.appeals.models import Appeal
from qitong.core import clock, ratelimit
from qitong.core.models import RateCounter
from tests.appeals.conftest import City
from tests.appeals.test_api_filing import body
from tests.conftest import client_for
from tests.core.test_background_work import redis_url  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 7, 10, 0, 10, tzinfo=clock.SHANGHAI)


@pytest.fixture
def city(db):
    return City()


def limits(settings, text):
    settings.QITONG_RATE_LIMITS = text


def test_urging_one_case_twice_in_ten_minutes_is_429_in_chinese_with_retry_after(settings, city):
    limits(settings, "")  # the defaults: urge=2/600
    first, second = city.dispatched(when=START), city.dispatched(when=START)
    api = client_for(city.office_user)
    with time_machine.travel(START, tick=False):
        answers = [
            api.post(f"/api/v1/appeals/{first.pk}/urge", {}, format="json") for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 429]
        refused = answers[-1]
        assert refused.json() == {
            "error": "rate_limited",
            "message": f"操作过于频繁，请在 {refused['Retry-After']} 秒后再试。",
        }
        assert 0 < int(refused["Retry-After"]) <= 600
        # another case is not held back by the first one's count
        assert api.post(f"/api/v1/appeals/{second.pk}/urge", {}, format="json").status_code == 200
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        assert api.post(f"/api/v1/appeals/{first.pk}/urge", {}, format="json").status_code == 200


def test_one_token_cannot_file_faster_than_the_limit(settings, city):
    limits(settings, "filing=3/60")
    api = client_for(city.ent_user)
    with time_machine.travel(START, tick=False):
        statuses = [
            api.post("/api/v1/appeals", body(city, title=f"诉求 {n}"), format="json").status_code
            for n in range(5)
        ]
    assert statuses == [201, 201, 201, 429, 429]
    assert Appeal.objects.count() == 3


def test_the_login_page_is_limited_per_address_with_a_chinese_page(settings, client, city):
    limits(settings, "login=2/60")
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            client.post(
                "/login/", {"username": "nobody", "password": "x"}, REMOTE_ADDR="198.51.100.7"
            )
        page = client.post(
            "/login/", {"username": "x", "password": "y"}, REMOTE_ADDR="198.51.100.7"
        )
        assert page.status_code == 429
        assert "操作过于频繁" in page.content.decode()
        assert int(page["Retry-After"]) <= 60
        other = client.post(
            "/login/", {"username": "x", "password": "y"}, REMOTE_ADDR="198.51.100.8"
        )
        assert other.status_code != 429


def test_public_pages_are_limited_per_address(settings, client, db):
    limits(settings, "public=3/60")
    with time_machine.travel(START, tick=False):
        statuses = [client.get("/policies/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert client.get("/api/v1/policies").status_code == 429  # the same rule, the same address


def test_the_counts_are_in_the_database_without_redis(settings, city):
    limits(settings, "urge=5/600")
    appeal = city.dispatched(when=START)
    api = client_for(city.office_user)
    with time_machine.travel(START, tick=False):
        api.post(f"/api/v1/appeals/{appeal.pk}/urge", {}, format="json")
    assert RateCounter.objects.get().count == 1


def test_with_redis_the_counts_are_in_redis(settings, city, redis_url):  # noqa: F811
    settings.REDIS_URL = redis_url
    ratelimit._redis = None
    limits(settings, "filing=2/60")
    api = client_for(city.ent_user)
    try:
        with time_machine.travel(START, tick=False):
            statuses = [
                api.post("/api/v1/appeals", body(city), format="json").status_code for _ in range(3)
            ]
        assert statuses[-1] == 429
        keys = redis.Redis.from_url(redis_url).keys("qitong:rate:filing:*")
        assert len(keys) == 1
        assert not RateCounter.objects.exists()
    finally:
        ratelimit._redis = None


def test_redis_down_lets_requests_through(settings, city):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    ratelimit._redis = None
    limits(settings, "filing=1/60")
    api = client_for(city.ent_user)
    try:
        statuses = [
            api.post("/api/v1/appeals", body(city), format="json").status_code for _ in range(2)
        ]
        assert statuses == [201, 201]
    finally:
        ratelimit._redis = None


def test_a_wrong_setting_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="QITONG_RATE_LIMITS"):
        ratelimit._rules("urge=often")
    assert ratelimit.parse("urge=0/60")["urge"] == (0, 60)
