"""Who sees which enterprises, pairings and visits: a town only its own."""

import pytest
from django.http import Http404

from qitong.visits import access
from tests.appeals.conftest import at

WHEN = at("2026-03-10 10:00")


def test_a_town_sees_only_its_enterprises(city):
    city.visit(when=WHEN)
    city.visit(city.fgw_user, city.other_company, when=WHEN)
    assert list(access.enterprises_in_scope(city.town_user)) == [city.company]
    assert set(access.visible_visits(city.town_user).values_list("enterprise", flat=True)) == {
        city.company.pk
    }
    assert list(access.visible_pairings(city.town_user)) == [city.town_pairing]
    with pytest.raises(Http404):
        access.access_enterprise_for_user(city.town_user, city.other_company.pk)


def test_offices_leaders_and_enterprises(city):
    everyone = {city.company.pk, city.key_company.pk, city.other_company.pk}
    assert (
        set(access.enterprises_in_scope(city.office_user).values_list("pk", flat=True)) == everyone
    )
    assert (
        set(access.enterprises_in_scope(city.leader_user).values_list("pk", flat=True)) == everyone
    )
    # The district office: the enterprise its town is paired with (the units have no division here).
    assert list(access.enterprises_in_scope(city.district_user)) == [city.company]
    assert list(access.enterprises_in_scope(city.ent_user)) == [city.company]
    city.visit(when=WHEN)
    assert access.visible_visits(city.ent_user).count() == 1
    assert access.visible_visits(city.other_user).count() == 0


def test_a_district_office_sees_its_districts_division(city):
    city.district.region = city.lixia
    city.district.save()
    assert set(access.enterprises_in_scope(city.district_user).values_list("pk", flat=True)) == {
        city.company.pk,
        city.key_company.pk,
        city.other_company.pk,
    }
    assert set(access.offices_for(city.key_company)) == {city.office, city.district_office}
