"""Industry codes of GB/T 4754-2017."""

import pytest
from django.core.exceptions import ValidationError

from qitong.enterprises.industries import SECTIONS, section_name, validate_industry


def error_of(value):
    with pytest.raises(ValidationError) as caught:
        validate_industry(value)
    return caught.value


@pytest.mark.parametrize("code", ["C3989", "C", "C39", "C398", "A01", "I6513", "K7010", "S9600"])
def test_it_accepts_a_section_with_an_optional_division_group_or_class(code):
    assert validate_industry(code) is None


@pytest.mark.parametrize("code", ["S91", "S96", "T97", "T9700", "R90"])
def test_it_accepts_the_last_divisions_of_gb_t_4754_2017(code):
    assert validate_industry(code) is None


@pytest.mark.parametrize("code", ["U3989", "Z01", "3989", "c3989", "CC3989"])
def test_it_refuses_a_code_without_a_valid_section_letter(code):
    error = error_of(code)

    assert error.code == "industry_format"
    assert error.messages == [
        f"行业代码 {code} 无效：应为门类字母加 2～4 位数字，如 C3989（GB/T 4754-2017）。"
    ]


@pytest.mark.parametrize("code", ["C3", "C39891", "C39A9", "", None, "C3989\n", " C3989"])
def test_it_refuses_a_code_of_the_wrong_shape(code):
    assert error_of(code).code == "industry_format"


@pytest.mark.parametrize(
    ("code", "section", "first", "last"),
    [
        ("A13", "A", "01", "05"),
        ("C12", "C", "13", "43"),
        ("C4411", "C", "13", "43"),
        ("I66", "I", "63", "65"),
        ("S97", "S", "91", "96"),
        ("T98", "T", "97", "97"),
        ("A00", "A", "01", "05"),
    ],
)
def test_it_refuses_a_division_outside_its_sections_range(code, section, first, last):
    error = error_of(code)

    assert error.code == "industry_division"
    assert error.messages == [
        f"行业代码 {code} 无效：{section} 门类的大类应在 {first}～{last} 之间。"
    ]


def test_the_sections_cover_divisions_01_to_97_without_gaps_or_overlaps():
    covered = [
        division for _name, first, last in SECTIONS.values() for division in range(first, last + 1)
    ]

    assert covered == list(range(1, 98))


def test_it_names_the_section_of_a_code():
    assert section_name("C3989") == "制造业"
    assert section_name("T97") == "国际组织"
    assert section_name("") == ""
    assert section_name("Z1") == ""
