"""Key projects' API routes, mounted under /api/v1/."""

from django.urls import path

from qitong.projects import api

urlpatterns = [
    path("projects", api.ProjectListView.as_view(), name="api-projects"),
    path("projects/registry.xlsx", api.RegistryExportView.as_view(), name="api-projects-registry"),
    path("projects/rankings", api.RankingsView.as_view(), name="api-projects-rankings"),
    path("projects/<int:pk>", api.ProjectDetailView.as_view(), name="api-project"),
    path("projects/<int:pk>/progress", api.ProgressView.as_view(), name="api-project-progress"),
    path("projects/<int:pk>/finish", api.FinishView.as_view(), name="api-project-finish"),
    path(
        "projects/<int:pk>/problems/<int:problem_id>/file",
        api.FileProblemView.as_view(),
        name="api-project-file-problem",
    ),
    path(
        "projects/<int:pk>/photos/<int:photo_id>",
        api.PhotoView.as_view(),
        name="api-project-photo",
    ),
]
