"""The weights the office sets: whole numbers ≥ 0 adding up to 100, from a month not yet past,
kept as history; set by the city office and admins only, on the page or in the admin."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from qitong.assessment import actions
from qitong.assessment.models import WEIGHT_FIELDS, Weights
from qitong.core.errors import Conflict
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
NOW = "2026-12-15 10:00"
DEFAULTS = Weights().as_dict()


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(at(NOW), tick=False):
        yield


def _set(user, valid_from=dt.date(2027, 1, 1), **changes):
    return actions.set_weights(
        acting_user=user, valid_from=valid_from, weights={**DEFAULTS, **changes}
    )


def test_the_office_sets_the_weights_from_a_month_on(city):
    row = _set(city.office_user, contact_on_time=20, supervised=0, note="")
    assert row.contact_on_time == 20 and row.set_by == city.office_user
    # Setting the same month again replaces that month's row.
    again = _set(city.office_user, resolve_on_time=30, returned=0)
    assert again.pk == row.pk and Weights.objects.count() == 1


def test_the_weights_must_add_up_to_100(city):
    with pytest.raises(ValidationError) as refused:
        _set(city.office_user, contact_on_time=11)
    assert "101" in str(refused.value.message_dict["__all__"])


def test_a_weight_may_not_be_negative(city):
    with pytest.raises(ValidationError) as refused:
        _set(city.office_user, contact_on_time=-5, reply_on_time=25)
    assert "contact_on_time" in refused.value.message_dict


def test_every_weight_must_be_given(city):
    with pytest.raises(ValidationError) as refused:
        actions.set_weights(
            acting_user=city.office_user, valid_from=dt.date(2027, 1, 1), weights={"redo": 100}
        )
    assert set(refused.value.message_dict) == set(WEIGHT_FIELDS) - {"redo"}


def test_a_month_already_begun_before_the_running_one_cannot_be_set(city):
    with pytest.raises(ValidationError) as refused:
        _set(city.office_user, valid_from=dt.date(2026, 11, 1))
    assert "valid_from" in refused.value.message_dict
    assert _set(city.office_user, valid_from=dt.date(2026, 12, 1)).pk  # the running month may


def test_a_row_in_force_before_the_running_month_is_history(city):
    with time_machine.travel(at("2026-10-05 10:00"), tick=False):
        _set(city.office_user, valid_from=dt.date(2026, 11, 1))
    with pytest.raises(Conflict):
        _set(city.office_user, valid_from=dt.date(2026, 11, 1), redo=0, supervised=20)
    assert Weights.objects.get().redo == 10


def test_only_the_city_office_and_admins_set_weights(city, admin_user):
    for user in (city.district_user, city.fgw_user, city.leader_user, city.ent_user):
        with pytest.raises(PermissionDenied):
            _set(user)
    assert _set(admin_user).set_by == admin_user


def test_the_database_refuses_weights_that_do_not_add_up(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Weights.objects.create(valid_from=dt.date(2027, 1, 1), redo=90)


def test_the_page_form_sets_them_and_shows_what_is_wrong(city, client):
    client.force_login(city.office_user)
    form = {"valid_from": "2027-01", "note": "", **{k: str(v) for k, v in DEFAULTS.items()}}
    assert client.post("/assessment/weights/", form).status_code == 302
    bad = client.post("/assessment/weights/", {**form, "returned": "15"})
    assert bad.status_code == 400 and "各项权重之和应为 100，现为 105" in bad.content.decode()
    client.force_login(city.fgw_user)
    assert client.get("/assessment/weights/").status_code == 200  # to read
    assert client.post("/assessment/weights/", form).status_code == 403


def test_the_admin_edits_future_rows_and_only_reads_past_ones(city, admin_user, client):
    client.force_login(admin_user)
    form = {**{k: str(v) for k, v in DEFAULTS.items()}, "valid_from": "2027-02-01", "note": ""}
    response = client.post("/admin/assessment/weights/add/", form)
    assert response.status_code == 302
    row = Weights.objects.get()
    assert row.set_by == admin_user
    with time_machine.travel(at("2027-03-02 10:00"), tick=False):
        client.force_login(admin_user)
        change = client.post(f"/admin/assessment/weights/{row.pk}/change/", form)
        assert change.status_code == 403
