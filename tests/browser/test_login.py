import pytest

from qitong.demo.city import DEMO_PASSWORD, load_demo_city

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROLE_HOMES = [
    ("office", "/office/queues/", "诉求工作台"),
    ("fgw", "/unit/cases/", "我的诉求"),
    ("enterprise", "/portal/", "我的诉求"),
    ("leader", "/leader/cockpit/", "领导驾驶舱"),
    ("admin", "/admin/", "系统管理"),
    ("auditor", "/audit/", "审计日志"),
]


@pytest.fixture
def demo_city(transactional_db):
    load_demo_city()


def _log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize(("username", "path", "heading"), ROLE_HOMES)
def test_each_demo_role_logs_in_and_lands_on_its_home(
    page, live_server, demo_city, username, path, heading
):
    _log_in(page, live_server, username, DEMO_PASSWORD)
    page.wait_for_url(f"{live_server.url}{path}")
    assert page.get_by_role("heading", name=heading, exact=True).is_visible()


def test_a_wrong_password_is_refused_in_chinese(page, live_server, demo_city):
    _log_in(page, live_server, "office", "wrong-password")
    assert page.get_by_role("alert").inner_text().startswith("请输入一个正确的")
    assert page.url.endswith("/login/?next=/")


FOCUSED = """() => { const el = document.activeElement; const style = getComputedStyle(el);
  return {name: ((el.labels && el.labels[0]) ? el.labels[0].innerText : el.innerText || '').trim(),
          ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 || style.boxShadow !== 'none'}; }"""


def _tab_to(page, name, presses=80):
    """Press Tab until the focused control's label or text starts with ``name``; its focus state."""
    for _press in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["name"].startswith(name):
            return focused
    raise AssertionError(f"Tab never reached {name}")


def test_the_keyboard_alone_logs_in_and_opens_a_queue(page, live_server, demo_city):
    page.goto(f"{live_server.url}/")
    assert _tab_to(page, "用户名")["ring"]
    page.keyboard.type("office")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["name"] == "密码"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/office/queues/")
    assert _tab_to(page, "待派单")["ring"]  # the focused card shows where the keyboard is
    page.keyboard.press("Enter")
    page.wait_for_url("**/office/queues/?queue=accepted")
    assert _tab_to(page, "搜索")["ring"]
    page.keyboard.type("增容")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=%E5%A2%9E%E5%AE%B9**")
