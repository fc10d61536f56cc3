"""Matching: who a policy fits, the reasons in words, the calculator's ranking and near misses,
and the push run itself — never twice, whole policies even when killed, two workers at once."""

import datetime as dt
import json
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from qitong.notify.models import Message
from qitong.orgs.models import User
from qitong.policies import actions, matching
from qitong.policies.models import Policy, Push
from tests.appeals.conftest import at
from tests.conftest import _user
from tests.policies.province import Province
from tests.processes import database_of_its_own, qitong_env, query, run_python

NOW = at("2026-11-30 10:00")
TODAY = NOW.date()


@pytest.fixture
def province(db):
    return Province()


def told_of(message):
    """How many pushes an inbox message of the push tells of: one, or the count it names."""
    if message.subject.startswith("新政策："):
        return 1
    return int(message.subject.split(" 项")[0])


def _pushed(policy):
    """{enterprise name: reasons} of the pushes of ``policy``."""
    return {
        name: Push.reasons_of(own, shared)
        for name, own, shared in Push.objects.filter(policy=policy).values_list(
            "enterprise__name", "reasons", "policy__push_reasons"
        )
    }


def _calculated(province, policy):
    """{enterprise name: reasons} of the enterprises whose calculator lists ``policy`` as eligible."""
    found = {}
    for enterprise in province.enterprises:
        for fit in matching.eligible(enterprise, TODAY):
            if fit.policy.pk == policy.pk:
                found[enterprise.name] = fit.matched
    return found


# Each condition alone, several at once, and the words each match gives.
CASES = {
    "no condition: every enterprise, wherever it is": (
        {},
        {"济南泉华电子有限公司": [], "济南重工集团有限公司": [], "济南鲁华商贸有限公司": [],
         "青岛海纳电子有限公司": [], "无区划科技有限公司": []},
    ),
    "a prefecture: its counties": (
        {"region": "jinan"},
        {"济南泉华电子有限公司": ["区划：济南市"], "济南重工集团有限公司": ["区划：济南市"],
         "济南鲁华商贸有限公司": ["区划：济南市"]},
    ),
    "a county: itself only": (
        {"region": "lixia"},
        {"济南泉华电子有限公司": ["区划：历下区"], "济南重工集团有限公司": ["区划：历下区"]},
    ),
    "a province and listed divisions: within one of them, named": (
        {"region": "shandong", "regions": ["lixia", "qingdao"]},
        {"济南泉华电子有限公司": ["区划：历下区"], "济南重工集团有限公司": ["区划：历下区"],
         "青岛海纳电子有限公司": ["区划：青岛市"]},
    ),
    "a section letter": (
        {"industries": ["C"]},
        {"济南泉华电子有限公司": ["行业：制造业（C）"], "济南重工集团有限公司": ["行业：制造业（C）"],
         "青岛海纳电子有限公司": ["行业：制造业（C）"]},
    ),
    "a division code and a section: the code each matched": (
        {"industries": ["c39 ", "F"]},
        {"济南泉华电子有限公司": ["行业：制造业（C39）"], "青岛海纳电子有限公司": ["行业：制造业（C39）"],
         "济南鲁华商贸有限公司": ["行业：批发和零售业（F）"]},
    ),
    "sizes: each its own size": (
        {"sizes": ["small", "micro"]},
        {"济南泉华电子有限公司": ["规模：小型"], "青岛海纳电子有限公司": ["规模：小型"],
         "济南鲁华商贸有限公司": ["规模：微型"]},
    ),
    "a tier": (
        {"tiers": ["key"]},
        {"济南重工集团有限公司": ["服务等级：重点企业"]},
    ),
    "one qualification": (
        {"qualifications": ["high_tech"]},
        {"济南泉华电子有限公司": ["资质：高新技术企业"], "青岛海纳电子有限公司": ["资质：高新技术企业"]},
    ),
    "any of several qualifications: those held, named": (
        {"qualifications": ["high_tech", "specialized", "tech_sme"]},
        {"济南泉华电子有限公司": ["资质：高新技术企业"],
         "青岛海纳电子有限公司": ["资质：科技型中小企业、高新技术企业"],
         "济南鲁华商贸有限公司": ["资质：专精特新中小企业"]},
    ),
    "every condition at once": (
        {"region": "jinan", "industries": ["C", "F"], "sizes": ["small", "micro"],
         "tiers": ["normal"], "qualifications": ["high_tech", "specialized"]},
        {"济南泉华电子有限公司": ["区划：济南市", "行业：制造业（C）", "规模：小型",
                                 "服务等级：一般企业", "资质：高新技术企业"],
         "济南鲁华商贸有限公司": ["区划：济南市", "行业：批发和零售业（F）", "规模：微型",
                                 "服务等级：一般企业", "资质：专精特新中小企业"]},
    ),
    "an industry that is not a code: nobody": (
        {"industries": ["制造业"]},
        {},
    ),
    "a code prefix is no wider than itself: C3 is not C4, T is not U": (
        {"industries": ["C3", "T"]},
        {"济南泉华电子有限公司": ["行业：制造业（C3）"], "济南重工集团有限公司": ["行业：制造业（C3）"],
         "青岛海纳电子有限公司": ["行业：制造业（C3）"]},
    ),
    "conditions nobody meets together": (
        {"tiers": ["key"], "sizes": ["small"]},
        {},
    ),
}  # fmt: skip


