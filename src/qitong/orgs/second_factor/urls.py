from django.urls import path

from qitong.orgs.second_factor import views

urlpatterns = [
    path("login/code/", views.code_step, name="login-code"),
    path("account/second-factor/", views.enrol, name="second-factor"),
]
