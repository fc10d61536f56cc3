"""The policy library's pages."""

from django.urls import path  # noqa: F401

from qitong.policies.views import library, portal, sources
from qitong.policies.views import staff as staff_views

urlpatterns = []

urlpatterns += [
    path("office/policy-sources/", sources.sources, name="policy-sources"),
    path(
        "office/policy-sources/<int:pk>/<str:name>/",
        sources.source_act,
        name="policy-source-act",
    ),
    path("office/policy-runs/", sources.runs, name="policy-runs"),
    path("office/policy-runs/<int:pk>/", sources.run, name="policy-run"),
]

# The library's keepers: correcting a policy's category, conditions and page fields.
urlpatterns += [
    path("office/policies/<int:pk>/correct/", staff_views.correct, name="policy-correct"),
]

# The library for everyone (no login needed): the search, a policy's page, its files.
urlpatterns += [
    path("policies/", library.library, name="policy-library"),
    path("policies/<int:pk>/", library.detail, name="policy-detail"),
    path(
        "policies/<int:pk>/attachments/<int:attachment_id>/",
        library.attachment,
        name="policy-attachment",
    ),
]


# The enterprise portal: its pushes and eligible policies, the calculator, opening a push.
urlpatterns += [
    path("portal/policies/", portal.mine, name="portal-policies"),
    path("portal/policies/calculator/", portal.calculator, name="portal-policy-calculator"),
    path("portal/policies/<int:push_id>/open/", portal.open_push, name="portal-policy-open"),
]
