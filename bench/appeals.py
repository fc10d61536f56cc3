"""How the appeal loop holds up at a province's volume.

Run: ``.venv/bin/python bench/appeals.py [--appeals N] [--database-url postgres://…] [--keep DIR]``
(default 1,000,000 appeals). Without a database URL it migrates a throwaway
SQLite data folder; with ``--database-url`` (or an already set
``QITONG_DATABASE_URL``, e.g. under ``scripts/with-postgres.sh``) it migrates
that PostgreSQL database, which must hold no appeals yet. It loads the demo
city, generates N appeals over the 24 months before 2026-11-30 with their
assignments, timelines and open supervisions (deterministic: one seeded
``random.Random``), then measures the sweep, the API's list, detail, figures
and ledger, and filing plus dispatching, all as of the benchmark instant
2026-11-30 10:00 (+08:00): the first sweep of a working day's office hours,
with Friday's sweeps already done. The figures go to stdout and are appended
to docs/benchmarks.md. The data folder is removed at the end unless
``--keep DIR`` names where to keep it.
"""

import argparse
import datetime as dt
import math
import os
import platform
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter as Tally
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)  # the benchmark instant, a Monday
# The last sweep that urged: Friday's office hours; Saturday and Sunday are no working days.
PREVIOUS_SWEEP = dt.datetime(2026, 11, 27, 16, 59, tzinfo=SHANGHAI)
SPAN_DAYS = 730  # appeals are filed over the 24 months before AT
RECENT = dt.timedelta(days=31)  # longer than the sweep's windows for repeated cases
BATCH = 5000
SEED = 12345
# The channels of the appeals the demo city itself files (a visit's difficulty, a project's problem).
DEMO_CHANNELS = ("visit", "project")

# Shares of the generated data.
REJECTED = 0.03
DIRECT, COORDINATED = 0.05, 0.10  # handling modes; the rest are transfers
COMPLEX = 0.05
MAJOR = 0.02
RETURNED = 0.02  # dispatched to the wrong unit first, returned, dispatched again
EXTENDED = 0.015
REDO_BY_OFFICE = 0.01
UNRATED = 0.03  # archived by the office without a rating
UNSATISFIED = 0.03  # rated unsatisfied once, redone, rated again
MANUAL_SUPERVISION = 0.01  # of the open cases
CHANNELS = {
    "web": 30,
    "mobile": 20,
    "wechat": 20,
    "hotline12345": 15,
    "visit": 5,
    "phone": 5,
    "meeting": 3,
    "open311": 2,
}
# Where a case that stalls stays: the step that never comes, by weight.
STALLS = {"accept": 10, "dispatch": 10, "sign": 15, "resolve": 40, "approve": 12, "rate": 13}
# Filing by hour of day (local); nights are quiet.
HOURS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 14, 8, 12, 16, 16, 14, 10, 6, 4, 3, 2, 1, 1]
TITLES = [
    "生产线扩建用地指标落实",
    "新增用电容量审批",
    "流动资金贷款续贷困难",
    "研发费用加计扣除咨询",
    "技改项目环评审批",
    "高新技术企业认定申报",
    "稳岗补贴发放进度",
    "出口退税办理周期",
    "排污许可证延续",
    "施工许可办理环节多",
    "园区道路及配套设施",
    "专精特新奖励政策兑现",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appeals", type=int, default=1_000_000, help="how many (1,000,000)")
    parser.add_argument("--database-url", help="PostgreSQL instead of a throwaway SQLite file")
    parser.add_argument("--keep", metavar="DIR", help="keep the data folder here")
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="with --keep: generate, keep a pristine copy, measure nothing",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="measure again on a copy of the pristine data that --keep DIR left (no generation)",
    )
    parser.add_argument(
        "--no-report", action="store_true", help="print the figures; leave docs/benchmarks.md"
    )
    args = parser.parse_args()
    if args.generate_only and not args.keep:
        parser.error("--generate-only needs --keep DIR")
    if args.data and args.keep:
        parser.error("--data and --keep exclude each other")
    return args


def redacted(url):
    parts = urlsplit(url)
    if parts.password:
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{parts.username}:***@{host}")
    return urlunsplit(parts)


def command_line(args, preset_url):
    line = shlex.join([".venv/bin/python", "bench/appeals.py", *sys.argv[1:]])
    if args.database_url:
        line = line.replace(args.database_url, redacted(args.database_url))
    if preset_url:
        line = f"QITONG_DATABASE_URL={redacted(preset_url)} {line}"
    return line


