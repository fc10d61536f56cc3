import hashlib

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from qitong.core.models import ApiToken

pytestmark = pytest.mark.django_db


def test_apitoken_prints_a_token_that_authenticates_as_that_user(unit_user, capsys):
    call_command("apitoken", unit_user.username)
    token = capsys.readouterr().out.strip()
    call_command("apitoken", unit_user.username)
    second = capsys.readouterr().out.strip()
    # Keys are stored hashed, so a key is shown once: each run issues a new token.
    assert second != token
    for key in (token, second):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        body = client.get("/api/v1/me").json()
        assert body == {"username": "fgw-clerk", "role": "unit", "unit": "fgw", "enterprise": None}


def test_a_wrong_token_gets_401_in_chinese(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert APIClient().get("/api/v1/me").status_code == 401


def test_apitoken_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="用户 nobody 不存在"):
        call_command("apitoken", "nobody")


def test_the_key_is_stored_only_as_its_sha256(unit_user, capsys):
    call_command("apitoken", unit_user.username, "--name", "12345 热线")
    key = capsys.readouterr().out.strip()
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.name == "12345 热线"
    assert key not in {str(value) for value in ApiToken.objects.values_list().get()}
