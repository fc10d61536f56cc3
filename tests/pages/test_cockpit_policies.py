"""The cockpit's policy figures: policies published in the month, and pushed with their pushes."""

import datetime as dt
import re

import pytest
import time_machine

from qitong.policies import actions
from tests.appeals.conftest import at
from tests.policies.province import Province

pytestmark = pytest.mark.django_db


def _figures(page):
    return {
        kind: int(number)
        for kind, number in re.findall(
            r'data-policy="([a-z]+)">.*?<span class="number">(\d+)</span>', page, re.S
        )
    }


def test_the_cockpit_shows_the_policies_published_and_pushed_in_the_month(client, leader_user):
    p = Province()
    p.policy("十月发布、十一月推送", published=dt.date(2026, 10, 28), tiers=["key"])
    p.policy("十一月发布并推送", published=dt.date(2026, 11, 3), industries=["C"])
    actions.push_new_policies(at("2026-11-04 10:00"))  # 1 and 3 enterprises
    p.policy(
        "十一月发布、无人符合", published=dt.date(2026, 11, 20), tiers=["key"], sizes=["micro"]
    )
    actions.push_new_policies(at("2026-11-20 10:00"))
    p.policy("十一月发布、十二月推送", published=dt.date(2026, 11, 29))
    actions.push_new_policies(at("2026-12-01 09:00"))  # every enterprise
    client.force_login(leader_user)

    with time_machine.travel(at("2026-12-01 12:00"), tick=False):
        pages = {
            month: _figures(client.get(f"/leader/cockpit/?month={month}").content.decode())
            for month in ("2026-10", "2026-11", "2026-12")
        }

    assert pages == {
        "2026-10": {"published": 1, "pushed": 0, "pushes": 0},
        "2026-11": {"published": 3, "pushed": 2, "pushes": 4},
        "2026-12": {"published": 0, "pushed": 1, "pushes": 5},
    }
