"""The market regulator's registry: its bulk export of registered enterprises, synced by USCC.

``sync(source, name=…)`` is the one function both roads call: the admin's upload
page (企业 → 同步市场监管登记, at once for a small file, as a background job,
``sync_job``, for a large one) and ``qitong registry sync FILE``. It reads the
file through the import's machinery (``imports.read_rows``: .xlsx or CSV, the
header among the first rows, title rows and merged cells, the size caps) and
runs the import's batches (``imports._Importer``: a row checked whole, a code
met earlier in the file refused as a duplicate, ``BATCH`` rows a transaction,
the codes met kept on disk); only the columns and the writing are its own. Its
report is the import's, plus ``skipped``.

What the registry decides
-------------------------
The regulator is the authority on an enterprise's legal facts: its name, legal
representative, registered capital, date of establishment and 登记状态. A
non-empty cell of these overwrites what the platform holds. The address (住所)
and the industry fill only an empty field: the enterprise keeps its operating
address on its profile page and offices their industry codes, which they know
better than the registered domicile or the regulator's classification. An
enterprise the registry names is ``verified`` (one a hotline caller named is
confirmed) and its ``registry_checked_at`` is the sync's time.

A deregistered (注销), revoked (吊销) or moved-out (迁出) enterprise keeps its
record, flagged by its status on its dossier and in the admin: its appeals,
visits and history stay, and the office sees at once that it no longer trades.

Unknown codes: an enterprise the platform does not know is created when the
registry says it trades (存续/在业): a city wants every enterprise of its
register on the platform before it first calls — the hotline and Open311
find it verified, policies reach it by its industry and region, offices can
pair it. One that is already closed, revoked or moved out is not created (the
platform would only hold a dead record) and counted as ``skipped``.

Every change is written to the enterprise's history (``EnterpriseChange``,
source 市场监管登记), in ``actions.profile_words``' words, naming who synced.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.core import clock, jobs
from qitong.core.bulk import insert_rows
from qitong.enterprises import actions, imports
from qitong.enterprises.industries import SECTIONS, validate_industry
from qitong.enterprises.models import Enterprise, EnterpriseChange

SYNC_JOB = f"{__name__}.sync_job"
Registration = Enterprise.Registration


@dataclass
class Report(imports.Report):
    """The import's report, plus the rows of unknown closed enterprises not created."""

    skipped: int = 0

    def as_dict(self):
        return {**super().as_dict(), "skipped": self.skipped}


# The columns of a registry export, with the headers regulators' systems give them.
COLUMNS = (
    imports.Column(
        "uscc",
        gettext_lazy("统一社会信用代码"),
        ("统一社会信用代码", "信用代码", "社会信用代码", "统一代码"),
        True,
    ),
    imports.Column("name", gettext_lazy("企业名称"), ("企业名称", "名称", "市场主体名称"), True),
    imports.Column(
        "legal_representative",
        gettext_lazy("法定代表人"),
        ("法定代表人", "法定代表人姓名", "法人代表", "法定代表人负责人", "负责人", "投资人"),
    ),
    imports.Column("registered_capital", gettext_lazy("注册资本"), ("注册资本", "注册资金")),
    imports.Column(
        "established_on", gettext_lazy("成立日期"), ("成立日期", "成立时间", "注册日期")
    ),
    imports.Column(
        "registration_status",
        gettext_lazy("登记状态"),
        ("登记状态", "经营状态", "企业状态", "状态"),
    ),
    imports.Column("address", gettext_lazy("住所"), ("住所", "地址", "注册地址", "经营场所")),
    imports.Column(
        "industry",
        gettext_lazy("行业"),
        ("行业", "国民经济行业", "所属行业", "行业代码", "国民经济行业代码", "行业门类"),
    ),
)
HEADERS = {header: column.key for column in COLUMNS for header in column.headers}


def header_key(value):
    """The column a header cell names, or None (as ``imports.header_key`` reads one)."""
    if not isinstance(value, str):
        return None
    return HEADERS.get(imports._HEADER_NOISE.sub("", value).lower())


# 登记状态 as regulators word it, checked in this order: "吊销，未注销" is revoked.
STATUS_WORDS = (
    ("吊销", Registration.REVOKED),
    ("迁出", Registration.MOVED_OUT),
    ("未注销", None),  # (with nothing above: an unknown wording)
    ("注销", Registration.DEREGISTERED),
    ("撤销", Registration.DEREGISTERED),
    ("存续", Registration.ACTIVE),
    ("在业", Registration.ACTIVE),
    ("在营", Registration.ACTIVE),
    ("开业", Registration.ACTIVE),
    ("在册", Registration.ACTIVE),
)
# 注册资本: "500", "500万", "500万元人民币", "1.5亿元", "100万美元", "300.000000万(元)".
CAPITAL = re.compile(r"([0-9][0-9,]*(?:\.[0-9]+)?)\s*(亿|万)?\s*(?:元)?\s*(.*)")
CURRENCY_NOISE = re.compile(r"[（()）\s]")
CAPITAL_LIMIT = Decimal("1e14")  # the column's 18 digits, 4 of them decimals
DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
NAME_MAX = Enterprise._meta.get_field("name").max_length
ADDRESS_MAX = Enterprise._meta.get_field("address").max_length
LEGAL_MAX = Enterprise._meta.get_field("legal_representative").max_length
CURRENCY_MAX = Enterprise._meta.get_field("capital_currency").max_length
SECTION_NAMES = {str(name): letter for letter, (name, _first, _last) in SECTIONS.items()}


