from django.urls import path

from qitong.core import views
from qitong.notify.urls import api_urlpatterns as notify_api_urlpatterns

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]

api_urlpatterns = [
    path("me", views.MeView.as_view(), name="api-me"),
    *notify_api_urlpatterns,
]
