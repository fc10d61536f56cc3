"""``qitong apitoken USERNAME``: issue an API token for that user and print it.

Tokens are stored only as their SHA-256 (``core.models.ApiToken``), so a key
is printed once, when it is issued, and never again: each run issues a new
token (the earlier ones keep working until they expire or are revoked).
``--list`` shows the user's tokens, ``--revoke PREFIX`` or ``--revoke all``
revokes.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from qitong.core.models import ApiToken


class Command(BaseCommand):
    help = _("为某个用户签发 API 令牌并打印（令牌只显示这一次）；也可列出或吊销其令牌。")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help=_("令牌名称，如调用它的系统"))
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=_("有效天数（默认 QITONG_API_TOKEN_DAYS；0 为直到吊销）"),
        )
        parser.add_argument("--list", action="store_true", help=_("列出该用户的令牌"))
        parser.add_argument(
            "--revoke", metavar="PREFIX", help=_("吊销前缀为 PREFIX 的令牌；all 吊销全部")
        )

    def handle(self, *args, username, name, days, list, revoke, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("用户 %(name)s 不存在。") % {"name": username}) from None
        if list:
            return self._list(user)
        if revoke:
            return self._revoke(user, revoke)
        if not user.is_active:
            raise CommandError(_("用户 %(name)s 已停用。") % {"name": username})
        if days is not None and days < 0:
            raise CommandError(_("--days 不能为负数。"))
        _token, key = ApiToken.issue(user, name=name, days=days)
        self.stdout.write(key)

    def _list(self, user):
        for token in user.api_tokens.all():
            state = (
                _("已吊销") if token.revoked_at else (_("有效") if token.is_usable else _("已过期"))
            )
            expires = timezone.localtime(token.expires_at).isoformat() if token.expires_at else "-"
            self.stdout.write(f"{token.prefix}\t{token.name}\t{expires}\t{state}")

    def _revoke(self, user, prefix):
        tokens = user.api_tokens.filter(revoked_at__isnull=True)
        if prefix != "all":
            tokens = tokens.filter(prefix=prefix)
        revoked = 0
        for token in tokens:
            token.revoke()
            revoked += 1
        if not revoked:
            raise CommandError(_("没有找到可吊销的令牌：%(prefix)s") % {"prefix": prefix})
        self.stdout.write(_("已吊销 %(count)d 个令牌。") % {"count": revoked})
