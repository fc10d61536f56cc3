from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "qitong.appeals"
    label = "appeals"
    verbose_name = _("诉求")

    def ready(self):
        # Imported here: the app registry must be ready before models are imported.
        from qitong.appeals import tasks
        from qitong.core.workdays import calendar_changed

        calendar_changed.connect(tasks.on_calendar_changed, dispatch_uid="appeals-recompute")
        for signal in (post_save, post_delete):
            signal.connect(
                tasks.on_ladder_changed,
                sender="appeals.EscalationStep",
                dispatch_uid="appeals-ladder",
            )
