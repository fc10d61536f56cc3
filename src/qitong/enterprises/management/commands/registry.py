"""``qitong registry sync FILE``: the admin page's registry sync, from the command line."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.enterprises import imports, registry


class Command(BaseCommand):
    help = _(
        "同步市场监管部门的企业登记数据（.xlsx 或 .csv）：按统一社会信用代码更新企业，打印 JSON 报告 "
        '{"created", "updated", "skipped", "rejected": [{"row", "reason"}]}。'
        "有行被拒绝时仍以 0 退出；文件本身无法读取时以 2 退出。"
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        sync = commands.add_parser("sync", help=_("同步一份登记数据导出文件。"))
        sync.add_argument("file", help=_("登记数据文件：.xlsx 或 .csv（UTF-8 或 GBK 编码）。"))

    def handle(self, *args, command, file, **options):
        try:
            report = registry.sync(file)
        except imports.UnreadableFile as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(report.as_json())
