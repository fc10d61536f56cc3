"""Importing the enterprise lists offices keep, from Excel (.xlsx) or CSV.

``import_enterprises(source, name=…)`` is the one function both roads call: the
admin's upload page (at once for a small file, as a background job for a large
one, ``import_job``) and ``qitong import-enterprises FILE``. It answers a
``Report``: how many enterprises were created, how many updated, and every
rejected row with its number as the spreadsheet shows it and why.

Reading the file as offices keep it
-----------------------------------
The header row is found among the first ``HEADER_ROWS`` rows: the one naming
the most known columns (``COLUMNS``, each with its Chinese synonyms), which
must include the name and the code; a title row above it, merged header cells
(read as their top-left value, ``_merges``) and extra columns are fine. Only
the name and the code are required columns. A workbook's first sheet with such
a row is read; cells are values only (a formula gives its cached result). A CSV
file is UTF-8 (with or without BOM) if it decodes strictly as such, else
GB18030 (which includes GBK). A file that is not what its name says (an
``.xlsx`` that is no zip, a ``.csv`` that is binary), too large once unpacked
or otherwise unreadable raises ``UnreadableFile`` before anything is written.

Rows
----
Each row is checked whole (``_Columns.parse``); a rejected row writes nothing
and its reason names every problem it has: a code that is not a valid USCC,
a missing name, a region code that is not a known division, an unknown size
or qualification, a malformed phone, text holding NUL, or a code already met
in an earlier row of the file. An empty cell changes nothing: a new enterprise
takes the model's default, an existing one keeps what it has. The region, when
the file gives none, is the county named in the address (``RegionIndex``),
else the division of the code (characters 3–8, as ``Enterprise.assign_region``
reads it), else whatever coarser division the address names.

Writing
-------
Accepted rows are written ``BATCH`` at a time, each batch in its own
transaction: plain multi-row inserts of new enterprises, their primary
contacts and qualifications (``core.bulk.insert_rows``), and updates by code
of those that exist, written only where something changed, with one history
row (``EnterpriseChange``, source import) per field changed, in the words of
``actions.snapshot``, naming the ``actor`` (a new enterprise has no history,
as in the admin). A killed import
leaves whole batches; importing the file again finishes it, since existing
codes are updated, not added twice. Memory stays flat in the row count: the
rows are streamed (openpyxl read-only, csv), and the codes already met, which
the duplicate check needs, are kept in a scratch SQLite file on disk
(``_SeenCodes``), not in memory. Only the list of rejected rows grows, with the
rejections.
"""

import codecs
import csv
import datetime as dt
import gc
import io
import json
import re
import sqlite3
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import coordinate_to_tuple, range_boundaries
from openpyxl.worksheet._reader import DATA_TAG, INLINE_STRING, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from qitong.core import clock, jobs
from qitong.core.bulk import insert_rows
from qitong.enterprises import actions
from qitong.enterprises.industries import SECTIONS, validate_industry
from qitong.enterprises.models import (
    Contact,
    Enterprise,
    EnterpriseChange,
    Qualification,
    phone_validator,
)
from qitong.enterprises.uscc import normalize, validate_uscc
from qitong.orgs.models import Region

# Rows written per transaction.
BATCH = 1000
# How often a job's progress is reported, in rows read.
PROGRESS_EVERY = 5000
# The header row is looked for among this many first rows, and this many columns.
HEADER_ROWS = 10
HEADER_COLUMNS = 200
# Excel's own limit: a row number past it is a hostile or broken sheet.
MAX_ROWS = 1_048_576
# An upload larger than this is imported by a background job, not in the request
# (``QITONG_IMPORT_JOB_BYTES`` overrides it; tests lower it).
JOB_BYTES = 1024 * 1024
# The largest upload the admin page accepts.
MAX_UPLOAD = 100 * 1024 * 1024

# Guards on an .xlsx package, checked on the sizes its zip directory declares
# (Python's zipfile never inflates a member past its declared size): a zip bomb
# or a shared-strings table that openpyxl would hold whole is refused unread.
MAX_UNPACKED = 2 * 1024**3  # all members together
MAX_SHARED_STRINGS = 100 * 1024**2  # openpyxl reads the whole table into memory
MAX_OTHER_PART = 20 * 1024**2  # styles, workbook, relationships…
MAX_MEMBERS = 10_000
MAX_MERGES = 100_000
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and encrypted .xlsx
# Bytes no text file holds (tab, line feed, carriage return, form feed and escape aside).
CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 12, 13, 27})

IMPORT_JOB = f"{__name__}.import_job"


class UnreadableFile(Exception):
    """The file as a whole cannot be imported; ``str()`` says why, in Chinese."""


@dataclass
class Report:
    """What an import did: enterprises created and updated, and each rejected row."""

    created: int = 0
    updated: int = 0
    rejected: list = field(default_factory=list)  # [{"row": n, "reason": "…"}], in row order

    def as_dict(self):
        return {"created": self.created, "updated": self.updated, "rejected": self.rejected}

    def as_json(self):
        return json.dumps(self.as_dict(), ensure_ascii=False)


# ---------------------------------------------------------------------------
# The columns

SIZES = {
    "大型": Enterprise.Size.LARGE,
    "大": Enterprise.Size.LARGE,
    "中型": Enterprise.Size.MEDIUM,
    "中": Enterprise.Size.MEDIUM,
    "小型": Enterprise.Size.SMALL,
    "小": Enterprise.Size.SMALL,
    "微型": Enterprise.Size.MICRO,
    "微": Enterprise.Size.MICRO,
    **{size.value: size.value for size in Enterprise.Size},
}
YES = {"是", "Y", "YES", "TRUE", "1", "√"}
NO = {"否", "N", "NO", "FALSE", "0", "×"}
TIERS = {
    **dict.fromkeys(YES | {"重点", "重点企业", "KEY"}, Enterprise.Tier.KEY),
    **dict.fromkeys(NO | {"一般", "一般企业", "NORMAL"}, Enterprise.Tier.NORMAL),
}
QUALIFICATION_SEPARATORS = re.compile(r"[、,，;；/\n]+")
INDUSTRY_CODE = re.compile(r"([A-T]?)(\d{2,4})")


