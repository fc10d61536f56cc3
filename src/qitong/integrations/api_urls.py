"""The 12345 bridge and the Open311 publication switch under /api/v1/."""

from django.urls import path

from qitong.integrations import api

urlpatterns = [
    path("hotline12345/workorders", api.WorkOrderView.as_view(), name="api-hotline-workorders"),
    path("open311/publications", api.PublicationView.as_view(), name="api-open311-publications"),
]
