import re

import pytest

pytestmark = pytest.mark.django_db

HOMES = [
    ("office_user", "/office/queues/"),
    ("unit_user", "/unit/cases/"),
    ("enterprise_user", "/portal/"),
    ("leader_user", "/leader/cockpit/"),
    ("admin_user", "/admin/"),
]


def test_an_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(("persona", "path"), HOMES)
def test_each_role_is_sent_to_its_own_home(client, request, persona, path):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == path
    assert response.status_code == 200


def test_a_user_may_not_open_another_roles_home(client, enterprise_user):
    client.force_login(enterprise_user)
    assert client.get("/office/queues/").status_code == 403
    assert client.get("/leader/cockpit/").status_code == 403
    assert client.get("/portal/").status_code == 200


def test_every_page_shows_the_menu_of_the_role_and_the_unread_count(client, enterprise_user):
    from qitong.notify import outbox

    outbox.enqueue([enterprise_user], kind="test", subject="测试", body="正文", email=False)
    client.force_login(enterprise_user)
    page = client.get("/portal/").content.decode()
    assert 'href="/portal/new/"' in page and 'href="/office/queues/"' not in page
    assert re.search(r'data-testid="unread-count"[^>]*>1<', page)
