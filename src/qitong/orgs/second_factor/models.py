"""Recovery codes: ten one-time codes per enrolled user, stored only as SHA-256 digests.

The codes are random (50 bits each), so a plain digest is enough: nothing
short of the code itself gives its digest back. The TOTP secrets are
django-otp's ``TOTPDevice`` rows.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecoveryCode(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        verbose_name=_("用户"),
    )
    digest = models.CharField(_("摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("生成时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")

    def __str__(self):
        return f"{self.user_id} {'used' if self.used_at else 'unused'}"