def main():
    args = parse_args()
    preset_url = os.environ.get("QITONG_DATABASE_URL") if not args.database_url else None
    url = args.database_url or preset_url
    scratch = None
    if args.data:
        folder = Path(args.data)
        if url:
            url = fresh_copy_postgresql(url)
        else:
            scratch = fresh_copy_sqlite(folder)
    else:
        folder = Path(args.keep or tempfile.mkdtemp(prefix="qitong-bench-"))
        folder.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        QITONG_DATA_DIR=str(scratch or folder),
        QITONG_SECRET_KEY="bench-only-secret-key-0123456789abcdef",
        QITONG_RATE_LIMITS="login=1000000/60,filing=1000000/60,urge=1000000/60,public=1000000/60",  # counted, never refused: a benchmark is one client asking fast
    )
    if url:
        os.environ["QITONG_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    try:
        run(args, folder, command_line(args, preset_url))
    finally:
        if not args.keep and not args.data:
            shutil.rmtree(folder, ignore_errors=True)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


# --- kept data: a pristine copy, and fresh copies of it to measure on ---------------
# The measurements change the data (the sweep urges, the API files appeals), so a kept
# folder also keeps the data as generated: ``pristine.db`` beside SQLite's ``qitong.db``,
# a database ``<name>_pristine`` beside PostgreSQL's. ``--data`` measures on a new copy
# of it (SQLite: a folder beside the kept one; PostgreSQL: ``<name>_bench``), migrated
# to the code of the day, and leaves the kept data, which others may be reading, alone;
# bench/exports.py makes its copies here too.

PRISTINE_SQLITE = "pristine.db"
GENERATED_JSON = "generated.json"


def database_named(url, name):
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def admin_connection(url):
    """An autocommit connection to the server's ``postgres`` database, to copy databases."""
    import psycopg

    return psycopg.connect(database_named(url, "postgres"), autocommit=True)


def keep_pristine(folder, generated):
    """Keep what was generated, untouched by any measurement, for later ``--data`` runs."""
    import json

    from django.db import connection

    (folder / GENERATED_JSON).write_text(json.dumps(generated, default=dict))
    vendor, settings_dict = connection.vendor, connection.settings_dict
    connection.close()
    began = time.perf_counter()
    if vendor == "postgresql":
        name = settings_dict["NAME"]
        url = os.environ["QITONG_DATABASE_URL"]
        with admin_connection(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}_pristine"')
            admin.execute(f'CREATE DATABASE "{name}_pristine" TEMPLATE "{name}"')
    else:
        import sqlite3

        source = sqlite3.connect(settings_dict["NAME"])
        target = sqlite3.connect(folder / PRISTINE_SQLITE)
        with target:
            source.backup(target)
        source.close()
        target.close()
    print(f"kept a pristine copy in {time.perf_counter() - began:.1f} s", flush=True)


def fresh_copy_sqlite(folder, suffix="bench"):
    """A new folder ``<folder>-<suffix>`` beside ``folder`` holding a copy of its pristine database.

    Data kept before there were pristine copies has only its working database;
    that is copied then. SQLite's backup from a read-only connection copies
    what a WAL file still holds and leaves the kept file, which others may be
    reading, untouched.
    """
    import sqlite3

    source = folder / PRISTINE_SQLITE
    if not source.exists():
        source = folder / "qitong.db"
    scratch = folder.parent / f"{folder.name}-{suffix}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    began = time.perf_counter()
    kept = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    copy = sqlite3.connect(scratch / "qitong.db")
    try:
        kept.backup(copy)
    finally:
        copy.close()
        kept.close()
    print(f"copied {source} in {time.perf_counter() - began:.1f} s", flush=True)
    return scratch


def fresh_copy_postgresql(url, suffix="bench"):
    """``<name>_<suffix>``, a new copy of ``<name>_pristine`` (or of ``<name>`` when none was kept); its URL."""
    name = urlsplit(url).path.lstrip("/")
    began = time.perf_counter()
    with admin_connection(url) as admin:
        names = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
        source = f"{name}_pristine" if f"{name}_pristine" in names else name
        admin.execute(f'DROP DATABASE IF EXISTS "{name}_{suffix}"')
        admin.execute(f'CREATE DATABASE "{name}_{suffix}" TEMPLATE "{source}"')
    print(f"copied {source} in {time.perf_counter() - began:.1f} s", flush=True)
    return database_named(url, f"{name}_{suffix}")


def run(args, folder, command):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    # Every view and helper imported now, so that the code measured is the code
    # as it was at the start, even if the working tree changes during a long run.
    import qitong.appeals.uploads  # noqa: F401
    import qitong.notify.outbox  # noqa: F401
    import qitong.urls  # noqa: F401
    from qitong.appeals.models import Appeal
    from qitong.demo.city import load_demo_city

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_demo_city()
    print(f"migrated and loaded the demo city in {time.perf_counter() - began:.1f} s", flush=True)
    if args.data:
        import json

        began = time.perf_counter()
        settled = settle()
        print(f"settled {settled:,} cases' escalation_due in {time.perf_counter() - began:.1f} s")
        generated = json.loads((folder / GENERATED_JSON).read_text())
        generated["status"] = Tally(generated["status"])
        total = generated["appeals"]
    else:
        if Appeal.objects.exclude(channel__in=DEMO_CHANNELS).exists():
            sys.exit("bench/appeals.py needs a database without appeals but the demo city's.")
        total = args.appeals
        generated = generate(total)
        if args.keep:
            keep_pristine(folder, generated)
        if args.generate_only:
            return
    machine = describe_machine(connection)
    print(machine, flush=True)
    measured = measure(generated)
    report(total, command, machine, generated, measured, write=not args.no_report)


# --- generation -----------------------------------------------------------------------


class Context:
    """What every generated case draws from, read once."""

    def __init__(self):
        from qitong.appeals import deadlines
        from qitong.appeals.models import Category, EscalationStep
        from qitong.core.workdays import WorkCalendar
        from qitong.enterprises.models import Enterprise
        from qitong.orgs.models import Unit, User

        self.calendar = WorkCalendar()
        self.limits_json = deadlines.limits_in_force()  # what every dispatch copies
        self.limits = deadlines.Limits.from_json(self.limits_json)
        enterprises = list(Enterprise.objects.order_by("id").values_list("id", "tier"))
        self.enterprises = [(pk, tier == Enterprise.Tier.KEY) for pk, tier in enterprises]
        self.categories = list(Category.objects.values_list("id", "code"))
        units = {unit.code: unit for unit in Unit.objects.all()}
        self.units = units
        self.office = units["office"]
        # The demo departments and towns lead; departments get twice a town's share.
        leads = [u for u in units.values() if u.kind in (Unit.Kind.DEPARTMENT, Unit.Kind.TOWN)]
        self.leads = sorted(leads, key=lambda unit: unit.code)
        self.lead_weights = [2 if u.kind == Unit.Kind.DEPARTMENT else 1 for u in self.leads]
        users = {user.username: user for user in User.objects.all()}
        self.office_user = users["office"].pk
        self.unit_users = {
            user.unit_id: user.pk
            for user in users.values()
            if user.role == User.Role.UNIT and user.unit_id
        }
        self.enterprise_users = {
            user.enterprise_id: user.pk
            for user in users.values()
            if user.role == User.Role.ENTERPRISE and user.enterprise_id
        }
        self.steps = {
            step.level: step for step in EscalationStep.objects.select_related("unit").all()
        }
        self.top = max(self.steps, default=0)
        self.channels, self.channel_weights = list(CHANNELS), list(CHANNELS.values())


def daily_counts(total):
    """How many appeals each day of the span gets: weekends a third, the last day only to AT."""
    start = (AT - dt.timedelta(days=SPAN_DAYS)).date()
    days = [start + dt.timedelta(days=n) for n in range(SPAN_DAYS + 1)]
    weights = []
    for day in days:
        weight = 0.35 if day.weekday() >= 5 else 1.0
        if day == AT.date():
            weight *= sum(HOURS[: AT.hour]) / sum(HOURS)
        weights.append(weight)
    whole, done, counts = sum(weights), 0, []
    running = 0.0
    for weight in weights:
        running += weight
        upto = round(total * running / whole)
        counts.append(upto - done)
        done = upto
    return list(zip(days, counts, strict=True))


def filing_instants(rng, day, count):
    """``count`` sorted instants on ``day`` (local), before AT."""
    last_hour = AT.hour if day == AT.date() else 24
    hours = rng.choices(range(last_hour), weights=HOURS[:last_hour], k=count)
    instants = [
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)
        + dt.timedelta(seconds=rng.randrange(3600))
        for hour in hours
    ]
    return sorted(instants)


