"""An attachment is accepted only when its content is an allowed kind and its extension names that kind.

The payloads an outside probe got through (an OLE installer under any name, a
zip with an Office marker carrying an executable, HTML, SVG, batch files and
HTML applications as "text") are refused on every road that takes files: the
API, the case page and the portal's filing form.
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals import uploads
from qitong.appeals.models import Appeal, Attachment, Event
from tests.appeals import files
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><rect/></svg>'
HTML = b"<html><body><script>alert(1)</script></body></html>"
BAT = b"@echo off\r\ndel /q C:\\*\r\n"
HTA = b'<hta:application id="x"/><script language="VBScript">CreateObject("WScript.Shell")</script>'

WORD = {"WordDocument": b"\xec\xa5" + b"\x00" * 100}

EXTENSION_REFUSED = [
    ("setup.msi", files.msi(), "文件扩展名 .msi 不允许"),
    ("payload.exe", files.doc(), "文件扩展名 .exe 不允许"),
    ("payload.exe", files.EXE, "文件扩展名 .exe 不允许"),
    ("页面.html", HTML, "文件扩展名 .html 不允许"),
    ("图.svg", SVG, "文件扩展名 .svg 不允许"),
    ("run.bat", BAT, "文件扩展名 .bat 不允许"),
    ("app.hta", HTA, "文件扩展名 .hta 不允许"),
    ("资料.zip", files.docx(), "文件扩展名 .zip 不允许"),
    ("说明", b"plain words", "文件名没有扩展名"),
    ("合同.pdf.exe", files.PDF, "文件扩展名 .exe 不允许"),
]
CONTENT_REFUSED = [
    # an installer (OLE without a document stream) under a document's name
    ("安装.doc", files.msi(), "文件内容与扩展名 .doc 不符：缺少 WordDocument 数据流。"),
    ("安装.xls", files.msi(), "文件内容与扩展名 .xls 不符：缺少 Workbook 数据流。"),
    ("安装.ppt", files.msi(), "文件内容与扩展名 .ppt 不符：缺少 PowerPoint Document 数据流。"),
    # a real document under another kind's name
    ("报表.xls", files.doc(), "文件内容与扩展名 .xls 不符：缺少 Workbook 数据流。"),
    ("申请.docx", files.doc(), "文件内容与扩展名 .docx 不符。"),
    ("旧申请.doc", files.docx(), "文件内容与扩展名 .doc 不符。"),
    ("清单.xlsx", files.docx(), "文件内容与扩展名 .xlsx 不符：缺少 xl/workbook.xml。"),
    ("照片.jpg", files.png(), "文件内容与扩展名 .jpg 不符。"),
    ("合同.pdf", files.png(), "文件内容与扩展名 .pdf 不符。"),
    # markup and scripts are not plain text for our purposes only by extension;
    # under .txt they are stored as text/plain and never rendered
    ("说明.txt", files.EXE, "文件内容与扩展名 .txt 不符。"),
    ("说明.csv", files.PDF + bytes(range(32)), "文件内容与扩展名 .csv 不符。"),
    # a zip with the Office marker and an executable inside
    (
        "申请.docx",
        files.docx(extra=[("evil.exe", files.EXE)]),
        "Office 文档中含有不属于文档的文件：evil.exe。",
    ),
    (
        "申请.docx",
        files.docx(extra=[("word/media/evil.exe", files.EXE)]),
        "Office 文档中含有不属于文档的文件：evil.exe。",
    ),
    (
        "申请.docx",
        files.docx(extra=[("word/media/image1.png", files.EXE)]),
        "Office 文档中含有不属于文档的文件：image1.png。",
    ),
    (
        "申请.docx",
        files.docx(extra=[("tools/readme.xml", b"<x/>")]),
        "Office 文档中含有不属于文档的文件：readme.xml。",
    ),
    (
        "报表.xlsx",
        files.zipped(["[Content_Types].xml", "xl/workbook.xml", "evil.exe"]),
        "Office 文档中含有不属于文档的文件：evil.exe。",
    ),
    # an embedded "package" object wraps any file, here a program
    (
        "申请.docx",
        files.docx(
            extra=[("word/embeddings/oleObject1.bin", files.ole({"\x01Ole10Native": files.EXE}))]
        ),
        "Office 文档中嵌入了文件包（oleObject1.bin）",
    ),
    (
        "申请.docx",
        files.docx(
            extra=[("word/embeddings/oleObject1.bin", files.ole({"A": b"1"}, storages=["Macros"]))]
        ),
        "不接受含宏的 Office 文档（.docx）",
    ),
    # macros, in either generation of Office file
    (
        "申请.docx",
        files.docx(extra=[("word/vbaProject.bin", b"\x00" * 64)]),
        "不接受含宏的 Office 文档（.docx）",
    ),
    ("申请.docx", files.docx(main=files.DOCM_MAIN), "不接受含宏的 Office 文档（.docx）"),
    (
        "旧申请.doc",
        files.ole({"WordDocument": b"\x00" * 16}, storages=["Macros"]),
        "不接受含宏的 Office 文档（.doc）",
    ),
    (
        "旧报表.xls",
        files.ole({"Workbook": b"\x00" * 16}, storages=["_VBA_PROJECT_CUR"]),
        "不接受含宏的 Office 文档（.xls）",
    ),
    # the same, deeper in the tree: where Word and Excel keep their embedded objects
    (
        "旧申请.doc",
        files.ole(WORD, storages={"ObjectPool": {"_1": {"\x01Ole10Native": files.EXE}}}),
        "Office 文档中嵌入了文件包（ObjectPool/_1）",
    ),
    (
        "旧申请.doc",
        files.ole(WORD, storages={"ObjectPool": {"_2": {"Workbook": b"\x09\x08", "Macros": {}}}}),
        "不接受含宏的 Office 文档（.doc）",
    ),
    (
        "申请.docx",
        files.docx(
            extra=[
                (
                    "word/embeddings/oleObject1.bin",
                    files.ole(storages={"Inner": {"\x01Ole10Native": files.EXE}}),
                )
            ]
        ),
        "Office 文档中嵌入了文件包（oleObject1.bin）",
    ),
    # Office does not mind the case of a storage's name, so neither do we
    (
        "旧报表.xls",
        files.ole({"Workbook": b"\x00" * 16}, storages=["_vba_project_cur"]),
        "不接受含宏的 Office 文档（.xls）",
    ),
    # damaged containers
    ("旧报表.xls", files.OLE_MAGIC_ONLY, "文件已损坏：无法作为 .xls 文档读取。"),
    ("坏包.xlsx", files.xlsx()[:200], "文件已损坏：无法作为 .xlsx 文档读取。"),
]
ACCEPTED = [
    ("营业执照.pdf", files.PDF, "application/pdf"),
    ("现场.PNG", files.png(), "image/png"),
    ("照片.jpeg", files.JPEG, "image/jpeg"),
    ("动图.gif", files.GIF, "image/gif"),
    ("申请.docx", files.docx(), uploads.OOXML["docx"][1]),
    (
        "申请.docx",
        files.docx(extra=[("docProps/core.xml", b"<x/>"), ("word/media/image1.png", files.png())]),
        uploads.OOXML["docx"][1],
    ),
    (
        "申请.docx",
        files.docx(extra=[("word/embeddings/oleObject1.bin", files.xls())]),
        uploads.OOXML["docx"][1],
    ),
    ("清单.xlsx", files.xlsx(), uploads.OOXML["xlsx"][1]),
    ("汇报.pptx", files.pptx(), uploads.OOXML["pptx"][1]),
    ("旧申请.doc", files.doc(), "application/msword"),
    (
        "旧申请.doc",
        files.ole(WORD, storages={"ObjectPool": {"_1": {"Workbook": b"\x09\x08"}}}),
        "application/msword",
    ),
    ("旧报表.xls", files.xls(), "application/vnd.ms-excel"),
    ("旧报表.xls", files.ole({"Book": b"\x09\x00"}), "application/vnd.ms-excel"),
    ("旧汇报.ppt", files.ppt(), "application/vnd.ms-powerpoint"),
    ("说明.txt", "企业说明\n".encode(), "text/plain; charset=utf-8"),
    ("名单.csv", "单位,人数\n".encode("gbk"), "text/csv; charset=gbk"),
]


def judged(name, content):
    return uploads.inspect(SimpleUploadedFile(name, content))


def refusal(name, content):
    with pytest.raises(ValidationError) as caught:
        judged(name, content)
    assert list(caught.value.message_dict) == ["file"]
    (message,) = caught.value.message_dict["file"]
    return message


@pytest.mark.parametrize(("name", "content", "message"), EXTENSION_REFUSED)
def test_a_name_whose_extension_is_not_allowed_is_refused_naming_it(name, content, message):
    assert refusal(name, content).startswith(message)


@pytest.mark.parametrize(("name", "content", "message"), CONTENT_REFUSED)
def test_content_that_is_not_what_the_extension_names_is_refused(name, content, message):
    assert refusal(name, content).startswith(message)


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED)
def test_each_allowed_kind_under_its_own_extension_is_accepted(name, content, content_type):
    assert judged(name, content) == content_type


def test_the_refusal_lists_what_may_be_uploaded():
    message = refusal("setup.msi", files.msi())
    assert "PDF" in message and "docx" in message and "txt" in message


# --- every road that takes a file -------------------------------------------------------


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def _written():
    return Appeal.objects.count(), Event.objects.count(), Attachment.objects.count()


PROBE = [
    ("setup.msi", files.msi(), "文件扩展名 .msi 不允许"),
    ("payload.exe", files.msi(), "文件扩展名 .exe 不允许"),
    (
        "申请.docx",
        files.docx(extra=[("evil.exe", files.EXE)]),
        "Office 文档中含有不属于文档的文件：evil.exe",
    ),
    ("页面.html", HTML, "文件扩展名 .html 不允许"),
    ("图.svg", SVG, "文件扩展名 .svg 不允许"),
    ("run.bat", BAT, "文件扩展名 .bat 不允许"),
    ("app.hta", HTA, "文件扩展名 .hta 不允许"),
]


@pytest.mark.parametrize(("name", "content", "message"), PROBE)
def test_the_api_refuses_the_probes_payloads(city, name, content, message):
    appeal = city.file()
    before = _written()
    response = client_for(city.ent_user).post(
        f"/api/v1/appeals/{appeal.pk}/attachments",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert message in response.json()["fields"]["file"][0]
    assert _written() == before


@pytest.mark.parametrize(("name", "content", "message"), PROBE)
def test_the_case_page_refuses_the_probes_payloads(client, city, name, content, message):
    appeal = city.file()
    client.force_login(city.ent_user)
    before = _written()
    page = client.post(
        f"/appeals/{appeal.pk}/upload/", {"file": SimpleUploadedFile(name, content)}, follow=True
    )
    assert page.status_code == 200
    assert message in page.content.decode()
    assert _written() == before


def test_the_case_page_takes_a_real_workbook(client, city):
    appeal = city.file()
    client.force_login(city.ent_user)
    page = client.post(
        f"/appeals/{appeal.pk}/upload/",
        {"file": SimpleUploadedFile("清单.xlsx", files.xlsx())},
        follow=True,
    )
    assert "附件已上传" in page.content.decode()
    assert appeal.attachments.get().content_type == uploads.OOXML["xlsx"][1]


def _filing(**changes):
    from qitong.appeals.models import Category

    return {
        "category": str(Category.objects.get(code="factors-power").pk),
        "title": "新厂房用电增容",
        "content": "新厂房需要增容 2000 千伏安，申请两个月未批复。",
        "contact_name": "王经理",
        "contact_phone": "0531-88886666",
        **changes,
    }


@pytest.mark.parametrize(("name", "content", "message"), PROBE)
def test_the_portal_form_refuses_the_probes_payloads(client, city, name, content, message):
    client.force_login(city.ent_user)
    before = _written()
    good = SimpleUploadedFile("ok.pdf", files.PDF)
    page = client.post(
        "/portal/new/", _filing(attachments=[good, SimpleUploadedFile(name, content)])
    )
    assert page.status_code == 200
    assert f"{name}：{message}" in page.content.decode().replace("&amp;", "&")
    assert _written() == before


def test_the_portal_form_takes_real_office_files(client, city):
    client.force_login(city.ent_user)
    attachments = [
        SimpleUploadedFile("申请.docx", files.docx()),
        SimpleUploadedFile("旧报表.xls", files.xls()),
    ]
    page = client.post("/portal/new/", _filing(attachments=attachments))
    assert page.status_code == 302
    appeal = Appeal.objects.get()
    assert sorted(appeal.attachments.values_list("content_type", flat=True)) == [
        "application/vnd.ms-excel",
        uploads.OOXML["docx"][1],
    ]


def test_photos_are_images_only_and_counted():
    photo = SimpleUploadedFile("现场.png", files.png())
    assert uploads.images([photo], most=2) == [(photo, "现场.png", "image/png")]
    with pytest.raises(ValidationError) as refused:
        uploads.images([SimpleUploadedFile("合同.pdf", files.PDF)], most=2)
    assert refused.value.message_dict == {"photos": ["合同.pdf：只能上传图片（PNG、JPEG、GIF）。"]}
    with pytest.raises(ValidationError) as refused:
        uploads.images([photo] * 3, most=2, field="images")
    assert "一次最多上传 2 张照片" in refused.value.message_dict["images"][0]


def test_store_removes_the_files_it_stored_when_a_row_fails(city, settings):
    appeal = city.file()
    facts = {"content_type": "image/png", "size": 10, "uploaded_at": appeal.created_at}
    facts["uploaded_by"] = city.key_user
    kept = Attachment(appeal=appeal, name="一.png", **facts)
    unsaved = Appeal(created_at=appeal.created_at, number="QT-2026-999999")
    broken = Attachment(appeal=unsaved, name="二.png", **facts)
    with pytest.raises(ValueError):  # the second row's appeal was never saved
        uploads.store(
            [
                (kept, SimpleUploadedFile("一.png", files.png())),
                (broken, SimpleUploadedFile("二.png", files.png())),
            ]
        )
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    uploads.store([(kept, SimpleUploadedFile("一.png", files.png()))])
    assert kept.pk and kept.file.storage.exists(kept.file.name)  # the same road, succeeding
