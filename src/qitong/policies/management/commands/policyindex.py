import json
import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from qitong.policies import search


class Command(BaseCommand):
    help = _("重建政策库的全文索引（一个事务内整体重建，并按发布时间重排存储），打印 JSON 摘要。")

    def handle(self, *args, **options):
        began = time.perf_counter()
        indexed = search.rebuild()
        seconds = round(time.perf_counter() - began, 1)
        self.stdout.write(json.dumps({"indexed": indexed, "seconds": seconds}))
