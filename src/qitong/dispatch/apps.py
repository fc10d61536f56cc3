from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


def _on_event(sender, instance, created, **kwargs):
    """A new appeal event, in its action's transaction: ``actions.on_event`` (named, since
    the actions cannot be imported before the apps are ready)."""
    if created:
        import_string("qitong.dispatch.actions.on_event")(instance)


class DispatchConfig(AppConfig):
    name = "qitong.dispatch"
    verbose_name = _("智能分拨")

    def ready(self):
        post_save.connect(_on_event, sender="appeals.Event", dispatch_uid="dispatch-follow-result")
