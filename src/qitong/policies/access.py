"""Who sees which policies and who looks after the library: the policies' one home of
visibility rules, built on ``orgs.scope``.

Public policies (everything crawled from government sites) are for everyone,
signed in or not. A policy staff marked not public is for government staff
only. The service offices and admins look after the library (correct a
policy's category and conditions, the sources, the runs). A push belongs to
its enterprise: enterprise staff see their own enterprise's pushes only.
"""

from django.http import Http404

from qitong.orgs import scope
from qitong.policies.models import Policy, Push

Role = scope.Role


def keeps_library(user):
    """Service-office staff and admins: they correct policies and watch the sources."""
    return scope.has_role(user, Role.OFFICE, Role.ADMIN)


def visible_policies(user):
    """The policies ``user`` may see: the public ones, and for government staff all."""
    if scope.is_officer(user):
        return Policy.objects.all()
    return Policy.objects.filter(public=True)


def access_policy_for_user(user, policy_id):
    """The one road from a request to a policy: 404 for what ``user`` may not see."""
    try:
        return visible_policies(user).get(pk=policy_id)
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_pushes(user):
    """The pushes of the user's own enterprise (none for anyone else)."""
    if not scope.has_role(user, Role.ENTERPRISE):
        return Push.objects.none()
    return Push.objects.filter(enterprise_id=user.enterprise_id, policy__public=True)


def visible_readings(user, policy):
    """What ``policy`` interprets and its interpretations, of those ``user`` may see:
    (a policy or None, a queryset newest first)."""
    visible = visible_policies(user)
    interprets = visible.filter(pk=policy.interprets_id).first() if policy.interprets_id else None
    return interprets, visible.filter(interprets=policy).order_by("-published", "-pk")
