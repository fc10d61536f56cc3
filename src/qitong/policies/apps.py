import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "qitong.policies"
    label = "policies"
    verbose_name = _("政策")

    def ready(self):
        # httpx logs every request at INFO: thousands of lines every three minutes from the
        # crawler alone, which reports what matters (cut-offs, failures) itself.
        logging.getLogger("httpx").setLevel(logging.WARNING)