def _make(province, conditions):
    values = dict(conditions)
    if "region" in values:
        values["region"] = getattr(province, values["region"])
    values["regions"] = [getattr(province, name) for name in values.get("regions", [])]
    values["qualifications"] = [
        getattr(province, name) for name in values.get("qualifications", [])
    ]
    return province.policy(**values)


@pytest.mark.parametrize("case", list(CASES))
def test_each_condition_decides_who_is_pushed_and_the_calculator_agrees(province, case):
    conditions, expected = CASES[case]
    policy = _make(province, conditions)

    summary = actions.push_new_policies(NOW)

    assert summary["policies"] == 1 and summary["pushes"] == len(expected)
    assert _pushed(policy) == expected
    assert _calculated(province, policy) == expected


def test_a_policy_waits_until_it_is_public_and_classified_and_is_never_pushed_as_a_reading(
    province,
):
    hidden = province.policy("内部通知", public=False)
    unclassified = province.policy("尚未分类的政策", category="")
    main = province.policy("关于支持制造业高质量发展的若干政策")
    reading = province.policy("《关于支持制造业高质量发展的若干政策》解读", interprets=main)

    assert actions.push_new_policies(NOW)["policies"] == 1  # the main policy alone
    for waiting in (hidden, unclassified, reading):
        waiting.refresh_from_db()
        assert waiting.matched_at is None and not waiting.pushes.exists()

    Policy.objects.filter(pk=hidden.pk).update(public=True)
    Policy.objects.filter(pk=unclassified.pk).update(category=Policy.Category.OTHER)
    # One message to each enterprise's user for the run, however many policies it was pushed.
    assert actions.push_new_policies(NOW) == {"policies": 2, "pushes": 10, "messages": 5}
    assert not reading.pushes.exists()
    assert all(not fit.policy.interprets_id for fit in matching.eligible(province.quanhua, TODAY))


def test_an_expired_policy_is_marked_matched_and_pushes_nothing(province):
    expired = province.policy("已过期的政策", valid_until=dt.date(2026, 11, 29))
    ends_today = province.policy("今天到期的政策", valid_until=TODAY)
    not_yet = province.policy("下月施行的政策", valid_from=dt.date(2026, 12, 15))

    summary = actions.push_new_policies(NOW)

    assert summary == {"policies": 3, "pushes": 10, "messages": 5}
    expired.refresh_from_db()
    assert expired.matched_at == NOW and not expired.pushes.exists()
    assert ends_today.pushes.count() == not_yet.pushes.count() == 5
    titles = {fit.policy.title for fit in matching.eligible(province.quanhua, TODAY)}
    assert titles == {"今天到期的政策", "下月施行的政策"}


