from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView

from qitong.core.urls import api_urlpatterns

admin.site.site_header = admin.site.site_title = _("企通 · 系统管理")
admin.site.index_title = _("系统管理")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/", include(api_urlpatterns)),
    path("", include("qitong.core.urls")),
    path("", include("qitong.orgs.urls")),
    path("", include("qitong.appeals.page_urls")),
    path("", include("qitong.appeals.portal_urls")),
    path("", include("qitong.notify.urls")),
    path("", include("qitong.appeals.office_urls")),
    path("", include("qitong.appeals.unit_urls")),
    path("", include("qitong.dashboard.urls")),
]
