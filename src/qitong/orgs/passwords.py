"""The password policy (等保 2.0 level 3), as Django password validators.

AUTH_PASSWORD_VALIDATORS (settings.py) lists them with Django's own
(at least 8 characters, not a common password, not all digits): every
password a person sets (the change-password page, the admin, the API's
user creation) passes them all. Scripts and test fixtures that call
``set_password`` directly are not validated, as Django intends.

- ``CharacterClassesValidator``: three of the four classes upper case,
  lower case, digit, symbol.
- ``UsernameValidator``: the password must not contain the username
  (either way round, case ignored).
- ``HistoryValidator``: none of the last five passwords again; its
  ``password_changed`` hook (called by Django after every save of a new
  password, validated or not) records the new hash and the date, from which
  ``must_change_password`` counts the 90 days of a staff role.
"""

import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.orgs.models import PasswordHistory, User

CLASSES = (
    ("upper", lambda c: c.isupper()),
    ("lower", lambda c: c.islower()),
    ("digit", lambda c: c.isdigit()),
    ("symbol", lambda c: c in string.punctuation or (not c.isalnum() and not c.isspace())),
)


class CharacterClassesValidator:
    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = sum(1 for _name, test in CLASSES if any(test(c) for c in password))
        if found < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(count)d 类。") % {
            "count": self.min_classes
        }


class UsernameValidator:
    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").casefold()
        if username and username in password.casefold():
            raise ValidationError(self.get_help_text(), code="password_contains_username")

    def get_help_text(self):
        return _("密码不能包含用户名。")


class HistoryValidator:
    def __init__(self, remembered=5):
        self.remembered = remembered

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        recent = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk")
        hashes = [entry.password for entry in recent[: self.remembered]]
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        now = clock.now()
        PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
        User.objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now
        # Only the last ones are needed.
        old = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk")[
            self.remembered :
        ]
        PasswordHistory.objects.filter(pk__in=[entry.pk for entry in old]).delete()

    def get_help_text(self):
        return _("不能与最近 %(count)d 次使用过的密码相同。") % {"count": self.remembered}


def must_change_password(user):
    """A staff role's password older than QITONG_PASSWORD_MAX_AGE_DAYS (0: never)."""
    days = settings.QITONG_PASSWORD_MAX_AGE_DAYS
    if not days or not user.is_authenticated or not user.is_staff_role:
        return False
    changed = user.password_changed_at
    return changed is None or clock.now() - changed > timedelta(days=days)
