"""The enterprise makes its appeal public for Open311 from its case page, and takes it back."""

from django.urls import reverse

from qitong.integrations.models import Publication
from tests.integrations.test_open311 import V2, _json


def test_the_enterprise_publishes_from_its_case_page_and_open311_reads_it(client, city):
    appeal = city.file(title="公开的诉求")
    case = reverse("appeal-detail", args=[appeal.pk])
    publish = reverse("portal-open311-publish", args=[appeal.pk])
    assert _json(client.get(f"{V2}/requests.json")) == []
    client.force_login(city.ent_user)
    page = client.get(case).content.decode()
    assert 'data-testid="open311-publication"' in page and f'action="{publish}"' in page
    answer = client.post(publish, {"public": "1"})
    assert answer.status_code == 302 and answer.url == case
    assert Publication.objects.get(appeal=appeal).published_by == city.ent_user
    assert "取消公开" in client.get(case).content.decode()
    client.logout()
    (row,) = _json(client.get(f"{V2}/requests.json"))
    assert row["service_request_id"] == appeal.number
    client.force_login(city.ent_user)
    client.post(publish, {"public": "0"})
    assert not Publication.objects.exists()
    client.logout()
    assert _json(client.get(f"{V2}/requests.json")) == []


def test_only_the_owner_sees_and_uses_the_choice(client, city):
    appeal = city.file()
    case = reverse("appeal-detail", args=[appeal.pk])
    publish = reverse("portal-open311-publish", args=[appeal.pk])
    client.force_login(city.office_user)
    assert 'data-testid="open311-publication"' not in client.get(case).content.decode()
    assert client.post(publish, {"public": "1"}, follow=True).status_code == 200
    assert not Publication.objects.exists()  # refused: only the enterprise publishes
    client.force_login(city.other_user)
    assert client.post(publish, {"public": "1"}).status_code == 404
    client.force_login(city.ent_user)
    for bad in ("", "yes", "1\x00", "=1+1"):
        page = client.post(publish, {"public": bad}, follow=True).content.decode()
        assert "公开：应为 1" in page or "不能包含空字符" in page, bad
    assert not Publication.objects.exists()
    assert client.get(publish).status_code == 405
