import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from qitong.policies import classify


class Command(BaseCommand):
    help = _("政策分类模型：train 用库中人工与规则确定的类别训练模型，并打印 JSON 摘要。")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        commands.add_parser(
            "train", help=_("训练分类模型（每五条留出一条测准确率），保存到默认存储")
        )

    def handle(self, *args, subcommand, **options):
        summary = classify.train()
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
