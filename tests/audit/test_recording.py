"""What lands on the trail: logins one by one, logouts, creations, exports, downloads,
dossier reads, refused writes and every event of an appeal, each with who, where and how it ended."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.audit import chain
from qitong.audit.models import Record
from tests.appeals import files
from tests.appeals.conftest import City
from tests.audit.conftest import rows
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db

A = Record.Action
OUT = Record.Outcome


@pytest.fixture
def city(db):
    return City()


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def login(client, username, password, address="203.0.113.10", **headers):
    client.cookies.clear()
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def test_every_login_attempt_is_one_row_with_the_username_tried(client, city, committed):
    with committed():
        login(client, "office", "wrong-password")
        login(client, "nobody-here", "whatever")
        assert login(client, "office", PASSWORD).status_code == 302
        client.post("/logout/", REMOTE_ADDR="203.0.113.10")
    found = [(r.action, r.username, r.outcome, r.address) for r in rows()]
    assert found == [
        (A.LOGIN, "office", OUT.FAILURE, "203.0.113.10"),
        (A.LOGIN, "nobody-here", OUT.FAILURE, "203.0.113.10"),
        (A.LOGIN, "office", OUT.SUCCESS, "203.0.113.10"),
        (A.LOGOUT, "office", OUT.SUCCESS, "203.0.113.10"),
    ]
    success = rows()[2]
    assert (success.user_id, success.role) == (city.office_user.pk, "office")
    assert chain.verify().ok


def test_a_login_refused_by_the_lockout_is_recorded_as_denied(client, city, committed):
    with committed():
        for _attempt in range(6):
            login(client, "fgw", "wrong-password")
    outcomes = [r.outcome for r in rows(action=A.LOGIN)]
    assert outcomes[:4] == [OUT.FAILURE] * 4
    assert OUT.DENIED in outcomes[4:]
    assert len(outcomes) == 6


def test_a_login_refused_by_the_rate_limit_is_recorded_too(client, city, settings, committed):
    settings.QITONG_RATE_LIMITS = "login=2/60,filing=0/60,urge=0/600,public=0/60"
    with committed():
        answers = [login(client, "fgw", "wrong-password").status_code for _attempt in range(3)]
    assert answers[2] == 429
    found = [(r.username, r.outcome, r.detail) for r in rows(action=A.LOGIN)]
    assert found == [
        ("fgw", OUT.FAILURE, {}),
        ("fgw", OUT.FAILURE, {}),
        ("fgw", OUT.DENIED, {"rate_limited": True}),
    ]


def test_behind_a_declared_proxy_the_client_address_is_recorded(client, city, settings, committed):
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    with committed():
        login(
            client,
            "office",
            "wrong-password",
            address="127.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.23",
        )
        login(client, "office", PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.23")
    assert [r.address for r in rows()] == ["198.51.100.23", "198.51.100.23"]


def test_admin_api_creations_are_recorded_with_their_outcome(city, admin_user, committed):
    api = client_for(admin_user)
    with committed():
        created = api.post(
            "/api/v1/units",
            {"code": "tax", "name": "市税务局", "kind": "department"},
            format="json",
        )
        refused = api.post("/api/v1/units", {"code": "", "name": ""}, format="json")
        denied = client_for(city.office_user).post(
            "/api/v1/units", {"code": "x1", "name": "某单位", "kind": "department"}, format="json"
        )
    assert created.status_code == 201 and refused.status_code == 400 and denied.status_code == 403
    found = [(r.username, r.target, r.outcome, r.detail["status"]) for r in rows(action=A.CREATE)]
    assert found[0][0] == "root" and found[0][1].startswith("unit:") and found[0][2] == OUT.SUCCESS
    assert found[1] == ("root", "unit", OUT.FAILURE, 400)
    assert found[2] == ("office", "unit", OUT.FAILURE, 403)


def test_exports_and_downloads_are_recorded(city, committed):
    appeal = city.file()
    api = client_for(city.office_user)
    with committed():
        ledger = api.get("/api/v1/appeals/ledger.xlsx")
        attached = client_for(city.ent_user).post(
            f"/api/v1/appeals/{appeal.pk}/attachments",
            {"file": SimpleUploadedFile("营业执照.pdf", files.PDF)},
            format="multipart",
        )
        attachment = attached.json()["id"]
        download = api.get(f"/api/v1/appeals/{appeal.pk}/attachments/{attachment}")
        b"".join(download.streaming_content)
    assert ledger.status_code == 200 and download.status_code == 200
    export = rows(action=A.EXPORT)
    assert [(r.username, r.target) for r in export] == [("office", "/api/v1/appeals/ledger.xlsx")]
    assert export[0].detail["file"].endswith(".xlsx")
    download_rows = rows(action=A.DOWNLOAD)
    assert [(r.username, r.detail["file"]) for r in download_rows] == [("office", "营业执照.pdf")]


def test_reading_a_dossier_is_recorded_and_so_is_a_refusal(client, city, committed):
    client.force_login(city.office_user)
    with committed():
        assert client.get(f"/enterprises/{city.company.pk}/dossier/").status_code == 200
    client.force_login(city.ent_user)
    with committed():
        assert client.get(f"/enterprises/{city.other_company.pk}/dossier/").status_code == 404
    found = [(r.username, r.target, r.outcome) for r in rows(action=A.READ_PERSONAL)]
    assert found == [
        ("office", f"enterprise:{city.company.pk}", OUT.SUCCESS),
        ("ent", f"enterprise:{city.other_company.pk}", OUT.DENIED),
    ]


def test_staff_reading_a_case_with_its_contact_phone_is_recorded(client, city, committed):
    appeal = city.file(contact_name="王经理", contact_phone="13800000000")
    client.force_login(city.office_user)
    with committed():
        assert client.get(f"/appeals/{appeal.pk}/").status_code == 200
        assert client_for(city.office_user).get(f"/api/v1/appeals/{appeal.pk}").status_code == 200
        assert client_for(city.ent_user).get(f"/api/v1/appeals/{appeal.pk}").status_code == 200
    found = [(r.username, r.target, r.detail["view"]) for r in rows(action=A.READ_PERSONAL)]
    target = f"appeal:{appeal.pk}"
    assert found == [("office", target, "appeal-detail"), ("office", target, "api-appeal")]


def test_every_appeal_event_is_a_row_naming_the_actor(city, committed):
    with committed():
        appeal = city.file()
        client_for(city.office_user).post(f"/api/v1/appeals/{appeal.pk}/accept", {}, format="json")
    found = [(r.username, r.target, r.detail["event"]) for r in rows(action=A.APPEAL)]
    target = f"appeal:{appeal.pk}"
    assert found == [("ent", target, "submit"), ("office", target, "accept")]
    assert rows(action=A.APPEAL)[1].address == "127.0.0.1"


def test_a_refused_write_is_recorded(city, committed):
    appeal = city.file()
    with committed():
        answer = client_for(city.ent_user).post(
            f"/api/v1/appeals/{appeal.pk}/accept", {}, format="json"
        )
    assert answer.status_code == 403
    found = [(r.username, r.target, r.outcome) for r in rows(action=A.REFUSED)]
    assert found == [("ent", f"/api/v1/appeals/{appeal.pk}/accept", OUT.DENIED)]


def test_a_rolled_back_action_leaves_no_row(city, committed):
    from django.db import transaction

    from qitong.audit import trail

    with committed():
        try:
            with transaction.atomic():
                trail.record(A.EXPORT, target="never", username="x")
                raise RuntimeError
        except RuntimeError:
            pass
    assert not rows(action=A.EXPORT)