def test_a_policy_is_never_pushed_twice_to_one_enterprise(province):
    policy = province.policy(industries=["C"])
    assert actions.push_new_policies(NOW)["pushes"] == 3
    assert actions.push_new_policies(NOW) == {"policies": 0, "pushes": 0, "messages": 0}

    # Matched again (staff widened it): only the enterprises it newly fits are pushed and told.
    Policy.objects.filter(pk=policy.pk).update(industries=["C", "F"], matched_at=None)
    summary = actions.push_new_policies(at("2026-11-30 11:00"))

    assert summary == {"policies": 1, "pushes": 1, "messages": 1}
    assert Push.objects.filter(policy=policy).count() == 4
    assert Push.objects.get(policy=policy, enterprise=province.quanhua).pushed_at == NOW
    assert Message.objects.filter(recipient=province.user(province.quanhua)).count() == 1
    assert Message.objects.filter(recipient=province.user(province.trade)).count() == 1


def test_only_a_policy_pushed_before_has_its_pairs_checked_for_earlier_pushes(province):
    # PostgreSQL's ON CONFLICT costs about as much as writing the row: 4 million pushes took
    # 33 s with it and 17 s without. A policy pushed for the first time cannot meet a push.
    table = connection.ops.quote_name(Push._meta.db_table)

    def inserts(run_at):
        with CaptureQueriesContext(connection) as queries:
            summary = actions.push_new_policies(run_at)
        statements = [q["sql"] for q in queries if q["sql"].startswith(f"INSERT INTO {table}")]
        return summary["pushes"], ["ON CONFLICT" in sql for sql in statements]

    widened = province.policy(industries=["C"])
    assert inserts(NOW) == (3, [False])

    Policy.objects.filter(pk=widened.pk).update(industries=["C", "F"], matched_at=None)
    province.policy(industries=["F"])
    assert inserts(at("2026-11-30 11:00")) == (2, [False, True])
    assert Push.objects.filter(policy=widened).count() == 4


def test_reasons_shared_by_every_push_are_kept_once_and_stay_when_the_policy_changes(province):
    policy = province.policy(sizes=["small"])
    actions.push_new_policies(NOW)
    # The same words for each enterprise it fits: kept on the policy, none on the pushes.
    assert Policy.objects.get(pk=policy.pk).push_reasons == ["规模：小型"]
    assert set(Push.objects.filter(policy=policy).values_list("reasons", flat=True)) == {None}
    assert _pushed(policy) == {
        province.quanhua.name: ["规模：小型"],
        province.haier.name: ["规模：小型"],
    }

    # Matched again after staff widened it: the new push's words differ from the first
    # pushes', which keep theirs.
    Policy.objects.filter(pk=policy.pk).update(sizes=["small", "large"], matched_at=None)
    assert actions.push_new_policies(at("2026-11-30 11:00"))["pushes"] == 1

    assert Policy.objects.get(pk=policy.pk).push_reasons is None
    assert _pushed(policy) == {
        province.quanhua.name: ["规模：小型"],
        province.haier.name: ["规模：小型"],
        province.heavy.name: ["规模：大型"],
    }
    assert not Push.objects.filter(policy=policy, reasons__isnull=True).exists()


def test_the_users_of_each_pushed_enterprise_are_told_in_their_inbox(province):
    # A second user of 泉华, and one no longer active.
    colleague = _user("ent1b", "enterprise", enterprise=province.quanhua)
    gone = _user("ent1c", "enterprise", enterprise=province.quanhua, is_active=False)
    policy = province.policy(regions=[province.lixia])

    assert actions.push_new_policies(NOW) == {"policies": 1, "pushes": 2, "messages": 3}
    told = set(Message.objects.values_list("recipient__username", flat=True))
    assert told == {province.user(province.quanhua).username, colleague.username, "ent2"}
    assert gone.username not in told
    push = Push.objects.get(policy=policy, enterprise=province.quanhua)
    message = Message.objects.filter(recipient=colleague).get()
    assert message.url == f"/portal/policies/{push.pk}/open/"


# --- the calculator ------------------------------------------------------------------------


