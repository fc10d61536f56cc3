from django.contrib.auth import views as auth_views
from django.urls import include, path

from qitong.orgs import account, views
from qitong.orgs.second_factor.views import PasswordStep

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", PasswordStep.as_view(), name="login"),
    path("", include("qitong.orgs.second_factor.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", account.PasswordChange.as_view(), name="password-change"),
]
