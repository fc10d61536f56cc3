"""Dates and months at the calendar's edges: a clear answer, never a server error.

Filing-date bounds on the first or last day the calendar has bound nothing
(every case was filed between them), so the list, the ledger and the office's
queues simply answer. A month outside the figures' range is refused, naming
``month``, by the API and by the cockpit's pages.
"""

import pytest

from tests.appeals.conftest import at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

EDGES = [
    {"submitted_from": "0001-01-01"},
    {"submitted_to": "9999-12-31"},
    {"submitted_from": "0001-01-01", "submitted_to": "9999-12-31"},
    {"submitted_from": "0001-01-02", "submitted_to": "9999-12-30"},
]


@pytest.fixture
def filed(city):
    return city.file(when=at("2026-11-02 10:00"))


@pytest.mark.parametrize("params", EDGES)
def test_the_list_takes_the_calendars_edges_as_no_bound(city, filed, params):
    response = client_for(city.office_user).get("/api/v1/appeals", params)
    assert response.status_code == 200, response.content
    assert [row["number"] for row in response.json()["results"]] == [filed.number]


@pytest.mark.parametrize("params", EDGES)
def test_the_ledger_takes_the_calendars_edges_as_no_bound(city, filed, params):
    response = client_for(city.office_user).get("/api/v1/appeals/ledger.xlsx", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("params", EDGES)
def test_the_office_queues_take_the_calendars_edges_as_no_bound(client, city, filed, params):
    client.force_login(city.office_user)
    page = client.get("/office/queues/", {"queue": "all", **params})
    assert page.status_code == 200
    assert filed.number in page.content.decode()


def test_an_edge_range_that_ends_before_it_starts_is_still_named(city):
    response = client_for(city.office_user).get(
        "/api/v1/appeals", {"submitted_from": "9999-12-31", "submitted_to": "0001-01-01"}
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["submitted_to"]


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "1999-12", "2100-01", "9999-12"])
def test_the_figures_refuse_a_month_out_of_range_naming_it(city, month):
    response = client_for(city.office_user).get("/api/v1/figures", {"month": month})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert body["fields"] == {"month": ["月份超出范围：应在 2000-01 至 2099-12 之间。"]}


@pytest.mark.parametrize("month", ["2000-01", "2099-12"])
def test_the_figures_answer_for_the_first_and_last_month_in_range(city, month):
    response = client_for(city.office_user).get("/api/v1/figures", {"month": month})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1999-12", "2100-01"])
def test_the_cockpit_shows_the_month_error_with_400(client, city, month):
    client.force_login(city.leader_user)
    page = client.get("/leader/cockpit/", {"month": month})
    assert page.status_code == 400
    assert "月份超出范围" in page.content.decode()
    cases = client.get("/leader/cockpit/cases/", {"kind": "received", "month": month})
    assert cases.status_code == 400
    assert "月份超出范围" in cases.content.decode()


@pytest.mark.parametrize("month", ["2000-01", "2099-12"])
def test_the_cockpit_shows_the_first_and_last_month_in_range(client, city, month):
    client.force_login(city.leader_user)
    assert client.get("/leader/cockpit/", {"month": month}).status_code == 200
    cases = client.get("/leader/cockpit/cases/", {"kind": "received", "month": month})
    assert cases.status_code == 200
