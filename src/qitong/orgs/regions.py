"""Loading administrative divisions from a CSV file: the shipped list and later updates.

The file has one division a line, ``code,name,parent_code[,successor]``:

- ``code``: 6 digits (GB/T 2260: province, prefecture, county) or 9 digits (the
  statistical code of a town or street: its county's code and three more);
- ``parent_code``: empty for a province; a prefecture's province; a county's
  prefecture, or its province when directly administered (直辖); a town's county;
- ``successor`` (optional column): empty while the division is in use; the code
  of the division that took over its area once abolished; ``-`` when abolished
  with no single heir.

Lines starting with ``#`` and blank lines are skipped, and so is a first row
starting with ``code`` or ``代码`` (a header). UTF-8, with or without BOM, or GBK.

Loading only adds and updates: a division missing from the file is left alone
(a file of one city's towns must not touch the rest of the country), and none
is ever deleted, because enterprises and units keep pointing at old codes. The
whole file is checked first — every bad line reported with its number — and
written in one transaction, or not at all.

Migration ``orgs.0004`` loads ``data/divisions.csv`` through ``load`` with the
historical model, so ``apply`` touches only the fields that model has:
code, name, level, parent, is_active, successor.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from qitong.orgs.models import Region, region_code_validator

SHIPPED = Path(__file__).parent / "data" / "divisions.csv"
CODE = region_code_validator.regex
NAME_LENGTH = 50
NO_HEIR = "-"
HEADERS = {"code", "代码"}


@dataclass(frozen=True)
class Row:
    line: int
    code: str
    name: str
    parent_code: str  # "" for a province
    successor: str | None  # None: in use; "": abolished, no heir; else the heir's code

    @property
    def is_active(self):
        return self.successor is None


@dataclass
class Summary:
    added: int = 0
    renamed: int = 0
    deactivated: int = 0
    reactivated: int = 0
    moved: int = 0  # parent or successor changed
    unchanged: int = 0

    def __str__(self):
        return (
            _(
                "新增 %(added)d 个，更名 %(renamed)d 个，撤销 %(deactivated)d 个，"
                "恢复在用 %(reactivated)d 个，调整上级或继任 %(moved)d 个，未变 %(unchanged)d 个。"
            )
            % self.__dict__
        )


@dataclass
class RegionFileError(Exception):
    """Every problem of a file, as (line number, message); line 0 is the file itself."""

    errors: list = field(default_factory=list)

    def __str__(self):
        return "\n".join(_line(number, message) for number, message in self.errors)


def _line(number, message):
    if number == 0:
        return message
    return _("第 %(line)d 行：%(message)s") % {"line": number, "message": message}


def decode(data):
    """Text from UTF-8 (a BOM is dropped) or, failing that, GBK (read as its superset GB 18030)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RegionFileError([(0, _("文件编码无法识别：应为 UTF-8 或 GBK。"))]) from None


def parse(data):
    """The rows of a file (bytes), each checked on its own; raises RegionFileError."""
    rows, errors, _named = _parse(data)
    if errors:
        raise RegionFileError(errors)
    return rows


def _parse(data):
    """(good rows, errors, every well-formed code named on a line, good or bad)."""
    text = decode(data)
    errors, rows, first_line, named = [], [], {}, set()
    reader = csv.reader(io.StringIO(text, newline=""))
    seen_data = False
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            # In practice a field over the csv module's size limit: a runaway quote.
            errors.append((reader.line_num, _("无法按 CSV 解析：字段过长或引号不成对。")))
            continue
        number = reader.line_num
        if not cells or all(not cell.strip() for cell in cells) or cells[0].startswith("#"):
            continue
        if not seen_data and cells[0].strip().lstrip("\ufeff").lower() in HEADERS:
            seen_data = True
            continue
        seen_data = True
        if any("\x00" in cell for cell in cells):
            errors.append((number, _("含有空字符（NUL），文件可能已损坏。")))
            continue
        row, problems = _row(number, cells)
        if CODE.match(cells[0].strip()):
            named.add(cells[0].strip())
        if problems:
            errors.extend((number, problem) for problem in problems)
            continue
        if row.code in first_line:
            errors.append(
                (
                    number,
                    _("代码 %(code)s 在第 %(first)d 行已出现。")
                    % {"code": row.code, "first": first_line[row.code]},
                )
            )
            continue
        first_line[row.code] = number
        rows.append(row)
    if not rows and not errors:
        errors.append((0, _("文件中没有行政区划。")))
    return rows, errors, named


