"""Staff correct a policy's fields; what they corrected stays theirs through every crawl and
classification, until they hand it back to the machine.

The crawl is the real one: a government site on loopback
(``tests/policies/conftest.Site``), read by ``crawler.run_cycle``.
"""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from qitong.enterprises.models import Qualification
from qitong.orgs.models import Region
from qitong.policies import actions, classify
from qitong.policies.models import Category, Level, Policy
from tests.policies.conftest import add_source, crawl, detail_page, list_page

pytestmark = pytest.mark.django_db
By = Policy.CategoryBy
WHEN = dt.datetime(2026, 5, 6, 10, 0, tzinfo=dt.UTC)

TITLE = "关于支持中小企业贷款贴息的若干措施"
BODY = "一、对中小企业贷款给予贴息。\n二、本措施自2024年1月1日起施行，有效期2年。"


@pytest.fixture
def qualifications(db):
    return {
        code: Qualification.objects.create(code=code, name=name)
        for code, name in [("high-tech", "高新技术企业"), ("gazelle", "瞪羚企业")]
    }


@pytest.fixture
def policy(db):
    """A policy as the crawl leaves it: the machine's category and conditions."""
    policy = Policy.objects.create(title=TITLE, body=BODY, issuer="济南市财政局")
    classify.reclassify(policy)
    policy.refresh_from_db()
    assert (policy.category, policy.category_by) == (Category.FINANCING, By.RULE)
    assert policy.sizes == ["medium", "small", "micro"]
    return policy


def _messages(error):
    return {name: " ".join(found) for name, found in error.value.message_dict.items()}


# --- correcting ----------------------------------------------------------------------------


def test_staff_correct_some_fields_and_they_become_staffs(policy, office_user, qualifications):
    with time_machine.travel(WHEN, tick=False):
        actions.correct_policy(
            office_user,
            policy.pk,
            category="talent",
            sizes=["small", "micro"],
            industries="c39 I65 C39",
            region="370102",
            regions=["370102", "370103"],
            qualifications=["high-tech"],
            valid_until="2030-12-31",
            title="关于支持中小企业的若干措施（修订）",
        )
    policy.refresh_from_db()
    assert (policy.category, policy.category_by) == (Category.TALENT, By.STAFF)
    assert policy.sizes == ["small", "micro"]
    assert policy.industries == ["C39", "I65"]
    assert policy.region.code == "370102"
    assert sorted(region.code for region in policy.regions.all()) == ["370102", "370103"]
    assert [row.code for row in policy.qualifications.all()] == ["high-tech"]
    assert policy.valid_until == dt.date(2030, 12, 31)
    assert policy.valid_from == dt.date(2024, 1, 1)  # not given: still the machine's
    assert policy.title == "关于支持中小企业的若干措施（修订）"
    assert policy.updated_at == WHEN
    assert policy.corrected == sorted(
        [
            "category",
            "sizes",
            "industries",
            "region",
            "regions",
            "qualifications",
            "valid_until",
            "title",
        ]
    )


def test_an_admin_corrects_too_and_a_value_given_as_it_was_is_staffs(policy, admin_user):
    actions.correct_policy(admin_user, policy.pk, category="financing")
    policy.refresh_from_db()
    assert (policy.category, policy.category_by) == (Category.FINANCING, By.STAFF)
    assert policy.corrected == ["category"]


