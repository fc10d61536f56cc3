"""Near duplicates: the score, linking and its effect on the figures, the repeated trigger,
the week's hot topics."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from qitong.appeals import figures, sweep
from qitong.core.errors import Conflict
from qitong.dispatch import actions, duplicates
from qitong.dispatch.models import DuplicateLink
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from tests.appeals.conftest import at

TEXT = "我公司新厂房用电增容申请迟迟未批，变压器容量不足，影响投产，希望尽快解决。"
REWORDED = "新厂房用电增容申请一直未批复，变压器容量不够，影响投产，请尽快解决！"
OTHER = "申请稳岗补贴与招聘补贴的材料清单是什么？何时可以发放到账？"


def test_similarity_scores_rewording_high_and_other_subjects_low():
    assert duplicates.similarity(TEXT, TEXT) == 1.0
    assert duplicates.similarity(TEXT, REWORDED) >= duplicates.THRESHOLD
    assert duplicates.similarity(TEXT, OTHER) < duplicates.SHOWN
    assert duplicates.similarity("", TEXT) == 0.0
    # Digits, Latin letters and punctuation do not count.
    assert duplicates.similarity("用电增容A1号", "用电增容B2号") == 1.0


def test_the_index_finds_the_most_similar():
    index = duplicates.Index()
    for key, text in enumerate([TEXT, OTHER, REWORDED, "道路施工噪音扰民，夜间施工严重"]):
        index.add(key, text)
    found = index.similar(TEXT, limit=3, exclude={0})
    assert [key for key, _score in found] == [2]


def companies(city, n):
    extra = [
        Enterprise.objects.create(
            uscc=make_uscc(f"91370102MA3C0002{i}"),
            name=f"济南第{i}制造有限公司",
            region=city.lixia,
            industry="C3989",
        )
        for i in range(n - 3)
    ]
    return [city.company, city.key_company, city.other_company, *extra]


def test_linked_duplicates_are_counted_once_in_the_figures(city):
    monday = at("2026-11-02 10:00")
    primary = city.dispatched(when=monday, content=TEXT)
    duplicate = city.dispatched(when=monday, content=REWORDED)
    start, end = at("2026-11-01 00:00"), at("2026-12-01 00:00")

    def received():
        row = next(f for f in figures.unit_figures(start, end) if f.unit == "fgw")
        return row.received

    assert received() == 2
    link = actions.link_duplicate(duplicate, primary, acting_user=city.office_user)
    # The action scores the two texts (title and content).
    texts = [duplicates.appeal_text(case) for case in (duplicate, primary)]
    assert link.score == pytest.approx(duplicates.similarity(*texts)) and link.score > 0.7
    assert received() == 1
    assert figures.unit_cases(start, end)["fgw"].lists["received"] == [primary.pk]
    actions.unlink_duplicate(duplicate, acting_user=city.office_user)
    assert received() == 2


def test_links_follow_the_primary_and_swap(city):
    a, b, c = (city.file(content=TEXT) for _ in range(3))
    actions.link_duplicate(b, a, acting_user=city.office_user)
    actions.link_duplicate(c, b, acting_user=city.office_user)  # b is a's: c goes to a
    assert DuplicateLink.objects.get(appeal=c).primary == a
    actions.link_duplicate(a, b, acting_user=city.office_user)  # a and b swap places
    assert dict(DuplicateLink.objects.values_list("appeal", "primary")) == {
        a.pk: b.pk,
        c.pk: b.pk,
    }
    with pytest.raises(ValidationError):
        actions.link_duplicate(b, b, acting_user=city.office_user)


def test_only_the_office_in_charge_links(city):
    from django.core.exceptions import PermissionDenied

    a, b = city.file(content=TEXT), city.file(content=REWORDED)
    for user in (city.fgw_user, city.ent_user, city.district_user):
        with pytest.raises(PermissionDenied):
            actions.link_duplicate(b, a, acting_user=user)
    assert not DuplicateLink.objects.exists()


def test_the_repeated_trigger_counts_near_duplicate_text_without_a_category(city):
    texts = [TEXT, REWORDED, TEXT.replace("希望", "恳请")]
    appeals = [
        city.file(when=at(f"2026-11-0{day} 10:00"), content=texts[day - 2]) for day in (2, 3)
    ]
    city.file(when=at("2026-11-03 11:00"), content=OTHER)
    assert sweep.run(at("2026-11-04 09:00"))["opened"]["repeated"] == 0
    appeals.append(city.file(when=at("2026-11-04 10:00"), content=texts[2]))
    assert sweep.run(at("2026-11-04 11:00"))["opened"]["repeated"] == 3
    assert all(a.category_id is None for a in appeals)
    assert all(a.supervisions.get().trigger == "repeated" for a in appeals)


def test_the_repeated_trigger_counts_many_enterprises_raising_one_text(city):
    firms = companies(city, 5)
    for day, firm in enumerate(firms, start=2):
        city.file(firm, when=at(f"2026-11-0{day} 10:00"), content=TEXT)
    assert sweep.run(at("2026-11-06 11:00"))["opened"]["repeated"] == 5


def test_the_weeks_hot_topics_cluster_across_enterprises(city):
    from qitong.appeals.models import Appeal

    firms = companies(city, 4)
    for day, firm in enumerate(firms[:3], start=2):
        city.file(firm, when=at(f"2026-11-0{day} 10:00"), content=TEXT)
    city.file(firms[3], when=at("2026-11-04 10:00"), content=OTHER)
    city.file(firms[3], when=at("2026-11-04 11:00"), content=OTHER)  # one enterprise only
    city.file(firms[0], when=at("2026-10-01 10:00"), content=TEXT)  # weeks before
    topics = duplicates.hot_topics(Appeal.objects.all(), at=at("2026-11-06 12:00"))
    assert len(topics) == 1
    assert topics[0]["enterprises"] == 3 and len(topics[0]["appeals"]) == 3


def resolved(city, primary, when, result="已完成增容批复。"):
    from qitong.appeals import actions as appeal_actions

    appeal_actions.sign(primary, acting_user=city.fgw_user, at=when)
    for step in (appeal_actions.contact, appeal_actions.reply):
        step(primary, acting_user=city.fgw_user, at=when, note="已联系企业")
    return appeal_actions.resolve(primary, acting_user=city.fgw_user, at=when, result=result)


def test_duplicates_follow_the_primarys_result(city):
    from qitong.appeals import actions as appeal_actions
    from qitong.appeals.models import Appeal
    from qitong.notify.models import Message

    monday = at("2026-11-02 10:00")
    primary = city.dispatched(when=monday, content=TEXT)
    duplicate = city.file(city.key_company, when=monday, content=REWORDED)
    handled = city.dispatched(city.key_company, when=monday, content=REWORDED, lead="gxj")
    actions.link_duplicate(duplicate, primary, acting_user=city.office_user)
    actions.link_duplicate(handled, primary, acting_user=city.office_user)
    resolved(city, primary, monday)
    assert not Message.objects.filter(kind="duplicate_result").exists()  # not approved yet
    duplicate.refresh_from_db()
    assert duplicate.status == Appeal.Status.SUBMITTED

    tuesday = at("2026-11-03 10:00")
    appeal_actions.approve(primary, acting_user=city.office_user, at=tuesday)
    for case in (duplicate, handled):  # given the result in the approval's transaction
        case.refresh_from_db()
        # Its own enterprise rates it, as any approved case.
        assert case.status == Appeal.Status.PENDING_RATING
        assert case.result == "已完成增容批复。" and case.resolved_at == tuesday
        assert case.closed_at is None and not case.rating_result
        assert case.escalation_due is None  # off the sweep's clock
        event = case.events.get(action="approve")
        assert event.data == {"primary": primary.pk} and event.actor == city.office_user
        assert primary.number in event.note and "已完成增容批复。" in event.note
    told = Message.objects.filter(kind="duplicate_result")
    assert told.count() == 2 and {m.recipient for m in told.all()} == {city.key_user}
    message = told.first()
    assert primary.number in message.subject and message.body == "已完成增容批复。"
    # The enterprise sees the public note on its case's timeline.
    client = Client()
    client.force_login(city.key_user)
    page = client.get(reverse("appeal-detail", args=[duplicate.pk])).content.decode()
    assert primary.number in page

    # The primary's archiving changes nothing more: its duplicates have their result.
    appeal_actions.archive(primary, acting_user=city.office_user, at=tuesday, reason="企业未评价")
    assert told.count() == 2
    duplicate.refresh_from_db()
    assert duplicate.status == Appeal.Status.PENDING_RATING

    # The duplicate's enterprise rates it; a satisfied rating archives it.
    appeal_actions.rate(
        duplicate, acting_user=city.key_user, at=tuesday, process="satisfied", result="satisfied"
    )
    duplicate.refresh_from_db()
    assert duplicate.status == Appeal.Status.ARCHIVED and duplicate.closed_at == tuesday

    # Unsatisfied: the office is told, and may archive it, but not send it back on its own
    # while it follows the primary (it may have no unit of its own).
    handled.refresh_from_db()
    appeal_actions.rate(
        handled, acting_user=city.key_user, at=tuesday, process="unsatisfied", result="unsatisfied"
    )
    with pytest.raises(Conflict, match="取消重复关联"):
        appeal_actions.redo(handled, acting_user=city.office_user, at=tuesday, reason="再办")
    assert "redo" not in appeal_actions.available_actions(city.office_user, handled)
    assert "archive" in appeal_actions.available_actions(city.office_user, handled)

    # A case linked later to the approved primary is closed and told at once.
    late = city.file(city.key_company, when=tuesday, content=TEXT)
    actions.link_duplicate(late, primary, acting_user=city.office_user)
    late.refresh_from_db()
    assert late.status == Appeal.Status.PENDING_RATING and late.result == "已完成增容批复。"
    assert told.count() == 3


def test_duplicates_of_a_rejected_case_are_rejected_with_its_reason(city):
    from qitong.appeals import actions as appeal_actions
    from qitong.appeals.models import Appeal

    primary, duplicate, other = (city.file(content=TEXT) for _ in range(3))
    actions.link_duplicate(duplicate, primary, acting_user=city.office_user)
    appeal_actions.reject(primary, acting_user=city.office_user, at=None, reason="不属于涉企事项")
    duplicate.refresh_from_db()
    other.refresh_from_db()
    assert duplicate.status == Appeal.Status.REJECTED and duplicate.closed_at
    event = duplicate.events.get(action="reject")
    assert event.data == {"primary": primary.pk} and "不属于涉企事项" in event.note
    assert other.status == Appeal.Status.SUBMITTED  # not linked: untouched


def test_a_closed_duplicate_counts_once_in_the_months_figures(city):
    from qitong.appeals import actions as appeal_actions

    monday = at("2026-11-02 10:00")
    primary = city.dispatched(when=monday, content=TEXT)
    duplicate = city.dispatched(city.key_company, when=monday, content=REWORDED)
    actions.link_duplicate(duplicate, primary, acting_user=city.office_user)
    resolved(city, primary, monday)
    appeal_actions.approve(primary, acting_user=city.office_user, at=monday)
    start, end = at("2026-11-01 00:00"), at("2026-12-01 00:00")
    cases = figures.unit_cases(start, end)["fgw"].lists
    assert cases["received"] == [primary.pk]
    assert duplicate.pk not in {pk for found in cases.values() for pk in found}


def test_a_page_load_reads_the_new_texts_not_the_pool(city):
    """The pool is read once; then each comparison reads what was filed since and what it shows."""
    from qitong.appeals.models import Appeal

    monday = at("2026-11-02 10:00")
    for i in range(30):
        city.file(when=monday, title=f"咨询第{i}项", content=f"{OTHER}第{i}批次")
    near = city.file(city.other_company, when=monday, content=REWORDED)
    pool = duplicates.POOL
    before = pool.read
    found = duplicates.similar_appeals("", TEXT, Appeal.objects.all(), at=monday)
    assert [a for a, _score in found] == [near]
    assert pool.read - before == 31  # the pool, read once
    same = city.file(city.key_company, when=monday, content=TEXT)
    before = pool.read
    found = duplicates.similar_appeals("", TEXT, Appeal.objects.all(), at=monday)
    assert [a for a, _score in found] == [same, near]
    assert pool.read - before == 1  # only the new case
    # The caller's scope keeps its own: another enterprise's near duplicate is not shown.
    mine = Appeal.objects.filter(enterprise=city.company)
    assert duplicates.similar_appeals("", TEXT, mine, at=monday) == []
    assert pool.read - before == 1


def test_a_filing_committed_after_a_later_one_still_reaches_the_pool(city):
    """Ids are given at insert, not at commit: a case below the pool's last id is read later."""
    from qitong.appeals.models import Appeal

    monday = at("2026-11-02 10:00")
    city.file(city.key_company, when=monday, content=OTHER)
    duplicates.similar_appeals("", TEXT, Appeal.objects.all(), at=monday)  # the pool is read
    early = city.file(city.other_company, when=monday, content=REWORDED)
    later = city.file(city.key_company, when=monday, content=f"{OTHER}另一批")
    # ``early`` is not yet committed when the pool reads ``later``: as if it were absent.
    Appeal.objects.filter(pk=early.pk).delete()
    assert duplicates.similar_appeals("", TEXT, Appeal.objects.all(), at=monday) == []
    assert duplicates.POOL.gaps == {early.pk} and duplicates.POOL.last_pk == later.pk
    early.save(force_insert=True)  # now it commits
    found = duplicates.similar_appeals("", TEXT, Appeal.objects.all(), at=monday)
    assert [a for a, _score in found] == [early]
    assert not duplicates.POOL.gaps
