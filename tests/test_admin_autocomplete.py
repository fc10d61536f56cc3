"""The admin's forms, posted by hand with values no row has, answer with the form's error.

Django's autocomplete widget looked a refused value up again to draw the form and
raised (a server error) for any value that cannot be a key; ``core.autocomplete`` drops
such a value first. Office hours with a time missing met the overlap check's query.
"""

import pytest
from django.contrib import admin

from qitong.core.autocomplete import AutocompleteAdmin
from qitong.orgs.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client, admin_user):
    client.force_login(admin_user)
    return client


def test_every_admin_with_autocomplete_fields_uses_the_safe_widgets():
    with_autocomplete = [
        model_admin
        for model_admin in admin.site._registry.values()
        if model_admin.autocomplete_fields
    ]
    assert len(with_autocomplete) >= 8
    assert all(isinstance(model_admin, AutocompleteAdmin) for model_admin in with_autocomplete)


@pytest.mark.parametrize("value", ["True", "abc", str(10**30), "\u00a0"])
def test_a_refused_choice_comes_back_as_the_forms_error(root, region, value):
    answer = root.post(
        "/admin/orgs/unit/add/",
        {"code": "x1", "name": "某局", "kind": "department", "parent": value, "region": value},
    )
    assert answer.status_code == 200
    errors = answer.context["adminform"].form.errors
    assert "parent" in errors or "region" in errors
    assert not Unit.objects.filter(code="x1").exists()


def test_a_real_choice_is_still_shown_again(root, region):
    answer = root.post("/admin/orgs/unit/add/", {"code": "", "name": "", "region": region.pk})
    assert answer.status_code == 200
    assert f'<option value="{region.pk}" selected>' in answer.content.decode()


def test_office_hours_with_a_time_missing_are_refused_by_the_field(root):
    answer = root.post("/admin/core/officehours/add/", {"start": "", "end": "17:00"})
    assert answer.status_code == 200
    assert "start" in answer.context["adminform"].form.errors
