from django.urls import path

from qitong.appeals.urls import api_urlpatterns as appeals_api_urlpatterns
from qitong.core import views
from qitong.enterprises.api import api_urlpatterns as enterprises_api_urlpatterns
from qitong.notify.urls import api_urlpatterns as notify_api_urlpatterns
from qitong.orgs.api import api_urlpatterns as orgs_api_urlpatterns

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]

api_urlpatterns = [
    path("me", views.MeView.as_view(), name="api-me"),
    *appeals_api_urlpatterns,
    *enterprises_api_urlpatterns,
    *orgs_api_urlpatterns,
    *notify_api_urlpatterns,
]
