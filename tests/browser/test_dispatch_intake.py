"""The filing form lists the enterprise's similar cases as the title and content are written
(htmx, under the site's CSP), and the office's triage screen sets a suggested category in one click."""

import re

import pytest
from playwright.sync_api import expect

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import Appeal, Category
from qitong.dispatch.models import KeywordRule
from tests.appeals.conftest import City
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TEXT = "我公司新厂房用电增容申请迟迟未批，变压器容量不足，影响投产，希望尽快解决。"
REWORDED = "新厂房用电增容申请一直未批复，变压器容量不够，影响投产，请尽快解决！"


def logged_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/(portal|office)/.*"))
    return page


def test_the_filing_form_shows_the_enterprises_similar_cases(page, live_server):
    city = City()
    mine = city.file(title="用电增容未批", content=REWORDED)
    theirs = city.file(city.key_company, title="用电增容未批", content=REWORDED)
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    logged_in(page, live_server, "ent")
    page.goto(f"{live_server.url}/portal/new/")
    page.get_by_label("标题").fill("用电增容未批")
    page.get_by_label("具体内容").fill(TEXT)
    page.get_by_label("标题").focus()  # leaving the content fires its change
    panel = page.get_by_test_id("intake-similar")
    expect(panel).to_contain_text(mine.number)
    expect(panel).to_contain_text("疑似重复")
    assert theirs.number not in panel.inner_text()
    assert not [e for e in errors if "Content Security Policy" in e or "htmx" in e], errors


def test_one_click_on_a_suggested_category(page, live_server):
    city = City()
    power = Category.objects.get(code="factors-power")
    KeywordRule.objects.create(keywords="用电 变压器", category=power, lead_unit=city.fgw)
    appeal = city.file(title="用电增容未批", content=TEXT)
    appeal_actions.accept(appeal, acting_user=city.office_user)
    logged_in(page, live_server, "office")
    page.goto(f"{live_server.url}/office/appeals/{appeal.pk}/triage/")
    page.get_by_role("button", name="设为 用电").click()
    expect(page.locator("body")).to_contain_text("分类已设为 用电")
    assert Appeal.objects.get(pk=appeal.pk).category == power
