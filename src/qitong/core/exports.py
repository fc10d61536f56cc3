"""The one spreadsheet writer: every export of the platform goes through ``write_sheet``.

An export is a header row and an iterable of rows (lists of cells). The
writer holds one row at a time (XlsxWriter's ``constant_memory`` mode flushes
each row to a temporary file as soon as the next one starts), so memory stays
flat however many rows a city's history has.

Cells are typed by their Python value, never by their content:

- text is always text. Titles and names come from enterprises, and a title
  such as ``=HYPERLINK("http://…?d="&B2,"点击查看附件")`` or ``=cmd|' /C calc'!A0``
  must never become a live formula or link in an official's spreadsheet. The
  workbook is opened with ``strings_to_formulas``, ``strings_to_urls`` and
  ``strings_to_numbers`` off and every string is written with ``write_string``,
  which stores it as an inline string whatever it starts with;
- datetimes are written as Excel dates in local time (Asia/Shanghai, as
  Excel wants them), dates as dates;
- ``int``, ``float`` and ``Decimal`` as numbers (but NaN and the infinities,
  which a sheet cannot hold, as their text); ``None`` as an empty cell;
  anything else (a bool included) as its text.

``export_to_tempfile`` gives the result as a rewound temporary file, which a
``FileResponse`` streams and closes, or a background job copies into storage
(``qitong.core.jobs``).
"""

import datetime as dt
import re
import tempfile
from decimal import Decimal
from math import isfinite
from pathlib import Path

import xlsxwriter
from django.conf import settings
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from qitong.core import clock
from qitong.core.clock import SHANGHAI as LOCAL

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
# How often ``progress`` hears how many rows are written.
PROGRESS_EVERY = 5000
# Excel's limits: longer text is cut, more rows do not fit a sheet.
MAX_TEXT = 32767
MAX_ROWS = 1_048_576
# An export of more rows than this is made by a background job, not in the
# request (``QITONG_EXPORT_JOB_ROWS`` overrides it; tests lower it).
JOB_ROWS = 100_000

WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def job_threshold():
    """How many rows an export may have and still be written in the request."""
    return getattr(settings, "QITONG_EXPORT_JOB_ROWS", JOB_ROWS)


# How long a file may lie in ``scratch_dir`` before ``clear_scratch`` takes it for
# a killed export's: a sheet is written in minutes, and its row file grows meanwhile.
SCRATCH_KEPT = dt.timedelta(days=1)


def scratch_dir():
    """Where XlsxWriter keeps a sheet's rows while it is written: a folder of our own.

    XlsxWriter removes its row file when the workbook closes; a process killed
    before that (a request past the web server's timeout, a worker's SIGKILL)
    leaves it behind, as large as the sheet. In a folder of its own, under the
    data directory, ``clear_scratch`` finds and removes such files.
    """
    path = Path(settings.DATA_DIR) / "tmp" / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def clear_scratch(now=None):
    """Remove what killed exports left in ``scratch_dir`` over ``SCRATCH_KEPT`` ago; returns how many."""
    cutoff = (now or clock.now()).timestamp() - SCRATCH_KEPT.total_seconds()
    removed = 0
    for path in scratch_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # removed meanwhile by its own export or another sweep
    return removed


class TooManyRows(ValueError):
    """More rows than one Excel sheet holds."""