def stall_chance(age_days):
    """Young cases stall more often (they are still waiting); a few old ones never finish."""
    return 0.005 + 0.12 * math.exp(-age_days / 60)


def plan(rng, created, key, mode, lead, co_units, wrong_lead, is_complex):
    """The full story of one case as (instant, action, detail), in order; cut later at AT."""

    def after(mean_hours):
        return dt.timedelta(hours=rng.expovariate(1 / mean_hours))

    f = 0.5 if key else 1.0
    steps = [(created, "submit", None)]
    if rng.random() < REJECTED:
        steps.append((created + after(3), "reject", None))
        return steps
    t = created + after(3)
    steps.append((t, "accept", None))
    t += after(4)
    if wrong_lead is not None:
        steps.append((t, "dispatch", ("transfer", wrong_lead, ())))
        t += after(6)
        steps.append((t, "return", wrong_lead))
        t += after(3)
    steps.append((t, "dispatch", (mode, lead, co_units)))
    dispatched = t
    if mode != "direct":
        t += after(4 * f)
        steps.append((t, "sign", None))
    contact = t + after(6 * f)
    reply = contact + after(30 * f)
    long = mode == "coordinated" or is_complex
    handling = dt.timedelta(days=0.5 + rng.expovariate(1 / (6 * f * (1.6 if long else 1))))
    resolve = max(reply + after(2), dispatched + handling)
    steps.append((contact, "contact", None))
    steps.append((reply, "reply", None))
    for unit in co_units:
        steps.append(
            (dispatched + (resolve - dispatched) * rng.uniform(0.2, 0.9), "contribute", unit)
        )
    if not long and rng.random() < EXTENDED:
        steps.append((contact + (resolve - contact) * 0.3, "extend", None))
        steps.append((contact + (resolve - contact) * 0.5, "approve_extension", None))
    steps.append((resolve, "resolve", None))
    t = resolve + after(20)
    if rng.random() < REDO_BY_OFFICE:
        steps.append((t, "redo", False))
        t += after(48)
        steps.append((t, "resolve", None))
        t += after(20)
    steps.append((t, "approve", None))
    if rng.random() < UNRATED:
        steps.append((t + dt.timedelta(days=10), "archive", None))
        return sorted(steps, key=lambda step: step[0])
    t += after(40)
    if rng.random() < UNSATISFIED:
        steps.append((t, "rate", ("basically_satisfied", "unsatisfied")))
        t += after(24)
        steps.append((t, "redo", True))
        t += after(72)
        steps.append((t, "resolve", None))
        t += after(20)
        steps.append((t, "approve", None))
        t += after(40)
    process = rng.choices(("satisfied", "basically_satisfied", "unsatisfied"), (80, 17, 3))[0]
    result = rng.choices(("satisfied", "basically_satisfied"), (82, 18))[0]
    steps.append((t, "rate", (process, result)))
    return sorted(steps, key=lambda step: step[0])


def cut(rng, steps, created):
    """What has happened by AT: a stalled case stops before one step, and nothing is later than AT."""
    stop = None
    if rng.random() < stall_chance((AT - created).total_seconds() / 86400):
        stop = rng.choices(list(STALLS), weights=list(STALLS.values()))[0]
    happened = []
    for step in steps:
        at, action, _detail = step
        if at > AT or action == stop or (stop == "rate" and action == "archive"):
            break
        if stop == "sign" and action == "dispatch" and step[2][0] == "direct":
            stop = "resolve"  # a case the office handles itself is never signed
        happened.append(step)
    return happened


class Batch:
    """The rows of up to ``BATCH`` appeals, written together."""

    def __init__(self):
        self.appeals, self.assignments, self.events, self.supervisions = [], [], [], []

    def __len__(self):
        return len(self.appeals)


