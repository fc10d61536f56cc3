"""Industry codes of GB/T 4754-2017 (国民经济行业分类).

A code is a section letter, optionally followed by the 2-digit division, the
3-digit group or the 4-digit class (``C``, ``C39``, ``C398``, ``C3989``). The
division must belong to the section's range.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# section: (name, first division, last division)
SECTIONS = {
    "A": (_("农、林、牧、渔业"), 1, 5),
    "B": (_("采矿业"), 6, 12),
    "C": (_("制造业"), 13, 43),
    "D": (_("电力、热力、燃气及水生产和供应业"), 44, 46),
    "E": (_("建筑业"), 47, 50),
    "F": (_("批发和零售业"), 51, 52),
    "G": (_("交通运输、仓储和邮政业"), 53, 60),
    "H": (_("住宿和餐饮业"), 61, 62),
    "I": (_("信息传输、软件和信息技术服务业"), 63, 65),
    "J": (_("金融业"), 66, 69),
    "K": (_("房地产业"), 70, 70),
    "L": (_("租赁和商务服务业"), 71, 72),
    "M": (_("科学研究和技术服务业"), 73, 75),
    "N": (_("水利、环境和公共设施管理业"), 76, 79),
    "O": (_("居民服务、修理和其他服务业"), 80, 82),
    "P": (_("教育"), 83, 83),
    "Q": (_("卫生和社会工作"), 84, 85),
    "R": (_("文化、体育和娱乐业"), 86, 90),
    "S": (_("公共管理、社会保障和社会组织"), 91, 96),
    "T": (_("国际组织"), 97, 97),
}
_PATTERN = re.compile(r"([A-T])(\d{2,4})?")


def validate_industry(value):
    match = _PATTERN.fullmatch(value or "")
    if not match:
        raise ValidationError(
            _("行业代码 %(value)s 无效：应为门类字母加 2～4 位数字，如 C3989（GB/T 4754-2017）。"),
            code="industry_format",
            params={"value": value},
        )
    section, digits = match.groups()
    if digits:
        _name, first, last = SECTIONS[section]
        if not first <= int(digits[:2]) <= last:
            raise ValidationError(
                _(
                    "行业代码 %(value)s 无效：%(section)s 门类的大类应在 %(first)02d～%(last)02d 之间。"
                ),
                code="industry_division",
                params={"value": value, "section": section, "first": first, "last": last},
            )


def section_name(code):
    return SECTIONS[code[0]][0] if code and code[0] in SECTIONS else ""
