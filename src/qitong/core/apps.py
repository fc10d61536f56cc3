from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from qitong.core import lookups


class CoreConfig(AppConfig):
    name = "qitong.core"
    label = "core"
    verbose_name = _("基础设置")

    def ready(self):
        lookups.register()
