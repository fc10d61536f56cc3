from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = _("打印某个用户的 API 令牌（没有则创建）。")

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("用户 %(name)s 不存在。") % {"name": username}) from None
        if not user.is_active:
            raise CommandError(_("用户 %(name)s 已停用。") % {"name": username})
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
