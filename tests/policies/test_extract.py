"""Extraction from real disclosure pages: every layout of the metadata block seen in the data."""

import datetime as dt
from pathlib import Path

import pytest

from qitong.policies.extract import metadata, parse_date, parse_detail

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200802_1352104.html"


def parse(name, base=BASE):
    return parse_detail((FIXTURES / name).read_text(), base_url=base)


def test_it_reads_the_handan_disclosure_table_and_meta_tags():
    document = parse("handan_detail.html")
    assert (
        document.title == "邯郸市教育局关于印发《全市教育系统安全专项整治三年行动实施方案》的通知"
    )
    assert document.index_number == "000014348/2020-35147"
    assert document.issuer == "邯郸市教育局"
    assert document.subject == "教育"
    assert document.number == ""  # 文号：无
    assert document.published == dt.date(2020, 8, 2)
    assert document.written is None
    assert document.attachments == [
        (
            "http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/P020200802123456.docx",
            "全市教育系统安全专项整治三年行动实施方案.docx",
        )
    ]
    # The metadata block is not part of the policy's text.
    assert "000014348/2020-35147" not in document.body
    assert "请结合实际，认真贯彻落实" in document.body


def test_it_reads_a_metadata_list_with_values_under_their_labels():
    document = parse("zhenba_detail.html")
    assert document.index_number == "6107280000/2024-001005"
    assert document.issuer == "县政府网站"
    assert document.number == "镇政发〔2024〕7号"
    assert document.written == dt.date(2024, 4, 6)
    assert document.published == dt.date(2024, 4, 6)
    assert document.subject == ""  # empty on the page, not the next label's value
    assert "第一章总则" in document.body


def test_it_reads_inline_label_value_lines():
    document = parse("taihu_detail.html")
    assert document.index_number == "003129766/201901-00336"
    assert document.subject == "规范性文件发布"  # 组配分类 where 主题分类 is missing
    assert document.issuer == "太湖县人民政府办公室"
    assert document.number == ""
    assert document.written == dt.date(2019, 1, 23)
    assert document.title == "太湖县人民政府关于印发《太湖县人民政府工作规则》的通知"


def test_it_finds_the_number_and_signing_date_in_the_text_when_the_block_is_empty():
    document = parse("mulan_detail.html")
    assert document.title == "关于印发《木兰县优化营商环境工作方案》的通知"
    assert document.number == "木环组发〔2019〕1号"
    assert document.written == dt.date(2019, 7, 16)
    assert document.published == dt.date(2020, 11, 18)
    assert document.issuer == "木兰县营商局"
    assert document.index_number == ""


def test_it_reads_a_source_line_with_its_date():
    document = parse("xiangyin_detail.html")
    assert document.issuer == "湘阴县人民政府"
    assert document.published == dt.date(2021, 3, 2)
    assert document.number == "湘阴发〔2019〕4号"
    assert document.written == dt.date(2019, 2, 18)


def test_the_real_excerpts_metadata_lines_are_read_as_stored():
    text = (FIXTURES.parent.parent.parent / "../shared/data/real/policies").resolve()
    excerpt = text / "gov_pages_excerpts" / "zwgkw.thx.gov.cn_5c4829ad7f8b9a6f388be521.txt"
    if not excerpt.exists():
        pytest.skip("the shared data folder is not next to this checkout")
    found = metadata(excerpt.read_text().split("---", 1)[1])
    assert found["索引号"] == "003129766/201901-00336"
    assert found["发布机构"] == "太湖县人民政府办公室"
    assert found["文号"] == ""
    assert found["废止时间"] == "2020-01-23"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2020年08月02日", dt.date(2020, 8, 2)),
        ("2024-04-06 16:40", dt.date(2024, 4, 6)),
        ("2019/1/23", dt.date(2019, 1, 23)),
        ("2019.01.23", dt.date(2019, 1, 23)),
        ("2019年13月40日", None),
        ("", None),
    ],
)
def test_dates_are_read_in_every_form_sites_write_them(text, day):
    assert parse_date(text) == day


def test_broken_html_still_gives_its_fields():
    html = (
        "<html><body><table><tr><td>发文字号：<td>鲁政办字〔2024〕12号<tr><td>发布日期：<td>2024-05-01"
        "<div><p>关于进一步支持中小企业发展的若干措施<p>一、加大融资支持力度。对符合条件的中小企业给予贷款贴息"
        "</table></div><p>二、降低用能成本</b></i>"
    )
    document = parse_detail(html, base_url="http://www.shandong.gov.cn/a.html")
    assert document.number == "鲁政办字〔2024〕12号"
    assert document.published == dt.date(2024, 5, 1)
    assert "贷款贴息" in document.body
