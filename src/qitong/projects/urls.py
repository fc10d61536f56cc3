"""Key projects' pages: the registry, a project, the unit's report, the rankings, the public board."""

from django.urls import path

from qitong.projects.views import board, registry, report

urlpatterns = [
    path("projects/", registry.registry_page, name="projects-registry"),
    path("projects/new/", registry.register, name="project-new"),
    path("projects/board/", board.board, name="projects-board"),
    path("projects/rankings/", board.rankings, name="projects-rankings"),
    path("projects/<int:pk>/", registry.project_page, name="project-detail"),
    path("projects/<int:pk>/edit/", registry.edit, name="project-edit"),
    path("projects/<int:pk>/report/", report.report, name="project-report"),
    path("projects/<int:pk>/finish/", registry.finish, name="project-finish"),
    path(
        "projects/<int:pk>/problems/<int:problem_id>/file/",
        registry.file_problem,
        name="project-file-problem",
    ),
    path("projects/<int:pk>/photos/<int:photo_id>/", registry.photo, name="project-photo"),
]
