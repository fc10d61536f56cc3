"""Administration through the API: units and users by the admin token; reference lists for everyone."""

import pytest

from qitong.orgs.models import Unit, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

STRONG = "Quanhua-2026-strong!"
INVALID = "请求内容有误，请检查后重试。"
ADMIN_ONLY = {"error": "forbidden", "message": "只有系统管理员可以执行此操作。"}


def test_the_admin_adds_a_unit(admin_user, office_unit):
    response = client_for(admin_user).post(
        "/api/v1/units",
        {"code": "fgw", "name": "市发展和改革委员会", "kind": "department"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {
        "code": "fgw",
        "name": "市发展和改革委员会",
        "kind": "department",
        "parent": None,
    }
    assert Unit.objects.get(code="fgw").kind == Unit.Kind.DEPARTMENT


def test_a_unit_may_hang_under_a_parent(admin_user):
    client = client_for(admin_user)
    client.post(
        "/api/v1/units",
        {"code": "lixia", "name": "历下区人民政府", "kind": "district"},
        format="json",
    )
    response = client.post(
        "/api/v1/units",
        {
            "code": "lixia-office",
            "name": "历下区服务企业办公室",
            "kind": "office",
            "parent": "lixia",
        },
        format="json",
    )
    assert response.status_code == 201
    assert Unit.objects.get(code="lixia-office").parent.code == "lixia"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"code": "fgw", "name": "重复", "kind": "department"},
            "code",
            "具有 单位代码 的 单位 已存在。",
        ),
        (
            {"code": "Bad Code", "name": "坏代码", "kind": "department"},
            "code",
            "单位代码只能由小写字母、数字、下划线和连字符组成，以字母开头。",
        ),
        ({"code": "sw", "name": "商务局", "kind": "ministry"}, "kind", "“ministry” 不是合法选项。"),
        (
            {"code": "sw", "name": "商务局", "kind": "department", "parent": "nowhere"},
            "parent",
            "单位 nowhere 不存在。",
        ),
        ({"code": "sw", "kind": "department"}, "name", "该字段是必填项。"),
    ],
)
def test_a_bad_unit_is_400_on_its_field(admin_user, fgw, body, field, message):
    before = Unit.objects.count()
    response = client_for(admin_user).post("/api/v1/units", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid", "message": INVALID, "fields": {field: [message]}}
    assert Unit.objects.count() == before


def test_only_the_admin_writes(office_user, unit_user, enterprise_user, leader_user):
    for user in (office_user, unit_user, enterprise_user, leader_user):
        client = client_for(user)
        for url, body in [
            ("/api/v1/units", {"code": "x1", "name": "x", "kind": "department"}),
            ("/api/v1/users", {"username": "x", "password": STRONG, "role": "admin"}),
            ("/api/v1/enterprises", {}),
        ]:
            response = client.post(url, body, format="json")
            assert (response.status_code, response.json()) == (403, ADMIN_ONLY), (user, url)
    assert not Unit.objects.filter(code="x1").exists()
    assert not User.objects.filter(username="x").exists()


def test_everyone_reads_the_units_and_categories(enterprise_user, fgw, office_unit):
    client = client_for(enterprise_user)
    units = client.get("/api/v1/units")
    assert units.status_code == 200
    assert {
        "code": "fgw",
        "name": "市发展和改革委员会",
        "kind": "department",
        "parent": None,
    } in units.json()["results"]
    categories = client.get("/api/v1/categories").json()["results"]
    assert {"code": "factors", "name": "生产要素保障", "parent": None} in categories
    assert {"code": "factors-power", "name": "用电", "parent": "factors"} in categories


def test_the_admin_adds_a_unit_user_and_an_enterprise_user(admin_user, fgw, enterprise):
    client = client_for(admin_user)
    response = client.post(
        "/api/v1/users",
        {"username": "fgw-li", "password": STRONG, "role": "unit", "unit": "fgw"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["unit"] == "fgw"
    assert "password" not in response.json()
    clerk = User.objects.get(username="fgw-li")
    assert clerk.check_password(STRONG)
    assert clerk.role == User.Role.UNIT

    response = client.post(
        "/api/v1/users",
        {
            "username": "qh-wang",
            "password": STRONG,
            "role": "enterprise",
            "enterprise": enterprise.uscc.lower(),
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["enterprise"] == enterprise.uscc
    assert User.objects.get(username="qh-wang").enterprise == enterprise


@pytest.mark.parametrize(
    ("body", "field", "messages"),
    [
        ({"role": "unit"}, "unit", ["承办单位用户必须属于一个单位。"]),
        ({"role": "enterprise"}, "enterprise", ["企业用户必须属于一家企业。"]),
        (
            {"role": "enterprise", "enterprise": "91370102MA3C99999X"},
            "enterprise",
            ["统一社会信用代码为 91370102MA3C99999X 的企业不存在。"],
        ),
        (
            {"role": "office", "unit": "fgw", "enterprise": "ENTERPRISE"},
            "enterprise",
            ["只有企业用户可以属于企业。"],
        ),
        (
            {"role": "unit", "unit": "fgw", "password": "123"},
            "password",
            [
                "密码太短，至少需要 8 个字符。",
                "密码过于常见。",
                "密码不能全是数字。",
                "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。",
            ],
        ),
        (
            {"role": "unit", "unit": "fgw", "password": "password"},
            "password",
            ["密码过于常见。", "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"],
        ),
        (
            {"role": "unit", "unit": "fgw", "username": "office"},
            "username",
            ["已存在一位使用该名字的用户。"],
        ),
        ({"role": "king"}, "role", ["“king” 不是合法选项。"]),
    ],
)
def test_a_bad_user_is_400_on_its_field(
    admin_user, office_user, fgw, enterprise, body, field, messages
):
    data = {"username": "new-user", "password": STRONG}
    data.update(body)
    if data.get("enterprise") == "ENTERPRISE":
        data["enterprise"] = enterprise.uscc
    before = User.objects.count()
    response = client_for(admin_user).post("/api/v1/users", data, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid", "message": INVALID, "fields": {field: messages}}
    assert User.objects.count() == before
