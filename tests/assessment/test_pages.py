"""The assessment's pages: the ranking with every lost point linked to its cases, a unit's
breakdown and trend, the cases behind a lost point, the export, each scoped like the API."""

import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from qitong.assessment import tally
from qitong.orgs.models import Unit
from tests.appeals.conftest import at
from tests.assessment.conftest import AFTER

pytestmark = pytest.mark.django_db


@pytest.fixture
def travel():
    with time_machine.travel(at(AFTER), tick=False):
        yield


def _client(client, user):
    client.force_login(user)
    return client


def test_the_ranking_links_every_lost_point_to_its_cases(november, city, client, travel):
    page = _client(client, city.office_user).get("/assessment/?period=2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-unit="fgw" data-score="87.5" data-rank="1"' in html
    assert "/assessment/cases/?period=2026-11&amp;unit=fgw&amp;item=contact_on_time" in html
    assert "/assessment/cases/?period=2026-11&amp;unit=gxj&amp;item=returned" in html
    assert "<svg" in html  # the ranking's bars, drawn on the server
    assert "走访覆盖（权重为 0）" in html  # the items left out, said so


def test_the_cases_page_lists_the_cases_behind_a_lost_point(november, city, client, travel):
    page = _client(client, city.office_user).get(
        "/assessment/cases/?period=2026-11&unit=fgw&item=contact_on_time"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert november.late.number in html and november.perfect.number not in html
    assert 'data-testid="figure-count">1<' in html
    bad = client.get("/assessment/cases/?period=2026-11&unit=fgw&item=nothing")
    assert bad.status_code == 400


def test_a_units_page_breaks_its_score_into_items_with_its_trend(november, city, client, travel):
    page = _client(client, city.fgw_user).get("/assessment/units/fgw/?period=2026-11")
    html = page.content.decode()
    assert page.status_code == 200
    assert "87.50" in html and "全市第 1 名" in html
    assert 'data-item="contact_on_time"' in html and "<circle" in html  # the year's trend


def test_a_unit_sees_only_itself(november, city, client, travel):
    _client(client, city.fgw_user)
    ranking = client.get("/assessment/?period=2026-11").content.decode()
    assert 'data-unit="fgw"' in ranking and 'data-unit="gxj"' not in ranking
    assert client.get("/assessment/units/gxj/?period=2026-11").status_code == 404
    assert client.get("/assessment/cases/?period=2026-11&unit=gxj&item=returned").status_code == 404


def test_an_enterprise_is_refused(city, client, travel):
    assert _client(client, city.ent_user).get("/assessment/").status_code == 403


def test_a_bad_period_is_shown_beside_the_field_with_a_400(city, client, travel):
    page = _client(client, city.office_user).get("/assessment/?period=2027-02")
    assert page.status_code == 400 and "尚未开始" in page.content.decode()


def test_the_export_is_the_ranking_as_a_spreadsheet(november, city, client, travel):
    response = _client(client, city.office_user).get("/assessment/export.xlsx?period=2026-11")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("名次", "单位代码", "单位", "得分")
    assert rows[1][:4] == (1, "fgw", "市发展和改革委员会", 87.5)
    assert rows[2][:4] == (2, "gxj", "市工业和信息化局", 28.57)
    assert len(rows) == 6  # the header and the five assessed units


def test_the_ranking_costs_the_same_queries_however_many_units(november, city, client, travel):
    _client(client, city.office_user)
    tally.refresh(at(AFTER))
    client.get("/assessment/?period=2026")  # the session and the templates, warm

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/assessment/?period=2026").status_code == 200
        return len(captured)

    before = queries()
    Unit.objects.bulk_create(
        Unit(code=f"extra-{number}", name=f"新增单位{number}", kind=Unit.Kind.DEPARTMENT)
        for number in range(20)
    )
    assert queries() == before <= 15