def build(ctx, batch, pk, number, created, rng, stats):
    """Generate one appeal with its rows into ``batch``."""
    from qitong.appeals import deadlines
    from qitong.appeals.models import Appeal, Assignment, Event, Supervision

    calendar = ctx.calendar
    enterprise_id, key = rng.choice(ctx.enterprises)
    category_id, category_code = (
        rng.choice(ctx.categories) if rng.random() > 0.03 else (None, "none")
    )
    channel = rng.choices(ctx.channels, weights=ctx.channel_weights)[0]
    roll = rng.random()
    mode = (
        "direct" if roll < DIRECT else "coordinated" if roll < DIRECT + COORDINATED else "transfer"
    )
    if mode == "direct":
        lead, co_units = ctx.office, ()
    else:
        lead = rng.choices(ctx.leads, weights=ctx.lead_weights)[0]
        co_units = ()
        if mode == "coordinated":
            co_units = tuple(
                unit for unit in rng.sample(ctx.leads, rng.choice((1, 1, 2))) if unit != lead
            ) or (next(unit for unit in ctx.leads if unit != lead),)
    wrong_lead = None
    if mode != "direct" and rng.random() < RETURNED:
        wrong_lead = next(unit for unit in rng.sample(ctx.leads, 2) if unit != lead)
    is_complex = mode != "direct" and rng.random() < COMPLEX
    steps = cut(rng, plan(rng, created, key, mode, lead, co_units, wrong_lead, is_complex), created)

    title = rng.choice(TITLES)
    appeal = Appeal(
        id=pk,
        number=number,
        enterprise_id=enterprise_id,
        title=title,
        content=f"企业反映：{title}，已多次沟通未果，请协调解决。联系人随时可以配合提供材料。",
        channel=channel,
        external_id=number if channel in ("hotline12345", "open311") else "",
        category_id=category_id,
        major=rng.random() < MAJOR,
        contact_name="联系人",
        contact_phone=f"13{rng.randrange(10**9):09d}",
        status=Appeal.Status.SUBMITTED,
        office=ctx.office,
        created_at=created,
    )
    enterprise_user = ctx.enterprise_users.get(enterprise_id)
    office_user = ctx.office_user
    events, parts = [], []  # parts: [unit, role, assigned_at, active, contributed_at]
    accepted_at = None
    for at, action, detail in steps:
        actor, unit, note, data = office_user, None, "", {}
        if action == "submit":
            actor = enterprise_user if channel in ("web", "mobile", "wechat") else office_user
            data = {"channel": channel}
        elif action == "reject":
            appeal.status, appeal.closed_at = Appeal.Status.REJECTED, at
            note = "不属于涉企诉求受理范围。"
        elif action == "accept":
            appeal.status, accepted_at = Appeal.Status.ACCEPTED, at
        elif action == "dispatch":
            how, to, co = detail
            appeal.handling_mode, appeal.lead_unit, appeal.complex = how, to, is_complex
            appeal.halved, appeal.dispatched_at = key, at
            direct = how == "direct"
            appeal.status = Appeal.Status.IN_PROGRESS if direct else Appeal.Status.DISPATCHED
            appeal.signed_at = at if direct else None
            parts.append([to, Assignment.Role.LEAD, at, True, None])
            parts.extend([unit, Assignment.Role.CO, at, True, None] for unit in co)
            unit, note = to, str(Appeal.Mode(how).label)
            data = {
                "mode": how,
                "lead_unit": to.code,
                "co_units": [unit.code for unit in co],
                "complex": is_complex,
            }
        elif action == "return":
            for part in parts:
                part[3] = False
            appeal.status, appeal.lead_unit, appeal.handling_mode = Appeal.Status.ACCEPTED, None, ""
            appeal.dispatched_at = appeal.signed_at = None
            actor, unit, note = ctx.unit_users.get(detail.pk), detail, "该事项不属于本单位职责。"
        elif action == "sign":
            appeal.status, appeal.signed_at = Appeal.Status.IN_PROGRESS, at
        elif action in ("contact", "reply"):
            field = "contacted_at" if action == "contact" else "replied_at"
            data = {"first": getattr(appeal, field) is None}
            if data["first"]:
                setattr(appeal, field, at)
            note = "已与企业联系，了解具体情况。" if action == "contact" else "已答复企业办理路径。"
        elif action == "contribute":
            for part in parts:
                if part[0] == detail and part[1] == Assignment.Role.CO and part[3]:
                    part[4] = at
            actor, unit, note = ctx.unit_users.get(detail.pk), detail, "已提供协办意见。"
        elif action == "extend":
            note, data = "需企业补充材料，申请延期。", {"working_days": "5"}
        elif action == "approve_extension":
            appeal.extension_days += Decimal(5)
            data = {"requested": "5", "granted": "5"}
        elif action == "resolve":
            appeal.status, appeal.resolved_at = Appeal.Status.PENDING_REVIEW, at
            appeal.result = note = "经协调，问题已解决，企业已确认。"
        elif action == "approve":
            appeal.status = Appeal.Status.PENDING_RATING
            appeal.rating_process = appeal.rating_result = ""
        elif action == "redo":
            appeal.status, appeal.resolved_at = Appeal.Status.IN_PROGRESS, None
            appeal.redo_count += 1
            unit, note = appeal.lead_unit, "办理结果未解决企业问题，请重新办理。"
            data = {"after_rating": detail, "unsatisfied": appeal.unsatisfied}
        elif action == "rate":
            actor = enterprise_user
            process, result = detail
            appeal.rating_process, appeal.rating_result, appeal.rated_at = process, result, at
            if result != "unsatisfied":
                appeal.status, appeal.closed_at = Appeal.Status.ARCHIVED, at
            data = {"process": process, "result": result}
        elif action == "archive":
            appeal.status, appeal.closed_at = Appeal.Status.ARCHIVED, at
            note = "企业逾期未评价，归档。"
        if action in ("sign", "contact", "reply", "extend", "resolve"):
            unit = appeal.lead_unit
            actor = ctx.unit_users.get(unit.pk) if unit != ctx.office else office_user
        events.append([at, actor, unit, action, note, data])

    co_due = None
    if appeal.dispatched_at is not None:
        appeal.limits = ctx.limits_json
        due = deadlines.schedule(
            appeal.dispatched_at,
            halved=appeal.halved,
            mode=appeal.handling_mode,
            complex=appeal.complex,
            extension_days=appeal.extension_days,
            calendar=calendar,
            limits=ctx.limits,
        )
        appeal.contact_due, appeal.reply_due, appeal.resolve_due = (
            due.contact.at,
            due.reply.at,
            due.resolve.at,
        )
        appeal.provisional = due.provisional  # as ``deadlines.apply`` sets it
        co_due = due.co_unit
        for event in events:
            if event[3] == "approve_extension":
                event[5]["resolve_due"] = appeal.resolve_due.isoformat()
    for unit, role, assigned_at, active, contributed_at in parts:
        batch.assignments.append(
            Assignment(
                appeal_id=pk,
                unit=unit,
                role=role,
                active=active,
                assigned_at=assigned_at,
                due_at=co_due.at if role == Assignment.Role.CO and active else None,
                contributed_at=contributed_at,
                contribution="已提供协办意见。" if contributed_at else "",
            )
        )

    # The supervisions Friday's sweeps left open, with their escalations.
    if appeal.status in Appeal.OPEN_STATES:
        opened = []
        if appeal.major and accepted_at is not None and accepted_at <= PREVIOUS_SWEEP:
            opened.append((Supervision.Trigger.MAJOR, accepted_at, "重大紧急事项，必须督办。"))
        since = (
            deadlines.missed_since(appeal, PREVIOUS_SWEEP)
            if appeal.status in Appeal.HANDLING_STATES
            else None
        )
        if since is not None:
            opened.append((Supervision.Trigger.OVERDUE, since, "已超过办理期限，必须督办。"))
            appeal.escalation_level = level = sweep_target_level(appeal, ctx)
            for rung in range(1, level + 1):
                step = ctx.steps.get(rung)
                events.append(
                    [
                        min(calendar.add(since, rung - 1).at, PREVIOUS_SWEEP),
                        None,
                        step.unit if step else None,
                        "escalate",
                        "超期未办结，自动升级。",
                        {"level": rung, "title": step.title if step else ""},
                    ]
                )
        if appeal.dispatched_at and rng.random() < MANUAL_SUPERVISION:
            manual_at = min(appeal.dispatched_at + dt.timedelta(days=2), PREVIOUS_SWEEP)
            if manual_at > appeal.dispatched_at:
                opened.append((Supervision.Trigger.MANUAL, manual_at, "请加快办理进度。"))
        for trigger, at, reason in opened:
            batch.supervisions.append(
                Supervision(
                    appeal_id=pk,
                    trigger=trigger,
                    reason=reason,
                    opened_at=at,
                    urge_count=max(1, (PREVIOUS_SWEEP - at).days * 5 // 7),
                )
            )
            events.append([at, None, None, "supervise", reason, {"trigger": trigger}])
        if opened:
            appeal.last_urged_on = PREVIOUS_SWEEP.date()
        # What Friday's last sweep stored (``Appeal.save`` and the sweep keep it up).
        appeal.escalation_due = sweep_next_look(appeal, ctx)

    for at, actor, unit, action, note, data in events:
        # Positional (id, appeal, at, actor, unit, action, note, data): twice as fast to build.
        batch.events.append(Event(None, pk, at, actor, unit and unit.pk, action, note, data))
    batch.appeals.append(appeal)
    stats["status"][appeal.status] += 1
    stats["events"] += len(events)
    if appeal.status == Appeal.Status.ARCHIVED and len(events) > stats["richest"][0]:
        stats["richest"] = (len(events), pk)
    if appeal.status in Appeal.OPEN_STATES and created > PREVIOUS_SWEEP - RECENT:
        stats["open_recent"].append((pk, enterprise_id, category_id, created))


def sweep_target_level(appeal, ctx):
    from qitong.appeals.sweep import target_level

    return target_level(appeal, PREVIOUS_SWEEP, ctx.calendar, ctx.top)


def sweep_next_look(appeal, ctx):
    from qitong.appeals.sweep import next_look

    return next_look(appeal, PREVIOUS_SWEEP, ctx.calendar, ctx.top)


def settle(at=PREVIOUS_SWEEP):
    """Store the exact ``escalation_due`` that Friday's last sweep would have left.

    Data generated before the column existed gets, from its migration, each
    running case's earliest unmet deadline: a lower bound, which the first sweep
    after the migration makes exact for every overdue case once. That catch-up
    is no part of a working day's first sweep, so it is done here, as of Friday.
    Returns how many cases it set.
    """
    from django.db import transaction

    from qitong.appeals import actions
    from qitong.appeals.models import Appeal
    from qitong.appeals.sweep import next_look
    from qitong.core.workdays import WorkCalendar

    calendar, top = WorkCalendar(), actions.ladder_top()
    stale = list(Appeal.objects.filter(escalation_due__lte=at))
    for appeal in stale:
        appeal.escalation_due = next_look(appeal, at, calendar, top)
    with transaction.atomic():
        Appeal.objects.bulk_update(stale, ["escalation_due"], batch_size=500)
    return len(stale)


def flush(batch, stats):
    from django.db import transaction

    from qitong.appeals.models import TEXT_INDEX, Appeal, Assignment, Event, Supervision

    with transaction.atomic():
        Appeal.objects.bulk_create(batch.appeals, batch_size=1000)
        TEXT_INDEX.add_many((appeal.pk, appeal.searchable_text) for appeal in batch.appeals)
        Assignment.objects.bulk_create(batch.assignments, batch_size=2000)
        Event.objects.bulk_create(batch.events, batch_size=2000)
        Supervision.objects.bulk_create(batch.supervisions, batch_size=2000)
    stats["assignments"] += len(batch.assignments)
    stats["supervisions"] += len(batch.supervisions)


def repeated_supervisions(stats):
    """The "repeated" supervisions the sweeps up to Friday opened, by the sweep's own rule."""
    from django.conf import settings
    from django.db import transaction

    from qitong.appeals.models import Appeal, Event, Supervision

    by_one, by_many = settings.QITONG_REPEATED_BY_ONE, settings.QITONG_REPEATED_BY_MANY
    one_from = PREVIOUS_SWEEP - dt.timedelta(days=by_one["days"])
    many_from = PREVIOUS_SWEEP - dt.timedelta(days=by_many["days"])
    recent = Appeal.objects.filter(
        category__isnull=False, created_at__gt=one_from, created_at__lte=PREVIOUS_SWEEP
    ).values_list("enterprise_id", "category_id", "created_at")
    pairs, crowds = Tally(), defaultdict(set)
    for enterprise_id, category_id, created in recent.iterator():
        pairs[enterprise_id, category_id] += 1
        if created > many_from:
            crowds[category_id].add(enterprise_id)
    crowded = {c for c, firms in crowds.items() if len(firms) >= by_many["enterprises"]}
    chosen = []
    for pk, enterprise_id, category_id, created in stats.pop("open_recent"):
        if category_id is None or created > PREVIOUS_SWEEP:
            continue
        if pairs[enterprise_id, category_id] >= by_one["appeals"] or (
            created > many_from and category_id in crowded
        ):
            chosen.append((pk, created))
    reason = "同类问题反复或集中反映，必须督办。"
    for start in range(0, len(chosen), BATCH):
        part = chosen[start : start + BATCH]
        with transaction.atomic():
            Supervision.objects.bulk_create(
                [
                    Supervision(
                        appeal_id=pk,
                        trigger=Supervision.Trigger.REPEATED,
                        reason=reason,
                        opened_at=created,
                        urge_count=1,
                    )
                    for pk, created in part
                ]
            )
            Event.objects.bulk_create(
                [
                    Event(
                        appeal_id=pk,
                        at=created,
                        action="supervise",
                        note=reason,
                        data={"trigger": "repeated"},
                    )
                    for pk, created in part
                ]
            )
            Appeal.objects.filter(pk__in=[pk for pk, _created in part]).update(
                last_urged_on=PREVIOUS_SWEEP.date()
            )
    stats["supervisions"] += len(chosen)
    stats["events"] += len(chosen)


def generate(total):
    """Write ``total`` appeals with their rows; returns what was made and how fast."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from qitong.appeals import deadlines
    from qitong.appeals.models import Appeal, Supervision
    from qitong.core.models import Counter

    began = time.perf_counter()
    rng = random.Random(SEED)
    ctx = Context()
    stats = {
        "status": Tally(),
        "events": 0,
        "assignments": 0,
        "supervisions": 0,
        "richest": (0, None),
        "open_recent": [],
    }
    # The demo city's visits and projects file a few appeals of their own: the generated
    # ones come after them, by id and by number.
    pk = Appeal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    sequence = Tally()
    for name, value in Counter.objects.filter(name__startswith="QT-").values_list("name", "value"):
        sequence[int(name[3:])] = value
    if connection.vendor == "sqlite":
        # Generation only (every measurement runs on a fresh copy with the defaults): a
        # large page cache keeps the growing indexes' pages in this process (a million for
        # bench/assessment.py in 1,682 s, against 6,164 s before on a busier machine).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -2097152")
    batch = Batch()
    for day, count in daily_counts(total):
        for created in filing_instants(rng, day, count):
            pk += 1
            sequence[created.year] += 1
            number = f"QT-{created.year}-{sequence[created.year]:06d}"
            build(ctx, batch, pk, number, created, rng, stats)
            if len(batch) >= BATCH:
                flush(batch, stats)
                batch = Batch()
                if pk % (BATCH * 20) == 0:
                    rate = pk / (time.perf_counter() - began)
                    print(f"  {pk:,} appeals, {rate:,.0f}/s", flush=True)
    if len(batch):
        flush(batch, stats)
    repeated_supervisions(stats)
    with transaction.atomic():
        for year, value in sequence.items():
            Counter.objects.update_or_create(name=f"QT-{year}", defaults={"value": value})
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Appeal]):
                    cursor.execute(sql)
    seconds = time.perf_counter() - began
    analyzed = None
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a load this size; measured apart.
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        analyzed = time.perf_counter() - began

    overdue = Appeal.objects.filter(deadlines.overdue_q(AT)).count()
    near = Appeal.objects.filter(
        status__in=Appeal.HANDLING_STATES,
        suspended_since__isnull=True,
        resolve_due__gt=AT,
        resolve_due__lte=ctx.calendar.add(AT, 1).at,
    ).count()
    rows = total + stats["events"] + stats["assignments"] + stats["supervisions"]
    result = {
        "seconds": seconds,
        "analyzed": analyzed,
        "appeals": total,
        "rows": rows,
        "events": stats["events"],
        "assignments": stats["assignments"],
        "supervisions": Supervision.objects.filter(closed_at__isnull=True).count(),
        "status": stats["status"],
        "overdue": overdue,
        "near": near,
        "richest": stats["richest"][1],
        "counters": dict(sorted(sequence.items())),
    }
    print(
        f"generated {total:,} appeals and {rows - total:,} other rows in {seconds:.1f} s",
        flush=True,
    )
    return result


# --- measurement ----------------------------------------------------------------------


class QueryCount:
    """Counts the queries run on the default connection, at next to no cost."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        from django.db import connection

        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)


