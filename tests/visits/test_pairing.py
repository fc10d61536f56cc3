"""Pairing: who may pair, the rhythm owed, and what is overdue (the workbench and the cockpit)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.core.errors import Conflict
from qitong.visits import actions, rhythm
from qitong.visits.models import Kind, Pairing, Rhythm
from tests.appeals.conftest import at
from tests.visits.conftest import PAIRED


def test_kinds_follow_the_pairer(city):
    assert city.town_pairing.kind == Kind.TOWN
    assert city.fgw_pairing.kind == Kind.UNIT
    assert city.leader_pairing.kind == Kind.LEADER


def test_only_offices_pair_and_a_pairer_only_once(city):
    with pytest.raises(PermissionDenied):
        actions.pair(acting_user=city.fgw_user, enterprise=city.company, unit=city.fgw)
    with pytest.raises(Conflict):
        actions.pair(acting_user=city.office_user, enterprise=city.company, unit=city.town)
    with pytest.raises(ValidationError) as caught:
        actions.pair(acting_user=city.office_user, enterprise=city.company)
    assert "unit" in caught.value.message_dict
    with pytest.raises(ValidationError):
        actions.pair(acting_user=city.office_user, enterprise=city.company, unit=city.vice_mayor)
    ended = actions.end_pairing(city.town_pairing, acting_user=city.office_user)
    with pytest.raises(Conflict):
        actions.end_pairing(ended, acting_user=city.office_user)
    again = actions.pair(acting_user=city.office_user, enterprise=city.company, unit=city.town)
    assert again.pk != ended.pk


def test_a_district_office_pairs_only_with_its_districts_units(city):
    with pytest.raises(ValidationError) as caught:
        actions.pair(acting_user=city.district_user, enterprise=city.company, unit=city.gxj)
    assert "unit" in caught.value.message_dict


def _overdue(now):
    return set(rhythm.overdue(Pairing.objects.all(), now).values_list("pk", flat=True))


def test_overdue_by_rhythm(city):
    # Towns visit weekly; units and leaders check in monthly and visit quarterly.
    assert _overdue(PAIRED + dt.timedelta(days=6)) == set()
    assert _overdue(PAIRED + dt.timedelta(days=8)) == {city.town_pairing.pk}
    city.visit(when=PAIRED + dt.timedelta(days=8))
    assert _overdue(PAIRED + dt.timedelta(days=9)) == set()
    month = PAIRED + dt.timedelta(days=31)
    assert _overdue(month) == {city.town_pairing.pk, city.fgw_pairing.pk, city.leader_pairing.pk}
    actions.check_in(city.fgw_pairing, acting_user=city.fgw_user, note="产销正常", at=month)
    actions.check_in(city.leader_pairing, acting_user=city.leader_user, note="产销正常", at=month)
    assert _overdue(month) == {city.town_pairing.pk}
    (shown,) = rhythm.with_owed(Pairing.objects.filter(pk=city.fgw_pairing.pk), month)
    assert not shown.owed.overdue and shown.owed.checkin_due == month + dt.timedelta(days=30)


def test_the_rhythm_is_configurable(city):
    Rhythm.objects.filter(kind=Kind.TOWN).update(visit_days=14)
    assert _overdue(PAIRED + dt.timedelta(days=8)) == set()
    assert _overdue(PAIRED + dt.timedelta(days=15)) == {city.town_pairing.pk}


def test_only_the_pairer_checks_in(city):
    with pytest.raises(PermissionDenied):
        actions.check_in(city.fgw_pairing, acting_user=city.town_user, note="x")
    with pytest.raises(ValidationError):
        actions.check_in(city.fgw_pairing, acting_user=city.fgw_user, note="  ")
    actions.end_pairing(city.fgw_pairing, acting_user=city.office_user)
    with pytest.raises(Conflict):
        actions.check_in(
            city.fgw_pairing, acting_user=city.fgw_user, note="x", at=at("2026-04-01 10:00")
        )
