import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.core.clock import SHANGHAI
from qitong.core.workdays import add_workdays


def parse_start(text):
    try:
        start = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("开始时间 %(value)s 无效：应为 ISO 8601 格式，如 2026-09-30T10:00+08:00。")
            % {"value": text}
        ) from None
    return start if start.tzinfo else start.replace(tzinfo=SHANGHAI)


def parse_amount(text):
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise CommandError(
            _("工作日数 %(value)s 无效：应为数字，如 3 或 1.5。") % {"value": text}
        ) from None
    if not amount.is_finite() or amount < 0 or amount > 3650:
        raise CommandError(_("工作日数 %(value)s 无效：应在 0 到 3650 之间。") % {"value": text})
    return amount


class Command(BaseCommand):
    help = _("按工作日历计算期限：workdays add 开始时间 工作日数")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        add = sub.add_parser("add", help=_("开始时间之后 N 个工作日的时刻"))
        add.add_argument("start")
        add.add_argument("working_days")

    def handle(self, *args, operation, start, working_days, **options):
        try:
            deadline = add_workdays(parse_start(start), parse_amount(working_days))
        except (ValueError, OverflowError):
            # The calendar walks at most a decade of days: beyond it (or past year 9999)
            # there is no answer, and the operator gets a sentence, not a traceback.
            raise CommandError(
                _("无法计算：%(start)s 之后 %(amount)s 个工作日超出了日历可计算的范围。")
                % {"start": start, "amount": working_days}
            ) from None
        self.stdout.write(str(deadline))
