"""One appeal through the whole loop, and the deadlines the contract names."""

import pytest

from qitong.appeals import actions
from qitong.appeals.models import Appeal
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db


def test_it_takes_an_appeal_from_filing_to_archive(city):
    appeal = city.file(when=at("2026-11-02 09:30"))
    assert appeal.number == "QT-2026-000001"
    assert appeal.status == Appeal.Status.SUBMITTED
    appeal = actions.accept(appeal, acting_user=city.office_user, at=at("2026-11-02 10:00"))
    appeal = actions.dispatch(
        appeal,
        acting_user=city.office_user,
        at=at("2026-11-02 10:00"),
        mode="transfer",
        lead_unit="fgw",
    )
    assert appeal.status == Appeal.Status.DISPATCHED
    appeal = actions.sign(appeal, acting_user=city.fgw_user, at=at("2026-11-02 11:00"))
    appeal = actions.contact(
        appeal, acting_user=city.fgw_user, at=at("2026-11-02 14:00"), note="已电话联系"
    )
    appeal = actions.reply(
        appeal, acting_user=city.fgw_user, at=at("2026-11-03 14:00"), note="已协调供电公司"
    )
    appeal = actions.resolve(
        appeal, acting_user=city.fgw_user, at=at("2026-11-10 14:00"), result="已完成增容"
    )
    assert appeal.status == Appeal.Status.PENDING_REVIEW
    appeal = actions.approve(appeal, acting_user=city.office_user, at=at("2026-11-10 15:00"))
    appeal = actions.rate(
        appeal,
        acting_user=city.ent_user,
        at=at("2026-11-11 09:00"),
        process="satisfied",
        result="satisfied",
    )
    assert appeal.status == Appeal.Status.ARCHIVED
    actions_seen = list(appeal.events.values_list("action", flat=True))
    assert actions_seen == [
        "submit",
        "accept",
        "dispatch",
        "sign",
        "contact",
        "reply",
        "resolve",
        "approve",
        "rate",
    ]


@pytest.mark.parametrize(
    ("dispatched", "contact", "reply", "resolve"),
    [
        # 2026-09-30 10:00: National Day; Saturday 10 October is a make-up working day.
        ("2026-09-30 10:00", "2026-10-08 10:00", "2026-10-10 10:00", "2026-10-27 10:00"),
    ],
)
def test_dispatch_sets_the_contracts_deadlines(city, dispatched, contact, reply, resolve):
    appeal = city.dispatched(when=at(dispatched))
    assert appeal.contact_due == at(contact)
    assert appeal.reply_due == at(reply)
    assert appeal.resolve_due == at(resolve)
    assert appeal.provisional is False


@pytest.mark.parametrize(
    ("dispatched", "key", "field", "due", "provisional"),
    [
        # The contract's worked examples, reached through a real dispatch.
        ("2026-09-30 10:00", False, "reply_due", "2026-10-10 10:00", False),  # + 3
        ("2026-09-25 20:00", False, "contact_due", "2026-09-28 17:00", False),  # + 1
        ("2026-09-30 10:00", True, "reply_due", "2026-10-08 14:00", False),  # + 1.5 (3 halved)
        ("2026-12-30 10:00", False, "reply_due", "2027-01-05 10:00", True),  # + 3 into 2027
    ],
)
def test_the_contracts_worked_examples_hold_end_to_end_through_dispatch(
    city, dispatched, key, field, due, provisional
):
    appeal = city.dispatched(city.key_company if key else city.company, when=at(dispatched))
    assert getattr(appeal, field) == at(due)
    assert appeal.provisional is provisional
