"""The figures counted fast agree with the old count, case by case, on a mixed timeline.

``figures.unit_cases`` reads only the events of the units asked for, by the
unit the event names, with plain rows; before, it read every unit's
dispatches of the period and picked each unit's by the code in the event's
data, one value converted at a time. ``old_unit_cases`` below is that old
count, kept here as the oracle (word for word, but for its name): on a
seeded, generated mix of cases — transfers, coordinated and complex ones,
the office's own, cases handed to a district office and on to a town,
misrouted ones returned and sent on, extensions, suspensions, redos before
and after a rating, late and missed milestones, months crossed — the new
count lists exactly the same cases, for all units at once and for each unit
alone, per month, over a quarter, and judged before a month's end.
"""

import datetime as dt
import random

import pytest

from qitong.appeals import actions, deadlines, events, figures
from qitong.appeals.figures import GOOD, K, UnitCases
from qitong.appeals.links import linked_duplicates_q
from qitong.appeals.models import Appeal, Event
from qitong.assessment import tally
from qitong.core.clock import SHANGHAI
from qitong.orgs import scope

pytestmark = pytest.mark.django_db

CASES = 90
FIRST_DAY = dt.datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI)
SPAN_DAYS = 75  # filed from 1 October to mid-December, handled into January


def old_unit_cases(start, end, *, units=None, as_of=None):
    """``figures.unit_cases`` as it was before it read only the units' own events."""
    as_of = min(as_of or end, end)
    units = list(units if units is not None else scope.handling_units())
    by_code = {unit.code: UnitCases(unit=unit.code, name=unit.name) for unit in units}
    by_id = {unit.pk: by_code[unit.code] for unit in units}

    dispatches = (
        Event.objects.filter(action=K.DISPATCH, at__gte=start, at__lt=end)
        .filter(linked_duplicates_q())
        .order_by()
        .values_list(
            "appeal_id",
            events.data_field(K.DISPATCH, "lead_unit"),
            events.data_field(K.DISPATCH, "mode"),
            "appeal__lead_unit_id",
            "appeal__signed_at",
            "appeal__replied_at",
            "appeal__contact_due",
            "appeal__contacted_at",
            "appeal__reply_due",
            "appeal__resolve_due",
            "appeal__resolved_at",
        )
    )
    seen = set()
    for row in dispatches.iterator(chunk_size=5000):
        (
            appeal_id,
            code,
            mode,
            lead_id,
            signed,
            replied,
            contact_due,
            contacted,
            reply_due,
            resolve_due,
            resolved,
        ) = row
        cases = by_code.get(code)
        if cases is None or mode == events.TO_DISTRICT or (appeal_id, code) in seen:
            continue
        seen.add((appeal_id, code))
        cases.add("received", appeal_id)
        if lead_id is None or by_id.get(lead_id) is not cases:
            continue  # returned since: counted under "returned"
        cases.add("signed", appeal_id, signed is not None)
        cases.add("replied", appeal_id, replied is not None)
        met = [
            deadlines.on_time(due, done, as_of)
            for due, done in (
                (contact_due, contacted),
                (reply_due, replied),
                (resolve_due, resolved),
            )
        ]
        cases.add("contacted_on_time", appeal_id, met[0] is True)
        cases.add("replied_on_time", appeal_id, met[1] is True)
        cases.add("resolved_on_time", appeal_id, met[2] is True)
        cases.add("overdue", appeal_id, False in met)

    counted_events = (
        Event.objects.filter(
            action__in=[K.RETURN, K.REDO, K.APPROVE_SUSPENSION, K.APPROVE_EXTENSION, K.RATE],
            at__gte=start,
            at__lt=end,
        )
        .filter(linked_duplicates_q())
        .order_by()
        .values_list(
            "appeal_id",
            "action",
            "unit_id",
            "appeal__lead_unit_id",
            events.data_field(K.REDO, "after_rating"),
            events.data_field(K.RATE, "process"),
            events.data_field(K.RATE, "result"),
        )
    )
    for (
        appeal_id,
        action,
        event_unit,
        lead_id,
        after_rating,
        process,
        result,
    ) in counted_events.iterator(chunk_size=5000):
        cases = by_id.get(event_unit if action in (K.RETURN, K.REDO) else lead_id)
        if cases is None:
            continue
        if action == K.RETURN:
            cases.add("returned", appeal_id)
        elif action == K.REDO:
            cases.add("redo_after_rating" if after_rating else "redo_by_office", appeal_id)
        elif action == K.APPROVE_SUSPENSION:
            cases.add("suspended", appeal_id)
        elif action == K.APPROVE_EXTENSION:
            cases.add("extensions", appeal_id)
        elif action == K.RATE:
            cases.add("rated", appeal_id)
            cases.add("process_satisfied", appeal_id, process in GOOD)
            cases.add("result_satisfied", appeal_id, result in GOOD)
    return by_code