@dataclass(frozen=True)
class Column:
    """A column the import knows: the field it fills and the headers that name it."""

    key: str
    label: object  # lazy Chinese label, for the admin page's list of columns
    headers: tuple
    required: bool = False


# One declared list: header recognition, the admin page's help and the checks read it.
COLUMNS = (
    Column("name", gettext_lazy("企业名称"), ("企业名称", "单位名称", "名称", "公司名称"), True),
    Column(
        "uscc",
        gettext_lazy("统一社会信用代码"),
        ("统一社会信用代码", "信用代码", "社会信用代码", "统一代码"),
        True,
    ),
    Column(
        "region",
        gettext_lazy("所属区划"),
        ("所属区划", "区划代码", "行政区划", "行政区划代码", "所属区县"),
    ),
    Column(
        "industry",
        gettext_lazy("行业代码"),
        ("行业代码", "国民经济行业代码", "国民经济行业分类代码", "行业分类代码"),
    ),
    Column("size", gettext_lazy("企业规模"), ("企业规模", "规模")),
    Column("tier", gettext_lazy("服务等级"), ("服务等级", "重点企业", "是否重点企业")),
    Column("above_scale", gettext_lazy("规上企业"), ("规上企业", "是否规上企业", "规模以上企业")),
    Column("qualifications", gettext_lazy("资质"), ("资质", "企业资质")),
    Column("address", gettext_lazy("地址"), ("地址", "注册地址", "经营地址", "企业地址", "住所")),
    Column("contact_name", gettext_lazy("联系人"), ("联系人", "联系人姓名", "姓名")),
    Column(
        "contact_phone",
        gettext_lazy("联系电话"),
        ("联系电话", "电话", "联系人电话", "手机", "手机号码", "联系人手机"),
    ),
    Column(
        "contact_email",
        gettext_lazy("电子邮箱"),
        ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail"),
    ),
)
HEADERS = {header: column.key for column in COLUMNS for header in column.headers}
_HEADER_NOISE = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]|[\s*＊:：]")


def header_key(value):
    """The column a header cell names, or None: spaces, required marks (*) and remarks in
    brackets aside, so ``*统一社会信用代码（18位）`` is the code."""
    if not isinstance(value, str):
        return None
    return HEADERS.get(_HEADER_NOISE.sub("", value).lower())


# Length limits of the fields, read from the models.
NAME_MAX = Enterprise._meta.get_field("name").max_length
ADDRESS_MAX = Enterprise._meta.get_field("address").max_length
CONTACT_NAME_MAX = Contact._meta.get_field("name").max_length
EMAIL_MAX = Contact._meta.get_field("email").max_length


def _text(value):
    """A cell as trimmed text: numbers as Excel shows them (13800000000, not 1.38E10)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _industry(value):
    """An industry cell as a GB/T 4754 code: ``C3989``, or ``3989`` (section found from the
    division), or a code followed by its name; a number lost its leading zero (0111 → 111)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = _text(value)
        return _industry(digits.zfill(4) if len(digits) == 3 else digits)
    text = _text(value).upper().replace(" ", "")
    match = INDUSTRY_CODE.match(text)
    if not match:
        return text
    section, digits = match.groups()
    if not section:
        division = int(digits[:2])
        section = next(
            (letter for letter, (_n, first, last) in SECTIONS.items() if first <= division <= last),
            "",
        )
    return section + digits


@dataclass(slots=True)
class Row:
    """One accepted row, ready to write."""

    line: int
    uscc: str
    values: dict  # the enterprise fields the row gives (name, industry, size, …)
    region: int | None  # the region column's division (an heir for an abolished one)
    address_county: int | None  # the county (or town) the address names
    fallback_region: int | None  # the code's division, else what coarser division the address names
    contact: tuple | None  # (name, phone, email) of the primary contact, if given
    qualifications: list | None  # qualification ids, if given


class Columns:
    """The columns of one file (``{key: (index, header as the file writes it)}``) and the
    checks every enterprise file shares: a row's identity (``identity``), the length of a
    text (``too_long``) and the row it becomes (``row``). The import's ``_Columns`` and the
    registry sync's (``registry._Columns``) add their own columns."""

    def __init__(self, found, regions):
        self.found = found
        self.regions = regions
        self.indexes = {key: index for key, (index, _header) in found.items()}

    def header(self, key):
        return self.found[key][1]

    def identity(self, text, problems):
        """``(uscc, name)`` of a row's cells as text, its problems noted in ``problems``: a NUL
        in any cell (that cell then counts as refused, not as empty), the USCC and the name
        missing or invalid."""
        for key, value in text.items():
            if isinstance(value, str) and "\x00" in value:
                problems.append(_("%(column)s含有空字符（NUL）。") % {"column": self.header(key)})
                text[key] = None  # refused already: not "empty" as well
        uscc = normalize(text["uscc"])
        if text["uscc"] == "":
            problems.append(_("%(column)s为空。") % {"column": self.header("uscc")})
        elif uscc:
            try:
                validate_uscc(uscc)
            except ValidationError as error:
                problems.extend(error.messages)
        name = text["name"] or ""
        if text["name"] == "":
            problems.append(_("%(column)s为空。") % {"column": self.header("name")})
        elif len(name) > NAME_MAX:
            problems.append(self.too_long("name", NAME_MAX))
        return uscc, name

    def too_long(self, key, limit):
        return _("%(column)s过长：不应超过 %(limit)d 个字。") % {
            "column": self.header(key),
            "limit": limit,
        }

    def row(self, line, uscc, values, *, region=None, address_county=None, fallback=None, **rest):
        """The checked row; its fallback region is the USCC's registration division when known,
        else ``fallback`` (what coarser division the address names)."""
        code_region = self.regions.current(uscc[2:8])
        return Row(
            line=line,
            uscc=uscc,
            values=values,
            region=region,
            address_county=address_county,
            fallback_region=code_region if code_region is not None else fallback,
            contact=rest.get("contact"),
            qualifications=rest.get("qualifications"),
        )


