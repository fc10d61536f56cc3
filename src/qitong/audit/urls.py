"""audit's pages: the auditor's search and export."""

from django.urls import path

from qitong.audit import views

urlpatterns = [
    path("audit/", views.records, name="audit-records"),
    path("audit/export/", views.export, name="audit-export"),
]