def write_sheet(
    target, *, title, headers, rows, widths=None, progress=None, naive_utc=False, instants=()
):
    """Write one sheet of ``headers`` then ``rows`` into ``target``; returns the row count.

    ``target`` is a file name or a binary file object. ``widths`` optionally
    gives each column's width in characters. ``progress(done)`` is called
    every ``PROGRESS_EVERY`` rows and once at the end. Naive datetimes are
    local wall time, or UTC with ``naive_utc`` (as SQLite's cursor hands
    them back). The columns named in ``instants`` hold instants as POSIX
    seconds (floats, as a query can select them without building a datetime
    per value) and are written as local dates too.
    """
    book = xlsxwriter.Workbook(target, {**WORKBOOK_OPTIONS, "tmpdir": str(scratch_dir())})
    try:
        sheet = book.add_worksheet(title[:31], worksheet_class=RowSheet)
        sheet.naive_utc = naive_utc
        sheet.instants = frozenset(instants)
        sheet.datetime_style = book.add_format({"num_format": DATETIME_FORMAT})
        sheet.date_style = book.add_format({"num_format": DATE_FORMAT})
        header_style = book.add_format({"bold": True})
        for column, width in enumerate(widths or ()):
            sheet.set_column(column, column, width)
        for column, header in enumerate(headers):
            sheet.write_string(0, column, str(header), header_style)
        sheet.freeze_panes(1, 0)
        written = 0
        for written, cells in enumerate(rows, start=1):
            if written >= MAX_ROWS:
                raise TooManyRows(written)
            sheet.append_row(written, cells)
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(written)
        if progress is not None:
            progress(written)
    finally:
        book.close()
    return written


# Text that needs more than copying into <t>: XML's three, the control characters
# Excel writes as _xHHHH_ (and so the literal text "_xHHHH_" itself), the two
# non-characters, and leading or trailing white space (kept by xml:space). A
# carriage return is one of them, as in XlsxWriter: written raw, an XML reader
# would turn it (and "\r\n") into "\n".
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|^\s|\s$")
_ESCAPE_LIKE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_UNIX_EPOCH = dt.datetime(1970, 1, 1)
_UNIX_EPOCH_SERIAL = 25569  # 1970-01-01 in Excel's days
_DAY = dt.timedelta(days=1)


