"""Who needs a second factor at login, and checking it: the one home of the rules.

``QITONG_STAFF_2FA``: ``off`` (passwords only), ``optional`` (staff who
enrolled are asked for a code; the default, so the demo and the tests log in
as before) or ``required`` (staff not yet enrolled must enrol at their next
login before they get a session). Staff are the government roles and the
auditor; enterprise users are never asked.

A code is a TOTP of the user's confirmed device (django-otp's ``TOTPDevice``,
which refuses a code used before and slows guessing down) or one of the
user's ten recovery codes, each good once. Every check sends ``code_checked``
and every enrolment ``factor_changed``, which the audit trail records (orgs
cannot import it: it stands above).
"""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.dispatch import Signal
from django_otp.plugins.otp_totp.models import TOTPDevice

from qitong.core import clock
from qitong.orgs.models import User
from qitong.orgs.second_factor.models import RecoveryCode

Role = User.Role
STAFF = (Role.OFFICE, Role.UNIT, Role.LEADER, Role.ADMIN, Role.AUDITOR)
OFF, OPTIONAL, REQUIRED = "off", "optional", "required"
POLICIES = (OFF, OPTIONAL, REQUIRED)
RECOVERY_CODES = 10
# The alphabet of recovery codes: no 0/o, 1/l/i, so that a printed code reads back.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

# sender: the function; user, request, ok (bool), kind ("totp" or "recovery").
code_checked = Signal()
# sender: the function; user, request, what ("enrolled" or "recovery_codes").
factor_changed = Signal()


def policy():
    value = getattr(settings, "QITONG_STAFF_2FA", OPTIONAL)
    if value not in POLICIES:
        raise ImproperlyConfigured(
            f"环境变量 QITONG_STAFF_2FA 的值 {value!r} 无效：应为 off、optional 或 required。"
        )
    return value


def applies_to(user):
    """Whether ``user``'s role may (or must) have a second factor under the policy."""
    return policy() != OFF and user.role in STAFF


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def step_after_password(user):
    """What the login asks next: ``"code"``, ``"enrol"``, or ``None`` (logged in at once)."""
    if not applies_to(user):
        return None
    if confirmed_device(user) is not None:
        return "code"
    return "enrol" if policy() == REQUIRED else None


def pending_device(user):
    """The device being enrolled: the user's unconfirmed one, made on first asking."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="qitong", confirmed=False)


def confirm(device, code, *, request=None):
    """Confirm ``device`` with a code from the app; returns the new recovery codes, or None."""
    if not device.verify_token(_digits(code)):
        code_checked.send(confirm, user=device.user, request=request, ok=False, kind="totp")
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(device.user)
    factor_changed.send(confirm, user=device.user, request=request, what="enrolled")
    return codes


def new_recovery_codes(user, *, request=None):
    """Ten fresh recovery codes (the old ones void); the plain codes are returned once."""
    now = clock.now()
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, digest=_digest(code), created_at=now) for code in codes
        )
    if request is not None:
        factor_changed.send(new_recovery_codes, user=user, request=request, what="recovery_codes")
    return codes


def check(user, code, *, request=None):
    """Whether ``code`` is a current TOTP of ``user``'s device or an unused recovery code."""
    code = (code or "").strip()
    digits = _digits(code)
    if digits.isdigit() and len(digits) == 6:
        device = confirmed_device(user)
        ok, kind = device is not None and device.verify_token(digits), "totp"
    else:
        used = RecoveryCode.objects.filter(
            user=user, digest=_digest(code), used_at__isnull=True
        ).update(used_at=clock.now())
        ok, kind = used == 1, "recovery"
    code_checked.send(check, user=user, request=request, ok=ok, kind=kind)
    return ok


def unused_recovery_codes(user):
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _digits(code):
    return (code or "").replace(" ", "").strip()


def _new_code():
    raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normal(code):
    return "".join(char for char in code.lower() if char in ALPHABET)


def _digest(code):
    return hashlib.sha256(_normal(code).encode()).hexdigest()