def repetitions(first_seconds):
    """Cheap things again four more times, dear ones twice, the dearest not at all."""
    if first_seconds < 2:
        return 4
    if first_seconds < 20:
        return 2
    return 0


def timed_request(client, url, check):
    began = time.perf_counter()
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    seconds = time.perf_counter() - began
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {body[:300]!r}")
    response.close()
    return seconds, check(response, body)


def measure_request(name, client, url, check):
    """First a run that records every query, then timed runs; the median is of the timed runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        first, note = timed_request(client, url, check)
    # Read now: the next request's request_started signal empties the connection's log.
    queries = list(captured.captured_queries)
    slowest = sorted(queries, key=lambda q: -float(q["time"]))[:2]
    for query in slowest:
        print(f"    {float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}", flush=True)
    times = [timed_request(client, url, check)[0] for _ in range(repetitions(first))] or [first]
    return row(name, times, first, len(queries), note)


def row(name, times, first, queries, note=""):
    result = {
        "what": name,
        "median": statistics.median(times) * 1000,
        "runs": len(times),
        "first": first * 1000,
        "queries": queries,
        "note": note,
    }
    print(
        f"  {name}: median {result['median']:,.1f} ms of {result['runs']}, "
        f"first {result['first']:,.1f} ms, {queries} queries {note}",
        flush=True,
    )
    return result


def travel_to(at):
    """Make ``qitong.core.clock.now`` read ``at`` now, ticking on from there."""
    from django.utils import timezone

    from qitong.core import clock

    offset = at - timezone.now()
    clock.now = lambda: timezone.now() + offset


def json_count(response, body):
    import json

    data = json.loads(body)
    return f"{data['count']:,} rows, page of {len(data['results'])}"


def peak_memory(client, url):
    """The most memory one request holds at once, from one more run under tracemalloc."""
    import tracemalloc

    tracemalloc.start()
    try:
        response = client.get(url)
        for _chunk in response.streaming_content if response.streaming else ():
            pass
        response.close()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return f"peak {peak / 2**20:,.0f} MiB of Python objects (tracemalloc, one more run)"


def measure(generated):
    from django.test import Client

    from qitong.appeals import actions, sweep
    from qitong.appeals.models import Appeal, Category
    from qitong.enterprises.models import Enterprise
    from qitong.orgs.models import User

    travel_to(AT)
    rows = []

    def sweep_row(name, at=AT):
        print(f"{name} …", flush=True)
        with QueryCount() as queries:
            began = time.perf_counter()
            try:
                summary = sweep.run(at)
                note, failed = summarize_sweep(summary), False
            except Exception as exc:  # a failure at this size is a finding, not a crash
                note, failed = f"failed: {type(exc).__name__}: {str(exc)[:160]}", True
            seconds = time.perf_counter() - began
        rows.append(row(name, [seconds], seconds, queries.count, note))
        if failed:
            # Still learn what the rest of the sweep costs: its steps one by one.
            with QueryCount() as queries:
                began = time.perf_counter()
                note = sweep_steps(at)
                seconds = time.perf_counter() - began
            rows.append(
                row(f"{name}: its steps one by one", [seconds], seconds, queries.count, note)
            )

    sweep_row("sweep.run(at), first run of the day")
    sweep_row("sweep.run(at), second run (idempotent)")
    travel_to(AT + dt.timedelta(minutes=1))
    sweep_row("sweep.run(at + 1 min), the next minute (nothing due)", AT + dt.timedelta(minutes=1))
    travel_to(AT)

    users = {user.username: user for user in User.objects.filter(username__in=USERS)}
    clients = {}
    for username, user in users.items():
        clients[username] = Client()
        clients[username].force_login(user)

    def api(name, username, url, check=json_count):
        print(f"{name} …", flush=True)
        try:
            rows.append(measure_request(name, clients[username], url, check))
        except Exception as exc:  # report it with the rest
            note = f"failed: {type(exc).__name__}: {str(exc)[:160]}"
            rows.append(row(name, [math.nan], math.nan, 0, note))

    api("GET /api/v1/appeals, office (all)", "office", "/api/v1/appeals")
    api("GET /api/v1/appeals, unit (fgw)", "fgw", "/api/v1/appeals")
    api("GET /api/v1/appeals, enterprise", "enterprise", "/api/v1/appeals")
    api("GET /api/v1/appeals?overdue=true, office", "office", "/api/v1/appeals?overdue=true")
    richest = generated["richest"]
    events = Appeal.objects.get(pk=richest).events.count()
    api(
        f"GET /api/v1/appeals/{{id}}, archived, {events} events",
        "office",
        f"/api/v1/appeals/{richest}",
        lambda response, body: "",
    )
    api(
        "GET /api/v1/figures?month=2026-10, office (all units)",
        "office",
        "/api/v1/figures?month=2026-10",
        lambda response, body: f"{len(response.json()['results'])} units",
    )
    for query in ("unit=fgw&status=in_progress", "unit=fgw"):
        expected = Appeal.objects.filter(
            assignments__unit__code="fgw", assignments__active=True
        ).distinct()
        if "status" in query:
            expected = expected.filter(status="in_progress")
        count = expected.count()
        url = f"/api/v1/appeals/ledger.xlsx?{query}"
        api(
            f"GET {url}, office",
            "office",
            url,
            lambda response, body, count=count: f"{count:,} rows, {len(body) / 1e6:.1f} MB",
        )
        if not rows[-1]["note"].startswith("failed"):
            rows[-1]["note"] += "; " + peak_memory(clients["office"], url)

    print("file_appeal, accept + dispatch …", flush=True)
    office = users["office"]
    enterprises = list(Enterprise.objects.order_by("id")[:20])
    category = Category.objects.get(code="financing-loan")
    filing, dispatching, numbers = [], [], []
    for n, enterprise in enumerate(enterprises):
        with QueryCount() as file_queries:
            began = time.perf_counter()
            appeal, _created = actions.file_appeal(
                acting_user=office,
                enterprise=enterprise,
                title="流动资金贷款续贷困难",
                content="企业反映流动资金贷款到期续贷困难，请协调金融机构。",
                channel="web",
                category=category,
            )
            filing.append(time.perf_counter() - began)
        with QueryCount() as dispatch_queries:
            began = time.perf_counter()
            appeal = actions.accept(appeal, acting_user=office)
            actions.dispatch(
                appeal,
                acting_user=office,
                mode="coordinated" if n % 2 else "transfer",
                lead_unit="fgw",
                co_units=["gxj"] if n % 2 else [],
            )
            dispatching.append(time.perf_counter() - began)
        numbers.append(appeal.number)
    rows.append(
        row(
            "actions.file_appeal",
            filing,
            filing[0],
            file_queries.count,
            f"numbers {numbers[0]} … {numbers[-1]}",
        )
    )
    rows.append(
        row(
            "actions.accept + actions.dispatch",
            dispatching,
            dispatching[0],
            dispatch_queries.count,
            "transfer and coordinated, alternately",
        )
    )
    return rows


USERS = ("office", "fgw", "enterprise")


def sweep_steps(at):
    """The steps of ``sweep.run`` in its order, each timed; a failing step is noted and skipped."""
    from qitong.appeals import sweep
    from qitong.appeals.models import Supervision
    from qitong.core.workdays import WorkCalendar

    T = Supervision.Trigger
    summary = {
        "opened": dict.fromkeys((T.MAJOR, T.REPEATED, T.NEAR_DEADLINE, T.OVERDUE), 0),
        "escalated": 0,
        "urged": 0,
    }
    calendar, notes = WorkCalendar(), []
    steps = [
        ("major", lambda: sweep._open(summary, T.MAJOR, sweep.major_cases(), at, "重大紧急事项。")),
        (
            "repeated",
            lambda: sweep._open(summary, T.REPEATED, sweep.repeated_cases(at), at, "反复反映。"),
        ),
        (
            "near_deadline",
            lambda: sweep._open(
                summary, T.NEAR_DEADLINE, sweep.near_deadline_cases(at, calendar), at, "临近期限。"
            ),
        ),
        ("overdue", lambda: summary.update(escalated=sweep._overdue(summary, at, calendar))),
        ("urge", lambda: summary.update(urged=sweep._urge(at, calendar))),
    ]
    for label, step in steps:
        began = time.perf_counter()
        try:
            step()
            notes.append(f"{label} {time.perf_counter() - began:.1f} s")
        except Exception as exc:
            spent = time.perf_counter() - began
            notes.append(f"{label} failed after {spent:.1f} s ({type(exc).__name__})")
    return "; ".join(notes) + "; " + summarize_sweep(summary)


def summarize_sweep(summary):
    opened = ", ".join(f"{k} {v:,}" for k, v in summary["opened"].items())
    return f"opened {opened}; escalated {summary['escalated']:,}; urged {summary['urged']:,}"


# --- the report -----------------------------------------------------------------------


def git(*args):
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def describe_hardware():
    """The processor, cores, memory and Python: what every benchmark's report names."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip() + ", "
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GB RAM, "
        f"Python {platform.python_version()}"
    )


