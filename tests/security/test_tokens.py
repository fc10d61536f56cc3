"""API tokens: hashed, named, expiring, revocable, shown once; old tokens survive the upgrade."""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from qitong.core import clock
from qitong.core.models import ApiToken

pytestmark = pytest.mark.django_db


def status_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get("/api/v1/me").status_code


def test_a_token_expires_after_90_days_by_default(unit_user):
    issued = clock.now()
    with time_machine.travel(issued, tick=False):
        token, key = ApiToken.issue(unit_user)
    assert token.expires_at == issued + dt.timedelta(days=90)
    with time_machine.travel(issued + dt.timedelta(days=89), tick=False):
        assert status_with(key) == 200
    with time_machine.travel(issued + dt.timedelta(days=90, seconds=1), tick=False):
        assert status_with(key) == 401


def test_the_lifetime_is_configurable(settings, unit_user, capsys):
    settings.QITONG_API_TOKEN_DAYS = 7
    token, _key = ApiToken.issue(unit_user)
    assert token.expires_at - token.created_at == dt.timedelta(days=7)
    call_command("apitoken", unit_user.username, "--days", "0", "--name", "热线")
    forever = ApiToken.objects.get(name="热线")
    assert forever.expires_at is None
    assert status_with(capsys.readouterr().out.strip()) == 200


def test_revoking_by_command_stops_that_token_only(unit_user, capsys):
    first, first_key = ApiToken.issue(unit_user, name="a")
    _second, second_key = ApiToken.issue(unit_user, name="b")
    call_command("apitoken", unit_user.username, "--revoke", first.prefix)
    assert "已吊销 1 个令牌" in capsys.readouterr().out
    assert status_with(first_key) == 401
    assert status_with(second_key) == 200
    call_command("apitoken", unit_user.username, "--list")
    listing = capsys.readouterr().out
    assert "已吊销" in listing and "有效" in listing
    assert first_key not in listing and second_key not in listing
    call_command("apitoken", unit_user.username, "--revoke", "all")
    assert status_with(second_key) == 401
    with pytest.raises(CommandError, match="没有找到可吊销的令牌"):
        call_command("apitoken", unit_user.username, "--revoke", "all")


def test_the_admin_revokes_and_never_creates(client, admin_user, unit_user):
    token, key = ApiToken.issue(unit_user)
    client.force_login(admin_user)
    assert client.get("/admin/core/apitoken/add/").status_code == 403
    listing = client.get("/admin/core/apitoken/").content.decode()
    assert token.prefix in listing and key not in listing and token.digest not in listing
    client.post(
        "/admin/core/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert status_with(key) == 401


def test_a_deactivated_users_token_is_refused(unit_user):
    _token, key = ApiToken.issue(unit_user)
    unit_user.is_active = False
    unit_user.save()
    assert status_with(key) == 401


@pytest.mark.django_db(transaction=True)
def test_tokens_issued_before_the_upgrade_keep_working_and_lose_their_plain_key(unit_user):
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0003_job")])
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp with time zone"
            " NOT NULL, user_id bigint NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created datetime NOT NULL,"
            " user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [old_key, clock.now(), unit_user.pk],
        )
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        token = ApiToken.objects.get()
        assert token.digest == hashlib.sha256(old_key.encode()).hexdigest()
        assert token.user_id == unit_user.pk
        assert status_with(old_key) == 200
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM authtoken_token")
            assert cursor.fetchone() == (0,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS authtoken_token")


def test_the_last_use_is_recorded_at_most_every_five_minutes(unit_user):
    issued = clock.now()
    with time_machine.travel(issued, tick=False):
        token, key = ApiToken.issue(unit_user)
        assert status_with(key) == 200
    token.refresh_from_db()
    assert token.last_used_at is None  # right after the issue: no write
    with time_machine.travel(issued + dt.timedelta(minutes=10), tick=False):
        assert status_with(key) == 200
    token.refresh_from_db()
    assert token.last_used_at == issued + dt.timedelta(minutes=10)
    with time_machine.travel(issued + dt.timedelta(minutes=12), tick=False):
        assert status_with(key) == 200
    token.refresh_from_db()
    assert token.last_used_at == issued + dt.timedelta(minutes=10)
