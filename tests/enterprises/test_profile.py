"""The enterprise keeps its own profile and contacts; staff see who changed what."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from qitong.enterprises import actions
from qitong.enterprises.models import Contact, EnterpriseChange, Qualification
from tests.appeals.conftest import City


@pytest.fixture
def city(db):
    return City()


def test_a_profile_change_is_written_with_who_and_what(city):
    high_tech = Qualification.objects.create(code="high-tech", name="高新技术企业")
    actions.update_profile(
        city.company, acting_user=city.ent_user, size="medium", qualifications=[high_tech.code]
    )
    changes = {c.field: c for c in EnterpriseChange.objects.filter(enterprise=city.company)}
    assert set(changes) == {"size", "qualifications"}
    assert (changes["size"].old, changes["size"].new) == ("小型", "中型")
    assert changes["qualifications"].new == "高新技术企业"
    assert changes["size"].actor == city.ent_user and changes["size"].source == "portal"
    # The same again changes nothing and writes nothing.
    actions.update_profile(city.company, acting_user=city.ent_user, size="medium")
    assert EnterpriseChange.objects.count() == 2


def test_only_its_own_staff_and_valid_values(city):
    with pytest.raises(PermissionDenied):
        actions.update_profile(city.company, acting_user=city.other_user, size="large")
    with pytest.raises(PermissionDenied):
        actions.update_profile(city.company, acting_user=city.office_user, size="large")
    with pytest.raises(ValidationError) as caught:
        actions.update_profile(
            city.company, acting_user=city.ent_user, size="huge", qualifications=["nope"]
        )
    assert set(caught.value.message_dict) == {"size", "qualifications"}
    assert not EnterpriseChange.objects.exists()


def test_contacts_added_edited_and_removed_leave_their_history(city):
    first = actions.save_contact(
        city.company, acting_user=city.ent_user, name="张伟", phone="13800000001", is_primary=True
    )
    second = actions.save_contact(
        city.company, acting_user=city.ent_user, name="李娜", phone="13800000002", is_primary=True
    )
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary
    with pytest.raises(ValidationError):
        actions.save_contact(city.company, acting_user=city.ent_user, name="王", phone="abc")
    actions.remove_contact(first, acting_user=city.ent_user)
    assert list(Contact.objects.filter(enterprise=city.company)) == [second]
    history = list(EnterpriseChange.objects.filter(field="contacts").order_by("pk"))
    assert len(history) == 3 and "张伟" in history[2].old and "张伟" not in history[2].new


def test_the_portal_page(client, city):
    client.force_login(city.ent_user)
    page = client.get(reverse("portal-profile"))
    assert page.status_code == 200 and "企业规模" in page.content.decode()
    answer = client.post(reverse("portal-profile"), {"size": "large", "address": "历下区经十路"})
    assert answer.status_code == 302
    city.company.refresh_from_db()
    assert city.company.size == "large" and city.company.address == "历下区经十路"
    client.post(
        reverse("portal-contact-add"),
        {"new-name": "赵敏", "new-phone": "13900000000", "new-title": "办公室主任"},
    )
    contact = city.company.contacts.get()
    client.post(reverse("portal-contact-remove", args=[contact.pk]))
    assert not city.company.contacts.exists()
    page = client.get(reverse("portal-profile")).content.decode()
    assert "联系人" in page and "企业自助" in page
    other = Contact.objects.create(enterprise=city.other_company, name="钱", phone="13700000000")
    assert client.post(reverse("portal-contact-remove", args=[other.pk])).status_code == 404
    client.force_login(city.office_user)
    assert client.get(reverse("portal-profile")).status_code == 403


def test_an_admin_edit_is_in_the_history(client, city, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    url = reverse("admin:enterprises_enterprise_change", args=[city.company.pk])
    form = {
        "uscc": city.company.uscc,
        "name": city.company.name,
        "region": city.company.region_id,
        "industry": city.company.industry,
        "size": "micro",
        "tier": "normal",
        "address": "",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    answer = client.post(url, form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    change = EnterpriseChange.objects.get()
    assert (change.field, change.new, change.source, change.actor) == (
        "size",
        "微型",
        "admin",
        admin,
    )


def test_a_qualification_past_any_key_posted_by_hand_is_refused_not_a_server_error(client, city):
    client.force_login(city.ent_user)
    kept = Qualification.objects.first() or Qualification.objects.create(code="hnte", name="高新")
    for value in (str(10**30), str(-(10**30)), "abc"):
        answer = client.post(reverse("portal-profile"), {"size": "large", "qualifications": value})
        assert answer.status_code == 400  # the form again, with its error
        assert answer.context["form"].errors["qualifications"]
    # beside a real one, a number past the column's range is simply not a row
    assert list(Qualification.objects.filter(pk__in=[10**30, kept.pk])) == [kept]
    assert not Qualification.objects.filter(pk__in=[10**30, -(10**30)]).exists()


def test_a_foreign_key_asked_for_a_number_past_any_key_matches_nothing(city):
    """The same rule through a foreign key (``core.lookups.RelatedIntegerIn``): SQLite
    overflowed on ``enterprise__in=[10**30]`` as it did on the key itself."""
    assert not Contact.objects.filter(enterprise__in=[10**30]).exists()
    mine = Contact.objects.create(enterprise=city.company, name="赵", phone="13900000000")
    assert list(Contact.objects.filter(enterprise_id__in=[10**30, city.company.pk])) == [mine]
