"""City and district: the city office hands a case to a district office, which dispatches within."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from qitong.appeals import actions
from qitong.appeals.access import access_appeal_for_user, visible_appeals
from qitong.appeals.models import Appeal
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
WHEN = at("2026-11-02 10:00")


def _at_district(city):
    appeal = city.file(when=WHEN)
    actions.accept(appeal, acting_user=city.office_user, at=WHEN)
    return actions.dispatch(
        appeal, acting_user=city.office_user, at=WHEN, mode="transfer", lead_unit="lixia-office"
    )


def test_the_city_office_hands_a_case_to_a_district_office(city):
    appeal = _at_district(city)
    assert appeal.status == Appeal.Status.ACCEPTED
    assert appeal.office == city.district_office
    assert appeal.resolve_due is None  # the clock starts when the district dispatches


def test_the_district_office_dispatches_within_its_district_only(city):
    appeal = _at_district(city)
    with pytest.raises(ValidationError) as caught:
        actions.dispatch(
            appeal, acting_user=city.district_user, at=WHEN, mode="transfer", lead_unit="fgw"
        )
    assert caught.value.message_dict == {"lead_unit": ["市发展和改革委员会 不属于本区县。"]}
    appeal = actions.dispatch(
        appeal, acting_user=city.district_user, at=WHEN, mode="transfer", lead_unit="lixia-town1"
    )
    assert appeal.status == Appeal.Status.DISPATCHED
    assert appeal.lead_unit == city.town
    actions.sign(appeal, acting_user=city.town_user, at=WHEN)


def test_a_district_office_sees_only_its_district_and_the_city_sees_all(city):
    at_district = _at_district(city)
    at_city = city.file(when=WHEN)
    assert list(visible_appeals(city.district_user)) == [at_district]
    assert set(visible_appeals(city.office_user)) == {at_district, at_city}
    with pytest.raises(Http404):
        access_appeal_for_user(city.district_user, at_city.pk)


def test_a_district_office_may_not_act_on_a_city_case_but_the_city_supervises_district_cases(city):
    at_city = city.file(when=WHEN)
    with pytest.raises(PermissionDenied) as caught:
        actions.accept(at_city, acting_user=city.district_user, at=WHEN)
    assert caught.value.args == ("您无权对该诉求执行此操作。",)
    at_district = _at_district(city)
    actions.supervise(at_district, acting_user=city.office_user, at=WHEN, reason="市里督办")
    assert at_district.supervisions.count() == 1


def test_only_the_city_office_hands_cases_to_districts(city):
    appeal = _at_district(city)
    with pytest.raises(ValidationError) as caught:
        actions.dispatch(
            appeal, acting_user=city.district_user, at=WHEN, mode="transfer", lead_unit="office"
        )
    assert caught.value.message_dict == {
        "lead_unit": ["只有市服务企业办公室可以转交区县服务企业办公室。"]
    }
    appeal.refresh_from_db()
    assert (appeal.status, appeal.office) == (Appeal.Status.ACCEPTED, city.district_office)


def test_a_district_office_keeps_the_cases_it_was_given_through_returns(city):
    """Visibility reads the case's office: it must stay the district's once handed over."""
    from qitong.appeals.models import Assignment

    appeal = _at_district(city)
    actions.dispatch(
        appeal, acting_user=city.district_user, at=WHEN, mode="transfer", lead_unit="lixia-town1"
    )
    actions.return_to_office(appeal, acting_user=city.town_user, at=WHEN, reason="不属本镇")
    appeal.refresh_from_db()
    assert appeal.office == city.district_office
    given = Assignment.objects.filter(unit=city.district_office, role=Assignment.Role.OFFICE)
    assert set(given.values_list("appeal_id", flat=True)) == {appeal.pk}
    assert list(visible_appeals(city.district_user)) == [appeal]
