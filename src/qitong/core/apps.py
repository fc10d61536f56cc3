from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "qitong.core"
    label = "core"
    verbose_name = _("基础设置")

    def ready(self):
        from qitong.core import lookups

        lookups.register()