def test_near_misses_say_what_is_lacking_and_leave_out_other_places(province):
    p = province
    missing_qualification = p.policy("专精特新奖励", qualifications=[p.specialized])
    missing_size = p.policy("中型企业技改补助", sizes=["medium", "large"], industries=["C"])
    p.policy("两个条件不符", tiers=["key"], qualifications=[p.specialized])
    p.policy("青岛高新企业奖励", region=p.qingdao, qualifications=[p.high_tech])
    p.policy(
        "已过期的专精特新奖励", qualifications=[p.specialized], valid_until=dt.date(2025, 1, 1)
    )
    missing_industry = p.policy("软件企业补贴", industries=["I65", "I64"], region=p.jinan)
    missing_tier = p.policy("重点企业服务包", tiers=["key"])

    near = {fit.policy.pk: fit for fit in matching.near_misses(p.quanhua, TODAY)}

    assert {pk: fit.lacking for pk, fit in near.items()} == {
        missing_qualification.pk: "需具备资质：专精特新中小企业",
        missing_size.pk: "需为企业规模：大型或中型",
        missing_industry.pk: "需属于行业：信息传输、软件和信息技术服务业（I64）或信息传输、软件和信息技术服务业（I65）",
        missing_tier.pk: "需为服务等级：重点企业",
    }
    assert near[missing_size.pk].matched == ["行业：制造业（C）"]
    assert near[missing_industry.pk].matched == ["区划：济南市"]


def test_eligible_policies_rank_by_conditions_matched_then_recency_then_category(province):
    p = province
    nov = dt.date(2026, 11, 2)
    general = p.policy("面向所有企业", published=dt.date(2026, 11, 20))
    precise = p.policy(
        "济南小型制造业高企", region=p.jinan, industries=["C"], sizes=["small"],
        qualifications=[p.high_tech], published=dt.date(2025, 1, 1),
    )  # fmt: skip
    older_two = p.policy(
        "两个条件·早", region=p.jinan, sizes=["small"], published=dt.date(2026, 10, 1)
    )
    newer_two = p.policy("两个条件·新", region=p.lixia, industries=["C39"], published=nov)
    tax = p.policy(
        "两个条件·同日·税费", category="tax", sizes=["small"], tiers=["normal"], published=nov
    )
    finance = p.policy(
        "两个条件·同日·金融",
        category="financing",
        region=p.shandong,
        sizes=["small"],
        published=nov,
    )
    undated = p.policy("无发布日期", published=None, industries=["C"])

    ranked = [fit.policy.pk for fit in matching.eligible(p.quanhua, TODAY)]

    assert ranked == [
        precise.pk,  # four conditions, however old
        finance.pk,  # two conditions, the newest; by category: financing, technology, tax
        newer_two.pk,
        tax.pk,
        older_two.pk,
        undated.pk,  # one condition (first seen today: newest of all with one)
        general.pk,  # no condition
    ]


def test_the_calculator_reads_a_bounded_number_of_queries(province, django_assert_num_queries):
    for number in range(20):
        province.policy(
            f"政策 {number}", regions=[province.lixia], qualifications=[province.high_tech]
        )
    # The region and qualifications of the enterprise, then the candidates with their
    # divisions and qualifications: however many policies there are.
    with django_assert_num_queries(5):
        result = matching.calculate(province.quanhua, TODAY)
    assert len(result.eligible) == 20


# --- runs at once, and a run killed ---------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_runs_at_once_push_each_policy_once(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite has one writer)")
    province = Province()
    policies = [province.policy(f"政策 {n}", industries=["C"] if n % 2 else []) for n in range(24)]
    barrier = threading.Barrier(3)
    results, errors = [None] * 3, []

    def run(index):
        try:
            barrier.wait()
            results[index] = actions.push_new_policies(NOW)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors, errors
    assert sum(result["policies"] for result in results) == 24
    assert sum(result["pushes"] for result in results) == Push.objects.count() == 12 * 5 + 12 * 3
    # Each worker tells of the policies it announced: every push told of exactly once.
    for user in User.objects.filter(role="enterprise"):
        told = sum(told_of(message) for message in Message.objects.filter(recipient=user))
        assert told == Push.objects.filter(enterprise_id=user.enterprise_id).count() > 0
        assert Message.objects.filter(recipient=user).count() <= 3
    assert Policy.objects.filter(matched_at__isnull=True).count() == 0
    for policy in policies:
        assert policy.pushes.count() == (3 if policy.industries else 5)


