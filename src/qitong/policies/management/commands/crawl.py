import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.policies import crawler
from qitong.policies.models import PolicySource


class Command(BaseCommand):
    help = _("抓取一轮政策来源，并打印 JSON 摘要。")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("只抓取一轮"))
        parser.add_argument("--source", type=int, help=_("只抓取这个来源（编号），不论其暂停"))

    def handle(self, *args, once, source, **options):
        if not once:
            raise CommandError(
                _("请加 --once 运行一轮抓取；定期抓取由调度任务 policy-crawl 负责。")
            )
        if source is not None and not PolicySource.objects.filter(pk=source).exists():
            raise CommandError(_("政策来源 %(id)s 不存在。") % {"id": source})
        try:
            summary = crawler.run_cycle(source)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if summary is None:
            raise CommandError(_("另一轮抓取正在进行，本次未运行。"))
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
