"""notify's API: the inbox."""

from django.urls import path

from qitong.notify import api

urlpatterns = [
    path("inbox", api.InboxView.as_view(), name="api-inbox"),
]
