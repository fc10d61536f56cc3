"""Personas of pairing and visits: the appeal loop's city, a town paired with one
enterprise, a department with another, the vice mayor in person with the key one."""

import pytest

from qitong.visits import actions
from tests.appeals.conftest import City, at

PAIRED = at("2026-03-02 09:00")
ANSWERS = {"orders": "订单同比增长一成。", "hiring": "缺熟练焊工 20 人。"}


class VisitCity(City):
    def __init__(self):
        super().__init__()
        self.town_pairing = actions.pair(
            acting_user=self.office_user, enterprise=self.company, unit=self.town, at=PAIRED
        )
        self.fgw_pairing = actions.pair(
            acting_user=self.office_user, enterprise=self.other_company, unit=self.fgw, at=PAIRED
        )
        self.leader_pairing = actions.pair(
            acting_user=self.office_user,
            enterprise=self.key_company,
            leader=self.leader_user,
            at=PAIRED,
        )

    def visit(self, by=None, enterprise=None, *, when, difficulties=(), **fields):
        return actions.record_visit(
            acting_user=by or self.town_user,
            enterprise=enterprise or self.company,
            answers=fields.pop("answers", ANSWERS),
            difficulties=list(difficulties),
            at=when,
            **fields,
        )


@pytest.fixture
def city(db):
    return VisitCity()
