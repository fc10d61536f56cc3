"""No enterprise sees another enterprise's appeal, through any endpoint."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals import actions
from qitong.appeals.actions import ROUTED as ACTIONS
from qitong.appeals.models import Appeal, Attachment, Event
from tests.appeals.conftest import at
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def secret(city):
    """A case of 泉华电子 in the middle of its handling, with a file."""
    appeal = city.dispatched(when=at("2026-11-02 10:00"), title="机密的用电增容诉求")
    actions.sign(appeal, acting_user=city.fgw_user, at=at("2026-11-02 11:00"))
    upload = SimpleUploadedFile("机密.pdf", PDF)
    appeal = actions.attach(appeal, acting_user=city.ent_user, upload=upload)
    return appeal, appeal.added_attachment


def snapshot():
    return (
        list(Appeal.objects.values_list("id", "status", "escalation_level")),
        Event.objects.count(),
        Attachment.objects.count(),
    )


def assert_hidden(response, appeal):
    assert response.status_code == 404, (response.status_code, response.content[:200])
    # the access function's answer, the same as for a case that does not exist
    assert response.json() == {"error": "not_found", "message": "未找到，或您无权查看。"}
    text = response.content.decode()
    assert appeal.title not in text
    assert appeal.number not in text


def test_the_other_enterprise_gets_404_from_every_appeal_endpoint(city, secret):
    appeal, attachment = secret
    client = client_for(city.other_user)
    before = snapshot()

    assert_hidden(client.get(f"/api/v1/appeals/{appeal.pk}"), appeal)
    for action in ACTIONS:
        assert_hidden(
            client.post(f"/api/v1/appeals/{appeal.pk}/{action}", {}, format="json"), appeal
        )
        assert_hidden(
            client.post(
                f"/api/v1/appeals/{appeal.pk}/{action}",
                {"reason": "x", "note": "x", "result": "x", "process": "satisfied", "level": 1},
                format="json",
            ),
            appeal,
        )
    assert_hidden(client.get(f"/api/v1/appeals/{appeal.pk}/attachments"), appeal)
    assert_hidden(
        client.post(
            f"/api/v1/appeals/{appeal.pk}/attachments",
            {"file": SimpleUploadedFile("a.pdf", PDF)},
            format="multipart",
        ),
        appeal,
    )
    assert_hidden(client.get(f"/api/v1/appeals/{appeal.pk}/attachments/{attachment.pk}"), appeal)
    assert snapshot() == before


def test_the_other_enterprise_finds_nothing_in_lists_filters_or_the_ledger(city, secret):
    appeal, _attachment = secret
    client = client_for(city.other_user)
    for params in [
        {},
        {"enterprise": city.company.uscc},
        {"unit": "fgw"},
        {"status": "in_progress"},
    ]:
        response = client.get("/api/v1/appeals", params)
        assert response.status_code == 200
        assert response.json() == {"count": 0, "results": []}
    ledger = client.get("/api/v1/appeals/ledger.xlsx")
    assert ledger.status_code == 403
    assert ledger.json() == {"error": "forbidden", "message": "您无权执行此操作。"}

    assert appeal.title not in ledger.content.decode()


def test_the_owner_sees_its_own_case_everywhere(city, secret):
    appeal, attachment = secret
    client = client_for(city.ent_user)
    assert client.get(f"/api/v1/appeals/{appeal.pk}").json()["title"] == appeal.title
    assert client.get("/api/v1/appeals").json()["count"] == 1
    assert client.get(f"/api/v1/appeals/{appeal.pk}/attachments/{attachment.pk}").status_code == 200
