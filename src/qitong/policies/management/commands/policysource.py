from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.policies import actions
from qitong.policies.models import PolicySource


class Command(BaseCommand):
    help = _("管理政策来源：add、list、enable、disable、remove。")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        add = commands.add_parser("add", help=_("添加来源，打印其编号"))
        add.add_argument("--name", required=True, help=_("来源名称"))
        add.add_argument("--list-url", required=True, help=_("列表页地址"))
        add.add_argument("--link-selector", default="", help=_("详情链接的 CSS 选择器"))
        add.add_argument("--next-selector", default="", help=_("下一页链接的 CSS 选择器"))
        add.add_argument(
            "--encoding", default="auto", choices=PolicySource.Encoding.values, help=_("页面编码")
        )
        add.add_argument(
            "--kind", default="html", choices=PolicySource.Kind.values, help=_("列表类型")
        )
        add.add_argument("--json-items", default="", help=_("JSON 条目路径，如 data.list"))
        add.add_argument("--json-link", default="", help=_("条目中链接的路径，默认 url"))
        add.add_argument("--json-title", default="", help=_("条目中标题的路径，默认 title"))
        commands.add_parser("list", help=_("列出来源及其状态"))
        for name, text in (
            ("enable", _("启用来源（清除暂停和标记）")),
            ("disable", _("停用来源")),
            ("remove", _("删除来源（已入库的政策保留）")),
        ):
            command = commands.add_parser(name, help=text)
            command.add_argument("id", type=int, help=_("来源编号"))

    def handle(self, *args, subcommand, **options):
        try:
            getattr(self, f"_{subcommand}")(**options)
        except ValidationError as exc:
            raise CommandError("; ".join(_messages(exc))) from None

    def _add(self, *, name, list_url, link_selector, next_selector, encoding, kind, **options):
        source = actions.add_source(
            name=name,
            list_url=list_url,
            link_selector=link_selector,
            next_selector=next_selector,
            encoding=encoding,
            kind=kind,
            json_items_path=options["json_items"],
            json_link_path=options["json_link"],
            json_title_path=options["json_title"],
        )
        self.stdout.write(str(source.pk))

    def _list(self, **options):
        for source in PolicySource.objects.all():
            state = _("启用") if source.enabled else _("停用")
            if source.flagged:
                state += " " + _("需人工检查")
            if source.backoff_until:
                state += " " + _("暂停至 %(at)s") % {"at": _when(source.backoff_until)}
            last = _when(source.last_run_at) if source.last_run_at else "-"
            self.stdout.write(
                "\t".join(
                    [
                        str(source.pk),
                        source.name,
                        source.get_kind_display(),
                        source.list_url,
                        state,
                        _("最近抓取 %(at)s") % {"at": last},
                        _("连续失败 %(count)s 次") % {"count": source.consecutive_failures},
                    ]
                )
            )

    def _enable(self, *, id, **options):
        actions.enable_source(id, acting_user=actions.COMMAND_LINE)
        self.stdout.write(_("来源 %(id)s 已启用。") % {"id": id})

    def _disable(self, *, id, **options):
        actions.disable_source(id, acting_user=actions.COMMAND_LINE)
        self.stdout.write(_("来源 %(id)s 已停用。") % {"id": id})

    def _remove(self, *, id, **options):
        actions.remove_source(id)
        self.stdout.write(_("来源 %(id)s 已删除。") % {"id": id})


def _when(instant):
    return f"{clock.local(instant):%Y-%m-%d %H:%M}"


def _messages(error):
    """Each message with its field's label: "列表页地址：请输入有效的网址。"."""
    if not hasattr(error, "error_dict"):
        return error.messages
    labels = {field.name: field.verbose_name for field in PolicySource._meta.fields}
    return [
        f"{labels.get(name, name)}：{message}"
        for name, messages in error.message_dict.items()
        for message in messages
    ]
