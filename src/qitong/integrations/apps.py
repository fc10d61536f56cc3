from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from qitong.core.errors import ERROR_SHAPES


class IntegrationsConfig(AppConfig):
    name = "qitong.integrations"
    label = "integrations"
    verbose_name = _("外部系统对接")

    def ready(self):
        # Imported here: the app registry must be ready before models are imported.
        from qitong.appeals.views.detail import add_panel
        from qitong.integrations import intake
        from qitong.integrations.views import open311, portal

        # Every timeline event of an appeal is saved through ``appeals.events.record``
        # inside the action's transaction; the handler writes this app's rows (the
        # work order, the Open311 request, the 12345 callback) in that same transaction.
        post_save.connect(
            intake.on_event_saved, sender="appeals.Event", dispatch_uid="integrations-events"
        )
        # Core's refusals (NUL, a body too large, a rate limit) answered as Open311's arrays.
        ERROR_SHAPES["/open311/"] = open311.error_shape
        # The enterprise's Open311 choice, a section of the shared case page.
        add_panel(portal.panel)
