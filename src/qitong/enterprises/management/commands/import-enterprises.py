"""``qitong import-enterprises FILE``: the admin page's import, from the command line.

The module's name is the command's, dash included: Django finds commands by
file name and loads them with ``importlib``, which takes any file name.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.enterprises import imports


class Command(BaseCommand):
    help = _(
        "导入企业名单（.xlsx 或 .csv）：按统一社会信用代码新增或更新，打印 JSON 报告 "
        '{"created", "updated", "rejected": [{"row", "reason"}]}。'
        "有行被拒绝时仍以 0 退出；文件本身无法读取时以 2 退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("企业名单文件：.xlsx 或 .csv（UTF-8 或 GBK 编码）。"))

    def handle(self, *args, file, **options):
        try:
            report = imports.import_enterprises(file)
        except imports.UnreadableFile as error:
            raise CommandError(str(error), returncode=2) from None
        self.stdout.write(report.as_json())
