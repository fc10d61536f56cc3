from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from qitong.core import clock
from qitong.core.lookups import unique_row
from qitong.core.models import ApiToken
from qitong.core.prepared import prepared_statements

# ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_PRECISION = timedelta(minutes=5)


class BearerTokenAuthentication(TokenAuthentication):
    """``Authorization: Bearer <token>``, as contracts/api-v1.md says.

    The key is looked up by its SHA-256 (``core.models.ApiToken``): a revoked
    or expired token, or one of a deactivated user, is refused like an unknown one.
    """

    keyword = "Bearer"

    def authenticate_credentials(self, key):
        with prepared_statements():  # every API request's one query
            token = unique_row(
                ApiToken.objects.select_related("user", "user__unit"),
                digest=ApiToken.digest_of(key),
            )
        if token is None or not token.is_usable:
            raise exceptions.AuthenticationFailed(_("令牌无效、已过期或已吊销。"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("用户已停用。"))
        now = clock.now()
        # Counted from the issue, so a script's first calls right after it write nothing.
        if now - (token.last_used_at or token.created_at) > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token.user, token)
