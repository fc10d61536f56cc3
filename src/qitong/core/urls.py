"""core's pages: the health check and a background job's progress."""

from django.urls import path

from qitong.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("jobs/<int:pk>/", views.job_page, name="job-page"),
]