def status_of(text):
    """The ``Registration`` a 登记状态 cell says, or None for wording it does not know."""
    for word, status in STATUS_WORDS:
        if word in text:
            return status
    return None


def capital_of(value):
    """``(amount in 万元, currency)`` of a 注册资本 cell, or None. A bare number is in 万元, as
    regulators' exports give it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value)), _("人民币")
    match = CAPITAL.fullmatch(imports._text(value))
    if not match:
        return None
    number, unit, currency = match.groups()
    try:
        amount = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    if unit == "亿":
        amount *= 10_000
    currency = CURRENCY_NOISE.sub("", currency)
    if currency in ("", "元"):  # "300万(元)"
        currency = _("人民币")
    return amount, currency


def date_of(value):
    """The date of a 成立日期 cell (a spreadsheet date, 2015-03-12, 2015/3/12, 2015年3月12日,
    20150312), or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = imports._text(value)
    match = DATE.fullmatch(text) or (
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text) if text.isdigit() else None
    )
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def industry_of(value):
    """A 行业 cell as a GB/T 4754 code: one written in it (``[I6513]应用软件开发``, ``C3989``),
    or the section a section's name gives (制造业 → C); None when it names neither."""
    text = imports._text(value).upper().replace(" ", "")
    found = re.search(r"[A-T]?\d{2,4}", text)
    if found:
        return imports._industry(found.group(0))
    return SECTION_NAMES.get(imports._text(value))


class _Columns(imports.Columns):
    """The columns of the regulator's export: the legal facts beside the identity."""

    def parse(self, line, cells):
        """A row as a ``Row``, the list of reasons it is refused, or None when empty."""
        raw = {key: cells.get(index) for key, index in self.indexes.items()}
        text = {key: imports._text(value) for key, value in raw.items()}
        if all(value == "" for value in text.values()):
            return None
        problems = []
        uscc, name = self.identity(text, problems)
        values = {"name": name} if name else {}
        self._text_field(text, "legal_representative", LEGAL_MAX, values, problems)
        self._text_field(text, "address", ADDRESS_MAX, values, problems)
        if text.get("registered_capital"):
            capital = capital_of(raw["registered_capital"])
            if capital is None or not 0 <= capital[0] < CAPITAL_LIMIT:
                problems.append(
                    _("%(column)s“%(value)s”无法识别：应为金额，如 500万元人民币。")
                    % {
                        "column": self.header("registered_capital"),
                        "value": text["registered_capital"],
                    }
                )
            elif len(capital[1]) > CURRENCY_MAX:
                problems.append(
                    _("%(column)s“%(value)s”的币种无法识别。")
                    % {
                        "column": self.header("registered_capital"),
                        "value": text["registered_capital"],
                    }
                )
            else:
                values["registered_capital"] = capital[0].quantize(Decimal("0.0001"))
                values["capital_currency"] = capital[1]
        if text.get("established_on"):
            established = date_of(raw["established_on"])
            if established is None:
                problems.append(
                    _("%(column)s“%(value)s”不是有效日期，应如 2015-03-12。")
                    % {"column": self.header("established_on"), "value": text["established_on"]}
                )
            values["established_on"] = established
        if text.get("registration_status"):
            status = status_of(text["registration_status"])
            if status is None:
                problems.append(
                    _("%(column)s“%(value)s”无法识别：应为存续（在业）、注销、吊销或迁出。")
                    % {
                        "column": self.header("registration_status"),
                        "value": text["registration_status"],
                    }
                )
            values["registration_status"] = status
        if text.get("industry"):
            industry = industry_of(raw["industry"])
            if industry is not None:
                try:
                    validate_industry(industry)
                    values["industry"] = industry
                except ValidationError as error:
                    problems.extend(error.messages)
            # A name the platform cannot place (应用软件开发) leaves the industry as it is.
        if problems:
            return problems
        address_county = fallback = None
        if values.get("address"):
            address_county, fallback = self.regions.from_address(values["address"], uscc)
        return self.row(line, uscc, values, address_county=address_county, fallback=fallback)

    def _text_field(self, text, key, limit, values, problems):
        value = text.get(key, "")
        if not value:
            return
        if len(value) > limit:
            problems.append(self.too_long(key, limit))
        values[key] = value


# The registry's own fields, overwritten by a non-empty cell; and those it fills when empty.
AUTHORITATIVE = (
    "name",
    "legal_representative",
    "registered_capital",
    "capital_currency",
    "established_on",
    "registration_status",
)
FILLED = ("address", "industry")


