from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "qitong.visits"
    label = "visits"
    verbose_name = _("包联走访")
