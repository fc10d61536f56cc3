"""UTF-8 and GBK/GB2312/GB18030, declared in the header, in a meta tag, wrongly, or not at all."""

import pytest

from qitong.policies.extract import decode
from tests.policies.conftest import add_source, crawl, detail_page, list_page

TEXT = "济南市人民政府办公厅关于印发进一步优化营商环境若干措施的通知，鼎力支持中小企业发展。"
RARE = "䶮𠮷"  # outside GB2312 and GBK, inside GB18030


def html(charset_meta=""):
    return f"<html><head>{charset_meta}<title>通知</title></head><body><p>{TEXT}</p></body></html>"


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "gb18030"])
def test_a_gb_page_declared_in_the_header_is_read(codec):
    raw = html().encode(codec)
    assert TEXT in decode(raw, header_charset=codec)


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "GB18030"])
def test_a_gb_page_declared_in_a_meta_tag_is_read(codec):
    raw = html(f'<meta http-equiv="Content-Type" content="text/html; charset={codec}">').encode(
        codec
    )
    assert TEXT in decode(raw)
    raw = html(f'<meta charset="{codec}">').encode(codec)
    assert TEXT in decode(raw)


def test_a_gbk_page_without_any_declaration_is_read():
    assert TEXT in decode(html().encode("gbk"))


def test_gb18030_characters_outside_gbk_survive():
    raw = html(f"<p>{RARE}</p>").encode("gb18030")
    assert RARE in decode(raw, header_charset="gb2312")
    assert RARE in decode(raw)


def test_a_gbk_page_the_server_calls_latin1_is_read():
    assert TEXT in decode(html().encode("gbk"), header_charset="iso-8859-1")


def test_a_utf8_page_declared_gbk_is_read_as_utf8():
    assert TEXT in decode(html('<meta charset="gbk">').encode("utf-8"))


@pytest.mark.parametrize("declared", [None, "utf-8"])
def test_utf8_with_and_without_declaration(declared):
    assert TEXT in decode(html().encode("utf-8"), header_charset=declared)
    assert TEXT in decode(b"\xef\xbb\xbf" + html().encode("utf-8"))


def test_a_page_cut_in_the_middle_of_a_character_keeps_its_encoding():
    raw = html().encode("gbk")
    cut = raw[: raw.index("优化".encode("gbk")) + 1]
    assert "进一步" in decode(cut, header_charset="gbk")
    assert "进一步" in decode(html().encode("utf-8")[:-20] + "济".encode()[:2])


def test_the_source_setting_overrides_a_wrong_declaration():
    assert TEXT in decode(html('<meta charset="utf-8">').encode("gbk"), forced="gbk")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "meta"),
    [
        ("text/html; charset=gbk", ""),
        ("text/html", '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'),
        ("text/html", ""),
    ],
)
def test_gbk_sites_crawl_right_however_they_declare_it(site, content_type, meta):
    title = "关于支持专精特新中小企业高质量发展的若干措施"
    body = "一、鼓励企业加大研发投入，对认定的专精特新企业给予一次性奖励。\n二、优先保障用地需求。"
    site.page(
        "/list",
        list_page([("/doc/1.html", title)], charset_meta=meta).encode("gbk"),
        content_type=content_type,
    )
    site.page(
        "/doc/1.html",
        detail_page(
            title, body, number="济政发〔2024〕8号", issuer="济南市人民政府", charset_meta=meta
        ).encode("gbk"),
        content_type=content_type,
    )
    add_source(site)
    summary = crawl()
    assert summary["new"] == 1, summary
    from qitong.policies.models import Policy

    policy = Policy.objects.get()
    assert policy.title == title
    assert policy.issuer == "济南市人民政府"
    assert policy.number == "济政发〔2024〕8号"
    assert "专精特新企业给予一次性奖励" in policy.body