class _Sync(imports._Importer):
    """The import's batches (``run``, ``_flush``) with the registry's columns and writing."""

    def __init__(self, found, actor=None):
        self.regions = imports.RegionIndex()
        self.columns = _Columns(found, self.regions)
        self.actor_id = actor.pk if actor is not None else None
        self.report = Report()

    def _write(self, rows):
        """Write one batch in one transaction; returns (created, updated)."""
        now = clock.now()
        with transaction.atomic():
            existing = {
                enterprise.uscc: enterprise
                for enterprise in Enterprise.objects.select_related("region")
                .select_for_update(of=("self",))
                .filter(uscc__in=[row.uscc for row in rows])
                .order_by("pk")
            }
            unknown = [row for row in rows if row.uscc not in existing]
            new = [row for row in unknown if _trading(row)]
            self.report.skipped += len(unknown) - len(new)
            if new:
                self._create(new, now)
            history, changed = [], []
            for row in rows:
                enterprise = existing.get(row.uscc)
                if enterprise is not None:
                    self._apply(enterprise, row, history)
                    changed.append(enterprise)
            if changed:
                Enterprise.objects.bulk_update(
                    changed,
                    [*AUTHORITATIVE, *FILLED, "region", "verified", "registry_checked_at"],
                    batch_size=500,
                )
            if history:
                insert_rows(
                    EnterpriseChange,
                    ["enterprise", "at", "actor", "source", "field", "old", "new"],
                    [
                        (pk, now, self.actor_id, EnterpriseChange.Source.REGISTRY, *change)
                        for pk, *change in history
                    ],
                )
        return len(new), len(changed)

    def _create(self, rows, now):
        columns = ["uscc", "region", *AUTHORITATIVE, *FILLED]
        defaults = {field: Enterprise._meta.get_field(field).get_default() for field in columns}
        insert_rows(
            Enterprise,
            [*columns, "size", "tier", "above_scale", "verified", "registry_checked_at"]
            + ["created_at"],
            [
                (
                    row.uscc,
                    row.address_county or row.fallback_region,
                    *(row.values.get(name, defaults[name]) for name in AUTHORITATIVE),
                    *(row.values.get(name, defaults[name]) for name in FILLED),
                    Enterprise.Size.SMALL,
                    Enterprise.Tier.NORMAL,
                    False,
                    True,
                    now,
                    now,
                )
                for row in rows
            ],
        )

    def _apply(self, enterprise, row, history):
        """Set the row's fields on ``enterprise`` (unsaved); note each change in ``history``."""
        before = actions.profile_words(enterprise)
        for name in AUTHORITATIVE:
            if name in row.values:
                setattr(enterprise, name, row.values[name])
        for name in FILLED:
            if row.values.get(name) and not getattr(enterprise, name):
                setattr(enterprise, name, row.values[name])
        region_words = before["region"]
        if enterprise.region_id is None:
            region = row.address_county or row.fallback_region
            if region is not None:
                enterprise.region_id = region
                region_words = self.regions.region_names.get(region, "")
        enterprise.verified = True
        enterprise.registry_checked_at = clock.now()
        after = {**_words_without_region(enterprise), "region": region_words}
        for name in actions.TRACKED:
            if name in after and str(before.get(name, "")) != str(after[name]):
                history.append((enterprise.pk, name, str(before[name]), str(after[name])))


def _trading(row):
    """The registry says the row's enterprise trades (or says nothing of its status)."""
    return row.values.get("registration_status", Registration.ACTIVE) == Registration.ACTIVE


def _words_without_region(enterprise):
    """``profile_words`` of an enterprise whose region may have changed unsaved (its words
    are given apart)."""
    region_id, enterprise.region_id = enterprise.region_id, None
    try:
        words = actions.profile_words(enterprise)
    finally:
        enterprise.region_id = region_id
    del words["region"]
    return words


def sync(source, *, name=None, progress=None, actor=None):
    """Sync the enterprises of a registry export ``source`` (a path, or a binary file object
    with ``name`` giving its type); returns a ``Report``. ``progress(done, total)`` hears of
    the rows read; ``imports.UnreadableFile`` when the file cannot be read. ``actor``, the
    user syncing (None from the command line), is named in each change's history."""
    return imports.read_rows(
        source,
        name,
        lambda found, rows, total: _Sync(found, actor).run(rows, total, progress),
        key_of=header_key,
    )


def start_sync(user, upload):
    """Keep ``upload`` in storage and queue the job that syncs it; returns the job."""
    return imports.start_import(user, upload, kind=SYNC_JOB)


@jobs.job_kind(gettext_lazy("同步市场监管登记"))
def sync_job(job, progress):
    """A large upload's sync; its file is the report as the command prints it."""
    return imports.run_upload_job(job, progress, sync, _("登记同步报告.json"))


def job_report(job):
    """A finished sync job's report, or None."""
    return imports.job_report(job, kind=SYNC_JOB)
