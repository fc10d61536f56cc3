from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "qitong.dispatch"
    verbose_name = _("智能分拨")
