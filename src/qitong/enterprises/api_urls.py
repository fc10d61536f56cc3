"""enterprises' API: registering an enterprise."""

from django.urls import path

from qitong.enterprises import api

urlpatterns = [
    path("enterprises", api.EnterpriseListView.as_view(), name="api-enterprises"),
]
