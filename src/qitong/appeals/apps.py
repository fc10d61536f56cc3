from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "qitong.appeals"
    label = "appeals"
    verbose_name = _("诉求")

    def ready(self):
        from qitong.appeals import deadlines
        from qitong.core.workdays import calendar_changed

        calendar_changed.connect(deadlines.on_calendar_changed, dispatch_uid="appeals-recompute")
