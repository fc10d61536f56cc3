"""The management command ``qitong workdays add START N``."""

import io

import pytest
from django.core.management import CommandError, call_command


def run(*args):
    out = io.StringIO()
    call_command("workdays", "add", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "working_days", "line"),
    [
        ("2026-09-30T10:00+08:00", "3", "2026-10-10T10:00+08:00"),
        ("2026-09-25T20:00+08:00", "1", "2026-09-28T17:00+08:00"),
        ("2026-09-30T10:00+08:00", "1.5", "2026-10-08T14:00+08:00"),
        ("2026-12-30T10:00+08:00", "3", "2027-01-05T10:00+08:00, provisional"),
    ],
)
def test_it_prints_exactly_the_contracts_answer_for_each_worked_example(start, working_days, line):
    assert run(start, working_days) == line + "\n"


@pytest.mark.django_db
def test_it_reads_a_start_without_offset_as_shanghai_time():
    assert run("2026-09-30T10:00", "3") == "2026-10-10T10:00+08:00\n"


@pytest.mark.django_db
def test_it_prints_the_answer_in_shanghai_time_for_a_utc_start():
    assert run("2026-09-30T02:00+00:00", "3") == "2026-10-10T10:00+08:00\n"


@pytest.mark.django_db
@pytest.mark.parametrize("start", ["tomorrow", "2026-13-01T10:00+08:00", "", "30/09/2026"])
def test_it_refuses_a_bad_start_in_chinese(start):
    with pytest.raises(CommandError) as caught:
        run(start, "3")

    assert str(caught.value) == (
        f"开始时间 {start} 无效：应为 ISO 8601 格式，如 2026-09-30T10:00+08:00。"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("working_days", ["three", "", "1,5"])
def test_it_refuses_a_working_days_value_that_is_not_a_number(working_days):
    with pytest.raises(CommandError) as caught:
        run("2026-09-30T10:00+08:00", working_days)

    assert str(caught.value) == f"工作日数 {working_days} 无效：应为数字，如 3 或 1.5。"


@pytest.mark.django_db
@pytest.mark.parametrize("working_days", ["-1", "-0.5", "NaN", "Infinity", "3651"])
def test_it_refuses_a_negative_or_unbounded_number_of_working_days(working_days):
    with pytest.raises(CommandError) as caught:
        run("2026-09-30T10:00+08:00", working_days)

    assert str(caught.value) == f"工作日数 {working_days} 无效：应在 0 到 3650 之间。"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "working_days"),
    [("2026-09-30T10:00+08:00", "3000"), ("9999-12-31T10:00+08:00", "1")],
)
def test_it_refuses_a_deadline_beyond_the_calendar_in_chinese(start, working_days):
    with pytest.raises(CommandError) as caught:
        run(start, working_days)

    assert str(caught.value).startswith(f"无法计算：{start} 之后 {working_days} 个工作日")
