"""The pages of pairing and visits: the survey form, filing from the page, the workbench,
the ledgers and batches, each within the user's scope."""

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from qitong.appeals.models import Appeal
from qitong.visits.models import Difficulty, Visit
from tests.appeals.conftest import at
from tests.visits.conftest import PAIRED

WHEN = at("2026-03-10 10:00")


def _login(client, user):
    client.force_login(user)
    return client


def test_a_town_records_a_visit_and_its_difficulties_are_appeals_at_once(client, city):
    _login(client, city.town_user)
    form = client.get(reverse("visit-new", args=[city.company.pk]))
    assert form.status_code == 200 and "订单情况" in form.content.decode()
    answer = client.post(
        reverse("visit-new", args=[city.company.pk]),
        {"q_orders": "订单饱满", "d1_text": "用电增容审批缓慢", "d2_text": "缺焊工"},
    )
    visit = Visit.objects.get()
    assert answer.status_code == 302 and answer.url == reverse("visit-detail", args=[visit.pk])
    assert visit.difficulties.filter(state=Difficulty.State.FILED).count() == 2
    assert Appeal.objects.filter(channel="visit").count() == 2  # filed at once
    assert client.get(reverse("visit-new", args=[city.other_company.pk])).status_code == 404


def test_the_form_shows_errors_by_field(client, city):
    _login(client, city.town_user)
    answer = client.post(
        reverse("visit-new", args=[city.company.pk]), {"d1_text": "问题", "d1_solved": "on"}
    )
    assert answer.status_code == 400 and "解决情况" in answer.content.decode()
    assert not Visit.objects.exists()


def test_the_workbench_shows_what_is_overdue(client, city):
    with time_machine.travel(PAIRED + dt.timedelta(days=10), tick=False):
        page = _login(client, city.town_user).get(reverse("visit-mine")).content.decode()
        assert f'data-testid="pairing-{city.town_pairing.pk}" data-overdue="1"' in page
        page = _login(client, city.fgw_user).get(reverse("visit-mine")).content.decode()
        assert f'data-testid="pairing-{city.fgw_pairing.pk}"' in page
        assert 'data-overdue="1"' not in page
    assert _login(client, city.office_user).get(reverse("visit-mine")).status_code == 403


def _sheet(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[cell.value for cell in row] for row in book.active.iter_rows()]


def test_the_ledgers_are_spreadsheets_of_what_the_user_sees(client, city):
    city.visit(when=WHEN, difficulties=[{"text": '=HYPERLINK("http://x")'}])
    city.visit(city.fgw_user, city.other_company, when=WHEN)
    rows = _sheet(_login(client, city.town_user).get(reverse("visit-ledger")))
    assert rows[0][0] == "企业名称" and len(rows) == 2 and rows[1][0] == city.company.name
    assert "订单情况" in rows[0] and "订单同比增长一成。" in rows[1]
    rows = _sheet(_login(client, city.office_user).get(reverse("visit-ledger")))
    assert len(rows) == 3
    rows = _sheet(client.get(reverse("visit-pairing-ledger")))
    assert len(rows) == 4 and rows[0][3] == "包联领导或单位"


def test_an_office_pairs_and_runs_a_batch_from_the_pages(client, city):
    _login(client, city.office_user)
    answer = client.post(
        reverse("visit-pairings"), {"uscc": city.key_company.uscc, "unit": city.gxj.pk}
    )
    assert answer.status_code == 302
    assert city.key_company.pairings.filter(unit=city.gxj).exists()
    answer = client.post(
        reverse("visit-batches"),
        {"name": "第一批", "starts_on": "2026-04-01", "ends_on": "2026-04-30", "covers": "paired"},
    )
    assert answer.status_code == 302
    page = client.get(answer.url).content.decode()
    assert "0 / 3" in page
    assert _login(client, city.town_user).post(reverse("visit-batches"), {}).status_code == 403


@pytest.mark.parametrize("name", ["visit-list", "visit-pairings", "visit-batches"])
def test_enterprises_may_not_open_the_officers_pages(client, city, name):
    assert _login(client, city.ent_user).get(reverse(name)).status_code == 403
