"""The leaders' cockpit and the cases behind each of its figures."""

from django.urls import path

from qitong.dashboard import views

urlpatterns = [
    path("leader/cockpit/", views.cockpit, name="cockpit"),
    path("leader/cockpit/cases/", views.cases, name="cockpit-cases"),
    path("enterprises/<int:pk>/dossier/", views.dossier, name="dossier"),
    path(
        "enterprises/<int:pk>/contacts/<int:contact_id>/reveal/",
        views.reveal_contact,
        name="dossier-contact-reveal",
    ),
]