class _Columns(Columns):
    """The import's columns: the profile, region, qualifications and the primary contact."""

    def __init__(self, found, regions, qualifications):
        super().__init__(found, regions)
        self.qualifications = qualifications

    def parse(self, line, cells):
        """A row's cells (``{column index: value}``) as a ``Row``, the list of reasons it is
        refused, or None for a row with nothing in the known columns (skipped)."""
        text = {}
        for key, index in self.indexes.items():
            value = cells.get(index)
            # The industry keeps a number as a number: it may have lost a leading zero.
            text[key] = (
                value.strip()
                if isinstance(value, str)
                else (value if key == "industry" and value is not None else _text(value))
            )
        if all(value == "" for value in text.values()):
            return None
        problems = []
        uscc, name = self.identity(text, problems)
        values = {"name": name} if name else {}
        region = None
        if text.get("region"):
            region = self._region(text["region"], problems)
        if text.get("industry") not in (None, ""):
            industry = _industry(text["industry"])
            try:
                validate_industry(industry)
                values["industry"] = industry
            except ValidationError as error:
                problems.extend(error.messages)
        if text.get("size"):
            size = SIZES.get(text["size"].lower() if text["size"].isascii() else text["size"])
            if size is None:
                problems.append(
                    _("%(column)s“%(value)s”无效：应为大型、中型、小型或微型。")
                    % {"column": self.header("size"), "value": text["size"]}
                )
            values["size"] = size
        if text.get("tier"):
            tier = TIERS.get(text["tier"].upper())
            if tier is None:
                problems.append(
                    _("%(column)s“%(value)s”无效：应为是或否（重点企业或一般企业）。")
                    % {"column": self.header("tier"), "value": text["tier"]}
                )
            values["tier"] = tier
        if text.get("above_scale"):
            flag = text["above_scale"].upper()
            if flag not in YES and flag not in NO:
                problems.append(
                    _("%(column)s“%(value)s”无效：应为是或否。")
                    % {"column": self.header("above_scale"), "value": text["above_scale"]}
                )
            values["above_scale"] = flag in YES
        qualifications = None
        if text.get("qualifications"):
            qualifications = self._qualifications(text["qualifications"], problems)
        address_county = fallback = None
        if text.get("address"):
            address = text["address"]
            if len(address) > ADDRESS_MAX:
                problems.append(self.too_long("address", ADDRESS_MAX))
            values["address"] = address
            if region is None and not problems:
                address_county, fallback = self.regions.from_address(address, uscc)
        contact = self._contact(text, problems)

        if problems:
            return problems
        return self.row(
            line,
            uscc,
            values,
            region=region,
            address_county=address_county,
            fallback=fallback,
            contact=contact,
            qualifications=qualifications,
        )

    def _region(self, value, problems):
        """The region column: a division code (an abolished one gives its heir), or a name."""
        match = re.match(r"(\d{6}|\d{9})(?!\d)", value)
        if match:
            region = self.regions.given(match.group(1))
        else:
            county, coarser = self.regions.from_address(value, "")
            region = county or coarser
        if region is None:
            problems.append(
                _("%(column)s %(value)s 不是已知的行政区划。")
                % {"column": self.header("region"), "value": value}
            )
        return region

    def _qualifications(self, value, problems):
        ids = []
        for name in QUALIFICATION_SEPARATORS.split(value):
            name = name.strip()
            if not name:
                continue
            pk = self.qualifications.get(name) or self.qualifications.get(name.lower())
            if pk is None:
                problems.append(
                    _("%(column)s中的“%(name)s”不是已登记的资质。")
                    % {"column": self.header("qualifications"), "name": name}
                )
            elif pk not in ids:
                ids.append(pk)
        return ids

    def _contact(self, text, problems):
        name = text.get("contact_name") or ""
        phone = text.get("contact_phone") or ""
        email = text.get("contact_email") or ""
        if not (name or phone or email):
            return None
        if not name or not phone:
            keys = ("contact_name", "contact_phone", "contact_email")
            problems.append(
                _("填写了%(given)s，但缺少%(missing)s。")
                % {
                    "given": _("、").join(self._label(key) for key in keys if text.get(key)),
                    "missing": _("、").join(
                        self._label(key) for key in keys[:2] if not text.get(key)
                    ),
                }
            )
            return None
        if len(name) > CONTACT_NAME_MAX:
            problems.append(self.too_long("contact_name", CONTACT_NAME_MAX))
        try:
            phone_validator(phone)
        except ValidationError:
            problems.append(
                _("%(column)s“%(value)s”格式不正确。")
                % {"column": self.header("contact_phone"), "value": phone}
            )
        if email:
            try:
                validate_email(email)
                if len(email) > EMAIL_MAX:
                    raise ValidationError("too long")
            except ValidationError:
                problems.append(
                    _("%(column)s“%(value)s”不是有效的电子邮箱。")
                    % {"column": self.header("contact_email"), "value": email}
                )
        return (name, phone, email)

    def _label(self, key):
        """A column as the file names it, or as the platform does when the file has none."""
        if key in self.found:
            return self.header(key)
        return str(next(column.label for column in COLUMNS if column.key == key))


# ---------------------------------------------------------------------------
# Divisions, in memory


