from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from qitong.notify.checks import check_sms_settings


class NotifyConfig(AppConfig):
    name = "qitong.notify"
    label = "notify"
    verbose_name = _("通知")

    def ready(self):
        checks.register(check_sms_settings, checks.Tags.compatibility)