class Walk:
    """One case taken some way through the loop at random; every step legal by construction."""

    def __init__(self, city, rng, filed):
        self.city, self.rng, self.t = city, rng, filed
        self.leads = {"fgw": city.fgw_user, "gxj": city.gxj_user, "zjj": city.zjj_user}

    def later(self, low, high):
        self.t += dt.timedelta(hours=self.rng.uniform(low, high))
        return self.t

    def chance(self, share):
        return self.rng.random() < share

    def run(self):
        city, office = self.city, self.city.office_user
        kind = self.rng.random()
        if kind < 0.1:  # the office handles it itself
            appeal = city.dispatched(when=self.t, mode="direct")
            handler = office
        elif kind < 0.2:  # handed to the district office, which sends it on to a town
            appeal = city.dispatched(when=self.t, lead="lixia-office")
            appeal = actions.dispatch(
                appeal,
                acting_user=city.district_user,
                at=self.later(1, 60),
                mode="transfer",
                lead_unit="lixia-town1",
            )
            office, handler = city.district_user, city.town_user
        else:
            lead = self.rng.choice(sorted(self.leads))
            others = [code for code in sorted(self.leads) if code != lead]
            coordinated = self.chance(0.2)
            appeal = city.dispatched(
                when=self.t,
                lead=lead,
                mode="coordinated" if coordinated else "transfer",
                co=[self.rng.choice(others)] if coordinated else (),
                complex=self.chance(0.2),
            )
            handler = self.leads[lead]
            if self.chance(0.15):  # misrouted: returned, then sent to another unit
                actions.return_to_office(
                    appeal, acting_user=handler, at=self.later(1, 30), reason="非本单位职责"
                )
                lead = self.rng.choice(others)
                appeal = actions.dispatch(
                    appeal,
                    acting_user=office,
                    at=self.later(1, 48),
                    mode="transfer",
                    lead_unit=lead,
                )
                handler = self.leads[lead]
        if handler is not city.office_user:
            if self.chance(0.08):
                return  # never signed
            actions.sign(appeal, acting_user=handler, at=self.later(0.1, 30))
        if self.chance(0.1):
            actions.supervise(appeal, acting_user=office, at=self.later(1, 48), reason="督办")
        if self.chance(0.1):
            return  # stalls before any contact
        actions.contact(appeal, acting_user=handler, at=self.later(0.5, 40), note="已联系")
        appeal.refresh_from_db()
        if self.chance(0.1) and deadlines.extension_room(appeal) > 0:
            actions.extend(
                appeal, acting_user=handler, at=self.later(1, 20), working_days=2, reason="核查"
            )
            actions.approve_extension(appeal, acting_user=office, at=self.later(1, 20))
        actions.reply(appeal, acting_user=handler, at=self.later(1, 100), note="已答复")
        if self.chance(0.08):
            actions.suspend(appeal, acting_user=handler, at=self.later(1, 20), reason="等材料")
            actions.approve_suspension(appeal, acting_user=office, at=self.later(1, 20))
            if self.chance(0.5):
                return  # still suspended
            actions.resume(appeal, acting_user=handler, at=self.later(24, 200))
        if self.chance(0.12):
            return  # never resolved
        actions.resolve(appeal, acting_user=handler, at=self.later(10, 500), result="已办结")
        if self.chance(0.1):
            actions.redo(appeal, acting_user=office, at=self.later(1, 24), reason="补充材料")
            actions.resolve(appeal, acting_user=handler, at=self.later(5, 100), result="已补充")
        actions.approve(appeal, acting_user=office, at=self.later(1, 24))
        if self.chance(0.1):
            return  # not rated yet
        ratings = list(Appeal.Rating.values)
        result = self.rng.choice(ratings)
        actions.rate(
            appeal,
            acting_user=city.ent_user,
            at=self.later(1, 72),
            process=self.rng.choice(ratings),
            result=result,
        )
        if result == Appeal.Rating.UNSATISFIED:
            actions.redo(appeal, acting_user=office, at=self.later(1, 24), reason="企业不满意")
            actions.resolve(appeal, acting_user=handler, at=self.later(5, 100), result="已重办")
            actions.approve(appeal, acting_user=office, at=self.later(1, 24))
            actions.rate(
                appeal,
                acting_user=city.ent_user,
                at=self.later(1, 72),
                process="satisfied",
                result="basically_satisfied",
            )


