"""The shared case page: who sees it, what it offers, and actions taken from it."""

import pytest

from qitong.appeals.models import Appeal
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
WHEN = at("2026-11-02 10:00")


def test_the_lead_unit_sees_deadlines_timeline_and_its_actions(client, city):
    appeal = city.dispatched(when=WHEN)
    client.force_login(city.fgw_user)
    page = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert appeal.title in page and "办理时限" in page and "派单" in page
    assert f'action="/appeals/{appeal.pk}/act/sign/"' in page
    assert f'action="/appeals/{appeal.pk}/act/accept/"' not in page


def test_another_enterprise_gets_404(client, city):
    appeal = city.file(when=WHEN)
    client.force_login(city.other_user)
    assert client.get(f"/appeals/{appeal.pk}/").status_code == 404
    assert (
        client.post(f"/appeals/{appeal.pk}/act/rate/", {"process": "satisfied"}).status_code == 404
    )


def test_an_action_from_the_page_goes_through_the_rules_and_says_what_happened(client, city):
    appeal = city.dispatched(when=WHEN)
    client.force_login(city.fgw_user)
    response = client.post(f"/appeals/{appeal.pk}/act/sign/", follow=True)
    assert "已完成：签收" in response.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == "in_progress"
    again = client.post(f"/appeals/{appeal.pk}/act/sign/", follow=True).content.decode()
    assert "不能执行此操作" in again


def test_bad_input_from_a_page_is_named_and_changes_nothing(client, city):
    appeal = city.dispatched(when=WHEN)
    client.force_login(city.fgw_user)
    page = client.post(
        f"/appeals/{appeal.pk}/act/return/", {"reason": ""}, follow=True
    ).content.decode()
    assert "不能为空" in page or "该字段" in page
    assert Appeal.objects.get(pk=appeal.pk).status == "dispatched"
