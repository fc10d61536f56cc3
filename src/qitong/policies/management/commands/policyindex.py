import json
import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from qitong.policies import search


class Command(BaseCommand):
    help = _("重建政策库的全文索引（一个事务内整体重建，并按发布时间重排存储），打印 JSON 摘要。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--parts",
            action="store_true",
            help=_(
                "分批提交（每批 %(count)s 条政策）：重建期间检索只能查到已重建的部分，请在停止服务时"
                "使用；大型 SQLite 政策库用它可避免日志文件占用数倍于索引的磁盘。"
            )
            % {"count": search.BATCH * search.COMMIT_BATCHES},
        )

    def handle(self, *args, **options):
        began = time.perf_counter()
        indexed = search.rebuild(whole=not options["parts"])
        seconds = round(time.perf_counter() - began, 1)
        self.stdout.write(json.dumps({"indexed": indexed, "seconds": seconds}))
