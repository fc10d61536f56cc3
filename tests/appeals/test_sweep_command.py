"""``qitong sweep --at``: an instant the calendar cannot walk is refused with a sentence."""

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "instant", ["9999-12-31T23:00+08:00", "0001-01-01T10:00+08:00", "1999-12-31T10:00+08:00"]
)
def test_an_instant_outside_the_century_is_refused_naming_the_range(city, instant):
    with pytest.raises(CommandError) as caught:
        call_command("sweep", "--at", instant)
    assert str(caught.value) == (f"时刻 {instant} 超出范围：应在 2000-01-01 至 2099-12-31 之间。")


def test_a_malformed_instant_is_refused_naming_the_format(city):
    with pytest.raises(CommandError) as caught:
        call_command("sweep", "--at", "tomorrow")
    assert str(caught.value) == (
        "时刻 tomorrow 无效：应为 ISO 8601 格式，如 2026-10-09T10:00+08:00。"
    )
