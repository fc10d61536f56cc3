"""``qitong open311 key NAME``: a new API key for an Open311 client, printed once."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.integrations import actions
from qitong.integrations.models import Integration


class Command(BaseCommand):
    help = _("Open311 对接：签发 API 密钥。")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        key = commands.add_parser(
            "key", help=_("为名为 NAME 的 Open311 客户端签发新的 API 密钥并打印（没有则创建）。")
        )
        key.add_argument("name")
        key.add_argument("--title", default="", help=_("显示名称"))

    def handle(self, *args, command, name, title, **options):
        integration = Integration.objects.filter(name=name).first()
        if integration is None:
            try:
                _integration, key = actions.create_integration(
                    name=name, kind=Integration.Kind.OPEN311, title=title
                )
            except Exception as error:  # a name the model refuses
                raise CommandError(str(error)) from None
        elif integration.kind != Integration.Kind.OPEN311:
            raise CommandError(_("%(name)s 不是 Open311 客户端。") % {"name": name})
        else:
            key = actions.new_api_key(integration)
        self.stdout.write(key)
