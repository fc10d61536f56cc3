"""notify's pages: the inbox and the user's channels."""

from django.urls import path

from qitong.notify import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:message_id>/read/", views.mark_read, name="inbox-read"),
    path("inbox/channels/", views.channels, name="inbox-channels"),
]
