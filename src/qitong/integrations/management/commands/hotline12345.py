"""``qitong hotline12345``: connect a 12345 hotline, and play one against a running platform.

- ``qitong hotline12345 add NAME [--callback-url URL]`` creates the hotline's
  integration and prints its shared secret as JSON (``--show NAME`` again later);
- ``qitong hotline12345 simulate --url URL --count N --secret S [--clients C]``
  pushes N signed work orders (demo and load test) and prints the tallies as JSON.
"""

import json
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.integrations import actions, simulate
from qitong.integrations.models import Integration


class Command(BaseCommand):
    help = _("12345 热线对接：创建对接、模拟热线推送工单。")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        add = commands.add_parser("add", help=_("创建一条 12345 热线对接并打印共享密钥。"))
        add.add_argument("name")
        add.add_argument("--callback-url", default="", help=_("状态变化的回调地址"))
        add.add_argument("--title", default="", help=_("显示名称"))
        show = commands.add_parser("show", help=_("打印一条 12345 热线对接的共享密钥。"))
        show.add_argument("name")
        play = commands.add_parser("simulate", help=_("向运行中的平台推送模拟工单。"))
        play.add_argument(
            "--url",
            required=True,
            help=_("工单接口地址，如 http://127.0.0.1:8000/api/v1/hotline12345/workorders"),
        )
        play.add_argument("--count", type=int, required=True, help=_("工单数量"))
        play.add_argument(
            "--secret",
            default=os.environ.get("QITONG_HOTLINE12345_SECRET", ""),
            help=_("共享密钥（默认读环境变量 QITONG_HOTLINE12345_SECRET）"),
        )
        play.add_argument("--clients", type=int, default=4, help=_("并发客户端数"))
        play.add_argument("--enterprises", type=int, default=100, help=_("涉及的企业数"))
        play.add_argument("--repeat-every", type=int, default=0, help=_("每 N 个工单重发一次"))

    def handle(self, *args, command, **options):
        if command == "simulate":
            if not options["secret"]:
                raise CommandError(_("请提供 --secret 或环境变量 QITONG_HOTLINE12345_SECRET。"))
            if options["count"] < 1 or options["clients"] < 1 or options["enterprises"] < 1:
                raise CommandError(_("--count、--clients 与 --enterprises 应为正整数。"))
            tallies = simulate.run(
                options["url"],
                options["secret"],
                count=options["count"],
                clients=options["clients"],
                enterprises=options["enterprises"],
                repeat_every=options["repeat_every"],
            )
            self.stdout.write(json.dumps(tallies, ensure_ascii=False))
            if tallies["errors"] or tallies["mismatched"]:
                raise CommandError(_("有工单未被受理或重复，见上方统计。"), returncode=1)
            return
        name = options["name"]
        if command == "add":
            try:
                integration, _key = actions.create_integration(
                    name=name,
                    kind=Integration.Kind.HOTLINE,
                    title=options["title"],
                    callback_url=options["callback_url"],
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
        else:
            integration = Integration.objects.filter(
                name=name, kind=Integration.Kind.HOTLINE
            ).first()
            if integration is None:
                raise CommandError(_("没有名为 %(name)s 的 12345 对接。") % {"name": name})
        self.stdout.write(
            json.dumps(
                {"name": integration.name, "secret": integration.secret},
                ensure_ascii=False,
            )
        )
