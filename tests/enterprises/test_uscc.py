"""The unified social credit code of GB 32100-2015."""

import pytest
from django.core.exceptions import ValidationError

from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import check_character, make_uscc, normalize, validate_uscc

# Written out by hand from the standard (3^(i−1) mod 31), not computed like the module does.
STANDARD_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
STANDARD_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Codes printed on real business licences, and the standard's own example.
REAL_CODES = [
    "91350100M000100Y43",
    "914403001922038216",
    "9144030071526726XG",
    "91110000802100433B",
    "91330100716105852F",
]


def error_of(value):
    with pytest.raises(ValidationError) as caught:
        validate_uscc(value)
    return caught.value


def reference_check(first17):
    total = sum(
        STANDARD_CHARSET.index(c) * w for c, w in zip(first17, STANDARD_WEIGHTS, strict=True)
    )
    return STANDARD_CHARSET[(31 - total % 31) % 31]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_a_valid_code(code):
    assert validate_uscc(code) is None


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_computes_the_check_character_of_real_codes(code):
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    "first17", ["91370102MA3C00001", "00000000000000000", "YYYYYYYYYYYYYYYYY", "12345678ABCDEFGHJ"]
)
def test_it_agrees_with_the_weights_written_in_the_standard(first17):
    assert check_character(first17) == reference_check(first17)
    assert make_uscc(first17) == first17 + reference_check(first17)


def test_a_check_sum_that_is_a_multiple_of_31_gives_the_check_character_zero():
    assert check_character("00000000000000000") == "0"


def test_it_refuses_a_wrong_check_character_saying_which_was_expected():
    error = error_of("91350100M000100Y44")

    assert error.code == "uscc_check"
    assert error.messages == ["统一社会信用代码校验位错误：第 18 位应为 3，实际为 4。"]


def test_it_refuses_two_swapped_characters():
    assert error_of("91350100M000100Y34").code == "uscc_check"


@pytest.mark.parametrize(
    ("code", "length"), [("", 0), ("91350100M000100Y4", 17), ("91350100M000100Y433", 19)]
)
def test_it_refuses_a_wrong_length_saying_how_long_it_is(code, length):
    error = error_of(code)

    assert error.code == "uscc_length"
    assert error.messages == [f"统一社会信用代码应为 18 位，当前为 {length} 位。"]


def test_it_refuses_none_as_a_code_of_length_zero():
    assert error_of(None).code == "uscc_length"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_it_refuses_a_forbidden_letter_naming_it(letter):
    code = "91350100M000100Y4" + letter

    error = error_of(code)

    assert error.code == "uscc_charset"
    assert error.messages == [
        f"统一社会信用代码含有不允许的字符：{letter}（代码不使用 I、O、S、V、Z）。"
    ]


def test_it_names_every_forbidden_character_once_in_order():
    error = error_of("9135O100M0I0100YOZ")

    assert error.code == "uscc_charset"
    assert "：I、O、Z（" in error.messages[0]


def test_the_three_ways_of_being_wrong_have_three_distinct_messages():
    messages = {
        error_of(code).messages[0]
        for code in ("91350100M000100Y44", "91350100M000100Y4", "91350100M000100Y4O")
    }

    assert len(messages) == 3


def test_it_normalises_lowercase_and_surrounding_spaces():
    assert normalize("  91350100m000100y43 ") == "91350100M000100Y43"
    assert normalize(None) == ""


def test_it_accepts_a_lowercase_valid_code():
    assert validate_uscc("9144030071526726xg") is None


def test_it_still_refuses_a_lowercase_code_with_a_wrong_check_character():
    error = error_of("9144030071526726xh")

    assert error.code == "uscc_check"
    assert "应为 G，实际为 H" in error.messages[0]


@pytest.mark.django_db
def test_an_enterprise_stores_its_code_in_capitals(region):
    enterprise = Enterprise.objects.create(
        uscc="9144030071526726xg", name="测试科技有限公司", region=region, industry="I6513"
    )

    enterprise.refresh_from_db()
    assert enterprise.uscc == "9144030071526726XG"


@pytest.mark.django_db
def test_an_enterprise_with_a_wrong_check_character_does_not_validate(region):
    enterprise = Enterprise(
        uscc="9144030071526726XH", name="测试科技有限公司", region=region, industry="I6513"
    )

    with pytest.raises(ValidationError) as caught:
        enterprise.full_clean()

    assert [error.code for error in caught.value.error_dict["uscc"]] == ["uscc_check"]
