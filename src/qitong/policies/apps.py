import logging

from django.apps import AppConfig
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "qitong.policies"
    label = "policies"
    verbose_name = _("政策")

    def ready(self):
        # httpx logs every request at INFO: thousands of lines every three minutes from the
        # crawler alone, which reports what matters (cut-offs, failures) itself.
        logging.getLogger("httpx").setLevel(logging.WARNING)

        # Imported here: the app registry must be ready before models are imported.
        from qitong.enterprises.models import Enterprise
        from qitong.policies import matching
        from qitong.policies.models import Policy

        # A deletion waits for the pushes under way (they have no foreign keys to stop it).
        for model in (Policy, Enterprise):
            pre_delete.connect(
                matching.wait_for_pushes, sender=model, dispatch_uid=f"push-{model._meta.label}"
            )