def _row(number, cells):
    cells = [cell.strip() for cell in cells]
    while len(cells) > 3 and cells[-1] == "":
        cells.pop()
    if len(cells) not in (3, 4):
        return None, [
            _("应有 3 或 4 列（代码,名称,上级代码[,继任代码]），实有 %(count)d 列。")
            % {"count": len(cells)}
        ]
    code, name, parent_code = cells[:3]
    successor = cells[3] if len(cells) == 4 else ""
    problems = []
    if not CODE.match(code):
        problems.append(
            _("代码 %(code)s 无效：应为 6 位（县级及以上）或 9 位（乡镇、街道）数字。")
            % {"code": code}
        )
    if not name:
        problems.append(_("名称为空。"))
    elif len(name) > NAME_LENGTH:
        problems.append(_("名称超过 %(max)d 个字。") % {"max": NAME_LENGTH})
    if CODE.match(code):
        allowed = Region.parent_codes_for(code)
        if not allowed and parent_code:
            problems.append(
                _("%(code)s 是省级区划，上级代码应为空，实为 %(parent)s。")
                % {"code": code, "parent": parent_code}
            )
        elif allowed and parent_code not in allowed:
            problems.append(
                _("上级代码“%(parent)s”与代码 %(code)s 不相符：应为 %(allowed)s。")
                % {"parent": parent_code, "code": code, "allowed": _(" 或 ").join(sorted(allowed))}
            )
    if successor and successor != NO_HEIR:
        if not CODE.match(successor):
            problems.append(_("继任代码 %(code)s 无效。") % {"code": successor})
        elif successor == code:
            problems.append(_("继任代码不能是本代码。"))
    heir = None if successor == "" else ("" if successor == NO_HEIR else successor)
    return Row(number, code, name, parent_code, heir), problems


def _check_references(rows, known, in_file):
    """Parents and successors must be named in the file or already be in the database."""
    errors = []
    for row in rows:
        if row.parent_code and row.parent_code not in in_file and row.parent_code not in known:
            errors.append(
                (
                    row.line,
                    _("上级代码 %(code)s 不存在（文件和系统中均无）。") % {"code": row.parent_code},
                )
            )
        if row.successor and row.successor not in in_file and row.successor not in known:
            errors.append(
                (
                    row.line,
                    _("继任代码 %(code)s 不存在（文件和系统中均无）。") % {"code": row.successor},
                )
            )
    return errors


def apply(rows, region_model=Region, *, errors=(), named=None):
    """Write checked rows: add the new codes, update the known ones. Returns a Summary.

    Raises RegionFileError, before writing anything, with ``errors`` (from parsing)
    and every parent or successor found neither in the file nor in the database.
    """
    summary = Summary()
    existing = {region.code: region for region in region_model.objects.all()}
    in_file = {row.code for row in rows} | (named or set())
    errors = sorted([*errors, *_check_references(rows, existing, in_file)], key=lambda e: e[0])
    if errors:
        raise RegionFileError(errors)
    ids = {code: region.pk for code, region in existing.items()}
    new = [row for row in rows if row.code not in existing]
    late = _create(region_model, new, ids)
    summary.added = len(new)

    heirs_of_new, updated = [], []
    for row in rows:
        successor_id = ids[row.successor] if row.successor else None
        if row.code not in existing:
            if successor_id is not None and row.code in late:
                heirs_of_new.append(region_model(pk=ids[row.code], successor_id=successor_id))
            continue
        region = existing[row.code]
        parent_id = ids[row.parent_code] if row.parent_code else None
        level = Region.Level.of(row.code)
        if region.name != row.name:
            summary.renamed += 1
        if region.is_active != row.is_active:
            if row.is_active:
                summary.reactivated += 1
            else:
                summary.deactivated += 1
        elif (region.parent_id, region.successor_id) != (parent_id, successor_id):
            summary.moved += 1
        wanted = (row.name, level, row.is_active, parent_id, successor_id)
        if wanted == (
            region.name,
            region.level,
            region.is_active,
            region.parent_id,
            region.successor_id,
        ):
            summary.unchanged += 1
            continue
        region.name, region.level, region.is_active, region.parent_id, region.successor_id = wanted
        updated.append(region)
    region_model.objects.bulk_update(heirs_of_new, ["successor"], batch_size=500)
    region_model.objects.bulk_update(
        updated, ["name", "level", "is_active", "parent", "successor"], batch_size=500
    )
    return summary


def _create(region_model, new, ids):
    """Create the new rows in waves, each row once its parent and successor exist, so
    their keys go in with the INSERT: updating thousands of rows afterwards costs
    seconds. Whatever cannot be ordered (a successor loop) gets its successor later:
    returns those codes. ``ids`` (code → key) gains the new rows."""
    late = set()
    pending = {row.code: row for row in new}
    while pending:
        wave = [
            row
            for row in pending.values()
            if (not row.parent_code or row.parent_code in ids)
            and (not row.successor or row.successor in ids)
        ]
        if not wave:
            # Parents never loop (a parent's code is shorter, or the same length with
            # more trailing zeros): only successors can; those wait for an update.
            wave = [
                row for row in pending.values() if not row.parent_code or row.parent_code in ids
            ]
            late.update(row.code for row in wave)
        region_model.objects.bulk_create(
            [
                region_model(
                    code=row.code,
                    name=row.name,
                    level=Region.Level.of(row.code),
                    parent_id=ids.get(row.parent_code),
                    is_active=row.is_active,
                    successor_id=ids.get(row.successor) if row.successor else None,
                )
                for row in wave
            ],
            batch_size=1000,
        )
        ids.update(
            region_model.objects.filter(code__in=[row.code for row in wave]).values_list(
                "code", "pk"
            )
            if len(wave) <= 500
            else region_model.objects.values_list("code", "pk")
        )
        for row in wave:
            del pending[row.code]
    return late


def load(data, region_model=Region):
    """Parse, check and write a file's bytes in one transaction; raises RegionFileError."""
    rows, errors, named = _parse(data)
    with transaction.atomic():
        return apply(rows, region_model, errors=errors, named=named)
