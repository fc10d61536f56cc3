"""Personal data (issue 15): phones masked for staff in pages, lists, exports and the API
unless the role handles the case; revealing one takes a reason and is on the audit trail."""

import io
import zipfile

import pytest

from qitong.audit.models import Record
from qitong.core import clock, masking
from qitong.enterprises.models import Contact
from qitong.integrations import actions as integration_actions
from qitong.integrations.models import Integration, ServiceRequest
from qitong.visits import actions as visit_actions
from tests.appeals.conftest import City
from tests.audit.conftest import rows
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
MASKED = "138****5678"
CONTACT_PHONE = "13987654321"


def test_phones_keep_their_first_3_and_last_4_and_id_numbers_their_first_and_last_4():
    assert masking.mask_phone(PHONE) == MASKED
    assert masking.mask_phone(" 0531-86123456 ") == "053****3456"
    assert masking.mask_phone("123456") == "****56"
    assert masking.mask_phone("") == masking.mask_phone(None) == ""
    assert masking.mask_id_number("110101199003071234") == "1101**********1234"
    assert masking.mask_id_number("11010119900307X") == "1101*******307X"
    assert masking.mask_id_number("") == ""
    assert masking.mask_id_number("1234") == "****"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Audit rows are written when their transaction commits: run that work at once."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def city(db):
    city = City()
    city.appeal = city.dispatched(
        when=clock.now(),
        lead="fgw",
        mode="coordinated",
        co=["gxj"],
        contact_phone=PHONE,
        contact_name="张经理",
    )
    Contact.objects.create(
        enterprise=city.company, name="李主任", phone=CONTACT_PHONE, is_primary=True
    )
    return city


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_case_page_masks_the_phone_for_staff_and_offers_a_reveal_to_its_handlers(client, city):
    url = f"/appeals/{city.appeal.pk}/"
    reveal = f"/appeals/{city.appeal.pk}/contact/"
    owner = page(client, city.ent_user, url)
    assert PHONE in owner and reveal not in owner  # the enterprise's own phone, in full
    for handler in (city.office_user, city.fgw_user):
        seen = page(client, handler, url)
        assert PHONE not in seen and MASKED in seen and "张经理" in seen
        assert reveal in seen
    for other in (city.gxj_user, city.leader_user):  # a co-unit, a leader: masked only
        seen = page(client, other, url)
        assert PHONE not in seen and MASKED in seen and reveal not in seen
    triage = page(client, city.office_user, f"/office/appeals/{city.appeal.pk}/triage/")
    assert PHONE not in triage and MASKED in triage


def test_revealing_the_phone_takes_a_reason_and_is_one_audit_row(client, city, committed):
    url = f"/appeals/{city.appeal.pk}/contact/"
    client.force_login(city.fgw_user)
    form = client.get(url)
    assert form.status_code == 200 and PHONE not in form.content.decode()
    with committed():
        for blank in ("", "   ", "\u200b"):
            refused = client.post(url, {"reason": blank})
            assert refused.status_code == 400 and PHONE not in refused.content.decode()
    assert rows(action=Record.Action.READ_PERSONAL) == []
    with committed():
        shown = client.post(url, {"reason": "电话联系企业核实用电需求"})
    assert shown.status_code == 200 and PHONE in shown.content.decode()
    (row,) = rows(action=Record.Action.READ_PERSONAL)
    assert (row.username, row.target, row.outcome) == (
        "fgw",
        f"appeal:{city.appeal.pk}",
        Record.Outcome.SUCCESS,
    )
    assert row.detail["field"] == "contact_phone"
    assert row.detail["reason"] == "电话联系企业核实用电需求"


