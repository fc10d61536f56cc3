"""The admin's import page: a small file answers at once, a large one runs as a job with progress."""

import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.core import jobs
from qitong.core.models import Job
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import User

pytestmark = pytest.mark.django_db

PAGE = "/admin/enterprises/enterprise/import/"
GOOD = make_uscc("91370102MA3C80001")
BAD = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")


def listing(name="名单.csv"):
    text = "\n".join(
        [
            "企业名称,统一社会信用代码",
            f"济南舜耕山庄有限公司,{GOOD}",
            f"济南舜玉路商贸有限公司,{BAD}",
        ]
    )
    return SimpleUploadedFile(name, text.encode("gbk"), content_type="text/csv")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


def test_the_enterprise_list_links_to_the_import_page(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/enterprises/enterprise/").content.decode()
    assert f'href="{PAGE}"' in page
    form = client.get(PAGE).content.decode()
    assert "统一社会信用代码、信用代码、社会信用代码、统一代码" in form  # the columns it knows


def test_a_small_file_is_imported_at_once_with_its_report(client, admin_user, region, media):
    client.force_login(admin_user)
    response = client.post(PAGE, {"file": listing()})
    assert response.status_code == 200
    page = response.content.decode()
    assert "新增 1 家，更新 0 家，拒绝 1 行。" in page
    assert (
        f"<td>3</td><td>统一社会信用代码校验位错误：第 18 位应为 {GOOD[17]}，实际为 {BAD[17]}。</td>"
        in page
    )
    assert Enterprise.objects.get().uscc == GOOD
    assert not Job.objects.exists()


def test_an_unreadable_file_is_a_form_error(client, admin_user, media):
    client.force_login(admin_user)
    fake = SimpleUploadedFile("名单.xlsx", b"not a zip")
    page = client.post(PAGE, {"file": fake}).content.decode()
    assert "文件不是有效的 Excel 工作簿（.xlsx）：内容不是 zip 压缩包。" in page
    other = SimpleUploadedFile("名单.xls", b"whatever")
    assert "请上传 .xlsx 或 .csv 文件。" in client.post(PAGE, {"file": other}).content.decode()


def test_a_large_file_runs_as_a_job_whose_progress_and_report_the_page_shows(
    client, admin_user, region, media, settings
):
    settings.QITONG_IMPORT_JOB_BYTES = 10
    client.force_login(admin_user)
    response = client.post(PAGE, {"file": listing()})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?job={job.pk}"
    stored = job.params["file"]
    assert default_storage.exists(stored)

    waiting = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in waiting
    assert "<progress" in waiting
    assert f'href="/jobs/{job.pk}/"' in waiting
    assert not Enterprise.objects.exists()

    assert jobs.run_queued() == [job.pk]
    done = client.get(response["Location"]).content.decode()
    assert "新增 1 家，更新 0 家，拒绝 1 行。" in done
    assert "refresh" not in done
    assert Enterprise.objects.get().uscc == GOOD
    assert not default_storage.exists(stored)  # the upload is not kept once imported
    job.refresh_from_db()
    with job.result.open("rb") as report:
        assert json.loads(report.read())["created"] == 1
    assert client.get(f"/jobs/{job.pk}/").status_code == 200


def test_another_user_cannot_see_the_job_and_a_clerk_cannot_import(
    client, admin_user, media, settings
):
    settings.QITONG_IMPORT_JOB_BYTES = 10
    client.force_login(admin_user)
    client.post(PAGE, {"file": listing()})
    job = Job.objects.get()
    other = User.objects.create_superuser("admin2", "a2@example.cn", "x-Very-long-password-1")
    client.force_login(other)
    assert client.get(f"{PAGE}?job={job.pk}").status_code == 404
    clerk = User.objects.create_user(
        "clerk", password="x-Very-long-password-1", is_staff=True, role=User.Role.ADMIN
    )
    client.force_login(clerk)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"file": listing()}).status_code == 403


def test_an_unreadable_large_file_reports_why_on_the_page(client, admin_user, media, settings):
    settings.QITONG_IMPORT_JOB_BYTES = 10
    client.force_login(admin_user)
    fake = SimpleUploadedFile("名单.xlsx", "企业名称,统一社会信用代码\n".encode())
    response = client.post(PAGE, {"file": fake})
    jobs.run_queued()
    page = client.get(response["Location"]).content.decode()
    assert "文件不是有效的 Excel 工作簿（.xlsx）：内容不是 zip 压缩包。" in page
    assert Job.objects.get().status == Job.Status.DONE
