"""The dispatch help's API routes, mounted under /api/v1/ by the project's URL map
(before the appeals' own, whose ``appeals/<id>/<operation>`` answers any other name)."""

from django.urls import path

from qitong.dispatch import api

urlpatterns = [
    path(
        "appeals/<int:pk>/suggestions",
        api.SuggestionsView.as_view(),
        name="api-appeal-suggestions",
    ),
    path("appeals/<int:pk>/similar", api.SimilarView.as_view(), name="api-appeal-similar"),
]
