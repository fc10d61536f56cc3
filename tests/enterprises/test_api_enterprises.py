"""Registering enterprises through the API: each way a credit code is wrong has its own message."""

import pytest
from django.core.exceptions import ValidationError

from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import check_character, make_uscc, validate_uscc
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

GOOD = make_uscc("91370102MA3C12345")
INVALID = "请求内容有误，请检查后重试。"


def body(**fields):
    data = {
        "uscc": GOOD,
        "name": "济南新材料有限公司",
        "tier": "key",
        "region": "370102",
        "industry": "C3989",
    }
    data.update(fields)
    return data


def validator_message(code):
    with pytest.raises(ValidationError) as caught:
        validate_uscc(code)
    return caught.value.messages[0]


def test_the_admin_registers_an_enterprise(admin_user, region):
    response = client_for(admin_user).post(
        "/api/v1/enterprises", body(uscc=GOOD.lower(), size="medium"), format="json"
    )
    assert response.status_code == 201
    assert response.json() == {
        "uscc": GOOD,
        "name": "济南新材料有限公司",
        "tier": "key",
        "region": "370102",
        "industry": "C3989",
        "size": "medium",
    }
    assert Enterprise.objects.get(uscc=GOOD).tier == Enterprise.Tier.KEY


def wrong_check(code):
    wrong = next(char for char in "0123456789" if char != check_character(code[:17]))
    return code[:17] + wrong


MISTAKES = [
    (wrong_check(GOOD), "统一社会信用代码校验位错误：第 18 位应为 6，实际为 0。"),
    (GOOD[:17], "统一社会信用代码应为 18 位，当前为 17 位。"),
    (
        GOOD[:16] + "I" + GOOD[17],
        "统一社会信用代码含有不允许的字符：I（代码不使用 I、O、S、V、Z）。",
    ),
]


@pytest.mark.parametrize(
    ("uscc", "message"), MISTAKES, ids=["check character", "length", "forbidden letter"]
)
def test_a_wrong_credit_code_is_400_with_the_validators_own_message(
    admin_user, region, uscc, message
):
    response = client_for(admin_user).post("/api/v1/enterprises", body(uscc=uscc), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": INVALID,
        "fields": {"uscc": [message]},
    }
    assert validator_message(uscc) == message
    assert not Enterprise.objects.exists()


def test_the_three_mistakes_have_three_messages():
    messages = {validator_message(code) for code, _message in MISTAKES}
    assert messages == {message for _code, message in MISTAKES}
    assert len(messages) == 3


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"region": "370199"}, "region", "行政区划 370199 不存在。"),
        ({"industry": "C9999"}, "industry", "行业代码 C9999 无效：C 门类的大类应在 13～43 之间。"),
        ({"tier": "vip"}, "tier", "“vip” 不是合法选项。"),
        ({"size": "huge"}, "size", "“huge” 不是合法选项。"),
    ],
)
def test_other_bad_fields_are_400_on_that_field(admin_user, region, fields, field, message):
    response = client_for(admin_user).post("/api/v1/enterprises", body(**fields), format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid", "message": INVALID, "fields": {field: [message]}}
    assert not Enterprise.objects.exists()


def test_an_unknown_region_names_it(admin_user, region):
    response = client_for(admin_user).post(
        "/api/v1/enterprises", body(region="370199"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"region": ["行政区划 370199 不存在。"]}
    assert not Enterprise.objects.exists()


def test_a_registered_code_is_400_on_uscc_in_any_case(admin_user, enterprise):
    response = client_for(admin_user).post(
        "/api/v1/enterprises", body(uscc=enterprise.uscc.lower()), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid",
        "message": INVALID,
        "fields": {"uscc": ["该统一社会信用代码的企业已登记。"]},
    }

    assert Enterprise.objects.count() == 1


def test_the_contracts_example_works_on_a_fresh_database(admin_user):
    """No fixture makes regions: 370102 comes with the installation."""
    response = client_for(admin_user).post("/api/v1/enterprises", body(), format="json")
    assert response.status_code == 201
    assert response.json()["region"] == "370102"


@pytest.mark.parametrize(
    "omitted", [{}, {"region": None}, {"region": ""}], ids=["absent", "null", "empty"]
)
def test_an_omitted_region_is_read_from_the_credit_code(admin_user, omitted):
    data = {key: value for key, value in body(**omitted).items() if key != "region" or omitted}
    response = client_for(admin_user).post("/api/v1/enterprises", data, format="json")
    assert response.status_code == 201
    assert response.json()["region"] == "370102"
    assert Enterprise.objects.get(uscc=GOOD).region.name == "历下区"


def test_an_abolished_registration_authority_code_gives_its_successor(admin_user):
    old = make_uscc("91370181MA3C12345")  # 章丘市, a district (370114 章丘区) since 2016
    data = body(uscc=old)
    del data["region"]
    response = client_for(admin_user).post("/api/v1/enterprises", data, format="json")
    assert response.status_code == 201
    assert response.json()["region"] == "370114"


def test_a_given_abolished_region_is_registered_under_its_successor(admin_user):
    response = client_for(admin_user).post(
        "/api/v1/enterprises", body(region="370181"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["region"] == "370114"


def test_a_credit_code_of_no_known_division_leaves_the_region_empty(admin_user):
    unknown = make_uscc("91379999MA3C12345")
    data = body(uscc=unknown)
    del data["region"]
    response = client_for(admin_user).post("/api/v1/enterprises", data, format="json")
    assert response.status_code == 201
    assert response.json()["region"] is None
    assert Enterprise.objects.get(uscc=unknown).region is None


def test_a_given_region_wins_over_the_credit_code(admin_user):
    response = client_for(admin_user).post(
        "/api/v1/enterprises", body(region="370103"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["region"] == "370103"
