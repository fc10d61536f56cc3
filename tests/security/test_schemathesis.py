"""Schemathesis against the OpenAPI schema (issue 15): every operation, as the office, an
enterprise and an administrator, with bounded examples and a fixed seed.

The schema is the one ``/api/schema/`` serves; requests go through the Django application
in-process (WSGI), on the test database. For every answer: no server error, a status the
schema documents for that operation, a documented content type, a body that conforms to the
documented schema (error answers included: ``core.openapi`` documents them).
"""

import time

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qitong.core import clock
from qitong.core.models import ApiToken
from qitong.orgs.models import User
from tests.appeals.conftest import City
from tests.conftest import _user

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Per operation and identity: 56 operations × 3 identities × 4 ≈ 700 requests.
EXAMPLES = 4
SEED = 15


def _bounded(test):
    return hypothesis.settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time, first example shown
        suppress_health_check=list(HealthCheck),
    )(hypothesis.seed(SEED)(test))


def _strategy(operation, appeal):
    """Generated values everywhere, and half the time the real case for an appeal's ``{id}``
    so that an action reaches the case's rules, not only its 404."""
    generated = operation.as_strategy()
    if operation.path.startswith("/api/v1/appeals/{id}"):
        return st.one_of(generated, operation.as_strategy(path_parameters={"id": appeal.pk}))
    return generated


def _exercise(operation, strategy, headers, failures, counted):
    @_bounded
    @given(case=strategy)
    def exercise(case):
        response = case.call(headers=headers)
        counted[response.status_code // 100] = counted.get(response.status_code // 100, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except BaseException as failure:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.setdefault(operation.label, f"{response.status_code}: {failure}")

    return exercise


def _run(schema, headers, appeal, counted):
    """Every operation of ``schema`` with ``headers``: ``{operation: first failure}``."""
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        _exercise(operation, _strategy(operation, appeal), headers, failures, counted)()
    return failures


@pytest.fixture
def connection_kept():
    """The application is called as a WSGI server would, which closes the database connection
    after each request; the test's transaction lives on it (Django's test client does this)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_answers_as_its_schema_says(settings, connection_kept):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]  # schemathesis' WSGI host
    city = City()
    appeal = city.dispatched(when=clock.now())
    admin = _user("root", User.Role.ADMIN, is_staff=True, is_superuser=True)
    app = get_wsgi_application()
    started = time.monotonic()
    failures = {}
    operations = 0
    counted = {}  # answers by class: {2: …, 4: …}
    for user in (city.office_user, city.ent_user, admin):
        _token, key = ApiToken.issue(user)
        headers = {"Authorization": f"Bearer {key}"}
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
        operations = len(list(schema.get_all_operations()))
        for label, failure in _run(schema, headers, appeal, counted).items():
            failures[f"{user.role} {label}"] = failure
    elapsed = time.monotonic() - started
    print(f"{sum(counted.values())} requests {counted} in {elapsed:.1f} s")
    assert operations >= 50  # the whole API, not an empty schema
    assert not failures, "\n\n".join(f"{label}\n{text[:1500]}" for label, text in failures.items())


# The defects schemathesis found, each pinned on its own.


def test_every_operation_documents_the_error_answers(client, city_office_token):
    schema = client.get(
        "/api/schema/?format=json", HTTP_AUTHORIZATION=f"Bearer {city_office_token}"
    ).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"400", "401", "403", "404", "429"} <= documented, (method, path)
            if method in ("post", "patch"):
                assert {"409", "415"} <= documented, (method, path)
    error = schema["components"]["schemas"]["ApiError"]
    assert error["required"] == ["error", "message"]


def test_a_path_no_api_route_takes_is_the_json_404(client, city_office_token):
    for path in ("/api/v1/appeals/-1/attachments/2", "/api/v1/nowhere"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {city_office_token}")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"] == "not_found"
    page = client.get("/nowhere/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_work_order_sent_as_a_multipart_form_is_415_not_a_server_error(client):
    response = client.post(
        "/api/v1/hotline12345/workorders",
        {"work_order_no": "GD-1"},
        HTTP_X_QITONG_TIMESTAMP=str(int(clock.now().timestamp())),
        HTTP_X_QITONG_SIGNATURE="0" * 64,
    )
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


@pytest.fixture
def city_office_token(office_user):
    return ApiToken.issue(office_user)[1]
