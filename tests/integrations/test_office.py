"""A request naming no enterprise: accepted from its unverified reporter, before the office,
which links it to an enterprise (an appeal in the loop) or handles it as it stands."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import Appeal
from qitong.audit.models import Record
from qitong.core.errors import Conflict
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.integrations import actions
from qitong.integrations.models import Integration, ServiceRequest
from qitong.notify.models import Message
from tests.audit.conftest import rows
from tests.integrations.test_open311 import V2, _json, _post


@pytest.fixture
def client311(city):
    integration, key = actions.create_integration(name="cityapp", kind=Integration.Kind.OPEN311)
    integration.key = key
    return integration


def _waiting(client, client311, **fields):
    (row,) = _json(_post(client, client311.key, enterprise_uscc="", **fields), 201)
    return ServiceRequest.objects.get(token=row["token"])


def test_a_request_naming_no_enterprise_waits_on_the_office_page(client, city, client311):
    request = _waiting(client, client311)
    assert request.state == "pending" and not Appeal.objects.exists()
    told = Message.objects.get(kind="open311_pending", recipient=city.office_user)
    assert told.url == reverse("office-open311-request", args=[request.pk])
    client.force_login(city.office_user)
    listing = client.get(reverse("office-open311")).content.decode()
    assert f'data-testid="request-{request.pk}"' in listing and "待核实（1）" in listing
    assert 'href="/office/open311/"' in listing  # in the office's menu
    page = client.get(told.url).content.decode()
    # the phone masked, revealed with a reason (tests/security/test_masking.py)
    assert "王 伟" in page and "138****0000" in page and "13800000000" not in page
    for action in actions.REQUEST_ACTIONS.values():
        assert reverse("office-open311-act", args=[request.pk, action.name]) in page


@pytest.mark.parametrize("who", ["ent_user", "fgw_user", "leader_user"])
def test_only_offices_see_and_decide(client, city, client311, who):
    request = _waiting(client, client311)
    client.force_login(getattr(city, who))
    assert client.get(reverse("office-open311")).status_code == 403
    assert client.get(reverse("office-open311-request", args=[request.pk])).status_code == 403
    answer = client.post(
        reverse("office-open311-act", args=[request.pk, "answer"]), {"answer": "已处理"}
    )
    assert answer.status_code == 403
    with pytest.raises(PermissionDenied):
        actions.answer_service_request(request, acting_user=getattr(city, who), answer="x")
    request.refresh_from_db()
    assert request.state == "pending"


def test_the_office_links_it_by_uscc_and_it_enters_the_appeal_loop(client, city, client311):
    request = _waiting(client, client311)
    client.force_login(city.office_user)
    url = reverse("office-open311-act", args=[request.pk, "link"])
    answer = client.post(url, {"uscc": city.company.uscc, "name": ""})
    assert answer.status_code == 302
    request.refresh_from_db()
    appeal = request.appeal
    assert request.state == "filed" and request.handled_by == city.office_user
    assert appeal.enterprise == city.company and appeal.channel == "open311"
    assert appeal.status == "submitted" and appeal.office == appeal_actions.city_office()
    # the loop's rules hold as for any appeal: the office accepts, the enterprise owns it
    appeal_actions.accept(appeal, acting_user=city.office_user)
    assert Appeal.objects.get(pk=appeal.pk).status == "accepted"
    assert appeal_actions.available_actions(city.ent_user, appeal) == ["attach"]
    assert appeal_actions.available_actions(city.other_user, appeal) == []
    # the client learns the appeal's id through its token, and reads it with its key
    (row,) = _json(client.get(f"{V2}/tokens/{request.token}.json", {"api_key": client311.key}))
    assert row["service_request_id"] == appeal.number
    (read,) = _json(client.get(f"{V2}/requests/{appeal.number}.json", {"api_key": client311.key}))
    assert read["status"] == "open"
    # decided once: a second decision is refused, nothing changes
    answer = client.post(url, {"uscc": city.other_company.uscc}, follow=True)
    assert "该请求已处理" in answer.content.decode()
    assert Appeal.objects.count() == 1


def test_linking_by_exact_name_or_a_new_code_and_refusals_name_the_field(client, city, client311):
    client.force_login(city.office_user)
    by_name = _waiting(client, client311)
    actions.link_service_request(
        by_name, acting_user=city.office_user, name=" 济南泉华电子有限公司 "
    )
    by_name.refresh_from_db()
    assert by_name.appeal.enterprise == city.company

    request = _waiting(client, client311)
    url = reverse("office-open311-act", args=[request.pk, "link"])
    for data, message in [
        ({"uscc": "", "name": ""}, "统一社会信用代码：请填写统一社会信用代码或企业名称。"),
        ({"uscc": "91370102MA3C00001F"}, "统一社会信用代码：统一社会信用代码校验位错误"),
        ({"name": "济南不存在有限公司"}, "企业名称：没有恰好一家名为"),
        ({"uscc": make_uscc("91370102MA3C07777")}, "企业名称：该统一社会信用代码尚未建档"),
        ({"name": "名" * 201}, "企业名称：企业名称不能超过 200 个字符。"),
    ]:
        page = client.post(url, data, follow=True).content.decode()
        assert message in page, data
    request.refresh_from_db()
    assert request.state == "pending" and Enterprise.objects.count() == 3

    code = make_uscc("91370102MA3C07777")
    client.post(url, {"uscc": code, "name": "济南新报企业有限公司"})
    request.refresh_from_db()
    new = Enterprise.objects.get(uscc=code)
    assert not new.verified and request.appeal.enterprise == new


def test_the_office_handles_it_as_it_stands_answering_or_declining(client, city, client311):
    client.force_login(city.office_user)
    answered = _waiting(client, client311)
    url = reverse("office-open311-act", args=[answered.pk, "answer"])
    page = client.post(url, {"answer": "   "}, follow=True).content.decode()
    assert "答复内容：请填写答复内容。" in page
    client.post(url, {"answer": "路灯属城管部门，已转 12319 热线。"})
    answered.refresh_from_db()
    assert answered.state == "answered" and answered.appeal is None
    (row,) = _json(client.get(f"{V2}/tokens/{answered.token}.json", {"api_key": client311.key}))
    assert row == {
        "token": answered.token,
        "service_request_id": None,
        "status_notes": "路灯属城管部门，已转 12319 热线。",
    }
    declined = _waiting(client, client311)
    client.post(
        reverse("office-open311-act", args=[declined.pk, "decline"]), {"reason": "不属于企业诉求"}
    )
    declined.refresh_from_db()
    assert declined.state == "declined" and declined.handled_by == city.office_user
    with pytest.raises(Conflict):
        actions.answer_service_request(declined, acting_user=city.office_user, answer="再答复")
    with pytest.raises(ValidationError) as refused:
        actions.decline_service_request(
            _waiting(client, client311), acting_user=city.office_user, reason="x" * 2001
        )
    assert "reason" in refused.value.message_dict
    listing = client.get(reverse("office-open311") + "?tab=decided").content.decode()
    assert f'data-testid="request-{answered.pk}"' in listing
    assert f'data-testid="request-{declined.pk}"' in listing
    assert client.get(reverse("office-open311") + "?tab=nosuch&page=999999").status_code == 200
    assert (
        client.post(reverse("office-open311-act", args=[declined.pk, "nosuch"])).status_code == 404
    )
    assert client.get(reverse("office-open311-request", args=[10**9])).status_code == 404


def test_a_post_naming_a_known_enterprise_by_exact_name_is_filed_at_once(client, city, client311):
    (row,) = _json(
        _post(client, client311.key, enterprise_uscc="", enterprise_name="济南泉华电子有限公司"),
        201,
    )
    assert Appeal.objects.get(number=row["service_request_id"]).enterprise == city.company
    Enterprise.objects.create(uscc=make_uscc("91370102MA3C08888"), name="济南（同名）有限公司")
    Enterprise.objects.create(uscc=make_uscc("91370102MA3C08889"), name="济南(同名)有限公司")
    for name in ("济南泉华电子", "济南(同名)有限公司"):  # not exact, or not one: waits
        (row,) = _json(_post(client, client311.key, enterprise_uscc="", enterprise_name=name), 201)
        assert "token" in row and "service_request_id" not in row
    Enterprise.objects.create(uscc=make_uscc("91370102MA3C08890"), name="济南（括号）有限公司")
    (row,) = _json(
        _post(client, client311.key, enterprise_uscc="", enterprise_name="济南(括号)有限公司"), 201
    )
    assert (
        Appeal.objects.get(number=row["service_request_id"]).enterprise.name
        == "济南（括号）有限公司"
    )


def test_the_list_reads_a_fixed_number_of_queries_and_a_reading_is_audited(
    client, city, client311, django_capture_on_commit_callbacks
):
    client.force_login(city.office_user)
    url = reverse("office-open311")
    _waiting(client, client311)
    client.get(url)  # warm: the session, the menu

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    for _n in range(5):
        _waiting(client, client311)
    assert count() == one
    request = ServiceRequest.objects.first()
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("office-open311-request", args=[request.pk]))
    (read,) = rows(action=Record.Action.READ_PERSONAL)
    assert read.username == "office" and read.target == f"open311_request:{request.pk}"
