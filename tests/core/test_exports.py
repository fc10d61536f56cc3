"""The one spreadsheet writer: text stays text, times are local, memory stays flat."""

import datetime as dt
import io
import re
import signal
import subprocess
import sys
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from qitong.core import exports
from qitong.core.clock import SHANGHAI
from tests.core.formulas import PAYLOADS
from tests.processes import qitong_env


def export(rows, headers=("标题",), **options):
    stream, count = exports.export_to_tempfile(
        title="台帐", headers=list(headers), rows=rows, **options
    )
    with stream:
        data = stream.read()
    assert count == len(rows)
    return data


def sheet_xml(data):
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read("xl/worksheets/sheet1.xml").decode(), package.namelist()


def read_back(data):
    return load_workbook(io.BytesIO(data)).active


@pytest.mark.parametrize("payload", PAYLOADS)
def test_enterprise_text_is_never_a_formula_or_a_link(payload):
    data = export([[payload, "济南泉华电子有限公司"]], headers=("标题", "企业名称"))
    xml, names = sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml  # no formula element at all
    assert not any("_rels/sheet1.xml.rels" in name for name in names)  # no hyperlinks
    cells = re.findall(r'<c r="A2"[^>]*>', xml)
    assert cells == ['<c r="A2" t="inlineStr">']  # a string, not a number or a formula

    cell = read_back(data)["A2"]
    assert cell.data_type == "s"
    assert cell.value == payload


def test_every_payload_in_one_sheet_reads_back_as_written():
    rows = [[payload] for payload in PAYLOADS]
    sheet = read_back(export(rows))
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == PAYLOADS
    assert all(cell.data_type == "s" for (cell,) in sheet.iter_rows(min_row=2))


def test_xml_markup_and_white_space_survive():
    texts = ["<b>粗体</b> & 其他", "  前后有空格  ", "第一行\n第二行"]
    sheet = read_back(export([[text] for text in texts]))
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == texts


def test_control_characters_and_escape_lookalikes_are_escaped_as_excel_does():
    xml, _names = sheet_xml(export([["响铃\x07字符"], ["_x0041_"]]))
    assert "<t>响铃_x0007_字符</t>" in xml
    assert "<t>_x005F_x0041_</t>" in xml  # Excel shows the literal text _x0041_


def test_carriage_returns_survive_as_excel_escapes_them():
    # Written raw, an XML reader turns "\r" and "\r\n" into "\n".
    # Excel (and XlsxWriter's own write_string) write it as _x000D_, which Excel reads back.
    xml, _names = sheet_xml(export([["第一行\r\n第二行"], ["回车\r字符"]]))
    assert "<t>第一行_x000D_\n第二行</t>" in xml
    assert "<t>回车_x000D_字符</t>" in xml


