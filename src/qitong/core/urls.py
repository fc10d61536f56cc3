from django.urls import path

from qitong.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]

api_urlpatterns = [
    path("me", views.MeView.as_view(), name="api-me"),
]
