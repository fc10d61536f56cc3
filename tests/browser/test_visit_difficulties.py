"""A town's official records a visit that raises two difficulties; both become appeals
(channel visit) at once, and the city office finds them in its queue."""

import re

import pytest
from playwright.sync_api import expect

from qitong.appeals.models import Appeal
from qitong.demo.city import DEMO_PASSWORD
from qitong.orgs.models import User
from qitong.visits.models import Pairing
from tests.browser.test_loop import as_role, demo_city, shot  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
DIFFICULTIES = ["新建仓库消防验收排期过长", "厂区门前公交站点撤并，职工通勤困难"]


def test_a_visits_difficulties_become_appeals_in_the_offices_queue(
    as_role,  # noqa: F811 - the fixture imported above
    live_server,
    demo_city,  # noqa: F811
):
    pairing = Pairing.objects.filter(unit__code="lixia-town1", ended_at__isnull=True).first()
    enterprise = pairing.enterprise
    User.objects.create_user(
        "lixia-town1-clerk", password=DEMO_PASSWORD, role=User.Role.UNIT, unit=pairing.unit
    )

    town = as_role("lixia-town1-clerk")
    town.goto(f"{live_server.url}/visits/mine/")
    shot(town, "visits-mine")
    row = town.get_by_test_id(f"pairing-{pairing.pk}")
    row.get_by_role("link", name="记录走访").click()
    town.wait_for_url(re.compile(r".*/visits/new/\d+/"))
    town.get_by_label("订单情况").fill("订单饱满，排产至年底。")
    town.get_by_label("困难问题 1", exact=True).fill(DIFFICULTIES[0])
    town.get_by_label("困难问题 2", exact=True).fill(DIFFICULTIES[1])
    shot(town, "visit-record")
    town.get_by_role("button", name="提交走访记录").click()
    expect(town.get_by_role("status").first).to_contain_text("2 个问题已转为诉求")

    office = as_role("office")
    appeals = list(Appeal.objects.filter(enterprise=enterprise, channel="visit").order_by("pk"))
    assert [any(text in a.content for a in appeals) for text in DIFFICULTIES] == [True, True]
    office.goto(f"{live_server.url}/office/queues/")
    for appeal in appeals:
        expect(office.get_by_role("link", name=appeal.number, exact=True)).to_be_visible()
    shot(office, "office-queue-visit-appeals")