class RegionIndex:
    """Every division, held in memory for the rows of one import (some 6,500 of them).

    ``current`` follows successors as ``Region.current`` does (a test holds the
    two equal for every code), without a query per row. ``from_address`` finds the
    division names in an address, longest first at each place, and picks the
    county they agree on.
    """

    # Short forms: 山东省 → 山东, 广西壮族自治区 → 广西, 济南市 → 济南, 阿里地区 → 阿里.
    PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
    PREFECTURE_SUFFIX = re.compile(r"(市|地区)$")

    def __init__(self):
        rows = list(Region.objects.values_list("pk", "code", "name", "is_active", "successor_id"))
        by_pk = {pk: (code, active, successor) for pk, code, _name, active, successor in rows}
        self.by_code = {code: pk for pk, code, *_rest in rows}
        self.codes = {pk: code for pk, code, *_rest in rows}
        self.region_names = {pk: name for pk, _code, name, *_rest in rows}
        self._current = {}
        for pk in by_pk:
            self._current[pk] = self._follow(pk, by_pk)
        # name → the current divisions of that name (province, prefecture and county level)
        names = {}
        for pk, code, name, _active, _successor in rows:
            heir = self._current[pk]
            level = Region.Level.of(code)
            # Towns are left out, and so is a division whose heir is of another level
            # (510602 市中区 went into 510600 内江市): its name no longer means its heir.
            if len(code) != 6 or heir is None or Region.Level.of(self.codes[heir]) != level:
                continue
            forms = {name}
            suffix = {
                Region.Level.PROVINCE: self.PROVINCE_SUFFIX,
                Region.Level.PREFECTURE: self.PREFECTURE_SUFFIX,
            }.get(level)
            if suffix is not None:
                short = suffix.sub("", name)
                if len(short) >= 2:
                    forms.add(short)
            for form in forms:
                names.setdefault(form, set()).add(heir)
        self.names = names
        self.by_start = {}
        for name in sorted(names, key=len, reverse=True):
            if len(name) >= 2:
                self.by_start.setdefault(name[:2], []).append(name)

    @staticmethod
    def _follow(pk, by_pk):
        seen = set()
        while True:
            code, active, successor = by_pk[pk]
            if active:
                return pk
            if successor is None or pk in seen:
                return None
            seen.add(pk)
            pk = successor

    def current(self, code):
        """The division in use for ``code``, or None (as ``Region.objects.current``)."""
        pk = self.by_code.get(code)
        return None if pk is None else self._current[pk]

    def given(self, code):
        """A division named by code: its heir if abolished, itself if it has none; None if unknown."""
        pk = self.by_code.get(code)
        if pk is None:
            return None
        return self._current[pk] or pk

    def from_address(self, text, uscc):
        """``(county, coarser)``: the county-level division (or None) an address names, and
        failing that the prefecture or province it names (or None).

        Names are matched longest first at each place (济南市 before 济南), so 历城区
        is not read as 城区. When a name is shared (市中区, 朝阳区) the candidate that
        the other names in the address agree with wins (济南市市中区); a candidate in
        another province than the one named is dropped; the registration division
        of the code breaks what ties remain. Still ambiguous: no answer.
        """
        found = []
        i, end = 0, len(text) - 1
        by_start, names = self.by_start, self.names
        while i < end:
            candidates = by_start.get(text[i : i + 2])
            if candidates:
                for name in candidates:
                    if text.startswith(name, i):
                        found.append(names[name])
                        i += len(name)
                        break
                else:
                    i += 1
            else:
                i += 1
        if not found:
            return None, None
        codes = self.codes
        provinces, prefectures, counties, doubtful = set(), set(), set(), set()
        for pks in found:
            higher = any(codes[pk].endswith("00") for pk in pks)
            for pk in pks:
                code = codes[pk]
                if code.endswith("0000"):
                    provinces.add(code[:2])
                elif code.endswith("00"):
                    prefectures.add(code[:4])
                else:
                    # A name that is also a city's (烟台市 was once a county-level city
                    # too): read as the county only when no other county is named.
                    (doubtful if higher else counties).add(pk)
        counties = counties or doubtful
        hint = uscc[2:8] if len(uscc) >= 8 else ""

        def best(candidates, score):
            if provinces:
                candidates = [pk for pk in candidates if codes[pk][:2] in provinces]
            if not candidates:
                return None
            scored = {}
            for pk in candidates:
                scored.setdefault(score(codes[pk]), []).append(pk)
            top = scored[max(scored)]
            return top[0] if len(top) == 1 else None

        county = best(
            counties,
            lambda code: (
                (code[:4] in prefectures) * 2
                + (code[:4] == hint[:4])
                + (code[:2] == hint[:2]) * 0.5
            ),
        )
        if county is not None:
            return county, None
        coarser = best(
            [self.by_code[p + "00"] for p in prefectures if p + "00" in self.by_code],
            lambda code: (code[:4] == hint[:4]) + (code[:2] == hint[:2]) * 0.5,
        )
        if coarser is None and len(provinces) == 1:
            coarser = self.by_code.get(next(iter(provinces)) + "0000")
        return None, coarser


# ---------------------------------------------------------------------------
# Reading the file


