"""Every login attempt, logout and second-factor attempt, from Django's auth signals
and the second factor's own (``code_checked``, ``factor_changed``).

One row per attempt, with the username tried: a wrong password, an unknown
username and a login refused by the lockout are each a failure (the lockout's
refusal says ``locked``), so a guessing run shows up row by row.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from qitong.audit.trail import Action, Outcome, record
from qitong.orgs.second_factor.factors import code_checked, factor_changed


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender, request, user, **kwargs):
    record(Action.LOGIN, request=request, user=user, target=user.get_username())


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))[:150]
    locked = bool(getattr(request, "axes_locked_out", False))
    record(
        Action.LOGIN,
        request=request,
        username=username,
        target=username,
        outcome=Outcome.DENIED if locked else Outcome.FAILURE,
        detail={"locked": True} if locked else {},
    )


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(Action.LOGOUT, request=request, user=user, target=user.get_username())


@receiver(code_checked, dispatch_uid="audit-second-factor")
def _code_checked(sender, user, request, ok, kind, **kwargs):
    record(
        Action.SECOND_FACTOR,
        request=request,
        user=user,
        target=user.get_username(),
        outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
        detail={"kind": kind},
    )


@receiver(factor_changed, dispatch_uid="audit-second-factor-changed")
def _factor_changed(sender, user, request, what, **kwargs):
    record(
        Action.SECURITY,
        request=request,
        user=user,
        target=user.get_username(),
        detail={"what": what},
    )
