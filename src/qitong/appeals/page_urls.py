"""The appeal loop's pages (the API has its own urls in ``urls.py``)."""

from django.urls import path

from qitong.appeals.views import detail

urlpatterns = [
    path("appeals/<int:pk>/", detail.detail, name="appeal-detail"),
    path("appeals/<int:pk>/act/<str:name>/", detail.act, name="appeal-act"),
    path("appeals/<int:pk>/upload/", detail.upload, name="appeal-upload"),
]
