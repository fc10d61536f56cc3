"""The leaders' cockpit and the cases behind each of its figures."""

from django.urls import path

from qitong.dashboard import views

urlpatterns = [
    path("leader/cockpit/", views.cockpit, name="cockpit"),
    path("leader/cockpit/cases/", views.cases, name="cockpit-cases"),
    path("enterprises/<int:pk>/dossier/", views.dossier, name="dossier"),
]