class _FastSheetParser(WorkSheetParser):
    """openpyxl's read-only sheet parser, with inline strings read as plain text, and
    the rows it has read let go of.

    openpyxl builds a rich ``Text`` object per inline string (the cells XlsxWriter's
    constant-memory mode writes, and many exporting systems), which is half its
    reading time; the text is the same. And it clears each row's element once read,
    but ElementTree's ``iterparse`` keeps the emptied element in ``<sheetData>``:
    some 80 bytes a row, 20 MB at 250,000. The stdlib gives an element no parent
    pointer, so ``<sheetData>`` is found once, among the referrers of the first
    row, and emptied of the rows read every ``RELEASE_EVERY`` rows (all but its
    last child, which may be the row the parser is building). Rows parsed ahead
    and not yet handed out stay referenced by their pending events.
    """

    _T = f"{{{SHEET_MAIN_NS}}}t"
    _R = f"{{{SHEET_MAIN_NS}}}r"
    RELEASE_EVERY = 1000
    sheet_data = None  # None: not looked for yet; False: not found (nothing released)

    def parse_row(self, row):
        parsed = super().parse_row(row)
        if self.sheet_data is None:
            self.sheet_data = next(
                (ref for ref in gc.get_referrers(row) if getattr(ref, "tag", None) == DATA_TAG),
                False,
            )
        elif self.sheet_data is not False and len(self.sheet_data) > self.RELEASE_EVERY:
            del self.sheet_data[:-1]
        return parsed

    def parse_cell(self, element):
        if element.get("t") != "inlineStr":
            return super().parse_cell(element)
        coordinate = element.get("r")
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        value = None
        child = element.find(INLINE_STRING)
        if child is not None:
            parts = []
            for node in child:  # <t>, or rich-text runs <r><t>; phonetic runs (<rPh>) left out
                if node.tag == self._T:
                    parts.append(node.text or "")
                elif node.tag == self._R:
                    parts.append(node.findtext(self._T) or "")
            value = "".join(parts)
        return {"row": row, "column": column, "value": value, "data_type": "s", "style_id": 0}


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)\"")


class _Table:
    """A sheet's rows as ``(row number, {column: value})``, merged cells filled with their
    top-left value, with the number of rows it says it has (None if unknown)."""

    def __init__(self, rows, total=None):
        self.rows = rows
        self.total = total


def _unreadable_xlsx():
    return UnreadableFile(_("文件不是有效的 Excel 工作簿（.xlsx）：无法打开。"))


def _check_package(stream):
    """Refuse what is not an .xlsx zip, or would unpack past the caps."""
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(OLE_MAGIC):
        raise UnreadableFile(
            _(
                "文件是旧版 Excel（.xls）或已加密的工作簿：请在 Excel 中另存为未加密的 .xlsx 后再导入。"
            )
        )
    if not head.startswith(ZIP_MAGIC):
        raise UnreadableFile(_("文件不是有效的 Excel 工作簿（.xlsx）：内容不是 zip 压缩包。"))
    try:
        with zipfile.ZipFile(stream) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _unreadable_xlsx() from None
    finally:
        stream.seek(0)
    too_large = _("文件解压后过大，可能是恶意文件：拒绝读取。")
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED:
        raise UnreadableFile(too_large)
    for member in members:
        name = member.filename.lower()
        if name.endswith("sharedstrings.xml"):
            if member.file_size > MAX_SHARED_STRINGS:
                raise UnreadableFile(too_large)
        elif "/worksheets/" not in name and member.file_size > MAX_OTHER_PART:
            raise UnreadableFile(too_large)


class _Xlsx:
    """An .xlsx workbook, read-only and values only, sheet by sheet."""

    def __init__(self, stream):
        _check_package(stream)
        try:
            self.book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception:  # openpyxl raises what its parts raise: KeyError, ParseError…
            raise _unreadable_xlsx() from None

    def close(self):
        self.book.close()

    def tables(self):
        for sheet in self.book.worksheets:
            merges = self._merges(sheet)
            total = sheet.max_row  # from the sheet's <dimension>, if it declares one
            yield _Table(self._rows(sheet, merges), total)

    def _merges(self, sheet):
        """The sheet's merged ranges as (min_row, min_col, max_row, max_col).

        openpyxl's read-only mode does not expose them, and ``<mergeCells>`` comes
        after the cells in the XML: the part is scanned for it first (inflating
        it costs a small share of parsing it).
        """
        refs = set()
        tail = b""
        # ``_get_source`` opens the sheet's part in openpyxl's archive (read-only API).
        with sheet._get_source() as source:
            while chunk := source.read(1 << 20):
                data = tail + chunk
                if b"mergeCell" in data:
                    refs.update(_MERGE.findall(data))
                    if len(refs) > MAX_MERGES:
                        raise UnreadableFile(_("文件中的合并单元格过多：拒绝读取。"))
                tail = data[-256:]
        merges = []
        for ref in refs:
            min_col, min_row, max_col, max_row = range_boundaries(ref.decode().upper())
            if max_row > min_row or max_col > min_col:
                merges.append((min_row, min_col, max_row, max_col))
        return sorted(merges)

    def _rows(self, sheet, merges):
        book = self.book
        starting = {}
        for merge in merges:
            starting.setdefault(merge[0], []).append(merge)
        active = []
        with sheet._get_source() as source:
            parser = _FastSheetParser(
                source,
                sheet._shared_strings,
                data_only=True,
                epoch=book.epoch,
                date_formats=book._date_formats,
                timedelta_formats=book._timedelta_formats,
            )
            try:
                for line, parsed in parser.parse():
                    if line > MAX_ROWS:
                        raise UnreadableFile(_("文件行数超过 Excel 的上限：拒绝读取。"))
                    cells = {cell["column"]: cell["value"] for cell in parsed}
                    if merges:
                        active = [merge for merge in active if merge[2] >= line]
                        for merge in starting.pop(line, ()):
                            active.append((*merge, cells.get(merge[1])))
                        for _top, left, _bottom, right, value in active:
                            for column in range(left + 1, min(right, left + HEADER_COLUMNS) + 1):
                                cells[column] = value
                            if _top != line:
                                cells[left] = value
                    yield line, cells
            except UnreadableFile:
                raise
            except Exception:  # a broken part (bad XML, a bad reference) partway through
                raise UnreadableFile(
                    _("文件第 %(row)d 行之后的内容无法读取，文件可能已损坏。")
                    % {"row": parser.row_counter}
                ) from None