class RowSheet(Worksheet):
    """XlsxWriter's worksheet with one more method, ``append_row``, for the data rows.

    In ``constant_memory`` mode XlsxWriter serialises each row into its
    temporary row file as the next one starts; going through ``write_string``
    and friends costs some 10 µs a cell on our servers, which alone is more
    than ten seconds for a unit's ledger of 50,000 rows of 25 cells at a
    million appeals. ``append_row`` writes the same XML a row at a time, into
    the same file, and keeps the sheet's dimensions as XlsxWriter does, so
    the rest of the package (styles, column widths, the frozen header, the
    zip) is XlsxWriter's own. It knows only three kinds of cell, inline text,
    numbers and dates: there is no code path here that could write a
    formula or a link.
    """

    datetime_style = date_style = None
    naive_utc = False
    instants = frozenset()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._offsets = {}

    def append_row(self, row, cells):
        """Write ``cells`` as row ``row`` (0-based, after every row written before)."""
        if row < self.previous_row or row >= self.xls_rowmax:
            raise ValueError(f"row {row} cannot follow row {self.previous_row}")
        if self.table:
            self._write_single_row(row)  # XlsxWriter's pending row (the header)
        self.previous_row = row
        datetime_style = self.datetime_style._get_xf_index()
        date_style = self.date_style._get_xf_index()
        number = str(row + 1)
        parts = [f'<row r="{number}">']
        add = parts.append
        cached, serial, columns = _inline_cache.get, self._serial, _COLUMNS
        instants, from_seconds = self.instants, self._serial_seconds
        last = -1
        for column, value in enumerate(cells):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if not value:
                    continue
                inner = cached(value)
                if inner is None:
                    inner = _remember(value)
                add(f'<c r="{columns[column]}{number}" t="inlineStr">{inner}</c>')
            elif kind is dt.datetime:
                add(
                    f'<c r="{columns[column]}{number}" s="{datetime_style}">'
                    f"<v>{serial(value):.16G}</v></c>"
                )
            elif kind is float and column in instants:
                add(
                    f'<c r="{columns[column]}{number}" s="{datetime_style}">'
                    f"<v>{from_seconds(value):.16G}</v></c>"
                )
            elif (
                kind is int
                or (kind is float and isfinite(value))
                or (kind is Decimal and value.is_finite())
            ):
                add(f'<c r="{columns[column]}{number}"><v>{value:.16G}</v></c>')
            elif kind is dt.date:
                days = (dt.datetime(value.year, value.month, value.day) - _EXCEL_EPOCH) / _DAY
                add(f'<c r="{columns[column]}{number}" s="{date_style}"><v>{days:.16G}</v></c>')
            else:  # bool, NaN and infinities, lazy translations, anything else: its text
                text = str(value)
                if not text:
                    continue
                add(f'<c r="{columns[column]}{number}" t="inlineStr">{_remember(text)}</c>')
            last = column
        add("</row>")
        if last < 0:
            return  # an empty row: nothing to write
        self.fh.write("".join(parts))
        if self.dim_rowmin is None:
            self.dim_rowmin = row
        self.dim_rowmax = row
        if self.dim_colmin is None:
            self.dim_colmin = 0
        if self.dim_colmax is None or last > self.dim_colmax:
            self.dim_colmax = last

    def _serial(self, value):
        """Excel's serial number of ``value`` in local time (days since 1899-12-30)."""
        if value.tzinfo is None:
            if not self.naive_utc:
                return (value - _EXCEL_EPOCH) / _DAY
            seconds = (value - _UNIX_EPOCH).total_seconds()
        else:
            seconds = value.timestamp()
        return self._serial_seconds(seconds)

    def _serial_seconds(self, seconds):
        """Excel's serial number, in local time, of the instant ``seconds`` after 1970 UTC."""
        # The local offset, looked up once per day: converting each of a
        # ledger's 400,000 times would cost more than the rest of its row. A
        # day whose offset changes (summer time, where there is any) is
        # converted time by time.
        day = seconds // 86400
        offset = self._offsets.get(day, False)
        if offset is False:
            start, end = (
                dt.datetime.fromtimestamp(day * 86400, LOCAL).utcoffset(),
                dt.datetime.fromtimestamp(day * 86400 + 86400, LOCAL).utcoffset(),
            )
            offset = self._offsets[day] = start.total_seconds() if start == end else None
        if offset is None:
            offset = dt.datetime.fromtimestamp(seconds, LOCAL).utcoffset().total_seconds()
        return (seconds + offset) / 86400 + _UNIX_EPOCH_SERIAL


def _remember(text):
    """``_inline(text)``, kept for the next time when short: labels, names and codes repeat."""
    inner = _inline(text)
    if len(text) <= 64:
        if len(_inline_cache) >= 4096:
            _inline_cache.clear()
        _inline_cache[text] = inner
    return inner


def _inline(text):
    """``<is><t>text</t></is>``, escaped as Excel reads it back."""
    if len(text) > MAX_TEXT // 2:
        text = _cut(text)
    if _SPECIAL.search(text) is None:
        return f"<is><t>{text}</t></is>"
    text = _ESCAPE_LIKE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    preserve = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<is><t{preserve}>{text}</t></is>"


def _cut(text):
    """``text`` cut to Excel's ``MAX_TEXT``, which counts UTF-16 units.

    A character beyond U+FFFF (an emoji, a rare hanzi of a name such as 𠀀)
    counts two, and is never split in half.
    """
    if len(text.encode("utf-16-le", "surrogatepass")) // 2 <= MAX_TEXT:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_TEXT:
            return text[:index]
    return text


_inline_cache = {}
_COLUMNS = [xl_col_to_name(column) for column in range(16384)]


def export_to_tempfile(**sheet):
    """``write_sheet`` into a rewound temporary file: ``(file, row count)``; the caller closes it."""
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        count = write_sheet(stream, **sheet)
        stream.seek(0)
    except BaseException:
        stream.close()
        raise
    return stream, count