SETUP = """
import sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import Region, User
from qitong.policies.models import Policy

count, policies = int(sys.argv[1]), int(sys.argv[2])
lixia = Region.objects.get(code="370102")
Enterprise.objects.bulk_create(
    [Enterprise(uscc=make_uscc(f"91370102MA{n:07d}"), name=f"企业{n}", region=lixia,
                industry="C3989") for n in range(count)], batch_size=500)
User.objects.bulk_create(
    [User(username=f"u{pk}", role="enterprise", enterprise_id=pk)
     for pk in Enterprise.objects.values_list("pk", flat=True)], batch_size=500)
Policy.objects.bulk_create(
    [Policy(title=f"政策{n}", category="industry", public=True) for n in range(policies)])
"""

PUSH = """
import datetime as dt, sys
import django
django.setup()
import time
from qitong.policies import actions, matching
actions.PUSH_BATCH = 5  # twelve transactions, to be killed between two of them
push = matching.push
def slow_push(*args):  # each batch a tenth of a second: the kill lands midway on any database
    written = push(*args)
    time.sleep(0.1)
    return written
matching.push = slow_push
print(actions.push_new_policies(dt.datetime.fromisoformat(sys.argv[1])), flush=True)
"""

STATE = """
import json
import django
django.setup()
from django.db.models import Count
from qitong.notify.models import Message
from qitong.policies.models import Policy, Push

pushes = dict(Push.objects.values("policy").annotate(n=Count("id")).values_list("policy", "n"))
told = {}
for user, subject in Message.objects.values_list("recipient_id", "subject"):
    told.setdefault(user, []).append(subject)
print(json.dumps({
    "policies": [
        {"pk": pk, "matched": matched is not None, "announced": announced is not None,
         "pushes": pushes.get(pk, 0)}
        for pk, matched, announced in Policy.objects.order_by("pk").values_list(
            "pk", "matched_at", "announced_at")
    ],
    "told": sorted(told.values()),
}))
"""

ENTERPRISES, POLICIES = 1000, 60


@pytest.fixture
def own_database(tmp_path):
    """The environment of a database of the run's own: a SQLite file, or a fresh PostgreSQL one."""
    env = qitong_env(tmp_path, DJANGO_SETTINGS_MODULE="qitong.settings")
    with database_of_its_own(env, "push_kill") as env:
        yield env


def _committed_pushes(env):
    return query(env, "SELECT count(*) FROM policies_push")[0][0]


def _whole(policy):
    """A policy fully pushed (each enterprise once) or untouched."""
    done = policy["matched"] and policy["pushes"] == ENTERPRISES
    untouched = not policy["matched"] and policy["pushes"] == 0
    return done or untouched


def test_a_run_killed_midway_leaves_whole_policies_and_the_next_run_does_the_rest(own_database):
    env = own_database
    run_python(SETUP, ENTERPRISES, POLICIES, env=env)
    instant = NOW.isoformat()
    process = subprocess.Popen(
        [sys.executable, "-c", PUSH, instant],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while _committed_pushes(env) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    state = json.loads(run_python(STATE, env=env))
    policies = state["policies"]
    assert all(_whole(policy) for policy in policies), [p for p in policies if not _whole(p)][:3]
    done = sum(policy["matched"] for policy in policies)
    assert 0 < done < POLICIES, done
    # The messages come at the run's end: its pushes so far are not told of yet.
    assert not any(policy["announced"] for policy in policies) and state["told"] == []

    summary = run_python(PUSH, instant, env=env)
    assert f"'policies': {POLICIES - done}," in summary
    state = json.loads(run_python(STATE, env=env))
    assert all(p["matched"] and p["announced"] and _whole(p) for p in state["policies"])
    # The run killed and the next one at the same instant: one message, of all 60, to each.
    assert state["told"] == [[f"{POLICIES} 项新政策与贵企业的条件相符"]] * ENTERPRISES
    assert "'policies': 0, 'pushes': 0, 'messages': 0}" in run_python(PUSH, instant, env=env)