def describe_machine(connection):
    """``describe_hardware``, the database with the settings that matter, and the code."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
            settings = []
            for name in ("shared_buffers", "fsync", "synchronous_commit"):
                cursor.execute(f"SHOW {name}")
                settings.append(f"{name}={cursor.fetchone()[0]}")
            database = f"PostgreSQL {version} ({', '.join(settings)})"
        else:
            import sqlite3

            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
            database = f"SQLite {sqlite3.sqlite_version} (journal_mode={journal}, synchronous={synchronous}, no ANALYZE)"
    # A run from an exported tree (``git archive``) names its commit in QITONG_BENCH_REVISION.
    revision = os.environ.get("QITONG_BENCH_REVISION")
    try:
        revision = revision or git("rev-parse", "--short", "HEAD")
        if git("status", "--porcelain", "--", "src") and "QITONG_BENCH_REVISION" not in os.environ:
            revision += " with uncommitted changes in src/"
    except (OSError, subprocess.CalledProcessError):
        revision = revision or "unknown"
    return f"{describe_hardware()}, {database}; code at {revision}."


def report(total, command, machine, generated, measured, write=True):
    from qitong.appeals.models import Appeal

    status = generated["status"]
    open_count = sum(status[state] for state in Appeal.OPEN_STATES)
    states = ", ".join(f"{state} {status[state]:,}" for state in Appeal.OPEN_STATES)
    seconds = generated["seconds"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"## Appeals at {total:,} ({dt.datetime.now(dt.UTC).date().isoformat()})",
        "",
        f"Machine: {machine}",
        f"Command: `{command}`",
        "",
        f"Data: {total:,} appeals filed over the 24 months before 2026-11-30 by the demo city's "
        f"200 enterprises: {status['archived']:,} archived, {status['rejected']:,} rejected, "
        f"{open_count:,} open ({states}); {generated['events']:,} events, "
        f"{generated['assignments']:,} assignments, {generated['supervisions']:,} open "
        f"supervisions. At the benchmark instant 2026-11-30 10:00 (+08:00), a Monday: "
        f"{generated['overdue']:,} overdue, {generated['near']:,} within a working day of the "
        f"resolve deadline. Counters: "
        + ", ".join(f"QT-{year} = {value:,}" for year, value in generated["counters"].items())
        + ".",
        "",
        f"Generation: {seconds:,.0f} s, {total / seconds:,.0f} appeals/s, "
        f"{generated['rows'] / seconds:,.0f} rows/s over all tables ({generated['rows']:,} rows)"
        + (
            f"; then ANALYZE {generated['analyzed']:.1f} s"
            if generated["analyzed"] is not None
            else ""
        )
        + f". Peak memory of the process: {peak:,.0f} MB.",
        "",
        "Median of the runs after the first; the first run also recorded every query.",
        "",
        "| what | median ms | runs | first ms | queries | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for item in measured:
        lines.append(
            f"| {item['what']} | {item['median']:,.1f} | {item['runs']} | {item['first']:,.1f} "
            f"| {item['queries']:,} | {item['note']} |"
        )
    lines.append("")
    print("\n".join(lines))
    if not write:
        return
    target = ROOT / "docs" / "benchmarks.md"
    before = (
        target.read_text()
        if target.exists()
        else "# Benchmarks\n\nFigures measured by the scripts in `bench/`; each section names its command.\n"
    )
    target.write_text(before.rstrip("\n") + "\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
