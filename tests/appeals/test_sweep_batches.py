"""The sweep in batches: each batch is whole or absent, even when the process is killed.

The sweep runs in a process of its own on a database of its own (a SQLite
file, or a fresh database on the PostgreSQL server the tests use), with small
batches so that a few thousand cases take many commits. It is killed with
SIGKILL once the first urges are in; then every case must be urged fully (its
event, its supervision's count, its message, its day's claim) or not at all,
and the next run must urge the rest, each exactly once.
"""

import json
import signal
import subprocess
import sys
import time

import pytest

from qitong.appeals import actions, sweep
from qitong.appeals.models import Event, Supervision
from qitong.notify.models import Message
from tests.appeals.conftest import at
from tests.processes import database_of_its_own, qitong_env, query, run_python

CASES = 2000
BATCH = 50
INSTANT = "2026-11-02T10:00:00+08:00"  # a Monday, in office hours

SETUP = """
import datetime as dt, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from qitong.appeals.models import Appeal, EscalationStep, Supervision
from qitong.core.clock import SHANGHAI
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import Region, Unit, User

office = Unit.objects.create(code="office", name="市服务企业办公室", kind=Unit.Kind.OFFICE)
fgw = Unit.objects.create(code="fgw", name="市发展和改革委员会", kind=Unit.Kind.DEPARTMENT)
EscalationStep.objects.filter(level=1).update(unit=office)
User.objects.create(username="office", role=User.Role.OFFICE, unit=office)
User.objects.create(username="fgw", role=User.Role.UNIT, unit=fgw)
enterprise = Enterprise.objects.create(
    uscc=make_uscc("91370102MA3C00001"), name="济南泉华电子有限公司",
    region=Region.objects.get_or_create(code="370102", defaults={"name": "历下区"})[0],
    industry="C3989",
)
# Dispatched a week before the sweep: every case is overdue and under a manual supervision.
sent = dt.datetime(2026, 10, 26, 10, 0, tzinfo=SHANGHAI)
appeals = []
for n in range(int(sys.argv[1])):
    appeal = Appeal(
        number=f"QT-2026-{n + 1:06d}", enterprise=enterprise, title="新增用电容量审批",
        content="企业反映。", channel="web", status=Appeal.Status.IN_PROGRESS, office=office,
        lead_unit=fgw, handling_mode="transfer", dispatched_at=sent, signed_at=sent,
        contact_due=sent + dt.timedelta(days=1), reply_due=sent + dt.timedelta(days=3),
        resolve_due=sent + dt.timedelta(days=21), created_at=sent,
    )
    appeal.escalation_due = appeal.earliest_unmet_due()  # what save() sets; bulk_create skips it
    appeals.append(appeal)
Appeal.objects.bulk_create(appeals, batch_size=500)
Supervision.objects.bulk_create(
    [Supervision(appeal=a, trigger="manual", reason="领导关注", opened_at=sent) for a in appeals],
    batch_size=500,
)
"""

SWEEP = """
import datetime as dt, sys
import django
django.setup()
from qitong.appeals import sweep
sweep.BATCH = int(sys.argv[1])
print(sweep.run(dt.datetime.fromisoformat(sys.argv[2])), flush=True)
"""

STATE = """
import json, sys
import django
django.setup()
from django.db.models import Count, Q
from qitong.appeals.models import Appeal, Event, Supervision
from qitong.notify.models import Message

def by_appeal(rows):
    return {pk: n for pk, n in rows}

urges = by_appeal(Event.objects.filter(action="urge").values("appeal").annotate(n=Count("id"))
                  .values_list("appeal", "n"))
rises = by_appeal(Event.objects.filter(action="escalate").values("appeal")
                  .annotate(n=Count("id")).values_list("appeal", "n"))
watched = by_appeal(Event.objects.filter(action="supervise").values("appeal")
                    .annotate(n=Count("id")).values_list("appeal", "n"))
counts = {}
for appeal_id, trigger, count in Supervision.objects.values_list("appeal", "trigger", "urge_count"):
    counts.setdefault(appeal_id, {})[trigger] = count
messages = {}
for kind, url in Message.objects.values_list("kind", "url"):
    key = (kind, int(url.rstrip("/").rsplit("/", 1)[1]))
    messages[key] = messages.get(key, 0) + 1
print(json.dumps([
    {
        "pk": pk, "urged_on": str(urged_on), "level": level,
        "urges": urges.get(pk, 0), "rises": rises.get(pk, 0), "supervise": watched.get(pk, 0),
        "counts": counts.get(pk, {}),
        "urge_messages": messages.get(("urge", pk), 0),
        "rise_messages": messages.get(("escalate", pk), 0),
    }
    for pk, urged_on, level in Appeal.objects.order_by("pk").values_list(
        "pk", "last_urged_on", "escalation_level")
]))
"""


