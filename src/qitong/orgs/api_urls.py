"""orgs' API: units and users."""

from django.urls import path

from qitong.orgs import api

urlpatterns = [
    path("units", api.UnitListView.as_view(), name="api-units"),
    path("users", api.UserListView.as_view(), name="api-users"),
]
