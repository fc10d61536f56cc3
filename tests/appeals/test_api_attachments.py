"""Attachments: judged by content, limited in size, stored with an event, read only by who sees the case."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals.models import Appeal, Attachment, Event
from tests.appeals.conftest import at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x03\x00\x3e\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def zipped(names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in names:
            package.writestr(name, "<xml/>")
    return buffer.getvalue()


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
        ("现场.png", PNG, "image/png"),
        ("照片.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32, "image/jpeg"),
        ("动图.gif", b"GIF89a" + b"\x00" * 32, "image/gif"),
        (
            "申请.docx",
            zipped(["[Content_Types].xml", "word/document.xml"]),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "清单.xlsx",
            zipped(["[Content_Types].xml", "xl/workbook.xml"]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "旧报表.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
            "application/vnd.ms-excel",
        ),
        ("说明.txt", "用电增容说明\r\n第二行".encode(), "text/plain; charset=utf-8"),
        ("说明-gbk.txt", "用电增容说明\n第二行".encode("gbk"), "text/plain; charset=gbk"),
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
        ("合同.pdf", ELF, "不支持的文件类型"),
        ("报告.pdf", EXE, "不支持的文件类型"),
        ("资料.zip", zipped(["a.txt", "b.txt"]), "不支持压缩文件"),
        ("伪装.docx", zipped(["word/document.xml"]), "不支持压缩文件"),
        ("坏包.docx", b"PK\x03\x04" + b"\x00" * 40, "压缩文件已损坏"),
        ("二进制.txt", bytes(range(256)), "不支持的文件类型"),
    ],
)
def test_a_file_is_judged_by_its_content_not_its_name(city, name, content, message):
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
