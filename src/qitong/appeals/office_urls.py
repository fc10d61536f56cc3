"""The service office's workbench pages."""

from django.urls import path

from qitong.appeals.views import office

urlpatterns = [
    path("office/queues/", office.workbench, name="office-workbench"),
    path("office/queues/act/", office.bulk_act, name="office-bulk-act"),
    path("office/appeals/<int:pk>/triage/", office.triage, name="office-triage"),
    path(
        "office/appeals/<int:pk>/triage/preview/",
        office.dispatch_preview,
        name="office-dispatch-preview",
    ),
]