@pytest.fixture
def mixed(city):
    rng = random.Random(20261206)
    for _number in range(CASES):
        filed = FIRST_DAY + dt.timedelta(
            days=rng.randrange(SPAN_DAYS), hours=rng.choice([0, 1, 2, 5, 7, 9, 13])
        )
        Walk(city, rng, filed).run()
    return city


def _sorted(by_code):
    return {
        code: {name: sorted(ids) for name, ids in cases.lists.items()}
        for code, cases in by_code.items()
    }


def test_the_fast_count_lists_the_same_cases_as_the_old_one(mixed, monkeypatch):
    counted = Event.objects.filter(action__in=[K.RETURN, K.REDO, K.RATE, K.APPROVE_EXTENSION])
    assert {event.action for event in counted} >= {K.RETURN, K.REDO, K.RATE, K.APPROVE_EXTENSION}
    units = list(scope.handling_units())
    assert {"fgw", "gxj", "zjj", "lixia-town1", "office"} <= {unit.code for unit in units}
    periods = [
        figures.month(2026, 10),
        figures.month(2026, 11),
        figures.month(2026, 12),
        figures.month(2027, 1),
        (figures.month(2026, 10)[0], figures.month(2026, 12)[1]),  # the quarter
    ]
    as_ofs = [None, dt.datetime(2026, 12, 10, 12, 0, tzinfo=SHANGHAI)]
    nonzero = set()
    for start, end in periods:
        for as_of in as_ofs:
            old = _sorted(old_unit_cases(start, end, as_of=as_of))
            # A few units' ratings are read case by case, many units' as the period's events.
            for few in (figures.FEW_UNITS, 0):
                monkeypatch.setattr(figures, "FEW_UNITS", few)
                assert _sorted(figures.unit_cases(start, end, as_of=as_of)) == old
            monkeypatch.undo()
            for unit in units:
                alone = figures.unit_cases(start, end, units=[unit], as_of=as_of)
                assert _sorted(alone) == {unit.code: old[unit.code]}
            nonzero |= {name for lists in old.values() for name, ids in lists.items() if ids}
    # The mix reaches every count, so every rule was compared.
    assert nonzero == set(figures.COUNTED)


def test_one_units_tally_lists_are_those_of_all_units_counted_together(mixed):
    units = list(tally.assessed_units())
    for start, end in [figures.month(2026, 11), figures.month(2026, 12)]:
        together = tally.unit_lists(start, end, units=units)
        assert any(lists["supervised"] for lists in together.values())
        assert any(lists["special_received"] for lists in together.values())
        for unit in units:
            alone = tally.unit_lists(start, end, units=[unit])
            assert {name: sorted(ids) for name, ids in alone[unit.code].items()} == {
                name: sorted(ids) for name, ids in together[unit.code].items()
            }