@pytest.mark.parametrize("who", ["unit_user", "enterprise_user", "leader_user"])
def test_no_one_else_corrects(policy, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        actions.correct_policy(user, policy.pk, category="talent")
    with pytest.raises(PermissionDenied):
        actions.uncorrect_policy(user, policy.pk, ["category"])
    policy.refresh_from_db()
    assert (policy.category, policy.corrected) == (Category.FINANCING, [])


def test_bad_values_are_named_in_chinese_and_nothing_is_written(policy, office_user):
    other = Policy.objects.create(title="另一项政策")
    with pytest.raises(ValidationError) as error:
        actions.correct_policy(
            office_user,
            policy.pk,
            category="loans",
            industries=["C", "C99", "Z1"],
            sizes=["huge"],
            tiers=["vip"],
            region="999999",
            regions="370102 110999",
            qualifications=["nope"],
            valid_from="2024-13-01",
            interprets=987654,
            title="  ",
            body="正文",
        )
    messages = _messages(error)
    assert messages == {
        "category": "政策类别：“loans”不是有效的选项。",
        "industries": "适用行业：行业代码 C99 无效：C 门类的大类应在 13～43 之间。",
        "sizes": "适用企业规模：“huge”不是有效的选项。",
        "tiers": "适用服务等级：“vip”不是有效的选项。",
        "region": "发布区划：行政区划代码 999999 不存在。",
        "regions": "适用区划：行政区划代码 110999 不存在。",
        "qualifications": "所需资质：资质代码 nope 不存在。",
        "valid_from": "有效期起：“2024-13-01”不是有效的日期（格式为 2024-01-31）。",
        "interprets": "所解读的政策：政策 987654 不存在。",
        "title": "标题：不能为空。",
        "body": "字段 body 不能更正。",
    }
    with pytest.raises(ValidationError) as error:
        actions.correct_policy(office_user, policy.pk, interprets=policy.pk)
    assert _messages(error) == {"interprets": "所解读的政策：不能是本政策自己。"}
    other.interprets = policy
    other.save()
    with pytest.raises(ValidationError) as error:
        actions.correct_policy(office_user, policy.pk, interprets=str(other.pk))
    assert "两者不能互相解读" in _messages(error)["interprets"]
    with pytest.raises(ValidationError) as error:
        actions.correct_policy(office_user, policy.pk, valid_until="2023-12-31")
    assert _messages(error) == {"valid_until": "有效期止：不能早于有效期起（2024-01-01）。"}
    with pytest.raises(ValidationError) as error:
        actions.correct_policy(office_user, 987654, category="talent")
    assert _messages(error) == {"id": "政策 987654 不存在。"}
    with pytest.raises(ValidationError):
        actions.correct_policy(office_user, policy.pk)
    before = Policy.objects.get(pk=policy.pk)
    assert (before.category, before.corrected, before.sizes) == (
        Category.FINANCING,
        [],
        ["medium", "small", "micro"],
    )
    assert before.updated_at == policy.updated_at


def test_clearing_a_condition_means_any(policy, office_user):
    actions.correct_policy(office_user, policy.pk, sizes=[], interprets="", region="", level="")
    policy.refresh_from_db()
    assert (policy.sizes, policy.region, policy.level) == ([], None, "")
    assert policy.corrected == ["interprets", "level", "region", "sizes"]


def test_a_corrected_issuer_is_read_again_for_the_machines_fields(policy, office_user):
    assert (policy.level, policy.region.code) == (Level.CITY, "370100")
    actions.correct_policy(office_user, policy.pk, issuer="山东省财政厅")
    policy.refresh_from_db()
    assert (policy.level, policy.region.code) == (Level.PROVINCIAL, "370000")


# --- the machine does not write over staff -------------------------------------------------


def test_the_classifier_does_not_write_over_a_correction(policy, office_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    actions.correct_policy(office_user, policy.pk, category="tax", sizes=["large"])
    # a model that would say financing, with certainty
    classify.save_model(
        classify.fit(
            [(TITLE, BODY, Category.FINANCING), ("关于任职的通知", "", Category.OTHER)] * 5
        )
    )
    policy.refresh_from_db()
    classify.reclassify(policy)
    policy.refresh_from_db()
    assert (policy.category, policy.category_by, policy.sizes) == (
        Category.TAX,
        By.STAFF,
        ["large"],
    )


def _publish(site, title, body, *, etag):
    site.page("/list", list_page([("/doc/1.html", title)]), etag=f'"list-{etag}"')
    site.page(
        "/doc/1.html",
        detail_page(title, body, number="济财发〔2024〕1号", issuer="济南市财政局"),
        etag=f'"doc-{etag}"',
    )


def test_a_correction_survives_a_crawl_of_the_changed_page(site, office_user, qualifications):
    jinan = Region.objects.get(code="370100")
    _publish(site, TITLE, BODY * 3, etag="1")
    add_source(site, level=Level.CITY, region=jinan)
    assert crawl()["new"] == 1
    policy = Policy.objects.get()
    assert (policy.category, policy.category_by) == (Category.FINANCING, By.RULE)
    assert (policy.level, policy.region_id) == (Level.CITY, jinan.pk)
    assert policy.valid_until == dt.date(2025, 12, 31)

    actions.correct_policy(
        office_user,
        policy.pk,
        category="talent",
        issuer="济南市人力资源和社会保障局",
        sizes=["micro"],
        qualifications=["gazelle"],
    )

    changed = (
        "一、对中小企业和高新技术企业贷款给予贴息。\n二、本措施自2024年1月1日起施行，有效期3年。"
    )
    _publish(site, TITLE + "（修订）", changed * 3, etag="2")
    assert crawl()["updated"] == 1
    policy.refresh_from_db()
    # staff's fields stand …
    assert (policy.category, policy.category_by) == (Category.TALENT, By.STAFF)
    assert policy.issuer == "济南市人力资源和社会保障局"
    assert policy.sizes == ["micro"]
    assert [row.code for row in policy.qualifications.all()] == ["gazelle"]
    # … and the rest follows the page
    assert policy.title == TITLE + "（修订）"
    assert "一、对中小企业和高新技术企业" in policy.body
    assert policy.valid_until == dt.date(2026, 12, 31)
    assert policy.corrected == ["category", "issuer", "qualifications", "sizes"]

    # handed back, the machine reads the page's words again at once
    actions.uncorrect_policy(office_user, policy.pk, ["category", "sizes", "qualifications"])
    policy.refresh_from_db()
    assert (policy.category, policy.category_by) == (Category.FINANCING, By.RULE)
    assert policy.sizes == ["medium", "small", "micro"]
    assert list(policy.qualifications.all()) == []  # 高新技术企业 in the body, not for whom
    assert policy.corrected == ["issuer"]
    assert policy.issuer == "济南市人力资源和社会保障局"  # a page field waits for the page


def test_handing_back_what_was_never_corrected_changes_nothing(policy, office_user):
    before = policy.updated_at
    with time_machine.travel(WHEN, tick=False):
        assert actions.uncorrect_policy(office_user, policy.pk, ["category"]).pk == policy.pk
    policy.refresh_from_db()
    assert policy.updated_at == before
    with pytest.raises(ValidationError) as error:
        actions.uncorrect_policy(office_user, policy.pk, ["body"])
    assert _messages(error) == {"body": "字段 body 不能更正。"}


def test_a_reading_corrected_to_explain_nothing_stays_so(office_user):
    original = Policy.objects.create(title="关于印发《济南市稳就业若干政策措施》的通知")
    reading = Policy.objects.create(title="《济南市稳就业若干政策措施》政策解读")
    classify.reclassify(reading)
    reading.refresh_from_db()
    assert reading.interprets_id == original.pk
    actions.correct_policy(office_user, reading.pk, interprets=None)
    classify.reclassify(reading)
    reading.refresh_from_db()
    assert reading.interprets_id is None
