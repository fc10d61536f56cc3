"""The audit tests' helpers: rows are staged in their action's transaction, then sealed."""

import datetime as dt

import pytest

from qitong.audit import chain
from qitong.audit.models import Record
from qitong.orgs.models import User
from tests.conftest import _user


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A context in which what commits runs its on-commit work (the audit rows) at once."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def auditor(db):
    return _user("auditor", User.Role.AUDITOR)


def entry(number=0, *, at=None, username="someone", action=Record.Action.LOGIN):
    return chain.Entry(
        at=at or dt.datetime(2026, 12, 1, 8, 0, number % 60, tzinfo=dt.UTC),
        action=action,
        outcome=Record.Outcome.SUCCESS,
        username=username,
        address="203.0.113.5",
        target=f"thing:{number}",
        detail={"n": number, "text": "中文"},
    )


def rows(*, action=None):
    """The chain's rows, after linking what was staged (as every read of the trail does)."""
    chain.seal()
    found = Record.objects.order_by("seq")
    return list(found.filter(action=action) if action else found)
