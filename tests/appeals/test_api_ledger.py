"""The ledger (台帐): a spreadsheet of the caller's visible appeals, read back cell by cell."""

import datetime as dt
import html
import io
import re
import subprocess
import sys
import zipfile

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from qitong.appeals import actions
from qitong.core import jobs
from qitong.core.models import Job
from qitong.notify.models import Message
from tests.appeals.conftest import at
from tests.conftest import client_for
from tests.core.formulas import PAYLOADS
from tests.processes import qitong_env

pytestmark = pytest.mark.django_db

HEADERS = [
    "编号",
    "企业名称",
    "统一社会信用代码",
    "标题",
    "渠道",
    "分类",
    "状态",
    "办理方式",
    "牵头单位",
    "协办单位",
    "提交时间",
    "派单时间",
    "联系期限",
    "联系时间",
    "按时联系",
    "答复期限",
    "答复时间",
    "按时答复",
    "办结期限",
    "办结时间",
    "按时办结",
    "期限暂定",
    "升级级别",
    "过程评价",
    "结果评价",
]


def sheet_of(response):
    assert response.status_code == 200
    assert (
        response["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return {row[0]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}


@pytest.fixture
def cases(city):
    contacted = city.dispatched(when=at("2026-11-02 10:00"), lead="fgw")
    actions.sign(contacted, acting_user=city.fgw_user, at=at("2026-11-02 11:00"))
    actions.contact(contacted, acting_user=city.fgw_user, at=at("2026-11-02 14:00"), note="已联系")
    silent = city.dispatched(
        city.key_company, when=at("2026-11-02 10:00"), mode="coordinated", lead="fgw", co=["gxj"]
    )
    waiting = city.file(city.other_company, when=at("2026-11-03 09:00"))
    return contacted, silent, waiting


def test_the_office_downloads_every_case_with_on_time_flags(city, cases):
    contacted, silent, waiting = cases
    with time_machine.travel(at("2026-11-04 09:00"), tick=False):
        rows = sheet_of(client_for(city.office_user).get("/api/v1/appeals/ledger.xlsx"))
    assert set(rows) == {contacted.number, silent.number, waiting.number}

    row = rows[contacted.number]
    assert row["企业名称"] == "济南泉华电子有限公司"
    assert row["统一社会信用代码"] == city.company.uscc
    assert row["渠道"] == "网站"
    assert row["状态"] == "办理中"
    assert row["办理方式"] == "转交办理"
    assert row["牵头单位"] == "市发展和改革委员会"
    assert row["派单时间"] == dt.datetime(2026, 11, 2, 10, 0)
    assert row["联系期限"] == dt.datetime(2026, 11, 3, 10, 0)
    assert row["联系时间"] == dt.datetime(2026, 11, 2, 14, 0)
    assert row["按时联系"] == "是"
    assert row["按时答复"] is None  # not yet due: blank
    assert row["按时办结"] is None
    assert row["期限暂定"] == "否"
    assert row["升级级别"] == 0

    row = rows[silent.number]
    assert row["协办单位"] == "市工业和信息化局"
    assert row["办理方式"] == "协调办理"
    assert row["按时联系"] == "否"  # a key enterprise: half a working day, long passed

    row = rows[waiting.number]
    assert row["状态"] == "待受理"
    assert row["派单时间"] is None
    assert row["按时联系"] is None
    assert row["提交时间"] == dt.datetime(2026, 11, 3, 9, 0)


def test_a_unit_downloads_only_its_cases_and_filters_apply(city, cases):
    contacted, silent, _waiting = cases
    assert set(sheet_of(client_for(city.gxj_user).get("/api/v1/appeals/ledger.xlsx"))) == {
        silent.number
    }
    office = client_for(city.office_user)
    assert set(sheet_of(office.get("/api/v1/appeals/ledger.xlsx", {"unit": "gxj"}))) == {
        silent.number
    }
    assert set(
        sheet_of(office.get("/api/v1/appeals/ledger.xlsx", {"enterprise": city.company.uscc}))
    ) == {contacted.number}


def test_the_ratings_appear_once_given(city):
    appeal = city.dispatched(when=at("2026-11-02 10:00"))
    actions.sign(appeal, acting_user=city.fgw_user, at=at("2026-11-02 10:30"))
    actions.resolve(appeal, acting_user=city.fgw_user, at=at("2026-11-02 11:00"), result="已办结")
    actions.approve(appeal, acting_user=city.office_user, at=at("2026-11-02 12:00"))
    actions.rate(
        appeal,
        acting_user=city.ent_user,
        at=at("2026-11-03 09:00"),
        process="basically_satisfied",
        result="satisfied",
    )
    row = sheet_of(client_for(city.leader_user).get("/api/v1/appeals/ledger.xlsx"))[appeal.number]
    assert (row["过程评价"], row["结果评价"]) == ("基本满意", "满意")
    assert row["按时办结"] == "是"
    assert row["状态"] == "已归档"


def test_enterprises_have_no_ledger(city):
    response = client_for(city.ent_user).get("/api/v1/appeals/ledger.xlsx")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_enterprise_text_reaches_the_ledger_as_text_never_a_formula(city):
    city.company.name = '=HYPERLINK("http://evil.example","企业")'
    city.company.save(update_fields=["name"])
    filed = {payload: city.file(title=payload).number for payload in PAYLOADS}
    response = client_for(city.office_user).get("/api/v1/appeals/ledger.xlsx")
    data = b"".join(response.streaming_content)

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    sheet = load_workbook(io.BytesIO(data)).active
    titles = {row[0].value: row[3] for row in sheet.iter_rows(min_row=2)}
    for payload, number in filed.items():
        assert titles[number].value == payload
        assert titles[number].data_type == "s"
    assert sheet["B2"].value == city.company.name and sheet["B2"].data_type == "s"


def test_the_ledger_reads_a_bounded_number_of_queries_however_many_rows(
    city, django_assert_max_num_queries
):
    for _n in range(12):
        city.dispatched(when=at("2026-11-02 10:00"), mode="coordinated", lead="fgw", co=["gxj"])
    with django_assert_max_num_queries(10):
        rows = sheet_of(client_for(city.office_user).get("/api/v1/appeals/ledger.xlsx"))
    assert len(rows) == 12
    assert {row["协办单位"] for row in rows.values()} == {"市工业和信息化局"}


@pytest.fixture
def small_threshold(settings):
    settings.QITONG_EXPORT_JOB_ROWS = 2


def test_a_large_ledger_is_made_by_a_job_whose_creator_alone_downloads_it(
    city, cases, small_threshold
):
    contacted, silent, waiting = cases
    office = client_for(city.office_user)
    with time_machine.travel(at("2026-11-04 09:00"), tick=False):
        response = office.get("/api/v1/appeals/ledger.xlsx")
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "queued" and body["download"] is None
        assert response["Location"] == body["url"] == f"/api/v1/jobs/{body['id']}"
        # Asking again while it waits gives the same job, not a second one.
        assert office.get("/api/v1/appeals/ledger.xlsx").json()["id"] == body["id"]

        assert jobs.run_queued() == [body["id"]]
    done = office.get(body["url"]).json()
    assert done["status"] == "done"
    assert done["progress"] == {"done": 3, "total": 3, "percent": 100}
    rows = sheet_of(office.get(done["download"]))
    assert set(rows) == {contacted.number, silent.number, waiting.number}
    assert rows[contacted.number]["按时联系"] == "是"  # judged at the instant it was asked for

    message = Message.objects.get(recipient=city.office_user, kind="export_ready")
    assert message.url == f"/jobs/{body['id']}/"
    assert "3" in message.body

    stranger = client_for(city.leader_user)
    assert stranger.get(body["url"]).status_code == 404
    assert stranger.get(done["download"]).status_code == 404


def test_a_small_ledger_still_comes_at_once_and_the_job_keeps_the_filters(
    city, cases, small_threshold
):
    contacted, silent, _waiting = cases
    office = client_for(city.office_user)
    assert set(sheet_of(office.get("/api/v1/appeals/ledger.xlsx", {"unit": "gxj"}))) == {
        silent.number
    }
    city.dispatched(when=at("2026-11-03 10:00"), lead="gxj")
    city.dispatched(when=at("2026-11-03 10:00"), lead="gxj")
    response = office.get("/api/v1/appeals/ledger.xlsx", {"unit": "gxj"})
    assert response.status_code == 202
    jobs.run_queued()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "done" and job.total == 3
    rows = sheet_of(office.get(response.json()["url"] + "/download"))
    assert silent.number in rows and contacted.number not in rows


def test_the_workbench_export_link_leads_a_browser_to_the_jobs_page(city, cases, small_threshold):
    browser = Client()
    browser.force_login(city.office_user)
    workbench = browser.get("/office/queues/?queue=all").content.decode()
    link = re.search(r'href="([^"]*)" data-testid="export"', workbench).group(1)
    response = browser.get(html.unescape(link), HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 303
    page = browser.get(response["Location"])
    assert page.status_code == 200
    assert "导出诉求台帐" in page.content.decode()
    assert 'hx-trigger="every 2s"' in page.content.decode()


def test_a_units_ledger_by_job_holds_its_lists_cases_co_handled_and_returned_ones_included(
    city, cases, small_threshold
):
    _contacted, silent, _waiting = cases
    co = city.dispatched(when=at("2026-11-03 12:00"), mode="coordinated", lead="fgw", co=["gxj"])
    returned = city.dispatched(when=at("2026-11-03 13:00"), lead="gxj")
    actions.return_to_office(
        returned, acting_user=city.gxj_user, at=at("2026-11-03 14:00"), reason="不属于本单位职责"
    )
    unit = client_for(city.gxj_user)
    listed = {row["number"] for row in unit.get("/api/v1/appeals").json()["results"]}
    assert listed == {silent.number, co.number, returned.number}
    response = unit.get("/api/v1/appeals/ledger.xlsx")
    assert response.status_code == 202
    assert jobs.run_queued() == [response.json()["id"]]
    assert set(sheet_of(unit.get(response.json()["url"] + "/download"))) == listed


# On SQLite, a write on a connection whose chunked read is still open fails at once
# ("database is locked") when another connection has committed meanwhile
# (docs/architecture.md): the export job reports progress as it writes the sheet.
EXPORT_WHILE_OTHERS_WRITE = """
import sqlite3, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from qitong.demo.city import load_demo_city
load_demo_city(appeals=30)
from qitong.appeals import ledger
from qitong.core import clock, exports, jobs
from qitong.orgs.models import User

ledger.CHUNK, exports.PROGRESS_EVERY = 2, 1  # many chunks, a progress write after each row
other = sqlite3.connect(sys.argv[1])
read_chunk = ledger._co_units

def others_commit_meanwhile(ids, names):
    with other:  # the sweep, a filing: any other connection's commit
        other.execute("UPDATE core_counter SET value = value + 1")
        other.execute("INSERT INTO core_counter (name, value) VALUES (?, 0)", (f"c{ids[0]}",))
    return read_chunk(ids, names)

ledger._co_units = others_commit_meanwhile
office = User.objects.get(username="office")
job = ledger.start_export(office, "", at=clock.now())
print(jobs.run(job.pk), job.__class__.objects.get(pk=job.pk).error)
"""


def test_the_export_job_survives_other_writers_on_sqlite(tmp_path):
    env = qitong_env(tmp_path, QITONG_REDIS_URL="", QITONG_DATABASE_URL="")
    env["DJANGO_SETTINGS_MODULE"] = "qitong.settings"
    finished = subprocess.run(
        [sys.executable, "-c", EXPORT_WHILE_OTHERS_WRITE, str(tmp_path / "qitong.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "done"
