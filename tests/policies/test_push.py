"""What a push tells the enterprise: an inbox message per user at once, and the daily digest
e-mail (delivered to a real SMTP server on loopback), once a day; opening a push marks it read."""

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection, connections, transaction
from django.http import Http404

from qitong.core import bulk, clock
from qitong.core.schedule import JOBS
from qitong.core.scheduler import Scheduler
from qitong.enterprises.models import Enterprise
from qitong.notify import outbox
from qitong.notify.models import Message
from qitong.notify.timing import push_due
from qitong.policies import actions, matching
from qitong.policies.models import Policy, Push
from tests.appeals.conftest import at
from tests.notify.conftest import SmtpServer
from tests.policies.province import Province
from tests.processes import free_port

NOW = at("2026-11-30 07:00")  # pushed before the day's digest
MORNING = at("2026-11-30 08:05")


@pytest.fixture
def province(db):
    return Province()


@pytest.fixture
def mailbox(settings):
    """A running SMTP server on loopback that Django's SMTP backend sends to."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "qitong@example.org"
    server.start()
    yield server.mailbox
    server.stop()


def _deliver():
    # Digests are e-mailed in office hours: at the next opening after now.
    due = push_due(actions.DIGEST_KIND, clock.now())
    while outbox.deliver_due(now=due, limit=1000)["sent"]:
        pass


def test_a_push_tells_each_user_in_the_inbox_and_sends_no_mail_of_its_own(province, mailbox):
    policy = province.policy(
        "济南市支持制造业高质量发展若干政策", region=province.jinan, industries=["C"]
    )

    actions.push_new_policies(NOW)

    messages = Message.objects.order_by("recipient__username")
    assert [m.recipient.username for m in messages] == ["ent1", "ent2"]
    for message in messages:
        push = Push.objects.get(policy=policy, enterprise=message.recipient.enterprise)
        assert message.kind == "policy_push"
        assert message.subject == "新政策：济南市支持制造业高质量发展若干政策"
        assert "与贵企业的条件相符" in message.body
        assert message.url == f"/portal/policies/{push.pk}/open/"
        assert message.email_status == Message.EmailStatus.NONE
    _deliver()
    assert mailbox.received == []


def test_a_long_title_is_cut_to_fit_the_subject(province):
    province.policy("关于" + "进一步" * 100 + "的通知")
    actions.push_new_policies(NOW)
    assert {len(m.subject) for m in Message.objects.all()} == {200}


def test_the_daily_digest_mails_each_user_once_with_the_policies_and_their_reasons(
    province, mailbox
):
    p = province
    first = p.policy(
        "济南市制造业技改补助", region=p.jinan, industries=["C"], issuer="济南市工业和信息化局"
    )
    second = p.policy(
        "高新技术企业奖励", qualifications=[p.high_tech], published=dt.date(2026, 11, 20)
    )
    actions.push_new_policies(NOW)
    Policy.objects.filter(pk=second.pk).update(public=False)  # withdrawn since: not listed
    third = p.policy("小微企业贷款贴息", sizes=["small", "micro"])
    actions.push_new_policies(NOW)

    with time_machine.travel(at("2026-11-30 07:59"), tick=False):
        assert actions.send_digests() == {"enterprises": 0, "emails": 0, "pushes": 0}
    with time_machine.travel(MORNING, tick=False):
        summary = actions.send_digests()
        _deliver()

    # 泉华 first and third (second withdrawn), 重工 first, 鲁华 third, 海纳 third (second
    # withdrawn): the withdrawn pushes are carried without being listed.
    assert summary == {"enterprises": 4, "emails": 4, "pushes": 7}
    by_address = {item["to"][0]: item for item in mailbox.received}
    assert sorted(by_address) == [
        "ent1@example.org",
        "ent2@example.org",
        "ent3@example.org",
        "ent4@example.org",
    ]
    quanhua = by_address["ent1@example.org"]
    assert quanhua["subject"] == "政策推送日报：2 项新政策与贵企业相符"
    body = quanhua["body"]
    assert "1. 济南市制造业技改补助" in body and "2. 小微企业贷款贴息" in body
    assert "济南市工业和信息化局，2026-11-02" in body
    assert "匹配条件：区划：济南市；行业：制造业（C）" in body
    assert "匹配条件：规模：小型" in body
    assert "高新技术企业奖励" not in body
    assert "/portal/policies/" in body
    assert not Push.objects.filter(digested_at__isnull=True).exists()
    assert first.pushes.filter(digested_at=MORNING).count() == 2
    assert third.pushes.count() == 3


def test_the_digest_goes_once_a_day_and_later_pushes_wait_for_the_next(province, mailbox):
    p = province
    p.policy("第一项", tiers=["key"])
    actions.push_new_policies(NOW)
    with time_machine.travel(MORNING, tick=False):
        assert actions.send_digests()["emails"] == 1
        assert actions.send_digests()["emails"] == 0  # again the same morning: nothing
    p.policy("第二项", tiers=["key"])
    actions.push_new_policies(at("2026-11-30 09:00"))
    with time_machine.travel(at("2026-11-30 23:50"), tick=False):
        assert actions.send_digests()["emails"] == 0  # pushed after 08:00: tomorrow's
    with time_machine.travel(at("2026-12-01 08:00"), tick=False):
        assert actions.send_digests() == {"enterprises": 1, "emails": 1, "pushes": 1}
        _deliver()
    assert [item["subject"] for item in mailbox.received] == [
        "政策推送日报：1 项新政策与贵企业相符",
        "政策推送日报：1 项新政策与贵企业相符",
    ]
    assert "第二项" in mailbox.received[1]["body"]


def test_a_policy_is_read_by_the_digest_until_every_push_of_it_is_carried(province):
    p = province
    first = p.policy("第一项", tiers=["key"])
    actions.push_new_policies(NOW)
    second = p.policy("第二项", tiers=["key"])
    actions.push_new_policies(at("2026-11-30 07:30"))
    # 重工 had its digest this morning already (another run, carrying the first policy).
    Push.objects.filter(policy=first).update(digested_at=at("2026-11-30 08:01"))

    with time_machine.travel(MORNING, tick=False):
        assert actions.send_digests() == {"enterprises": 0, "emails": 0, "pushes": 0}
    assert Policy.objects.get(pk=first.pk).digested_at == MORNING
    assert Policy.objects.get(pk=second.pk).digested_at is None  # its push still waits

    tomorrow = at("2026-12-01 08:05")
    with time_machine.travel(tomorrow, tick=False):
        assert actions.send_digests() == {"enterprises": 1, "emails": 1, "pushes": 1}
    assert Policy.objects.get(pk=second.pk).digested_at == tomorrow
    # Matched again: its new pushes are waited for again.
    Policy.objects.filter(pk=second.pk).update(matched_at=None)
    actions.push_new_policies(at("2026-12-01 09:00"))
    assert Policy.objects.get(pk=second.pk).digested_at is None


def test_users_without_an_address_get_no_digest_and_their_pushes_are_carried(province):
    user = province.user(province.heavy)
    user.email = ""
    user.save(update_fields=["email"])
    province.policy(tiers=["key"])
    actions.push_new_policies(NOW)
    with time_machine.travel(MORNING, tick=False):
        assert actions.send_digests() == {"enterprises": 1, "emails": 0, "pushes": 1}
    assert not Message.objects.filter(kind="policy_digest").exists()
    assert not Push.objects.filter(digested_at__isnull=True).exists()


def test_the_schedule_runs_the_push_every_minute_and_the_digest_each_quarter(province, mailbox):
    jobs = {job.name: job for job in JOBS}
    assert jobs["policy-push"].task == "qitong.policies.tasks.push_new_policies"
    assert jobs["policy-push"].every == dt.timedelta(minutes=1)
    assert jobs["policy-digest"].task == "qitong.policies.tasks.send_digests"
    assert jobs["policy-digest"].every <= dt.timedelta(minutes=15)
    # A burst of policies never holds up the sweep, nor a province's digest the pushes.
    lanes = {jobs[name].lane for name in ("policy-push", "policy-digest", "appeal-sweep")}
    assert len(lanes) == 3
    province.policy(tiers=["key"])
    scheduler = Scheduler([jobs["policy-push"], jobs["policy-digest"]], clock=lambda: 0)

    with time_machine.travel(NOW, tick=False):
        assert scheduler.run_due() == ["policy-push", "policy-digest"]
    assert Push.objects.filter(digested_at__isnull=True).count() == 1
    scheduler.next_run = dict.fromkeys(scheduler.next_run, 0.0)
    with time_machine.travel(MORNING, tick=False):
        scheduler.run_due()
        _deliver()
    assert [item["to"] for item in mailbox.received] == [["ent2@example.org"]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_digest_runs_at_once_send_each_user_one_mail(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite has one writer)")
    province = Province()
    for number in range(5):
        province.policy(f"政策 {number}")
    actions.push_new_policies(NOW)
    barrier = threading.Barrier(2)
    results, errors = [None, None], []

    def run(index):
        try:
            barrier.wait()
            results[index] = actions.send_digests(MORNING)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors, errors
    assert sum(result["emails"] for result in results) == 5
    digests = Message.objects.filter(kind="policy_digest")
    assert sorted(digests.values_list("recipient__username", flat=True)) == [
        f"ent{n}" for n in range(1, 6)
    ]
    assert not Push.objects.filter(digested_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_on_sqlite_checks_no_foreign_keys_checkpoints_beside_and_puts_its_settings_back(
    transactional_db, monkeypatch
):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's settings")
    province = Province()
    province.policy("政策 甲")

    def pragmas():
        values = {}
        with connection.cursor() as cursor:
            for name in ("cache_size", "foreign_keys", "wal_autocheckpoint"):
                cursor.execute(f"PRAGMA {name}")
                values[name] = cursor.fetchone()[0]
        return values

    before, during = pragmas(), []
    push = matching.push

    def checkpointing():
        return [thread.name for thread in threading.enumerate() if thread.name == "push-checkpoint"]

    def spy(policy_ids, now):
        during.append({**pragmas(), "beside": checkpointing()})
        return push(policy_ids, now)

    monkeypatch.setattr(matching, "push", spy)
    assert actions.push_new_policies(NOW)["pushes"] == 5
    # The log is checkpointed by a thread beside the run, not by each commit of the run.
    assert during == [
        {
            "cache_size": -actions.PUSH_CACHE_KIB,
            "foreign_keys": 0,
            "wal_autocheckpoint": 0,
            "beside": ["push-checkpoint"],
        }
    ]
    assert pragmas() == before and not checkpointing()
    assert before["foreign_keys"] == 1 and before["wal_autocheckpoint"] > 0


def test_a_run_on_postgresql_compiles_nothing_and_brings_the_push_statistics_up_to_date(
    province, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's JIT and statistics")

    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    def known():
        with connection.cursor() as cursor:
            return bulk.counted_rows(cursor, Push._meta.db_table)

    during, push = [], matching.push

    def spy(policy_ids, now):
        during.append(setting())
        return push(policy_ids, now)

    monkeypatch.setattr(matching, "push", spy)
    for number in range(3):
        province.policy(f"政策 {number}")
    assert actions.push_new_policies(NOW)["pushes"] == 15
    assert during == ["off"]
    # The planner learns of the run's pushes before its messages are written.
    assert known() == 15
    # A run writing few beside them leaves that to autovacuum.
    province.policy("只给商贸企业的政策", industries=["F"])
    assert actions.push_new_policies(at("2026-11-30 08:00"))["pushes"] == 1
    assert known() == 15


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_on_postgresql_pushes_batches_side_by_side_each_policy_once(
    transactional_db, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer: its batches go one after the other")
    province = Province()
    policies = [province.policy(f"政策 {number}") for number in range(9)]
    monkeypatch.setattr(actions, "PUSH_BATCH", 2)
    threads, other = set(), threading.Event()
    push = matching.push

    def spy(policy_ids, now):
        threads.add(threading.get_ident())
        if len(threads) > 1:
            other.set()
        other.wait(10)  # the first batch waits until another connection pushes one too
        return push(policy_ids, now)

    monkeypatch.setattr(matching, "push", spy)
    summary = actions.push_new_policies(NOW)

    assert len(threads) == actions.PUSH_WORKERS == 2
    assert summary == {"policies": 9, "pushes": 9 * 5, "messages": 5}
    for policy in policies:
        assert sorted(Push.objects.filter(policy=policy).values_list("enterprise", flat=True)) == (
            sorted(enterprise.pk for enterprise in province.enterprises)
        )
    assert not Policy.objects.filter(matched_at__isnull=True).exists()
    assert actions.push_new_policies(NOW) == {"policies": 0, "pushes": 0, "messages": 0}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_deleting_an_enterprise_waits_for_a_push_under_way_and_takes_its_pushes(
    transactional_db,
):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite has one writer)")
    province = Province()
    leaving = province.enterprise(
        "济南将注销电子有限公司", "00009", province.lixia, "C3989", "small", "normal", []
    )
    province.policy("政策 甲")
    pushed, release = threading.Event(), threading.Event()
    errors = []

    def push():  # a batch's transaction, held open after its pushes are written
        try:
            with transaction.atomic():
                claimed = actions._claim_policies(NOW, 10)
                matching.push(claimed, NOW)
                pushed.set()
                release.wait(30)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def delete():
        try:
            Enterprise.objects.get(pk=leaving.pk).delete()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pusher = threading.Thread(target=push)
    pusher.start()
    assert pushed.wait(30)
    deleter = threading.Thread(target=delete)
    deleter.start()
    # The deletion waits on the push's lock (it would otherwise delete the pushes it can
    # see — none yet — and the enterprise, and the push would commit pushes to nobody).
    waiting = False
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            waiting = cursor.fetchone()[0] == 1
        if waiting:
            break
        time.sleep(0.05)
    assert waiting
    assert deleter.is_alive()
    release.set()
    pusher.join(60)
    deleter.join(60)

    assert not errors, errors
    assert not Enterprise.objects.filter(pk=leaving.pk).exists()
    assert not Push.objects.filter(enterprise_id=leaving.pk).exists()
    assert Push.objects.filter(enterprise=province.quanhua).count() == 1


# --- opening a push --------------------------------------------------------------------------


def test_opening_a_push_marks_it_and_its_message_read_once(province):
    policy = province.policy(tiers=["key"])
    actions.push_new_policies(NOW)
    user = province.user(province.heavy)
    push = Push.objects.get(policy=policy)

    actions.mark_push_read(user, push.pk, now=at("2026-11-30 09:00"))
    actions.mark_push_read(user, push.pk, now=at("2026-11-30 10:00"))

    push.refresh_from_db()
    assert push.read_at == at("2026-11-30 09:00")
    assert Message.objects.get(recipient=user).read_at == at("2026-11-30 09:00")


def test_only_the_enterprises_own_users_may_open_its_push(province, office_user):
    policy = province.policy(tiers=["key"])
    actions.push_new_policies(NOW)
    push = Push.objects.get(policy=policy)

    with pytest.raises(Http404):
        actions.mark_push_read(province.user(province.quanhua), push.pk)
    with pytest.raises(PermissionDenied):
        actions.mark_push_read(office_user, push.pk)
    push.refresh_from_db()
    assert push.read_at is None


# --- a run of several policies ----------------------------------------------------------------


def test_a_run_tells_each_user_once_of_all_its_policies_naming_the_newest(province):
    p = province
    policies = [p.policy(f"政策{number}", tiers=["key"]) for number in range(1, 8)]
    p.policy("济南制造业政策", region=p.jinan, industries=["C"])  # 泉华 and 重工 too

    summary = actions.push_new_policies(NOW)

    assert summary == {"policies": 8, "pushes": 9, "messages": 2}
    heavy = Message.objects.get(recipient=province.user(province.heavy))
    assert heavy.subject == "8 项新政策与贵企业的条件相符"
    # The newest five (by their order in the library), then how many in all.
    assert heavy.body.startswith(
        "《济南制造业政策》、《政策7》、《政策6》、《政策5》、《政策4》等 8 项"
    )
    assert "政策3" not in heavy.body
    assert heavy.url == "/portal/policies/"
    assert heavy.created_at == NOW and heavy.email_status == Message.EmailStatus.NONE
    quanhua = Message.objects.get(recipient=province.user(province.quanhua))
    push = Push.objects.get(enterprise=province.quanhua)
    assert quanhua.subject == "新政策：济南制造业政策"
    assert quanhua.url == f"/portal/policies/{push.pk}/open/"
    assert len(policies) == Push.objects.filter(enterprise=province.heavy).count() - 1


def test_the_run_message_of_several_is_read_once_every_push_it_told_of_is(province):
    p = province
    first, second = p.policy("第一项", tiers=["key"]), p.policy("第二项", tiers=["key"])
    actions.push_new_policies(NOW)
    user = p.user(p.heavy)
    message = Message.objects.get(recipient=user)

    actions.mark_push_read(user, Push.objects.get(policy=first).pk, now=at("2026-11-30 09:00"))
    message.refresh_from_db()
    assert message.read_at is None
    actions.mark_push_read(user, Push.objects.get(policy=second).pk, now=at("2026-11-30 09:30"))
    message.refresh_from_db()
    assert message.read_at == at("2026-11-30 09:30")


def test_pushes_of_a_run_that_died_before_telling_are_told_of_by_the_next_at_their_instant(
    province,
):
    from django.db import transaction

    from qitong.policies import matching

    p = province
    p.policy("早先的政策", tiers=["key"])
    died = at("2026-11-30 06:00")
    with transaction.atomic():  # a run's batch committed, then the run died: nobody told
        claimed = actions._claim_policies(died, actions.PUSH_BATCH)
        assert matching.push(claimed, died) == 1
    assert not Message.objects.exists()
    p.policy("新的政策", tiers=["key"])

    assert actions.push_new_policies(NOW) == {"policies": 1, "pushes": 1, "messages": 2}
    told = Message.objects.filter(recipient=p.user(p.heavy)).order_by("created_at")
    assert [(m.subject, m.created_at) for m in told] == [
        ("新政策：早先的政策", died),
        ("新政策：新的政策", NOW),
    ]
    assert actions.push_new_policies(NOW) == {"policies": 0, "pushes": 0, "messages": 0}
