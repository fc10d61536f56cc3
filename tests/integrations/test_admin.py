"""The admin's part: a new system's key shown once, a waiting Open311 request linked or declined."""

import io
import json

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command

from qitong.appeals.models import Appeal
from qitong.integrations import actions
from qitong.integrations.models import Integration
from tests.conftest import _user


@pytest.fixture
def root(city, client):
    admin = _user("root", "admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


def test_a_new_integration_shows_its_key_once(client, root):
    answer = client.post(
        "/admin/integrations/integration/add/",
        {
            "name": "cityapp",
            "title": "城市 App",
            "kind": "open311",
            "callback_url": "",
            "active": "on",
        },
    )
    assert answer.status_code == 302
    (message,) = [str(m) for m in get_messages(answer.wsgi_request) if "API 密钥" in str(m)]
    key = message.rsplit("：", 1)[1].strip()
    integration = Integration.objects.get(name="cityapp")
    assert actions.integration_for_key(key, "open311") == integration
    assert key not in (integration.api_key_hash, integration.secret)
    assert integration.account.role == "admin" and not integration.account.has_usable_password()


def _pending(city):
    integration, _key = actions.create_integration(name="cityapp", kind="open311")
    return actions.submit_service_request(
        integration,
        {
            "service_code": "other",
            "description": "路灯不亮",
            "address": "济南市历下区解放路 1 号",
            "first_name": "伟",
            "last_name": "王",
        },
    )


def test_the_office_links_a_waiting_request_to_an_enterprise(client, city, root):
    request = _pending(city)
    assert request.state == "pending" and not Appeal.objects.exists()
    url = f"/admin/integrations/servicerequest/{request.pk}/change/"
    assert client.get(url).status_code == 200
    answer = client.post(url, {"link_enterprise": city.company.uscc, "decline_reason": ""})
    assert answer.status_code == 302
    request.refresh_from_db()
    assert request.state == "filed" and request.appeal.enterprise == city.company
    assert request.appeal.channel == "open311" and "报告人: 王 伟" in request.appeal.content


def test_the_office_declines_a_waiting_request(client, city, root):
    request = _pending(city)
    url = f"/admin/integrations/servicerequest/{request.pk}/change/"
    client.post(url, {"link_enterprise": "", "decline_reason": "不属于企业诉求"})
    request.refresh_from_db()
    assert request.state == "declined" and request.decline_reason == "不属于企业诉求"
    with pytest.raises(Exception, match="已处理"):
        actions.file_service_request(request, enterprise=city.company, acting_user=root)


def test_the_add_command_prints_the_shared_secret(city):
    out = io.StringIO()
    call_command(
        "hotline12345",
        "add",
        "jinan12345",
        "--callback-url",
        "https://12345.example.org/cb",
        stdout=out,
    )
    printed = json.loads(out.getvalue())
    hotline = Integration.objects.get(name="jinan12345")
    assert printed == {"name": "jinan12345", "secret": hotline.secret}
    assert hotline.kind == "hotline12345" and hotline.callback_url == "https://12345.example.org/cb"
    shown = io.StringIO()
    call_command("hotline12345", "show", "jinan12345", stdout=shown)
    assert json.loads(shown.getvalue()) == printed
