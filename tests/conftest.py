"""Shared fixtures: named personas on the real database, and loopback-only network."""

import socket

import pytest
from rest_framework.test import APIClient

from qitong.core.models import ApiToken
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import Region, Unit, User

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Tests never reach beyond loopback: any other address fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("127."):
                raise RuntimeError(f"test tried to reach {host}: only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _no_idle_timeout_password_age_or_rate_limits(settings):
    """Tests travel in time between requests and past their users' 90 days; the idle
    timeout and the password age are tested on their own (tests/security)."""
    settings.QITONG_STAFF_IDLE_MINUTES = 0
    settings.QITONG_PASSWORD_MAX_AGE_DAYS = 0
    # Likewise the rate limits: tests file and urge faster than any person.
    settings.QITONG_RATE_LIMITS = "login=0/60,filing=0/60,urge=0/600,public=0/60,integration=0/60"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs a third of a second per user; tests make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def region(db):
    """历下区 of 济南市, as the migration shipped it."""
    return Region.objects.get(code="370102")


@pytest.fixture
def office_unit(db, region):
    return Unit.objects.create(code="office", name="市服务企业办公室", kind=Unit.Kind.OFFICE)


@pytest.fixture
def fgw(db):
    return Unit.objects.create(code="fgw", name="市发展和改革委员会", kind=Unit.Kind.DEPARTMENT)


@pytest.fixture
def enterprise(db, region):
    return Enterprise.objects.create(
        uscc=make_uscc("91370102MA3C00001"),
        name="济南泉华电子有限公司",
        region=region,
        industry="C3989",
    )


def _user(username, role, **scope):
    user = User(username=username, role=role, first_name=username, **scope)
    user.set_password(PASSWORD)
    user.full_clean()
    user.save()
    return user


@pytest.fixture
def office_user(office_unit):
    return _user("office", User.Role.OFFICE, unit=office_unit)


@pytest.fixture
def unit_user(fgw):
    return _user("fgw-clerk", User.Role.UNIT, unit=fgw)


@pytest.fixture
def enterprise_user(enterprise):
    return _user("ent", User.Role.ENTERPRISE, enterprise=enterprise)


@pytest.fixture
def leader_user(db):
    mayor = Unit.objects.create(code="vice-mayor", name="分管副市长", kind=Unit.Kind.LEADER)
    return _user("leader", User.Role.LEADER, unit=mayor)


@pytest.fixture
def admin_user(db):
    return _user("root", User.Role.ADMIN, is_staff=True, is_superuser=True)


def client_for(user):
    """An API client acting as ``user`` through a bearer token."""
    _token, key = ApiToken.issue(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client
