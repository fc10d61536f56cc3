import pytest

from qitong.democity import DEMO_PASSWORD, load_demo_city

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
