"""What Open311 reads may show (the one rule of which appeals a client sees), and which
waiting requests the office's pages show.

Without a key, only the appeals their enterprise chose to make public
(``Publication``); with a key, also that integration's own submissions.
Contacts and attachments are never shown (``open311.request_rows``), except
the ``media_url`` an integration itself sent with its own request.
"""

from django.db.models import Q
from django.http import Http404

from qitong.appeals.models import Appeal
from qitong.integrations.models import ServiceRequest
from qitong.orgs import scope


def open311_appeals(integration=None):
    visible = Q(publication__isnull=False)
    if integration is not None:
        visible |= Q(service_request__integration=integration)
    return Appeal.objects.filter(visible)


def access_open311_appeal(integration, number):
    """The one appeal ``number`` if the caller may read it, else None (404)."""
    return open311_appeals(integration).filter(number=number).first()


def require_office(user):
    """Who opens the office's Open311 pages: the service offices and admins (403 for others)."""
    scope.require_role(user, scope.Role.OFFICE, scope.Role.ADMIN)


def visible_service_requests(user):
    """The Open311 requests ``user`` may see on the office's pages: all for the service
    offices and admins (who decide on them), none for anyone else."""
    if not scope.has_role(user, scope.Role.OFFICE, scope.Role.ADMIN):
        return ServiceRequest.objects.none()
    return ServiceRequest.objects.select_related("integration", "appeal", "handled_by")


def access_service_request_for_user(user, pk):
    """The one road from a page to a request: 404 for what ``user`` may not see."""
    found = visible_service_requests(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
