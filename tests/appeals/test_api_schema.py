"""The OpenAPI schema generates cleanly and names every action's path."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from qitong.appeals.actions import ROUTED as ACTIONS
from qitong.core.models import ApiToken

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_and_lists_every_action(city):
    _token, key = ApiToken.issue(city.office_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for action in ACTIONS:
        assert f"/api/v1/appeals/{{id}}/{action}" in paths
    for path in [
        "/api/v1/appeals",
        "/api/v1/appeals/{id}",
        "/api/v1/appeals/{id}/attachments",
        "/api/v1/appeals/ledger.xlsx",
        "/api/v1/units",
        "/api/v1/categories",
        "/api/v1/enterprises",
        "/api/v1/users",
    ]:
        assert path in paths
    assert "/api/v1/appeals/{id}/{operation}" not in paths


def test_the_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn raises on any warning or error of drf-spectacular; --validate checks it against OpenAPI 3
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").read_text().count("/api/v1/appeals/{id}/") >= len(ACTIONS)
