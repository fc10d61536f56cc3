"""The enterprise portal's pages."""

from django.urls import path

from qitong.appeals.views import portal

urlpatterns = [
    path("portal/", portal.home, name="portal-home"),
    path("portal/new/", portal.file, name="portal-file"),
]
