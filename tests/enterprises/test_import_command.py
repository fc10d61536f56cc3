"""``qitong import-enterprises FILE``: the JSON report, exit 0 with rejected rows, 2 for an
unreadable file."""

import json

import pytest
from django.core.management import CommandError, call_command

from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from tests.processes import qitong, qitong_env

pytestmark = pytest.mark.django_db

GOOD = make_uscc("91370102MA3C70001")


def write_csv(path, lines, encoding="utf-8"):
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_the_report_is_printed_as_json_and_rejected_rows_still_exit_0(tmp_path, capsys, region):
    bad = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")
    listing = write_csv(
        tmp_path / "名单.csv",
        [
            "企业名称,统一社会信用代码,所属区划",
            f"济南泉城路百货有限公司,{GOOD},370102",
            f"济南芙蓉路百货有限公司,{bad},",
        ],
        "gbk",
    )
    call_command("import-enterprises", str(listing))  # no CommandError: exit status 0
    out = capsys.readouterr().out
    assert json.loads(out) == {
        "created": 1,
        "updated": 0,
        "rejected": [
            {
                "row": 3,
                "reason": f"统一社会信用代码校验位错误：第 18 位应为 {GOOD[17]}，实际为 {bad[17]}。",
            }
        ],
    }
    assert "统一社会信用代码" in out  # Chinese as itself, not \\u escapes
    call_command("import-enterprises", str(listing))
    assert json.loads(capsys.readouterr().out)["updated"] == 1
    assert Enterprise.objects.get().name == "济南泉城路百货有限公司"


def test_an_unreadable_file_exits_2_with_a_chinese_message(tmp_path, capsys, db):
    fake = tmp_path / "名单.xlsx"
    fake.write_text("企业名称,统一社会信用代码\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import-enterprises", str(fake))
    assert caught.value.returncode == 2
    assert str(caught.value) == "文件不是有效的 Excel 工作簿（.xlsx）：内容不是 zip 压缩包。"
    assert capsys.readouterr().out == ""


def test_a_missing_file_exits_2(tmp_path, db):
    with pytest.raises(CommandError) as caught:
        call_command("import-enterprises", str(tmp_path / "没有.csv"))
    assert caught.value.returncode == 2
    assert str(caught.value).startswith("无法读取文件 ")


def test_the_console_script_exits_2_for_a_file_that_lies(tmp_path):
    """The process's own exit status, through the installed entry point."""
    fake = tmp_path / "名单.csv"
    fake.write_bytes(b"PK\x03\x04" + bytes(100))
    done = qitong("import-enterprises", str(fake), env=qitong_env(tmp_path / "data"))
    assert done.returncode == 2, done.stderr
    assert "文件不是 CSV 文本文件：内容是二进制数据。" in done.stderr
    assert done.stdout == ""
