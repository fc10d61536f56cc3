"""The auditor, and only the auditor, searches the trail and exports it (.xlsx), itself audited."""

import io

import openpyxl
import pytest

from qitong.audit import chain
from qitong.audit.models import Record
from tests.audit.conftest import entry, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(db):
    chain.append(
        [
            entry(0, username="office"),
            entry(1, username="fgw", action=Record.Action.EXPORT),
            entry(2, username="office", action=Record.Action.DOWNLOAD),
        ]
    )


def test_the_auditor_lands_on_the_trail_and_searches_it(client, auditor, trail):
    client.force_login(auditor)
    assert client.get("/").url == "/audit/"
    page = client.get("/audit/", {"username": "office"})
    assert page.status_code == 200
    assert [row.seq for row in page.context["page"].object_list] == [3, 1]
    page = client.get("/audit/", {"action": "export"})
    assert [row.username for row in page.context["page"].object_list] == ["fgw"]
    page = client.get("/audit/", {"start": "2026-12-02", "end": "2026-12-01"})
    assert page.status_code == 400
    assert "截止日期" in page.content.decode()


@pytest.mark.parametrize("persona", ["admin_user", "office_user", "enterprise_user", "leader_user"])
def test_no_one_else_reads_or_exports_the_trail(client, request, persona, trail):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export/").status_code == 403


def test_the_export_holds_what_the_search_found_and_is_recorded(client, auditor, trail, committed):
    client.force_login(auditor)
    with committed():
        answer = client.get("/audit/export/", {"username": "office"})
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)), read_only=True)
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[0][:3] == ("序号", "时间", "用户名")
    assert [(line[0], line[2]) for line in sheet[1:]] == [(1, "office"), (3, "office")]
    assert sheet[1][9] == Record.objects.get(seq=1).hash
    exported = rows(action=Record.Action.EXPORT)[-1]
    assert (exported.username, exported.target) == ("auditor", "/audit/export/")
    assert chain.verify().ok
