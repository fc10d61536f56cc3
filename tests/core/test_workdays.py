"""The working-day calendar of contracts/api-v1.md § Deadlines."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from qitong.core.models import CalendarDay, CalendarYear, OfficeHours
from qitong.core.workdays import (
    Deadline,
    WorkCalendar,
    add_workdays,
    calendar_changed,
    format_instant,
    load_official_schedule,
    parse_schedule,
    statutory_days_off,
)

HOLIDAY, WORKDAY = CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.WORKDAY


def at(text):
    """An aware instant from ISO 8601 text."""
    return dt.datetime.fromisoformat(text)


def day(text):
    return dt.date.fromisoformat(text)


def hours(n):
    return dt.timedelta(hours=n)


@pytest.fixture
def lunch_break(db):
    """Office hours 08:30–12:00 and 14:00–17:30, as stored rows."""
    OfficeHours.objects.create(start=dt.time(8, 30), end=dt.time(12, 0))
    OfficeHours.objects.create(start=dt.time(14, 0), end=dt.time(17, 30))


# --- the contract's worked examples ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "working_days", "answer"),
    [
        ("2026-09-30T10:00+08:00", 3, "2026-10-10T10:00+08:00"),
        ("2026-09-25T20:00+08:00", 1, "2026-09-28T17:00+08:00"),
        ("2026-09-30T10:00+08:00", Decimal("1.5"), "2026-10-08T14:00+08:00"),
        ("2026-12-30T10:00+08:00", 3, "2027-01-05T10:00+08:00, provisional"),
    ],
)
def test_it_reproduces_every_worked_example_of_the_contract(start, working_days, answer):
    assert str(add_workdays(at(start), working_days)) == answer


@pytest.mark.django_db
def test_it_counts_the_make_up_saturday_after_national_day_2026_as_a_working_day():
    deadline = add_workdays(at("2026-09-30T10:00+08:00"), 3)

    assert deadline.at == at("2026-10-10T10:00+08:00")
    assert deadline.at.weekday() == 5
    assert deadline.provisional is False


@pytest.mark.django_db
def test_it_reads_the_same_instant_whatever_offset_the_start_is_written_in():
    deadline = add_workdays(at("2026-09-30T02:00+00:00"), 3)

    assert deadline.at == at("2026-10-10T10:00+08:00")
    assert format_instant(deadline.at) == "2026-10-10T10:00+08:00"


# --- provisional years ----------------------------------------------------------------


@pytest.mark.django_db
def test_it_marks_a_span_reaching_into_unpublished_2027_as_provisional():
    deadline = add_workdays(at("2026-12-30T10:00+08:00"), 3)

    assert deadline == Deadline(at("2027-01-05T10:00+08:00"), provisional=True)


@pytest.mark.django_db
def test_it_does_not_mark_a_span_ending_in_2026_as_provisional():
    # 30 Dec 10:00 → 31 Dec 17:00 is 7 + 8 = 15 hours: it ends before 2027 is consulted.
    deadline = add_workdays(at("2026-12-30T10:00+08:00"), Decimal("1.875"))

    assert deadline == Deadline(at("2026-12-31T17:00+08:00"), provisional=False)
    assert str(deadline) == "2026-12-31T17:00+08:00"


@pytest.mark.django_db
def test_it_gives_back_weekend_holidays_on_next_working_days_in_2027():
    days_off = statutory_days_off(2027)

    # Spring Festival: eve Fri 5 Feb, 初一 Sat 6, 初二 Sun 7, 初三 Mon 8 (itself a holiday);
    # the Saturday and Sunday come back on Tue 9 and Wed 10.
    for date in ("2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"):
        assert days_off[day(date)] == "春节"
    assert days_off[day("2027-02-09")] == "春节补假"
    assert days_off[day("2027-02-10")] == "春节补假"
    assert day("2027-02-11") not in days_off
    # Labour Day: Sat 1 and Sun 2 May → Mon 3 and Tue 4.
    assert days_off[day("2027-05-01")] == days_off[day("2027-05-02")] == "劳动节"
    assert days_off[day("2027-05-03")] == days_off[day("2027-05-04")] == "劳动节补假"
    assert day("2027-05-05") not in days_off
    # National Day: Fri 1, Sat 2, Sun 3 Oct → Mon 4 and Tue 5.
    for date in ("2027-10-01", "2027-10-02", "2027-10-03"):
        assert days_off[day(date)] == "国庆节"
    assert days_off[day("2027-10-04")] == days_off[day("2027-10-05")] == "国庆节补假"
    assert day("2027-10-06") not in days_off


@pytest.mark.django_db
def test_it_lists_every_2027_statutory_holiday_and_nothing_else():
    expected = {
        "2027-01-01": "元旦",
        "2027-02-05": "春节",
        "2027-02-06": "春节",
        "2027-02-07": "春节",
        "2027-02-08": "春节",
        "2027-02-09": "春节补假",
        "2027-02-10": "春节补假",
        "2027-04-05": "清明节",
        "2027-05-01": "劳动节",
        "2027-05-02": "劳动节",
        "2027-05-03": "劳动节补假",
        "2027-05-04": "劳动节补假",
        "2027-06-09": "端午节",
        "2027-09-15": "中秋节",
        "2027-10-01": "国庆节",
        "2027-10-02": "国庆节",
        "2027-10-03": "国庆节",
        "2027-10-04": "国庆节补假",
        "2027-10-05": "国庆节补假",
    }

    assert {str(date): name for date, name in statutory_days_off(2027).items()} == expected


@pytest.mark.django_db
def test_it_gives_back_new_years_day_on_a_saturday_on_the_monday_in_2028():
    days_off = statutory_days_off(2028)

    assert days_off[day("2028-01-01")] == "元旦"
    assert days_off[day("2028-01-03")] == "元旦补假"
    assert day("2028-01-02") not in days_off  # a plain Sunday, not a holiday


@pytest.mark.django_db
def test_it_treats_the_2027_given_back_days_as_provisional_days_off():
    calendar = WorkCalendar()

    assert calendar.day(day("2027-02-09")) == (False, True)
    assert calendar.day(day("2027-05-04")) == (False, True)
    assert calendar.day(day("2027-10-05")) == (False, True)
    assert calendar.day(day("2027-02-11")) == (True, True)
    assert calendar.day(day("2027-02-13")) == (False, True)  # a plain Saturday


@pytest.mark.django_db
def test_it_skips_the_whole_2027_spring_festival_break_when_adding():
    # Thu 4 Feb is worked in full; 5–10 Feb are off; Thu 11 Feb is the second day.
    deadline = add_workdays(at("2027-02-04T09:00+08:00"), 2)

    assert str(deadline) == "2027-02-11T17:00+08:00, provisional"


@pytest.mark.django_db
def test_it_reads_published_2026_from_the_official_schedule_not_the_statute():
    calendar = WorkCalendar()

    # The statute alone would not make Sunday 20 September a working day.
    assert calendar.day(day("2026-09-20")) == (True, False)
    assert calendar.day(day("2026-10-07")) == (False, False)
    assert calendar.day(day("2026-09-29")) == (True, False)


# --- office hours ---------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lands_half_a_day_from_11_00_in_the_afternoon_with_a_lunch_break(lunch_break):
    calendar = WorkCalendar()
    # 11:00–12:00 is one hour; the remaining 2½ of the 3½ hours run from 14:00.
    deadline = calendar.add(at("2026-09-29T11:00+08:00"), Decimal("0.5"))

    assert calendar.day_length == hours(7)
    assert deadline.at == at("2026-09-29T16:30+08:00")


@pytest.mark.django_db
def test_it_does_not_count_the_lunch_break_as_working_time(lunch_break):
    calendar = WorkCalendar()

    deadline = calendar.add(at("2026-09-29T12:30+08:00"), Decimal("0.5"))

    assert deadline.at == at("2026-09-29T17:30+08:00")


@pytest.mark.django_db
def test_it_makes_a_working_day_seven_hours_long_with_the_lunch_break(lunch_break):
    # One working day from 08:30 ends at 17:30 the same day, not the next morning.
    deadline = add_workdays(at("2026-09-29T08:30+08:00"), 1)

    assert deadline.at == at("2026-09-29T17:30+08:00")


@pytest.mark.django_db
def test_it_counts_from_the_next_opening_when_starting_exactly_at_closing_time():
    deadline = add_workdays(at("2026-09-29T17:00+08:00"), Decimal("0.5"))

    assert deadline.at == at("2026-09-30T13:00+08:00")


@pytest.mark.django_db
def test_it_counts_from_the_next_opening_when_starting_at_closing_with_a_lunch_break(
    lunch_break,
):
    deadline = add_workdays(at("2026-09-29T17:30+08:00"), Decimal("0.5"))

    # 08:30–12:00 is 3½ hours: half of a 7-hour day ends at the lunch break.
    assert deadline.at == at("2026-09-30T12:00+08:00")


@pytest.mark.django_db
def test_it_counts_from_the_next_opening_when_starting_before_opening():
    deadline = add_workdays(at("2026-09-29T06:15+08:00"), Decimal("0.25"))

    assert deadline.at == at("2026-09-29T11:00+08:00")


@pytest.mark.django_db
def test_it_counts_from_the_next_working_day_when_starting_on_a_holiday():
    deadline = add_workdays(at("2026-10-01T10:00+08:00"), 1)

    assert deadline == Deadline(at("2026-10-08T17:00+08:00"), provisional=False)


@pytest.mark.django_db
def test_it_accepts_explicit_office_hours_over_the_stored_ones(lunch_break):
    calendar = WorkCalendar(office_hours=[(dt.time(10, 0), dt.time(12, 0))])

    assert calendar.day_length == hours(2)
    assert calendar.add(at("2026-09-29T10:00+08:00"), 1).at == at("2026-09-29T12:00+08:00")


@pytest.mark.django_db
def test_it_uses_nine_to_five_when_no_office_hours_are_stored():
    assert WorkCalendar().day_length == hours(8)


# --- fractional, zero and refused amounts ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("working_days", "answer"),
    [
        (Decimal("0.25"), "2026-09-29T11:00+08:00"),
        (0.5, "2026-09-29T13:00+08:00"),
        ("1.75", "2026-09-30T15:00+08:00"),
        (Decimal("0.1"), "2026-09-29T09:48+08:00"),
    ],
)
def test_it_adds_fractional_working_days(working_days, answer):
    assert str(add_workdays(at("2026-09-29T09:00+08:00"), working_days)) == answer


@pytest.mark.django_db
def test_it_shows_seconds_only_when_a_fraction_produces_them():
    # 0.0001 × 8 h = 2.88 s: shown to the second.
    deadline = add_workdays(at("2026-09-29T09:00+08:00"), Decimal("0.0001"))

    assert deadline.at == at("2026-09-29T09:00:02.880+08:00")
    assert str(deadline) == "2026-09-29T09:00:02+08:00"


@pytest.mark.django_db
def test_it_returns_the_start_itself_for_zero_working_days():
    start = at("2026-09-29T10:00+08:00")

    assert add_workdays(start, 0) == Deadline(start, provisional=False)


@pytest.mark.django_db
@pytest.mark.parametrize("working_days", [-1, Decimal("-0.5"), "-3"])
def test_it_refuses_a_negative_number_of_working_days(working_days):
    with pytest.raises(ValueError, match="negative"):
        add_workdays(at("2026-09-29T10:00+08:00"), working_days)


@pytest.mark.django_db
def test_it_refuses_a_naive_start():
    with pytest.raises(ValueError, match="aware"):
        add_workdays(dt.datetime(2026, 9, 29, 10, 0), 1)


@pytest.mark.django_db
def test_it_refuses_a_deadline_more_than_a_decade_away():
    with pytest.raises(ValueError, match="too far"):
        add_workdays(at("2026-09-29T10:00+08:00"), 3000)


# --- between --------------------------------------------------------------------------


@pytest.mark.django_db
def test_between_counts_only_office_hours_on_working_days():
    calendar = WorkCalendar()

    # 30 Sep 10:00–17:00 (7 h), 1–7 Oct off, 8 Oct 09:00–12:00 (3 h).
    elapsed, provisional = calendar.between(
        at("2026-09-30T10:00+08:00"), at("2026-10-08T12:00+08:00")
    )

    assert elapsed == hours(10)
    assert provisional is False


@pytest.mark.django_db
def test_between_is_zero_when_the_end_is_not_after_the_start():
    calendar = WorkCalendar()
    start = at("2026-09-30T10:00+08:00")

    assert calendar.between(start, start) == (dt.timedelta(), False)
    assert calendar.between(start, start - hours(30)) == (dt.timedelta(), False)


@pytest.mark.django_db
def test_between_skips_the_lunch_break(lunch_break):
    elapsed, _provisional = WorkCalendar().between(
        at("2026-09-29T11:00+08:00"), at("2026-09-29T15:00+08:00")
    )

    assert elapsed == hours(2)


@pytest.mark.django_db
def test_between_is_provisional_when_it_crosses_into_2027():
    elapsed, provisional = WorkCalendar().between(
        at("2026-12-31T09:00+08:00"), at("2027-01-04T10:00+08:00")
    )

    assert elapsed == hours(9)  # 31 Dec in full, 1 Jan off, 4 Jan 09:00–10:00
    assert provisional is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "working_days"),
    [
        ("2026-09-30T10:00+08:00", 3),
        ("2026-09-25T20:00+08:00", Decimal("1.5")),
        ("2026-12-30T10:00+08:00", 3),
        ("2027-02-04T16:00+08:00", Decimal("2.25")),
    ],
)
def test_between_measures_back_what_add_added(start, working_days):
    calendar = WorkCalendar()
    deadline = calendar.add(at(start), working_days)

    elapsed, provisional = calendar.between(at(start), deadline.at)

    assert elapsed == calendar.day_length * float(working_days)
    assert provisional == deadline.provisional


# --- the stored calendar overrides ----------------------------------------------------


@pytest.mark.django_db
def test_a_hand_edited_day_off_overrides_the_official_schedule():
    CalendarDay.objects.create(date=day("2026-09-29"), kind=HOLIDAY, name="地方假日")

    deadline = add_workdays(at("2026-09-28T17:00+08:00"), 1)

    assert deadline == Deadline(at("2026-09-30T17:00+08:00"), provisional=False)


@pytest.mark.django_db
def test_a_hand_edited_working_day_in_an_unpublished_year_stays_provisional():
    CalendarDay.objects.create(date=day("2027-01-01"), kind=WORKDAY, name="")

    assert WorkCalendar().day(day("2027-01-01")) == (True, True)


@pytest.mark.django_db
def test_a_loaded_year_is_weekends_plus_its_loaded_days_only():
    load_official_schedule(2027, {day("2027-01-04"): (HOLIDAY, "调休")})
    calendar = WorkCalendar()

    assert calendar.day(day("2027-01-01")) == (True, False)  # not loaded: a plain Friday
    assert calendar.day(day("2027-01-04")) == (False, False)
    assert calendar.day(day("2027-01-09")) == (False, False)  # a plain Saturday


@pytest.mark.django_db
def test_a_provisional_answer_becomes_official_once_the_year_is_loaded():
    start = at("2026-12-30T10:00+08:00")
    before = add_workdays(start, 3)

    load_official_schedule(
        2027,
        {day("2027-01-01"): (HOLIDAY, "元旦"), day("2027-01-04"): (HOLIDAY, "元旦")},
        note="国办发明电〔2026〕1号",
    )
    after = add_workdays(start, 3)

    assert before == Deadline(at("2027-01-05T10:00+08:00"), provisional=True)
    assert after == Deadline(at("2027-01-06T10:00+08:00"), provisional=False)


# --- parse_schedule -------------------------------------------------------------------


def test_parse_schedule_reads_the_documented_line_forms():
    text = "\n".join(
        [
            "\ufeff日期,类型,名称",
            "2027-02-05,holiday,春节",
            "2027-02-06 休 春节",
            "2027-02-07\t假\t春节",
            "2027-02-08，放假，春节",
            "# a comment",
            "",
            "2027-02-20;workday;春节调休",
            "2027-02-21 班",
            "2027-02-27,上班,",
        ]
    )

    assert parse_schedule(text, 2027) == {
        day("2027-02-05"): (HOLIDAY, "春节"),
        day("2027-02-06"): (HOLIDAY, "春节"),
        day("2027-02-07"): (HOLIDAY, "春节"),
        day("2027-02-08"): (HOLIDAY, "春节"),
        day("2027-02-20"): (WORKDAY, "春节调休"),
        day("2027-02-21"): (WORKDAY, ""),
        day("2027-02-27"): (WORKDAY, ""),
    }


def test_parse_schedule_accepts_spaces_after_commas():
    days = parse_schedule("2027-02-05, holiday, 春节\r\n2027-02-20 , Workday , 调休", 2027)

    assert days == {
        day("2027-02-05"): (HOLIDAY, "春节"),
        day("2027-02-20"): (WORKDAY, "调休"),
    }


def test_parse_schedule_accepts_spreadsheet_dates_without_leading_zeros():
    days = parse_schedule("2027/2/5,休,春节\n2027/02/20,班,调休", 2027)

    assert days == {
        day("2027-02-05"): (HOLIDAY, "春节"),
        day("2027-02-20"): (WORKDAY, "调休"),
    }


def test_parse_schedule_keeps_names_with_spaces_and_drops_trailing_empty_columns():
    days = parse_schedule("2027-10-01,holiday,国庆 节,,\n2027-10-02 休 国庆节", 2027)

    assert days[day("2027-10-01")] == (HOLIDAY, "国庆 节")
    assert days[day("2027-10-02")] == (HOLIDAY, "国庆节")


def test_parse_schedule_names_every_wrong_line_by_its_number():
    text = "\n".join(
        [
            "2027-02-05,holiday,春节",
            "2027-02-30,holiday,春节",
            "2027-02-06,holiday,春节",
            "2027-02-07,maybe,春节",
            "2027-02-08",
            "2026-02-09,holiday,春节",
            "2027-02-05,workday,重复",
        ]
    )

    with pytest.raises(ValidationError) as caught:
        parse_schedule(text, 2027)

    messages = caught.value.messages
    assert messages == [
        "第 2 行：日期 2027-02-30 无效。",
        "第 4 行：类型 maybe 无效，应为 holiday（休）或 workday（班）。",
        "第 5 行：应为“日期,类型[,名称]”。",
        "第 6 行：日期 2026-02-09 不在 2027 年。",
        "第 7 行：日期 2027-02-05 重复。",
    ]


def test_parse_schedule_skips_a_header_only_on_the_first_line():
    with pytest.raises(ValidationError) as caught:
        parse_schedule("2027-02-05,holiday\ndate,kind,name", 2027)

    assert caught.value.messages == ["第 2 行：日期 date 无效。"]


@pytest.mark.parametrize("text", ["", "\n\n", "日期,类型,名称\n# nothing yet"])
def test_parse_schedule_refuses_a_list_without_any_day(text):
    with pytest.raises(ValidationError) as caught:
        parse_schedule(text, 2027)

    assert caught.value.messages == ["没有读到任何日期。"]


# --- load_official_schedule -----------------------------------------------------------


@pytest.mark.django_db
def test_loading_replaces_the_years_official_days_and_keeps_other_hand_edits():
    CalendarDay.objects.create(
        date=day("2027-03-01"), kind=HOLIDAY, source=CalendarDay.Source.OFFICIAL
    )
    CalendarDay.objects.create(date=day("2027-03-02"), kind=HOLIDAY, name="地方假日")
    CalendarDay.objects.create(date=day("2027-02-05"), kind=WORKDAY, name="手工")
    CalendarDay.objects.create(
        date=day("2028-03-01"), kind=HOLIDAY, source=CalendarDay.Source.OFFICIAL
    )

    load_official_schedule(
        2027, {day("2027-02-05"): (HOLIDAY, "春节"), day("2027-02-20"): (WORKDAY, "调休")}
    )

    rows = {str(row.date): (row.kind, row.name, row.source) for row in CalendarDay.objects.all()}
    assert rows == {
        "2027-02-05": (HOLIDAY, "春节", CalendarDay.Source.OFFICIAL),
        "2027-02-20": (WORKDAY, "调休", CalendarDay.Source.OFFICIAL),
        "2027-03-02": (HOLIDAY, "地方假日", CalendarDay.Source.MANUAL),
        "2028-03-01": (HOLIDAY, "", CalendarDay.Source.OFFICIAL),
    }


@pytest.mark.django_db
def test_loading_records_the_year_with_its_note_once():
    load_official_schedule(2027, {day("2027-01-01"): (HOLIDAY, "元旦")}, note="第一版")
    load_official_schedule(2027, {day("2027-01-01"): (HOLIDAY, "元旦")}, note="第二版")

    assert list(CalendarYear.objects.values_list("year", "note")) == [(2027, "第二版")]


@pytest.mark.django_db
def test_loading_announces_the_changed_year_on_commit(django_capture_on_commit_callbacks):
    received = []

    def listener(sender, years, **kwargs):
        received.append(years)

    calendar_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            load_official_schedule(2027, {day("2027-01-01"): (HOLIDAY, "元旦")})
            assert received == []
    finally:
        calendar_changed.disconnect(listener)

    assert received == [[2027]]
