"""The enterprise's own profile pages."""

from django.urls import path

from qitong.enterprises import views

urlpatterns = [
    path("portal/profile/", views.profile, name="portal-profile"),
    path("portal/profile/contacts/", views.add_contact, name="portal-contact-add"),
    path("portal/profile/contacts/<int:pk>/", views.edit_contact, name="portal-contact-edit"),
    path(
        "portal/profile/contacts/<int:pk>/remove/",
        views.remove_contact,
        name="portal-contact-remove",
    ),
]
