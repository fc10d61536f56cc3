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
