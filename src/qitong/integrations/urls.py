"""Open311 GeoReport v2 at /open311/v2/ (each resource as ``.json`` or ``.xml``), and the
office's pages of the Open311 requests waiting for it."""

from django.urls import path, re_path

from qitong.integrations.views import office, portal
from qitong.integrations.views import open311 as views

FMT = r"\.(?P<fmt>json|xml)$"
ROOT = r"^open311/v2/"

urlpatterns = [
    path("appeals/<int:pk>/open311/", portal.publish, name="portal-open311-publish"),
    path("office/open311/", office.waiting, name="office-open311"),
    path("office/open311/<int:pk>/", office.detail, name="office-open311-request"),
    path("office/open311/<int:pk>/phone/", office.reveal_phone, name="office-open311-phone"),
    path("office/open311/<int:pk>/<str:name>/", office.act, name="office-open311-act"),
    re_path(ROOT + "discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(ROOT + "services" + FMT, views.services, name="open311-services"),
    re_path(
        ROOT + r"services/(?P<code>[A-Za-z0-9_-]+)" + FMT,
        views.service_definition,
        name="open311-service",
    ),
    re_path(ROOT + "requests" + FMT, views.requests, name="open311-requests"),
    # The wiki's plural path and swagger's singular one, both answering an array of one.
    re_path(
        ROOT + r"requests?/(?P<number>[A-Za-z0-9_-]+)" + FMT,
        views.request_detail,
        name="open311-request",
    ),
    re_path(ROOT + r"tokens/(?P<value>[A-Za-z0-9]+)" + FMT, views.token, name="open311-token"),
    re_path(ROOT + r".*?(?:\.(?P<fmt>json|xml))?$", views.not_found, name="open311-not-found"),
]
