"""The top bar's link to the second factor's page, for the users the policy concerns."""

from django.urls import reverse

from qitong.orgs.second_factor import factors


def second_factor(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not factors.applies_to(user):
        return {}
    return {"second_factor_url": reverse("second-factor")}
