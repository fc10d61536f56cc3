"""The admin site registers enterprises through the same region rule as the API."""

import pytest

from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc

pytestmark = pytest.mark.django_db

ADD = "/admin/enterprises/enterprise/add/"


def form(**fields):
    data = {
        "uscc": make_uscc("91370181MA3C12345"),
        "name": "济南章丘锻造有限公司",
        "region": "",
        "industry": "C3311",
        "size": "small",
        "tier": "normal",
        "address": "",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_the_admin_leaves_the_region_empty_and_gets_it_from_the_code(client, admin_user):
    client.force_login(admin_user)
    response = client.post(ADD, form())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Enterprise.objects.get().region.code == "370114"  # 章丘市 → 章丘区


def test_the_enterprise_list_filters_only_by_regions_in_use(client, admin_user, enterprise):
    client.force_login(admin_user)
    response = client.get("/admin/enterprises/enterprise/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "历下区（370102）" in page
    assert "东城区（110101）" not in page  # not thousands of divisions in the sidebar


def test_the_region_picker_offers_only_divisions_in_use(client, admin_user):
    client.force_login(admin_user)
    response = client.get(
        "/admin/autocomplete/",
        {
            "term": "章丘",
            "app_label": "enterprises",
            "model_name": "enterprise",
            "field_name": "region",
        },
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["章丘区（370114）"]
