"""core's API: who the caller is, and the caller's background jobs."""

from django.urls import path

from qitong.core import views

urlpatterns = [
    path("me", views.MeView.as_view(), name="api-me"),
    path("jobs/<int:pk>", views.JobView.as_view(), name="api-job"),
    path("jobs/<int:pk>/download", views.JobDownloadView.as_view(), name="api-job-download"),
]