@pytest.fixture
def database(tmp_path):
    """The environment of a database of the sweep's own: a SQLite file, or a fresh PostgreSQL one."""
    env = qitong_env(tmp_path, DJANGO_SETTINGS_MODULE="qitong.settings")
    with database_of_its_own(env, "sweep_kill") as env:
        yield env


def _urge_events(env):
    """Committed urge events, read straight from the database while the sweep runs."""
    return query(env, "SELECT count(*) FROM appeals_event WHERE action = 'urge'")[0][0]


def _state(env):
    return json.loads(run_python(STATE, env=env))


def _whole(case):
    """What one case shows: fully urged today, or not urged at all; its escalation whole."""
    urged = (
        case["urges"] == 1
        and case["urged_on"] == "2026-11-02"
        and case["counts"] == {"manual": 1, "overdue": 1}
        and case["urge_messages"] == 1
    )
    untouched = (
        case["urges"] == 0
        and case["urged_on"] == "None"
        and all(count == 0 for count in case["counts"].values())
        and case["urge_messages"] == 0
    )
    # Overdue since Tuesday 27 October 10:00: level 4 (the top) by Monday 2 November.
    risen = case["level"] == case["rises"] == 4 and case["rise_messages"] == 1
    supervised = case["supervise"] == 1 and "overdue" in case["counts"]
    flat = case["level"] == case["rises"] == case["rise_messages"] == case["supervise"] == 0
    return (urged or untouched) and ((risen and supervised) or flat), urged


def test_a_sweep_killed_midway_leaves_whole_cases_and_the_next_run_does_the_rest(database):
    env = database
    run_python(SETUP, CASES, env=env)
    process = subprocess.Popen(
        [sys.executable, "-c", SWEEP, str(BATCH), INSTANT],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while _urge_events(env) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the sweep ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    cases = _state(env)
    judged = [_whole(case) for case in cases]
    assert all(whole for whole, _urged in judged), [
        case for case, (whole, _urged) in zip(cases, judged, strict=True) if not whole
    ][:3]
    urged = sum(urged for _whole_, urged in judged)
    assert 0 < urged < CASES, urged  # killed midway, after whole batches only
    assert urged % BATCH == 0

    run_python(SWEEP, BATCH, INSTANT, env=env)
    cases = _state(env)
    assert all(_whole(case) == (True, True) for case in cases)
    # And once more for the same instant: nothing new.
    run_python(SWEEP, BATCH, INSTANT, env=env)
    assert _state(env) == cases


@pytest.mark.django_db
def test_more_cases_than_a_batch_are_each_urged_once_with_their_messages(city, monkeypatch):
    monkeypatch.setattr(sweep, "BATCH", 3)
    monday = at("2026-11-02 10:00")
    appeals = [city.dispatched(when=monday) for _ in range(7)]
    for appeal in appeals:
        actions.supervise(appeal, acting_user=city.office_user, at=monday, reason="领导关注")
    summary = sweep.run(at("2026-11-03 09:30"))
    assert summary["urged"] == 7
    assert Event.objects.filter(action="urge").count() == 7
    assert Message.objects.filter(kind="urge", recipient=city.fgw_user).count() == 7
    assert set(Supervision.objects.values_list("urge_count", flat=True)) == {1}
    assert sweep.run(at("2026-11-03 09:31"))["urged"] == 0


@pytest.mark.django_db
def test_a_sweep_with_nothing_due_reads_no_case(city, django_assert_max_num_queries):
    monday = at("2026-11-02 10:00")
    appeals = [city.dispatched(when=monday, major=True) for _ in range(5)]
    sweep.run(at("2026-11-03 10:30"))  # supervised, escalated, urged
    appeal = appeals[0]
    appeal.refresh_from_db()
    assert appeal.escalation_due == at("2026-11-04 10:00")  # its next rise
    # A minute later nothing is due: each step asks once for its cases and none come
    # back (office hours and the calendar take three more), however many are open.
    with django_assert_max_num_queries(10):
        summary = sweep.run(at("2026-11-03 10:31"))
    assert summary["opened"] == {"major": 0, "repeated": 0, "near_deadline": 0, "overdue": 0}
    assert summary["urged"] == summary["escalated"] == 0


@pytest.mark.django_db
def test_an_action_that_moves_a_deadline_makes_the_case_due_for_the_sweep_again(city):
    monday = at("2026-11-02 10:00")
    appeal = city.dispatched(when=monday)  # contact due Tuesday 10:00
    assert appeal.escalation_due == at("2026-11-03 10:00")
    actions.sign(appeal, acting_user=city.fgw_user, at=monday)
    actions.contact(appeal, acting_user=city.fgw_user, at=monday, note="已联系")
    appeal.refresh_from_db()
    assert appeal.escalation_due == appeal.reply_due  # the next unmet deadline
    sweep.run(at("2026-11-03 10:30"))  # nothing overdue yet
    appeal.refresh_from_db()
    assert appeal.escalation_level == 0 and appeal.escalation_due == appeal.reply_due
