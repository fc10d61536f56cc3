"""The policy library's API routes, mounted under /api/v1/."""

from django.urls import path

from qitong.policies import api, api_portal

urlpatterns = []

# The library, open to everyone: the search and one policy.
urlpatterns += [
    path("policies", api.PolicyListView.as_view(), name="api-policies"),
    path("policies/<int:pk>", api.PolicyDetailView.as_view(), name="api-policy"),
]


# The enterprise portal: its pushes, eligible policies and near misses.
urlpatterns += [
    path("portal/policies", api_portal.PortalPoliciesView.as_view(), name="api-portal-policies"),
]
