"""The enterprise portal: its own appeals in plain words, and filing one with files."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from qitong.appeals import actions
from qitong.appeals.models import Appeal, Attachment, Category, Event
from qitong.enterprises.models import Contact
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db
WHEN = at("2026-11-02 10:00")  # a Monday
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def _rows_written():
    return Appeal.objects.count(), Event.objects.count(), Attachment.objects.count()


def _pending_rating(city, **fields):
    appeal = city.dispatched(when=WHEN, **fields)
    actions.sign(appeal, acting_user=city.fgw_user, at=at("2026-11-02 11:00"))
    actions.resolve(appeal, acting_user=city.fgw_user, at=at("2026-11-03 09:30"), result="已办结")
    return actions.approve(appeal, acting_user=city.office_user, at=at("2026-11-03 10:00"))


def _filing(city, **changes):
    data = {
        "category": str(Category.objects.get(code="factors-power").pk),
        "title": "新厂房用电增容",
        "content": "新厂房需要增容 2000 千伏安，申请两个月未批复。",
        "contact_name": "王经理",
        "contact_phone": "0531-88886666",
    }
    data.update(changes)
    return data


# --- the list -------------------------------------------------------------------------


def test_it_lists_only_the_enterprises_own_appeals(client, city):
    mine = city.file(when=WHEN, title="我们的用地问题")
    theirs = city.file(city.other_company, when=WHEN, title="别家的融资问题")
    client.force_login(city.ent_user)
    page = client.get("/portal/").content.decode()
    assert mine.number in page and "我们的用地问题" in page
    assert theirs.number not in page and "别家的融资问题" not in page
    assert "等待受理" in page and 'href="/portal/new/"' in page


def test_it_says_who_handles_the_case_and_by_when_the_answer_is_due(client, city):
    city.dispatched(when=WHEN)
    client.force_login(city.ent_user)
    with time_machine.travel(at("2026-11-03 10:00"), tick=False):
        page = client.get("/portal/").content.decode()
    assert "市发展和改革委员会办理中，答复期限 11月5日 10:00" in page
    assert "剩余 2 个工作日" in page


def test_an_appeal_waiting_for_a_rating_asks_the_enterprise_to_rate_it(client, city):
    appeal = _pending_rating(city)
    client.force_login(city.ent_user)
    page = client.get("/portal/").content.decode()
    assert "请您评价" in page
    assert f'href="/appeals/{appeal.pk}/#actions-heading"' in page
    assert 'data-testid="card-rate"' in page
    rated = client.get("/portal/?stage=rate").content.decode()
    assert appeal.number in rated


def test_the_stage_filter_and_words_narrow_the_list(client, city):
    waiting = city.file(when=WHEN, title="用地指标")
    rating = _pending_rating(city, title="贷款贴息")
    client.force_login(city.ent_user)
    page = client.get("/portal/", {"stage": "doing"}).content.decode()
    assert waiting.number in page and rating.number not in page
    page = client.get("/portal/", {"q": "贷款"}).content.decode()
    assert rating.number in page and waiting.number not in page


def test_the_list_takes_the_same_number_of_queries_for_many_appeals(
    client, city, django_assert_max_num_queries
):
    for day in range(2, 7):
        city.dispatched(when=at(f"2026-11-0{day} 10:00"))
        city.file(when=at(f"2026-11-0{day} 11:00"))
    _pending_rating(city)
    client.force_login(city.ent_user)
    with django_assert_max_num_queries(9):
        response = client.get("/portal/")
    assert response.content.decode().count('data-testid="row-') == 11


# --- filing ---------------------------------------------------------------------------


def test_the_form_offers_categories_grouped_and_the_primary_contact(client, city):
    Contact.objects.create(enterprise=city.company, name="李会计", phone="13800000001")
    Contact.objects.create(
        enterprise=city.company, name="王经理", phone="0531-88886666", is_primary=True
    )
    Category.objects.filter(code="financing-listing").update(is_active=False)
    client.force_login(city.ent_user)
    page = client.get("/portal/new/").content.decode()
    assert '<optgroup label="融资">' in page and "贷款" in page and "上市挂牌" not in page
    other = Category.objects.get(code="other")
    assert f'<option value="{other.pk}">其他</option>' in page
    assert 'value="王经理"' in page and 'value="0531-88886666"' in page
    assert 'type="file" name="attachments" multiple' in page


def test_filing_creates_the_appeal_with_its_category_and_attachment(client, city):
    client.force_login(city.ent_user)
    upload = SimpleUploadedFile("许可证.pdf", PDF, content_type="application/pdf")
    response = client.post("/portal/new/", {**_filing(city), "attachments": [upload]})
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/appeals/{appeal.pk}/"
    assert appeal.enterprise == city.company and appeal.channel == "web"
    assert appeal.category.code == "factors-power" and appeal.contact_name == "王经理"
    attachment = appeal.attachments.get()
    assert attachment.name == "许可证.pdf" and attachment.content_type == "application/pdf"
    assert list(appeal.events.values_list("action", flat=True)) == ["submit", "attach"]
    page = client.get(response["Location"]).content.decode()
    assert f"诉求已提交，编号 {appeal.number}" in page and appeal.number.startswith("QT-")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": "  "}, "title", "请填写标题。"),
        ({"content": ""}, "content", "请填写具体内容。"),
        ({"title": ""}, "title", "请填写标题。"),
        ({"category": "999999"}, "category", "所选分类不存在或已停用，请重新选择。"),
        ({"contact_phone": "call me"}, "contact_phone", "电话号码格式不正确。"),
    ],
)
def test_bad_input_is_named_in_chinese_and_writes_nothing(client, city, changes, field, message):
    client.force_login(city.ent_user)
    before = _rows_written()
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    response = client.post("/portal/new/", {**_filing(city, **changes), "attachments": [upload]})
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<div class="message error" role="alert">'
        "诉求尚未提交，请修改下方标出的内容后再提交；如选择过附件，请重新选择。</div>"
    ) in page
    assert f'<div class="error" id="id_{field}_error">{message}</div>' in page
    assert page.count('_error">') == 1  # that field alone is named
    assert 'aria-invalid="true"' in page
    assert _rows_written() == before


def test_a_disallowed_file_stops_the_filing_before_anything_is_written(client, city, settings):
    client.force_login(city.ent_user)
    before = _rows_written()
    good = SimpleUploadedFile("ok.pdf", PDF, content_type="application/pdf")
    bad = SimpleUploadedFile("a.pdf", ELF, content_type="application/pdf")
    response = client.post("/portal/new/", {**_filing(city), "attachments": [good, bad]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "a.pdf：文件内容与扩展名 .pdf 不符。" in page
    assert _rows_written() == before
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*"))


def test_a_failing_attachment_rolls_the_filing_back(client, city, monkeypatch, settings):
    from django.core.exceptions import ValidationError

    calls = []
    real_attach = actions.attach

    def second_fails(appeal, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ValidationError({"file": ["存储失败。"]})
        return real_attach(appeal, **kwargs)

    monkeypatch.setattr(actions, "attach", second_fails)
    client.force_login(city.ent_user)
    before = _rows_written()
    files = [SimpleUploadedFile(name, PDF) for name in ("one.pdf", "two.pdf")]
    response = client.post("/portal/new/", {**_filing(city), "attachments": files})
    assert response.status_code == 200 and "存储失败。" in response.content.decode()
    assert _rows_written() == before
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))


@pytest.mark.parametrize("persona", ["office_user", "fgw_user", "leader_user"])
def test_only_enterprise_users_may_open_the_portal(client, city, persona):
    client.force_login(getattr(city, persona))
    assert client.get("/portal/").status_code == 403
    assert client.get("/portal/new/").status_code == 403
    assert client.post("/portal/new/", _filing(city)).status_code == 403
    assert Appeal.objects.count() == 0
    # the same pages open for an enterprise user: the 403s were the role gate
    client.force_login(city.ent_user)
    assert client.get("/portal/").status_code == 200
    assert client.get("/portal/new/").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, city):
    assert client.get("/portal/")["Location"].startswith("/login/")
