import pytest

pytestmark = pytest.mark.django_db

HOMES = [
    ("office_user", "/office/"),
    ("unit_user", "/unit/"),
    ("enterprise_user", "/enterprise/"),
    ("leader_user", "/leader/"),
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
    assert client.get("/office/").status_code == 403
    assert client.get("/enterprise/").status_code == 200


def test_the_enterprise_home_names_the_users_enterprise(client, enterprise_user):
    client.force_login(enterprise_user)
    assert "济南泉华电子有限公司" in client.get("/enterprise/").content.decode()
