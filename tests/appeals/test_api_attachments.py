"""Attachments: judged by content, limited in size, stored with an event, read only by who sees the case."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals.models import Appeal, Attachment, Event
from tests.appeals import files
from tests.appeals.conftest import at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PDF, ELF, EXE = files.PDF, files.ELF, files.EXE


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def upload(user, appeal, name, content):
    return client_for(user).post(
        f"/api/v1/appeals/{appeal.pk}/attachments",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def counts():
    return Appeal.objects.count(), Event.objects.count(), Attachment.objects.count()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("营业执照.pdf", PDF, "application/pdf"),
        ("现场.png", files.png(), "image/png"),
        ("照片.jpg", files.JPEG, "image/jpeg"),
        ("照片.JPEG", files.JPEG, "image/jpeg"),
        ("动图.gif", files.GIF, "image/gif"),
        (
            "申请.docx",
            files.docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "清单.xlsx",
            files.xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "汇报.pptx",
            files.pptx(),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("旧申请.doc", files.doc(), "application/msword"),
        ("旧报表.xls", files.xls(), "application/vnd.ms-excel"),
        ("旧汇报.ppt", files.ppt(), "application/vnd.ms-powerpoint"),
        ("说明.txt", "用电增容说明\r\n第二行".encode(), "text/plain; charset=utf-8"),
        ("说明-gbk.txt", "用电增容说明\n第二行".encode("gbk"), "text/plain; charset=gbk"),
        ("名单.csv", "单位,人数\n市发改委,3\n".encode(), "text/csv; charset=utf-8"),
    ],
)
def test_the_enterprise_attaches_an_allowed_file(city, name, content, content_type):
    appeal = city.file()
    response = upload(city.ent_user, appeal, name, content)
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["name"] == name
    assert answer["content_type"] == content_type
    assert answer["size"] == len(content)
    assert set(answer) >= {"id", "name", "content_type", "size"}
    event = appeal.events.last()
    assert (event.action, event.actor, event.note) == ("attach", city.ent_user, name)

    download = client_for(city.office_user).get(
        f"/api/v1/appeals/{appeal.pk}/attachments/{answer['id']}"
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == content_type
    assert "attachment" in download["Content-Disposition"]


def test_the_lead_unit_and_the_office_attach_too_but_not_a_co_unit(city):
    appeal = city.dispatched(
        when=at("2026-11-02 10:00"), mode="coordinated", lead="fgw", co=["gxj"]
    )
    assert upload(city.fgw_user, appeal, "批复.pdf", PDF).status_code == 201
    assert upload(city.office_user, appeal, "意见.pdf", PDF).status_code == 201
    before = counts()
    assert upload(city.gxj_user, appeal, "协办.pdf", PDF).status_code == 403
    assert counts() == before
    listing = client_for(city.gxj_user).get(f"/api/v1/appeals/{appeal.pk}/attachments")
    assert [item["name"] for item in listing.json()] == ["批复.pdf", "意见.pdf"]


def test_an_attachment_over_20_mb_is_refused_and_nothing_is_written(city, settings):
    appeal = city.file()
    before = counts()
    content = PDF + b"\x00" * (20 * 1024 * 1024 + 1 - len(PDF))
    response = upload(city.ent_user, appeal, "大文件.pdf", content)
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["附件不能超过 20 MB。"]}
    assert counts() == before
    assert not (settings.MEDIA_ROOT).exists() or not any(settings.MEDIA_ROOT.rglob("*.pdf"))


def test_exactly_20_mb_is_accepted(city):
    appeal = city.file()
    content = PDF + b"\x00" * (20 * 1024 * 1024 - len(PDF))
    assert upload(city.ent_user, appeal, "刚好.pdf", content).status_code == 201


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("合同.pdf", ELF, "文件内容与扩展名 .pdf 不符。"),
        ("报告.pdf", EXE, "文件内容与扩展名 .pdf 不符。"),
        ("资料.zip", files.zipped(["a.txt", "b.txt"]), "文件扩展名 .zip 不允许"),
        ("伪装.docx", files.zipped(["word/document.xml"]), "缺少 [Content_Types].xml"),
        ("坏包.docx", b"PK\x03\x04" + b"\x00" * 40, "文件已损坏：无法作为 .docx 文档读取。"),
        ("二进制.txt", bytes(range(256)), "文件内容与扩展名 .txt 不符。"),
    ],
)
def test_a_file_is_judged_by_its_content_and_its_name(city, name, content, message):
    appeal = city.file()
    before = counts()
    response = upload(city.ent_user, appeal, name, content)
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert list(fields) == ["file"]
    assert message in fields["file"][0]
    assert counts() == before


def test_a_closed_case_takes_no_attachment(city):
    appeal = city.file()
    client_for(city.office_user).post(
        f"/api/v1/appeals/{appeal.pk}/reject", {"reason": "重复"}, format="json"
    )
    response = upload(city.ent_user, appeal, "补充.pdf", PDF)
    assert response.status_code == 409
    assert response.json()["status"] == "rejected"


def test_an_attachment_of_another_case_is_404_even_to_who_sees_both(city):
    first, second = city.file(), city.file()
    attachment_id = upload(city.ent_user, first, "营业执照.pdf", PDF).json()["id"]
    client = client_for(city.ent_user)
    assert client.get(f"/api/v1/appeals/{second.pk}/attachments/{attachment_id}").status_code == 404
    assert (
        client.get(f"/api/v1/appeals/{first.pk}/attachments/{attachment_id + 1}").status_code == 404
    )
