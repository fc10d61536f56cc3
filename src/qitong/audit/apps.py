from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "qitong.audit"
    label = "audit"
    verbose_name = _("安全审计")

    def ready(self):
        from qitong.audit import logins  # noqa: F401 - connects the login signals
