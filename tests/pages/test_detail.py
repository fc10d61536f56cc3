"""The shared case page: who sees it, what it offers, and actions taken from it."""

import pytest

from qitong.appeals import actions
from qitong.appeals.models import Appeal
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
WHEN = at("2026-11-02 10:00")


def flash(text):
    """A refusal as the page shows it: an error message at the top."""
    return f'<div class="message error" role="alert">{text}</div>'


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
    # The same requests by the owner are answered: the 404 is the case hidden, not a wrong URL.
    client.force_login(city.ent_user)
    assert client.get(f"/appeals/{appeal.pk}/").status_code == 200
    refused = client.post(
        f"/appeals/{appeal.pk}/act/rate/",
        {"process": "satisfied", "result": "satisfied"},
        follow=True,
    ).content.decode()
    assert flash("诉求当前状态为“待受理”，不能执行此操作。") in refused

    assert list(appeal.events.values_list("action", flat=True)) == ["submit"]


def test_an_action_from_the_page_goes_through_the_rules_and_says_what_happened(client, city):
    appeal = city.dispatched(when=WHEN)
    client.force_login(city.fgw_user)
    response = client.post(f"/appeals/{appeal.pk}/act/sign/", follow=True)
    assert "已完成：签收" in response.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == "in_progress"
    again = client.post(f"/appeals/{appeal.pk}/act/sign/", follow=True).content.decode()
    assert flash("诉求当前状态为“办理中”，不能执行此操作。") in again


def test_bad_input_from_a_page_is_named_and_changes_nothing(client, city):
    appeal = city.dispatched(when=WHEN)
    client.force_login(city.fgw_user)
    page = client.post(
        f"/appeals/{appeal.pk}/act/return/", {"reason": ""}, follow=True
    ).content.decode()
    # The flash names the field by its label: the reason.
    assert flash("理由：不能为空。") in page

    assert Appeal.objects.get(pk=appeal.pk).status == "dispatched"


def test_a_refusal_on_a_form_of_several_fields_names_the_field_by_its_label(client, city):
    appeal = city.dispatched(when=WHEN)
    actions.sign(appeal, acting_user=city.fgw_user, at=WHEN)
    client.force_login(city.fgw_user)
    page = client.post(
        f"/appeals/{appeal.pk}/act/extend/", {"working_days": "abc", "reason": "会商"}, follow=True
    ).content.decode()
    assert flash("延期工作日数：请填写合法的数字。") in page
    assert not appeal.requests.exists()
