from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.core.management.commands.serve import ensure_port_free
from qitong.demo.city import DEMO_PASSWORD, NotEmpty, load_demo_city

DEMO_APPEALS = 60


class Command(BaseCommand):
    help = _("准备数据目录，载入示范城市，启动网站并打印演示账号。")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help=_("只准备数据，不启动网站"))

    def handle(self, *args, host, port, no_serve, **options):
        if not no_serve:
            ensure_port_free(host, port)
        call_command("migrate", interactive=False, verbosity=0)
        try:
            accounts = load_demo_city(appeals=DEMO_APPEALS)
        except NotEmpty:
            raise CommandError(
                _(
                    "数据库中已有单位或用户，不能载入示范城市（其账号使用公开的密码，含系统管理员）。"
                    "请为演示另设 QITONG_DATA_DIR，并且不要设置 QITONG_DATABASE_URL。"
                )
            ) from None
        self.stdout.write(_("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD})
        for username, role, scope in accounts:
            self.stdout.write(f"  {username:<14} {role:<10} {scope}")
        if not no_serve:
            call_command("serve", host=host, port=port)
