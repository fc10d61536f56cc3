"""Registering enterprises through the API: each way a credit code is wrong has its own message."""

import pytest
from django.core.exceptions import ValidationError

from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import check_character, make_uscc, validate_uscc
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

GOOD = make_uscc("91370102MA3C12345")


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


@pytest.mark.parametrize(
    "uscc",
    [wrong_check(GOOD), GOOD[:17], GOOD[:16] + "I" + GOOD[17]],
    ids=["check character", "length", "forbidden letter"],
)
def test_a_wrong_credit_code_is_400_with_the_validators_own_message(admin_user, region, uscc):
    response = client_for(admin_user).post("/api/v1/enterprises", body(uscc=uscc), format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"uscc": [validator_message(uscc)]}
    assert not Enterprise.objects.exists()


def test_the_three_mistakes_have_three_messages():
    messages = {
        validator_message(code)
        for code in [wrong_check(GOOD), GOOD[:17], GOOD[:16] + "I" + GOOD[17]]
    }
    assert len(messages) == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"region": "370199"}, "region"),
        ({"industry": "C9999"}, "industry"),
        ({"tier": "vip"}, "tier"),
        ({"size": "huge"}, "size"),
    ],
)
def test_other_bad_fields_are_400_on_that_field(admin_user, region, fields, field):
    response = client_for(admin_user).post("/api/v1/enterprises", body(**fields), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not Enterprise.objects.exists()


def test_an_unknown_region_names_it(admin_user, region):
    response = client_for(admin_user).post(
        "/api/v1/enterprises", body(region="370199"), format="json"
    )
    assert response.json()["fields"]["region"] == ["行政区划 370199 不存在。"]


def test_a_registered_code_is_400_on_uscc_in_any_case(admin_user, enterprise):
    response = client_for(admin_user).post(
        "/api/v1/enterprises", body(uscc=enterprise.uscc.lower()), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["uscc"]
    assert Enterprise.objects.count() == 1
