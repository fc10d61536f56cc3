"""The monthly bulletin: built as a PDF (its text read back) and a spreadsheet, stored per
month, rebuilt in place, published to the units' inboxes, built by the job on the first
working day, and by the office's button as a background job."""

import io

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from qitong.assessment import actions, periods, tasks
from qitong.assessment.models import Bulletin
from qitong.core import jobs
from qitong.core.models import Job
from qitong.notify.models import Message
from tests.appeals.conftest import at
from tests.assessment.conftest import AFTER

pytestmark = pytest.mark.django_db
NOVEMBER = periods.parse("2026-11")


def _text(stored):
    """The PDF's text, its line breaks and spaces left out (lines break inside words)."""
    with stored.open("rb") as pdf:
        pages = PdfReader(io.BytesIO(pdf.read())).pages
    return "".join("".join(page.extract_text() for page in pages).split())


def test_a_bulletin_is_a_pdf_with_the_ranking_and_a_spreadsheet(november, city):
    bulletin = actions.build_bulletin(NOVEMBER, acting_user=city.office_user, at=at(AFTER))
    text = _text(bulletin.pdf)
    assert "2026年11月服务企业工作通报" in text
    assert "市发展和改革委员会" in text and "87.50" in text
    assert "市工业和信息化局" in text and "28.57" in text
    assert "一般事项限时办结率" in text and "未达标" in text  # gxj's returned case
    assert "走访覆盖（权重为0）" in text
    with bulletin.xlsx.open("rb") as xlsx:
        rows = list(load_workbook(io.BytesIO(xlsx.read())).active.iter_rows(values_only=True))
    assert rows[1][:4] == (1, "fgw", "市发展和改革委员会", 87.5)
    assert bulletin.built_by == city.office_user and bulletin.builds == 1


def test_building_a_month_again_replaces_it_and_keeps_who_published_it(
    november, city, django_capture_on_commit_callbacks
):
    first = actions.build_bulletin(NOVEMBER, acting_user=city.office_user, at=at(AFTER))
    old_pdf = first.pdf.name
    actions.publish_bulletin(NOVEMBER, acting_user=city.office_user, at=at("2026-12-15 11:00"))
    with django_capture_on_commit_callbacks(execute=True):
        again = actions.build_bulletin(
            NOVEMBER, acting_user=actions.SCHEDULE, at=at("2026-12-16 10:00")
        )
    assert Bulletin.objects.count() == 1 and again.pk == first.pk
    again.refresh_from_db()
    assert again.builds == 2 and again.built_by is None
    assert again.published_by == city.office_user
    assert again.published_at == at("2026-12-15 11:00")
    assert again.pdf.name != old_pdf and not again.pdf.storage.exists(old_pdf)


def test_publishing_tells_every_units_staff_once(november, city):
    actions.build_bulletin(NOVEMBER, acting_user=city.office_user, at=at(AFTER))
    actions.publish_bulletin(NOVEMBER, acting_user=city.office_user, at=at(AFTER))
    told = Message.objects.filter(kind="bulletin")
    assert {message.recipient for message in told} == {
        city.fgw_user,
        city.gxj_user,
        city.zjj_user,
        city.town_user,
    }
    assert {message.url for message in told} == {"/assessment/bulletins/2026-11/pdf"}
    with pytest.raises(actions.Conflict):
        actions.publish_bulletin(NOVEMBER, acting_user=city.office_user, at=at(AFTER))


def test_only_the_city_office_builds_and_publishes_and_a_month_must_be_over(november, city):
    with pytest.raises(actions.PermissionDenied):
        actions.build_bulletin(NOVEMBER, acting_user=city.district_user, at=at(AFTER))
    with pytest.raises(actions.PermissionDenied):
        actions.publish_bulletin(NOVEMBER, acting_user=city.fgw_user, at=at(AFTER))
    with pytest.raises(actions.ValidationError) as refused:
        actions.build_bulletin(periods.parse("2026-12"), acting_user=city.office_user, at=at(AFTER))
    assert "month" in refused.value.message_dict
    assert not Bulletin.objects.exists()


def test_units_download_a_bulletin_once_it_is_published(november, city, client):
    actions.build_bulletin(NOVEMBER, acting_user=city.office_user, at=at(AFTER))
    client.force_login(city.fgw_user)  # at the real time: no travel needed to download
    assert client.get("/assessment/bulletins/2026-11/pdf").status_code == 404
    actions.publish_bulletin(NOVEMBER, acting_user=city.office_user, at=at(AFTER))
    response = client.get("/assessment/bulletins/2026-11/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(city.ent_user)
    assert client.get("/assessment/bulletins/2026-11/pdf").status_code == 403


def test_the_job_builds_last_months_bulletin_from_the_first_working_day(november, city):
    # 1 January 2027 is a holiday (New Year's Day); the first working day is Monday the 4th.
    with time_machine.travel(at("2027-01-01 10:00"), tick=False):
        assert tasks.build_due_bulletin() is None
    with time_machine.travel(at("2027-01-04 09:00"), tick=False):
        assert tasks.build_due_bulletin() == "2026-12"
        assert tasks.build_due_bulletin() is None  # once
    bulletin = Bulletin.objects.get()
    assert bulletin.month.isoformat() == "2026-12-01" and bulletin.built_by is None


def test_the_office_button_builds_it_in_a_job_and_tells_the_office(november, city, client):
    with time_machine.travel(at(AFTER), tick=False):
        client.force_login(city.office_user)
        response = client.post("/assessment/bulletins/", {"month": "2026-11"})
        job = Job.objects.get()
        assert response.status_code == 302 and response["Location"] == jobs.job_page_url(job)
        assert jobs.run(job.pk) == Job.Status.DONE
        refused = client.post("/assessment/bulletins/", {"month": "2026-12"})
        assert refused.status_code == 400 and Job.objects.count() == 1
        client.force_login(city.fgw_user)
        assert client.post("/assessment/bulletins/", {"month": "2026-11"}).status_code == 403
    assert Bulletin.objects.get().built_by == city.office_user
    told = Message.objects.get(kind="bulletin_built")
    assert told.recipient == city.office_user and told.url == "/assessment/bulletins/2026-11/pdf"
