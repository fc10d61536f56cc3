"""The timeline's one writer: each event kind carries only the facts it declares."""

import pytest

from qitong.appeals import events
from qitong.appeals.models import Event
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
WHEN = at("2026-11-02 10:00")


def test_an_event_with_a_fact_its_kind_does_not_declare_is_refused(city):
    appeal = city.file(when=WHEN)
    with pytest.raises(TypeError) as caught:
        events.record(appeal, Event.Kind.SIGN, at=WHEN, lead_unit="fgw")
    assert str(caught.value) == "event sign carries no lead_unit"
    with pytest.raises(TypeError):
        events.row(appeal.pk, Event.Kind.URGE, None, WHEN, None, "", level=2)
    with pytest.raises(KeyError):
        events.data_field(Event.Kind.RATE, "lead_unit")


def test_bulk_rows_and_single_records_write_the_same_event(city):
    appeal = city.file(when=WHEN)
    events.insert([events.row(appeal.pk, "urge", None, WHEN, city.fgw.pk, "请抓紧", manual=True)])
    written = appeal.events.get(action=Event.Kind.URGE)
    assert (written.unit, written.note, written.data) == (city.fgw, "请抓紧", {"manual": True})
    assert written.get_action_display() == "催办"
    assert events.data_field("dispatch", "lead_unit") == "data__lead_unit"
