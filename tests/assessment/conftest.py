"""The assessment's cast: the appeals' city (``tests.appeals.conftest.City``) and a month of
cases taken through the actions, so every score below comes from a real timeline."""

import pytest

from qitong.appeals import actions
from tests.appeals.conftest import City, at

# November 2026: Monday the 2nd 10:00 dispatch gives contact due Tuesday 10:00, reply due
# Thursday 10:00 and resolve due 23 November 10:00 (1-3-15 working days).
DISPATCHED = "2026-11-02 10:00"
AFTER = "2026-12-15 10:00"  # the month over and every case past its deadlines


def finish(city, appeal, *, contact, reply, resolve, process="satisfied", result="satisfied"):
    """Take a dispatched case through sign, contact, reply, resolve, approve and rating."""
    user = {"fgw": city.fgw_user, "gxj": city.gxj_user, "zjj": city.zjj_user}[appeal.lead_unit.code]
    actions.sign(appeal, acting_user=user, at=at(DISPATCHED))
    actions.contact(appeal, acting_user=user, at=at(contact), note="已联系")
    actions.reply(appeal, acting_user=user, at=at(reply), note="已答复")
    actions.resolve(appeal, acting_user=user, at=at(resolve), result="已办结")
    actions.approve(appeal, acting_user=city.office_user, at=at(resolve))
    if process:
        actions.rate(
            appeal, acting_user=city.ent_user, at=at(resolve), process=process, result=result
        )
    return appeal


class November:
    """fgw: one case done perfectly, one contacted late and rated unsatisfied with the process;
    gxj: one case returned as misrouted. Nothing else."""

    def __init__(self, city):
        self.city = city
        self.perfect = finish(
            city,
            city.dispatched(when=at(DISPATCHED), title="完美办理"),
            contact="2026-11-02 15:00",
            reply="2026-11-04 09:00",
            resolve="2026-11-06 09:00",
        )
        self.late = finish(
            city,
            city.dispatched(when=at(DISPATCHED), title="联系迟了"),
            contact="2026-11-04 09:00",
            reply="2026-11-04 10:00",
            resolve="2026-11-06 09:00",
            process="unsatisfied",
        )
        self.misrouted = city.dispatched(when=at(DISPATCHED), lead="gxj", title="派错了")
        actions.return_to_office(
            self.misrouted, acting_user=city.gxj_user, at=at(DISPATCHED), reason="非本单位职责"
        )


@pytest.fixture
def city(db):
    return City()


@pytest.fixture
def november(city):
    return November(city)
