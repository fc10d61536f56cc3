from django.urls import path

from intake_app.views import FilingView

urlpatterns = [path("filings", FilingView.as_view())]
