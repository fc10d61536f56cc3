from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecondFactorConfig(AppConfig):
    """Staff's second factor at login (TOTP, with recovery codes): part of orgs' layer."""

    name = "qitong.orgs.second_factor"
    label = "second_factor"
    verbose_name = _("二次验证")