class _Csv:
    """A CSV file: UTF-8 (with or without BOM) if it strictly is, else GB18030."""

    CHUNK = 1 << 20

    def __init__(self, stream):
        self.stream = stream
        head = stream.read(8192)
        stream.seek(0)
        # Binary: a package's signature, or control bytes more than a stray few (a NUL
        # typed into one cell is that row's problem, not the file's).
        controls = len(head) - len(head.translate(None, CONTROL_BYTES))
        if head.startswith((ZIP_MAGIC, OLE_MAGIC)) or controls > 2 + len(head) // 100:
            raise UnreadableFile(_("文件不是 CSV 文本文件：内容是二进制数据。"))
        self.encoding, self.lines = self._sniff()
        stream.seek(0)

    def _sniff(self):
        """The encoding the whole file decodes in, and its line count, read in chunks."""
        for encoding in ("utf-8-sig", "gb18030"):
            decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
            self.stream.seek(0)
            lines = 0
            try:
                while chunk := self.stream.read(self.CHUNK):
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return encoding, lines + 1
        raise UnreadableFile(_("无法识别文件的编码：应为 UTF-8 或 GBK（GB18030）。"))

    def close(self):
        pass

    def tables(self):
        yield _Table(self._rows(), self.lines)

    def _rows(self):
        text = io.TextIOWrapper(self.stream, encoding=self.encoding, newline="")
        try:
            sample = text.read(65536)
            text.seek(0)
            delimiter = max(",\t;", key=sample.count) if sample else ","
            reader = csv.reader(text, delimiter=delimiter)
            line = 0
            try:
                for line, values in enumerate(reader, start=1):
                    yield line, dict(enumerate(values, start=1))
            except csv.Error:
                raise UnreadableFile(
                    _("文件第 %(row)d 行之后的内容无法读取，文件可能已损坏。") % {"row": line}
                ) from None
        finally:
            text.detach()  # the caller closes its stream


def _open(stream, name):
    suffix = Path(name or "").suffix.lower()
    if suffix == ".xlsx":
        return _Xlsx(stream)
    if suffix == ".csv":
        return _Csv(stream)
    raise UnreadableFile(
        _("不支持的文件类型“%(suffix)s”：请上传 .xlsx 或 .csv 文件。") % {"suffix": suffix or name}
    )


def _find_header(rows, key_of=None):
    """``(header row number, {key: (column, header text)})`` of the best header among
    ``rows`` (the first ones, with their cells), or None. ``key_of`` reads a header
    cell (``header_key``, the registry's own for its columns)."""
    key_of = key_of or header_key
    best = None
    for line, cells in rows:
        found = {}
        for column in sorted(cells):
            if column > HEADER_COLUMNS:
                break
            key = key_of(cells[column])
            if key is not None and key not in found:
                found[key] = (column, _HEADER_NOISE.sub("", cells[column]))
        if "name" in found and "uscc" in found and (best is None or len(found) >= len(best[1])):
            best = (line, found)
    return best


# ---------------------------------------------------------------------------
# The import


def import_enterprises(source, *, name=None, progress=None, actor=None):
    """Import the enterprises of ``source`` (a path, or a binary file object with ``name``
    giving its type); returns a ``Report``. ``progress(done, total)`` hears of the rows
    read every ``PROGRESS_EVERY``; ``UnreadableFile`` when the file cannot be read.
    ``actor``, the user importing (None from the command line), is named in the
    history of each enterprise the import changes."""
    return read_rows(
        source, name, lambda found, rows, total: _Importer(found, actor).run(rows, total, progress)
    )


def read_rows(source, name, consume, key_of=None):
    """Open ``source`` (a path, or a binary file object with ``name`` giving its type), find
    its header (``_find_header`` with ``key_of``) and return ``consume(found, rows, total)``
    on the rows below it; ``UnreadableFile`` when the file cannot be read. The import and
    the registry's sync (``registry.sync``) both read their files through it."""
    if isinstance(source, str | Path):
        name = name or str(source)
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise UnreadableFile(
                _("无法读取文件 %(file)s：%(error)s") % {"file": source, "error": error.strerror}
            ) from None
        try:
            return read_rows(stream, name, consume, key_of)
        finally:
            stream.close()
    book = _open(source, name)
    try:
        for table in book.tables():
            head, rest = [], table.rows
            for line, cells in rest:
                head.append((line, cells))
                if line >= HEADER_ROWS:
                    break
            header = _find_header((row for row in head if row[0] <= HEADER_ROWS), key_of)
            if header is None:
                rest.close()
                continue
            header_line, found = header
            rows = _chain((row for row in head if row[0] > header_line), rest)
            total = max(table.total - header_line, 0) if table.total else None
            return consume(found, rows, total)
        raise UnreadableFile(
            _("找不到表头：前 %(rows)d 行中没有同时含有企业名称和统一社会信用代码两列的行。")
            % {"rows": HEADER_ROWS}
        )
    finally:
        book.close()


def _chain(first, then):
    yield from first
    yield from then