def test_only_the_handlers_may_reveal(client, city):
    url = f"/appeals/{city.appeal.pk}/contact/"
    for user, status in (
        (city.gxj_user, 403),  # a co-unit sees the case, not the phone
        (city.leader_user, 403),
        (city.key_user, 404),  # another enterprise does not know the case exists
        (city.zjj_user, 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status
        response = client.post(url, {"reason": "想看看"})
        assert response.status_code == status
        assert PHONE not in response.content.decode()


def test_the_api_answers_the_phone_in_full_to_the_owner_and_handlers_masked_to_others(city):
    url = f"/api/v1/appeals/{city.appeal.pk}"
    for user, phone in (
        (city.ent_user, PHONE),
        (city.office_user, PHONE),
        (city.fgw_user, PHONE),
        (city.gxj_user, MASKED),
        (city.leader_user, MASKED),
    ):
        answer = client_for(user).get(url)
        assert answer.status_code == 200
        assert answer.json()["contact_phone"] == phone, user.username
        assert answer.json()["contact_name"] == "张经理"
    listed = client_for(city.office_user).get("/api/v1/appeals").content.decode()
    assert PHONE not in listed


def xlsx_text(content):
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return " ".join(
            book.read(name).decode() for name in book.namelist() if name.endswith(".xml")
        )


def test_staff_lists_and_exports_show_no_phone_in_full(client, city):
    visit_actions.pair(
        acting_user=city.office_user, enterprise=city.company, unit=city.town, at=clock.now()
    )
    for url in ("/office/queues/", "/visits/", "/visits/pairings/", "/leader/cockpit/"):
        seen = page(client, city.office_user, url)
        assert PHONE not in seen and CONTACT_PHONE not in seen, url
    assert PHONE not in page(client, city.fgw_user, "/unit/cases/")
    for url in ("/visits/ledger.xlsx", "/visits/pairings.xlsx"):
        client.force_login(city.office_user)
        response = client.get(url)
        assert response.status_code == 200
        text = xlsx_text(b"".join(response.streaming_content))
        assert PHONE not in text and CONTACT_PHONE not in text, url


def test_the_dossier_masks_contacts_and_their_handlers_reveal_one_with_a_reason(
    client, city, committed
):
    url = f"/enterprises/{city.company.pk}/dossier/"
    contact = city.company.contacts.get()
    reveal = f"/enterprises/{city.company.pk}/contacts/{contact.pk}/reveal/"
    assert CONTACT_PHONE in page(client, city.ent_user, url)  # its own file
    seen = page(client, city.office_user, url)
    assert CONTACT_PHONE not in seen and "139****4321" in seen and reveal in seen
    seen = page(client, city.leader_user, url)  # the leader sees the file, needs no phone
    assert CONTACT_PHONE not in seen and reveal not in seen
    client.force_login(city.leader_user)
    assert client.post(reveal, {"reason": "了解情况"}).status_code == 403
    client.force_login(city.office_user)
    with committed():
        assert client.post(reveal, {"reason": ""}).status_code == 400
        shown = client.post(reveal, {"reason": "安排走访前电话预约"})
    assert CONTACT_PHONE in shown.content.decode()
    reveals = [r for r in rows(action=Record.Action.READ_PERSONAL) if r.detail.get("reveal")]
    assert [(r.username, r.target, r.detail["reason"]) for r in reveals] == [
        ("office", f"contact:{contact.pk}", "安排走访前电话预约")
    ]


def test_an_open311_reporters_phone_is_masked_on_the_offices_page_and_in_the_case(
    client, city, committed
):
    integration, _key = integration_actions.create_integration(
        name="open311-client", kind=Integration.Kind.OPEN311
    )
    found = ServiceRequest.objects.create(
        integration=integration,
        token="masking-token-0001",
        state=ServiceRequest.State.PENDING,
        service_code="appeal",
        description="路灯不亮影响企业夜班通勤",
        first_name="王",
        phone=PHONE,
        received_at=clock.now(),
    )
    seen = page(client, city.office_user, f"/office/open311/{found.pk}/")
    reveal = f"/office/open311/{found.pk}/phone/"
    assert PHONE not in seen and MASKED in seen and reveal in seen
    with committed():
        shown = client.post(reveal, {"reason": "回电核实报告内容"})
    assert PHONE in shown.content.decode()
    reveals = [r for r in rows(action=Record.Action.READ_PERSONAL) if r.detail.get("reveal")]
    assert [(r.target, r.detail["reason"]) for r in reveals] == [
        (f"open311:{found.pk}", "回电核实报告内容")
    ]

    integration_actions.file_service_request(
        found, enterprise=city.company, acting_user=city.office_user
    )
    found.refresh_from_db()
    appeal = found.appeal
    assert PHONE not in appeal.content and MASKED in appeal.content  # the case's text
    assert appeal.contact_phone == PHONE  # in full where its handlers reveal it
