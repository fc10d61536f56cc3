import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.appeals import sweep
from qitong.core.clock import SHANGHAI

# The instants a sweep may be run as of: this century, as the cases and the calendar are.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=SHANGHAI)
LATEST = dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


class Command(BaseCommand):
    help = _("按某一时刻运行期限与督办扫描，并打印 JSON 摘要。")

    def add_arguments(self, parser):
        parser.add_argument("--at", help=_("ISO 8601 时刻，默认为现在"))
        parser.add_argument("--dry-run", action="store_true", help=_("只计算，不写入"))

    def handle(self, *args, at, dry_run, **options):
        instant = None
        if at:
            try:
                instant = dt.datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(
                    _("时刻 %(value)s 无效：应为 ISO 8601 格式，如 2026-10-09T10:00+08:00。")
                    % {"value": at}
                ) from None
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=SHANGHAI)
            if not EARLIEST <= instant <= LATEST:
                # The calendar and the cases are of this century; the calendar's own
                # edges (year 1, year 9999) cannot even be walked.
                raise CommandError(
                    _("时刻 %(value)s 超出范围：应在 %(first)s 至 %(last)s 之间。")
                    % {
                        "value": at,
                        "first": f"{EARLIEST:%Y-%m-%d}",
                        "last": f"{LATEST:%Y-%m-%d}",
                    }
                )
        summary = sweep.run(instant, dry_run=dry_run)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