def test_long_text_is_cut_to_excels_limit_in_utf16_units():
    wide = "𠀀" * 20000  # a character beyond U+FFFF: two of Excel's units each
    narrow = "企" * (exports.MAX_TEXT + 10)
    sheet = read_back(export([[wide], [narrow]]))
    cut_wide, cut_narrow = (row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert cut_wide == "𠀀" * (exports.MAX_TEXT // 2)  # never half a character
    assert cut_narrow == "企" * exports.MAX_TEXT


def test_times_are_local_dates_and_numbers_are_numbers():
    instant = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    rows = [[instant, dt.date(2026, 11, 2), 3, 2.5, Decimal("1.25"), None, True]]
    sheet = read_back(export(rows, headers=list("ABCDEFG")))
    values = next(sheet.iter_rows(min_row=2, values_only=True))
    assert values == (
        dt.datetime(2026, 11, 2, 10, 0),
        dt.datetime(2026, 11, 2),
        3,
        2.5,
        1.25,
        None,
        "True",
    )
    assert sheet["A2"].number_format == exports.DATETIME_FORMAT
    assert sheet["B2"].number_format == exports.DATE_FORMAT


def test_nan_and_infinities_are_written_as_their_text_not_a_broken_number():
    values = [float("nan"), float("inf"), Decimal("-Infinity"), Decimal("NaN")]
    data = export([values], headers=list("ABCD"))
    assert "<v>NAN</v>" not in sheet_xml(data)[0].upper()
    row = next(read_back(data).iter_rows(min_row=2, values_only=True))
    assert row == ("nan", "inf", "-Infinity", "NaN")


def test_naive_times_are_local_unless_said_to_be_utc():
    naive = dt.datetime(2026, 11, 2, 2, 0)
    local = read_back(export([[naive]]))["A2"].value
    utc = read_back(export([[naive]], naive_utc=True))["A2"].value
    assert local == naive
    assert utc == dt.datetime(2026, 11, 2, 10, 0)
    assert utc == naive.replace(tzinfo=dt.UTC).astimezone(SHANGHAI).replace(tzinfo=None)


def test_headers_come_first_and_blank_cells_keep_their_columns():
    sheet = read_back(export([["甲", None, "丙"], ["", "乙", None]], headers=("一", "二", "三")))
    assert list(sheet.iter_rows(values_only=True)) == [
        ("一", "二", "三"),
        ("甲", None, "丙"),
        (None, "乙", None),
    ]


def test_progress_is_reported_as_rows_are_written(monkeypatch):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    seen = []
    export([["行"]] * 5, progress=seen.append)
    assert seen == [2, 4, 5]


def _peak_bytes(count):
    rows = (
        [f"诉求标题{n}", f"QT-2026-{n:06d}", n, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]
        for n in range(count)
    )
    tracemalloc.start()
    try:
        stream, written = exports.export_to_tempfile(title="台帐", headers=list("ABCD"), rows=rows)
        stream.close()
        return tracemalloc.get_traced_memory()[1], written
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_however_many_rows():
    small, _ = _peak_bytes(2_000)
    large, written = _peak_bytes(20_000)
    assert written == 20_000
    # Ten times the rows: holding them would cost megabytes more (about 3.5 MB as Python
    # objects); one row at a time does not. The margin leaves room for what other threads of
    # the test process (loopback servers of earlier tests) allocate while this one is traced.
    assert large < small + 1024 * 1024


def test_columns_of_instants_take_posix_seconds_as_local_dates():
    instant = dt.datetime(2026, 11, 2, 2, 0, 30, tzinfo=dt.UTC)
    sheet = read_back(export([[instant.timestamp(), 2.5]], headers=("时间", "数"), instants=(0,)))
    assert sheet["A2"].value == dt.datetime(2026, 11, 2, 10, 0, 30)
    assert sheet["A2"].number_format == exports.DATETIME_FORMAT
    assert sheet["B2"].value == 2.5  # other columns' floats stay numbers


KILLED_MID_EXPORT = """
import os, signal, django
django.setup()
from qitong.core import exports

def rows():
    for n in range(20000):
        if n == 15000:  # some rows are in XlsxWriter's row file by now
            os.kill(os.getpid(), signal.SIGKILL)
        yield [f"诉求标题{n}", n]

exports.export_to_tempfile(title="台帐", headers=["标题", "序号"], rows=rows())
"""


def test_what_a_killed_export_leaves_is_found_and_cleared(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    env = qitong_env(tmp_path, QITONG_REDIS_URL="", QITONG_DATABASE_URL="")
    env["DJANGO_SETTINGS_MODULE"] = "qitong.settings"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_EXPORT], env=env, capture_output=True, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (left,) = list(exports.scratch_dir().iterdir())  # its row file, under the data directory
    assert left.stat().st_size > 0

    written = dt.datetime.fromtimestamp(left.stat().st_mtime, dt.UTC)
    assert exports.clear_scratch(now=written + dt.timedelta(hours=1)) == 0  # may be running
    assert exports.clear_scratch(now=written + exports.SCRATCH_KEPT * 2) == 1
    assert list(exports.scratch_dir().iterdir()) == []


def test_a_finished_export_leaves_nothing_in_the_scratch_folder(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    export([["行"]] * 3)
    assert list(exports.scratch_dir().iterdir()) == []
