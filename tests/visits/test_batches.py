"""Visit batches and their coverage: enterprises visited of those due, and the three 100%."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.appeals.models import Appeal
from qitong.visits import actions, ledger
from tests.appeals.conftest import at

WHEN = at("2026-04-07 10:00")


def _batch(city, **fields):
    data = {
        "name": "第一批集中走访",
        "starts_on": dt.date(2026, 4, 1),
        "ends_on": dt.date(2026, 4, 30),
        "enterprises": [city.company.pk, city.key_company.pk, city.other_company.pk],
    }
    data.update(fields)
    return actions.create_batch(acting_user=city.office_user, at=WHEN, **data)


def test_coverage_counts_visits_and_the_three_rates(city):
    batch = _batch(city)
    assert ledger.coverage(batch) == ledger.Coverage(3, 0, 0, 0, 0, 0)
    visit = city.visit(
        city.office_user,
        when=WHEN,
        batch=batch,
        difficulties=[
            {"text": "用电增容"},
            {"text": "消防验收", "solved": True, "solution": "已讲解"},
        ],
    )
    city.visit(city.leader_user, city.key_company, when=WHEN, batch=batch)
    coverage = ledger.coverage(batch)
    assert (coverage.due, coverage.visited, coverage.problems) == (3, 2, 2)
    # Only the one solved on the spot is met, fed back and satisfied so far.
    assert (coverage.met, coverage.fed_back, coverage.satisfied) == (1, 1, 1)
    assert coverage.visited_rate == 66.7 and coverage.met_rate == 50.0

    appeal = visit.difficulties.get(appeal__isnull=False).appeal
    Appeal.objects.filter(pk=appeal.pk).update(
        contacted_at=WHEN, replied_at=WHEN, rating_result=Appeal.Rating.SATISFIED
    )
    coverage = ledger.coverage(batch)
    assert (coverage.met_rate, coverage.fed_back_rate, coverage.satisfied_rate) == (100, 100, 100)


def test_a_visit_in_a_batch_must_be_to_one_of_its_enterprises(city):
    batch = _batch(city, enterprises=[city.key_company.pk])
    with pytest.raises(ValidationError) as caught:
        city.visit(when=WHEN, batch=batch)
    assert "batch" in caught.value.message_dict


def test_batches_are_the_offices_and_checked(city):
    with pytest.raises(PermissionDenied):
        actions.create_batch(
            acting_user=city.town_user, name="x", starts_on=None, ends_on=None, enterprises=[]
        )
    with pytest.raises(ValidationError) as caught:
        _batch(city, ends_on=dt.date(2026, 3, 1), enterprises=[])
    assert set(caught.value.message_dict) == {"ends_on", "enterprises"}
    _batch(city)
    with pytest.raises(ValidationError) as caught:
        _batch(city)
    assert "name" in caught.value.message_dict


def test_a_district_batch_covers_only_its_enterprises(city):
    batch = actions.create_batch(
        acting_user=city.district_user,
        name="历下区第一批",
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 4, 30),
        enterprises=[city.company.pk, city.key_company.pk],
        at=WHEN,
    )
    assert list(batch.enterprises.all()) == [city.company]
