"""The assessment's API routes, mounted under /api/v1/ by the project's URL map."""

from django.urls import path

from qitong.assessment import api

urlpatterns = [
    path("assessment", api.AssessmentView.as_view(), name="api-assessment"),
]
