"""The unit workbench's pages."""

from django.urls import path

from qitong.appeals.views import unit

urlpatterns = [
    path("unit/cases/", unit.workbench, name="unit-workbench"),
]
