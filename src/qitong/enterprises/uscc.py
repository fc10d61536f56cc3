"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

18 characters from ``CHARSET``; the 18th is a check character computed from
the first 17 with weights 3^(i−1) mod 31. Each way of being wrong has its own
message, so a clerk knows what to fix.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 3^(i-1) mod 31 for positions 1..17
LENGTH = 18


def check_character(first17):
    """The check character for the first 17 characters of a code."""
    total = sum(CHARSET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalize(value):
    return (value or "").strip().upper()


def validate_uscc(value):
    code = normalize(value)
    if len(code) != LENGTH:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，当前为 %(length)d 位。"),
            code="uscc_length",
            params={"length": len(code)},
        )
    forbidden = sorted({char for char in code if char not in CHARSET})
    if forbidden:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（代码不使用 I、O、S、V、Z）。"),
            code="uscc_charset",
            params={"chars": _("、").join(forbidden)},
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误：第 18 位应为 %(expected)s，实际为 %(actual)s。"),
            code="uscc_check",
            params={"expected": expected, "actual": code[17]},
        )


def make_uscc(first17):
    """A valid code from its first 17 characters (the demo city and tests use it)."""
    return first17 + check_character(first17)
