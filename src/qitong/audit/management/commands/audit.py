from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from qitong.audit import chain


class Command(BaseCommand):
    help = _("审计日志：verify 校验哈希链，prune 删除超过保存期限的记录。")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["verify", "prune"])

    def handle(self, *args, what, **options):
        if what == "prune":
            self.stdout.write(
                _("已删除 %(count)d 条超过保存期限的记录。") % {"count": chain.prune()}
            )
            return
        chain.seal()  # the rows staged until now are checked too
        verdict = chain.verify()
        if verdict.ok:
            self.stdout.write(
                _("审计链完整：已校验 %(count)d 条记录。") % {"count": verdict.checked}
            )
            return
        raise CommandError(
            _("审计链在第 %(seq)d 条记录处断开（%(reason)s）；此前 %(count)d 条完好。")
            % {"seq": verdict.broken, "reason": verdict.reason, "count": verdict.checked}
        )
