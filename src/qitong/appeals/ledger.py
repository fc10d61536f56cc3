"""The ledger (台帐): every visible appeal as one spreadsheet row.

Officials keep it for their records and for the reviews of the service
office. Rows are written in openpyxl's write-only mode, so a city's whole
history streams through without being held in memory.
"""

import tempfile

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from qitong.appeals import deadlines
from qitong.appeals.models import Appeal, Assignment
from qitong.core.clock import local
from qitong.orgs.models import User

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
CHUNK = 500
ROLES = (User.Role.OFFICE, User.Role.UNIT, User.Role.LEADER, User.Role.ADMIN)


def allowed(user):
    """The officials' record: the service offices, units, leaders and admins, each within their scope."""
    return user.role in ROLES


def headers():
    return [
        _("编号"),
        _("企业名称"),
        _("统一社会信用代码"),
        _("标题"),
        _("渠道"),
        _("分类"),
        _("状态"),
        _("办理方式"),
        _("牵头单位"),
        _("协办单位"),
        _("提交时间"),
        _("派单时间"),
        _("联系期限"),
        _("联系时间"),
        _("按时联系"),
        _("答复期限"),
        _("答复时间"),
        _("按时答复"),
        _("办结期限"),
        _("办结时间"),
        _("按时办结"),
        _("期限暂定"),
        _("升级级别"),
        _("过程评价"),
        _("结果评价"),
    ]


class Words:
    """The ledger's words in the active language, translated once per export, not per cell."""

    def __init__(self):
        self.yes_no = {None: "", True: _("是"), False: _("否")}  # None: a deadline not yet due
        self.choices = {
            name: {value: str(label) for value, label in Appeal._meta.get_field(name).choices}
            for name in ("channel", "status", "handling_mode", "rating_process", "rating_result")
        }

    def choice(self, appeal, name):
        value = getattr(appeal, name)
        return self.choices[name].get(value, value) if value else ""


def row(appeal, at, words=None):
    """One appeal's cells, in the order of ``headers``; times are local and naive, as Excel wants."""
    words = words or Words()
    yes_no, choice = words.yes_no, words.choice
    co_units = "、".join(part.unit.name for part in appeal.co_parts)
    return [
        appeal.number,
        appeal.enterprise.name,
        appeal.enterprise.uscc,
        appeal.title,
        choice(appeal, "channel"),
        appeal.category.name if appeal.category_id else "",
        choice(appeal, "status"),
        choice(appeal, "handling_mode"),
        appeal.lead_unit.name if appeal.lead_unit_id else "",
        co_units,
        appeal.created_at,
        appeal.dispatched_at,
        appeal.contact_due,
        appeal.contacted_at,
        yes_no[deadlines.on_time(appeal.contact_due, appeal.contacted_at, at)],
        appeal.reply_due,
        appeal.replied_at,
        yes_no[deadlines.on_time(appeal.reply_due, appeal.replied_at, at)],
        appeal.resolve_due,
        appeal.resolved_at,
        yes_no[deadlines.on_time(appeal.resolve_due, appeal.resolved_at, at)],
        yes_no[appeal.provisional] if appeal.dispatched_at else "",
        appeal.escalation_level,
        choice(appeal, "rating_process"),
        choice(appeal, "rating_result"),
    ]


def rows(appeals, at):
    """The rows of ``appeals`` (a queryset), read in chunks with their joins."""
    appeals = appeals.select_related("enterprise", "category", "lead_unit").prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(role=Assignment.Role.CO, active=True).select_related(
                "unit"
            ),
            to_attr="co_parts",
        )
    )
    words = Words()
    for appeal in appeals.iterator(chunk_size=CHUNK):
        yield row(appeal, at, words)


def write(appeals, stream, *, at):
    """Write the ledger of ``appeals`` as of ``at`` into ``stream`` (a binary file)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("诉求台帐"))
    sheet.append(headers())
    for cells in rows(appeals, at):
        sheet.append([_cell(sheet, value) for value in cells])
    book.save(stream)


def build(appeals, *, at):
    """The ledger as a rewound temporary file; whoever sends it closes it."""
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - a FileResponse closes it after sending
    write(appeals, stream, at=at)
    stream.seek(0)
    return stream


def _cell(sheet, value):
    if hasattr(value, "tzinfo"):
        cell = WriteOnlyCell(sheet, value=local(value).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    return value if value is not None else ""
