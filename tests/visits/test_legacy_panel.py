"""The office's panel of difficulties waiting to be filed: only rows left by the earlier rule,
which it says; absent when there are none."""

from django.urls import reverse

from qitong.visits import actions
from qitong.visits.models import Difficulty
from tests.appeals.conftest import at

WHEN = at("2026-03-10 10:00")


def test_the_panel_is_absent_when_nothing_is_left_and_says_its_rows_are_legacy(client, city):
    visit = city.visit(when=WHEN, difficulties=[{"text": "用电增容审批缓慢"}])  # filed at once
    client.force_login(city.office_user)
    page = client.get(reverse("visit-list")).content.decode()
    assert 'id="pending-heading"' not in page and 'data-testid="pending-legacy"' not in page
    left = Difficulty.objects.create(
        visit=visit,
        enterprise=visit.enterprise,
        text="厂区道路破损",
        state=Difficulty.State.PENDING,
    )
    page = client.get(reverse("visit-list")).content.decode()
    assert "旧规则遗留" in page and 'data-testid="pending-legacy"' in page
    assert f'data-testid="pending-{left.pk}"' in page
    actions.file_difficulty(left, acting_user=city.office_user, at=WHEN)
    page = client.get(reverse("visit-list")).content.decode()
    assert 'id="pending-heading"' not in page
