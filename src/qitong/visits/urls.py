"""Pairing and visits' pages."""

from django.urls import path

from qitong.visits.views import batches, pairings, visits

urlpatterns = [
    path("visits/", visits.visit_list, name="visit-list"),
    path("visits/ledger.xlsx", visits.visit_ledger, name="visit-ledger"),
    path("visits/mine/", pairings.mine, name="visit-mine"),
    path("visits/new/<int:enterprise_id>/", visits.record, name="visit-new"),
    path("visits/plan/<int:enterprise_id>/", visits.plan, name="visit-plan"),
    path("visits/<int:pk>/", visits.visit_page, name="visit-detail"),
    path("visits/<int:pk>/cancel/", visits.cancel, name="visit-cancel"),
    path("visits/<int:pk>/photos/<int:photo_id>/", visits.photo, name="visit-photo"),
    path(
        "visits/difficulties/<int:pk>/file/",
        visits.file_difficulty,
        name="visit-file-difficulty",
    ),
    path("visits/pairings/", pairings.pairing_list, name="visit-pairings"),
    path("visits/pairings.xlsx", pairings.pairing_ledger, name="visit-pairing-ledger"),
    path("visits/pairings/<int:pk>/end/", pairings.end, name="visit-pairing-end"),
    path("visits/pairings/<int:pk>/checkin/", pairings.checkin, name="visit-checkin"),
    path("visits/batches/", batches.batch_list, name="visit-batches"),
    path("visits/batches/<int:pk>/", batches.batch_page, name="visit-batch"),
]
