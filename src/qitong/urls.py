"""The project's URL map: every app's pages, and every app's API under /api/v1/.

Each app keeps its page routes in ``urls.py`` and its API routes in
``api_urls.py``; only this module knows them all.
"""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView

from qitong.orgs.second_factor import views as second_factor_views

admin.site.site_header = admin.site.site_title = _("企通 · 系统管理")
admin.site.index_title = _("系统管理")
# The admin signs in through the platform's login, second factor included.
admin.site.login = second_factor_views.admin_login

APPS = (
    "core",
    "orgs",
    "enterprises",
    "notify",
    "appeals",
    "policies",
    "projects",
    "visits",
    "assessment",
    "integrations",
    "dispatch",
    "dashboard",
    "audit",
)  # the apps with pages
API_APPS = (
    "core",
    "orgs",
    "enterprises",
    "notify",
    "dispatch",  # before appeals: its appeals/<id>/suggestions and /similar go first
    "appeals",
    "policies",
    "projects",
    "assessment",
    "integrations",
)

# Under /api/ a path no route takes is the contract's JSON 404, as every API error is.
handler404 = "qitong.core.api.not_found"
handler500 = "qitong.core.api.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    *(path("api/v1/", include(f"qitong.{app}.api_urls")) for app in API_APPS),
    *(path("", include(f"qitong.{app}.urls")) for app in APPS),
]
