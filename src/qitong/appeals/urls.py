"""The appeal loop's pages: the shared case page, the enterprise portal, the office's and the unit's workbenches."""

from django.urls import path

from qitong.appeals.views import detail, office, portal, unit

urlpatterns = [
    path("appeals/<int:pk>/", detail.detail, name="appeal-detail"),
    path("appeals/<int:pk>/act/<str:name>/", detail.act, name="appeal-act"),
    path("appeals/<int:pk>/upload/", detail.upload, name="appeal-upload"),
    path("appeals/<int:pk>/contact/", detail.reveal_contact, name="appeal-contact-reveal"),
    path("portal/", portal.home, name="portal-home"),
    path("portal/new/", portal.file, name="portal-file"),
    path("office/queues/", office.workbench, name="office-workbench"),
    path("office/queues/act/", office.bulk_act, name="office-bulk-act"),
    path("office/appeals/<int:pk>/triage/", office.triage, name="office-triage"),
    path(
        "office/appeals/<int:pk>/triage/preview/",
        office.dispatch_preview,
        name="office-dispatch-preview",
    ),
    path("unit/cases/", unit.workbench, name="unit-workbench"),
]
