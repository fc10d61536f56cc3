"""The assessment's pages: the ranking, a unit's breakdown, the cases behind lost points, the
export, the weights and the monthly bulletins."""

from django.urls import path, re_path

from qitong.assessment import views

urlpatterns = [
    path("assessment/", views.ranking, name="assessment"),
    path("assessment/units/<str:code>/", views.unit, name="assessment-unit"),
    path("assessment/cases/", views.cases, name="assessment-cases"),
    path("assessment/export.xlsx", views.export, name="assessment-export"),
    path("assessment/weights/", views.weights, name="assessment-weights"),
    path("assessment/bulletins/", views.bulletin_list, name="assessment-bulletins"),
    re_path(
        r"^assessment/bulletins/(?P<month>[0-9]{4}-[0-9]{2})/publish$",
        views.publish,
        name="assessment-bulletin-publish",
    ),
    re_path(
        r"^assessment/bulletins/(?P<month>[0-9]{4}-[0-9]{2})/(?P<kind>pdf|xlsx)$",
        views.bulletin_file,
        name="assessment-bulletin-file",
    ),
]
