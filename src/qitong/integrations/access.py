"""What Open311 reads may show: the one rule of which appeals a client sees.

Without a key, only the appeals their enterprise chose to make public
(``Publication``); with a key, also that integration's own submissions.
Contacts and attachments are never shown (``open311.request_rows``), except
the ``media_url`` an integration itself sent with its own request.
"""

from django.db.models import Q

from qitong.appeals.models import Appeal


def open311_appeals(integration=None):
    visible = Q(publication__isnull=False)
    if integration is not None:
        visible |= Q(service_request__integration=integration)
    return Appeal.objects.filter(visible)


def access_open311_appeal(integration, number):
    """The one appeal ``number`` if the caller may read it, else None (404)."""
    return open311_appeals(integration).filter(number=number).first()