class _SeenCodes:
    """The codes accepted so far in this import, with their rows: a scratch SQLite file on
    disk (deleted when closed), so memory does not grow with the row count."""

    def __init__(self):
        self.db = sqlite3.connect("")  # "": a private temporary database on disk
        self.db.execute("CREATE TABLE seen (uscc TEXT PRIMARY KEY, line INTEGER) WITHOUT ROWID")

    def lines(self, codes):
        found = {}
        codes = list(codes)
        for start in range(0, len(codes), 500):
            part = codes[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(
                self.db.execute(f"SELECT uscc, line FROM seen WHERE uscc IN ({marks})", part)
            )
        return found

    def add(self, pairs):
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", pairs)
        self.db.commit()

    def close(self):
        self.db.close()


ENTERPRISE_FIELDS = ("name", "industry", "size", "tier", "above_scale", "address")
NEW_DEFAULTS = {
    "name": "",
    "industry": "",
    "size": Enterprise.Size.SMALL,
    "tier": Enterprise.Tier.NORMAL,
    "above_scale": False,
    "address": "",
}


class _Importer:
    def __init__(self, found, actor=None):
        qualifications = {}
        self.qualification_names = {}
        for pk, code, qname in Qualification.objects.values_list("pk", "code", "name"):
            qualifications[qname] = pk
            qualifications[code.lower()] = pk
            self.qualification_names[pk] = qname
        self.regions = RegionIndex()
        self.columns = _Columns(found, self.regions, qualifications)
        self.actor_id = actor.pk if actor is not None else None
        self.report = Report()

    def run(self, rows, total, progress):
        seen = _SeenCodes()
        try:
            batch, refused, read = [], [], 0
            for line, cells in rows:
                read += 1
                parsed = self.columns.parse(line, cells)
                if isinstance(parsed, Row):
                    batch.append(parsed)
                elif parsed is not None:
                    refused.append((line, "".join(parsed)))
                if len(batch) + len(refused) >= BATCH:
                    self._flush(batch, refused, seen)
                    batch, refused = [], []
                if progress is not None and read % PROGRESS_EVERY == 0:
                    progress(read, max(total, read) if total else None)
            self._flush(batch, refused, seen)
            if progress is not None:
                progress(read, read)
        finally:
            seen.close()
        return self.report

    def _flush(self, batch, refused, seen):
        earlier = seen.lines(row.uscc for row in batch)
        accepted = []
        for row in batch:
            first = earlier.get(row.uscc)
            if first is not None:
                refused.append(
                    (
                        row.line,
                        _("%(column)s与第 %(row)d 行重复。")
                        % {"column": self.columns.header("uscc"), "row": first},
                    )
                )
            else:
                earlier[row.uscc] = row.line
                accepted.append(row)
        if accepted:
            try:
                created, updated = self._write(accepted)
            except IntegrityError:
                # Another import added one of these codes meanwhile: read them again.
                created, updated = self._write(accepted)
            self.report.created += created
            self.report.updated += updated
            seen.add((row.uscc, row.line) for row in accepted)
        refused.sort()
        self.report.rejected.extend({"row": line, "reason": reason} for line, reason in refused)

    def _write(self, rows):
        """Write one batch in one transaction; returns (created, updated)."""
        with transaction.atomic():
            existing = {
                record[0]: record
                for record in Enterprise.objects.filter(uscc__in=[row.uscc for row in rows])
                .order_by()
                .values_list("uscc", "pk", "region_id", *ENTERPRISE_FIELDS)
            }
            new = [row for row in rows if row.uscc not in existing]
            old = [row for row in rows if row.uscc in existing]
            if new:
                now = clock.now()
                insert_rows(
                    Enterprise,
                    ["uscc", "region", *ENTERPRISE_FIELDS, "created_at"],
                    [
                        (
                            row.uscc,
                            row.region or row.address_county or row.fallback_region,
                            *(
                                row.values.get(name, NEW_DEFAULTS[name])
                                for name in ENTERPRISE_FIELDS
                            ),
                            now,
                        )
                        for row in new
                    ],
                )
            ids = {code: record[1] for code, record in existing.items()}
            if new:
                ids.update(
                    Enterprise.objects.filter(uscc__in=[row.uscc for row in new])
                    .order_by()
                    .values_list("uscc", "pk")
                )
            history = []
            self._update(old, existing, history)
            self._contacts(rows, ids, existing, history)
            self._qualifications(rows, ids, existing, history)
            if history:
                at = clock.now()
                insert_rows(
                    EnterpriseChange,
                    ["enterprise", "at", "actor", "source", "field", "old", "new"],
                    [
                        (enterprise, at, self.actor_id, EnterpriseChange.Source.IMPORT, *change)
                        for enterprise, *change in history
                    ],
                )
        return len(new), len(old)

    def _words(self, field, value):
        """A field's value in the words the enterprise's history keeps (``actions.snapshot``)."""
        if field == "region":
            return self.regions.region_names.get(value, "") if value else ""
        if field in ("size", "tier"):
            choices = Enterprise.Size if field == "size" else Enterprise.Tier
            return str(choices(value).label) if value in choices.values else value
        if field == "above_scale":
            return _("是") if value else _("否")
        return value

    def _update(self, rows, existing, history):
        """Update the enterprises found by code, where something changed, and note what did."""
        changed = []
        for row in rows:
            _code, pk, old_region, *current = existing[row.uscc]
            region = row.region or row.address_county or old_region or row.fallback_region
            values = [
                row.values.get(name, value)
                for name, value in zip(ENTERPRISE_FIELDS, current, strict=True)
            ]
            if values == current and region == old_region:
                continue
            changed.append((region, *values, pk))
            for name, before, after in zip(
                ("region", *ENTERPRISE_FIELDS),
                (old_region, *current),
                (region, *values),
                strict=True,
            ):
                if before != after:
                    history.append((pk, name, self._words(name, before), self._words(name, after)))
        if not changed:
            return
        meta = Enterprise._meta
        fields = [meta.get_field("region"), *(meta.get_field(name) for name in ENTERPRISE_FIELDS)]
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
        params = [
            [
                f.get_db_prep_save(value, connection)
                for f, value in zip(fields, values[:-1], strict=True)
            ]
            + [values[-1]]
            for values in changed
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)

    def _contacts(self, rows, ids, existing, history):
        """Add or update each row's primary contact; note the existing enterprises' changes."""
        given = {ids[row.uscc]: row.contact for row in rows if row.contact is not None}
        if not given:
            return
        primary = {}
        old_ids = [pk for code, pk in ids.items() if code in existing and pk in given]
        if old_ids:
            primary = {
                enterprise: (pk, (name, phone, email))
                for enterprise, pk, name, phone, email in Contact.objects.filter(
                    enterprise_id__in=old_ids, is_primary=True
                )
                .order_by()
                .values_list("enterprise_id", "pk", "name", "phone", "email")
            }
        fresh, changed = [], []
        for enterprise, contact in given.items():
            if enterprise not in primary:
                fresh.append((enterprise, *contact, True))
                continue
            pk, current = primary[enterprise]
            name, phone, email = contact
            contact = (name, phone, email or current[2])  # no e-mail given: keep the one known
            if contact != current:
                changed.append((*contact, pk))
        self._note_contacts(old_ids, primary, fresh, changed, history)
        if fresh:
            insert_rows(Contact, ["enterprise", "name", "phone", "email", "is_primary"], fresh)
        if changed:
            meta = Contact._meta
            quote = connection.ops.quote_name
            sql = (
                f"UPDATE {quote(meta.db_table)} SET {quote('name')} = %s, {quote('phone')} = %s, "
                f"{quote('email')} = %s WHERE {quote(meta.pk.column)} = %s"
            )
            with connection.cursor() as cursor:
                cursor.executemany(sql, changed)

    def _note_contacts(self, old_ids, primary, fresh, changed, history):
        """The contacts' words before and after (``actions.snapshot``'s) of the existing
        enterprises whose primary contact is added or changed."""
        updates = {pk: contact for *contact, pk in changed}
        added = {entry[0]: entry[1:4] for entry in fresh}
        touched = [pk for pk in old_ids if pk in added] + [
            enterprise for enterprise, (pk, _c) in primary.items() if pk in updates
        ]
        if not touched:
            return
        before, after = {}, {}
        for enterprise, pk, name, title, phone, email, is_primary in (
            Contact.objects.filter(enterprise_id__in=touched)
            .order_by("pk")
            .values_list("enterprise_id", "pk", "name", "title", "phone", "email", "is_primary")
        ):
            row = Contact(name=name, title=title, phone=phone, email=email, is_primary=is_primary)
            before.setdefault(enterprise, []).append(actions._contact_words(row))
            if pk in updates:
                row.name, row.phone, row.email = updates[pk]
            after.setdefault(enterprise, []).append(actions._contact_words(row))
        for enterprise in touched:
            if enterprise in added:
                name, phone, email = added[enterprise]
                new = Contact(name=name, phone=phone, email=email, is_primary=True)
                after.setdefault(enterprise, []).append(actions._contact_words(new))
            old_words = "\n".join(before.get(enterprise, []))
            new_words = "\n".join(after.get(enterprise, []))
            if old_words != new_words:
                history.append((enterprise, "contacts", old_words, new_words))

    def _qualifications(self, rows, ids, existing, history):
        """Set each row's qualifications; note the existing enterprises' changes."""
        given = {ids[row.uscc]: row.qualifications for row in rows if row.qualifications}
        if not given:
            return
        through = Enterprise.qualifications.through
        old = [pk for code, pk in ids.items() if code in existing and pk in given]
        if old:
            held = {}
            for enterprise, qualification in through.objects.filter(
                enterprise_id__in=old
            ).values_list("enterprise_id", "qualification_id"):
                held.setdefault(enterprise, []).append(self.qualification_names[qualification])
            names = self.qualification_names
            for enterprise in old:  # joined as ``actions.snapshot`` joins them
                before = "、".join(sorted(held.get(enterprise, [])))
                after = "、".join(sorted(names[pk] for pk in given[enterprise]))
                if before != after:
                    history.append((enterprise, "qualifications", before, after))
            through.objects.filter(enterprise_id__in=old).delete()
        insert_rows(
            through,
            ["enterprise", "qualification"],
            [(enterprise, pk) for enterprise, pks in given.items() for pk in pks],
        )


# ---------------------------------------------------------------------------
# The admin's road: at once, or as a background job


def job_threshold():
    """How large an upload may be and still be imported in the request."""
    return getattr(settings, "QITONG_IMPORT_JOB_BYTES", JOB_BYTES)


def may_import(user):
    """Who may import: an active staff member allowed to add and change enterprises."""
    return bool(
        user.is_active
        and user.is_staff
        and user.has_perm("enterprises.add_enterprise")
        and user.has_perm("enterprises.change_enterprise")
    )


def start_import(user, upload, kind=IMPORT_JOB):
    """Keep ``upload`` in storage and queue the job ``kind`` that reads it (``import_job``,
    or the registry's ``registry.sync_job``); returns the job."""
    suffix = Path(upload.name).suffix.lower()
    stored = default_storage.save(f"imports/{uuid.uuid4().hex}{suffix}", upload)
    return jobs.start(
        kind,
        params={"file": stored, "name": upload.name, "language": translation.get_language()},
        created_by=user,
    )


@jobs.job_kind(gettext_lazy("导入企业名单"))
def import_job(job, progress):
    """A large upload's import. Its file is the report as the command prints it (or
    ``{"error": …}`` for an unreadable file)."""
    return run_upload_job(job, progress, import_enterprises, _("企业导入报告.json"))


def run_upload_job(job, progress, read, report_name):
    """A stored upload read by ``read(stream, name=…, progress=…, actor=…)`` (a ``Report``)
    as a job whose file is the report; the upload is removed once the run ends, and kept
    for the next worker when this one lost its claim."""
    stored = job.params["file"]
    handed_over = False
    try:
        if job.created_by is None or not may_import(job.created_by):
            raise PermissionError(_("无权导入企业名单。"))
        with translation.override(job.params.get("language")):
            with default_storage.open(stored, "rb") as stream:
                try:
                    report = read(
                        stream, name=job.params["name"], progress=progress, actor=job.created_by
                    ).as_dict()
                except UnreadableFile as error:
                    report = {"error": str(error)}
            return jobs.Outcome(
                file=io.BytesIO(json.dumps(report, ensure_ascii=False).encode()),
                name=str(report_name),
                content_type="application/json",
            )
    except jobs.LostClaim:
        handed_over = True
        raise
    finally:
        if not handed_over:
            default_storage.delete(stored)


def job_report(job, kind=IMPORT_JOB):
    """A finished import job's report (as ``run_upload_job`` stored it), or None."""
    if job.kind != kind or job.status != job.Status.DONE or not job.result:
        return None
    with job.result.open("rb") as stream:
        return json.loads(stream.read().decode())
