"""Matching and pushing new policies at a province's size: 250,000 enterprises × 1,000 policies.

Run: ``.venv/bin/python bench/push.py [--enterprises N] [--policies N] [--database-url postgres://…]``
(default 250,000 and 1,000; target: matching and push < 30 s). Without a database URL it
migrates a throwaway SQLite data folder; with ``--database-url`` (or an already set
``QITONG_DATABASE_URL``, e.g. under ``scripts/with-postgres.sh``) it migrates that
PostgreSQL database, which must hold no enterprises yet.

It generates (one seeded ``random.Random``) the enterprises of Shandong's 16 prefectures,
spread over their counties, each with a GB/T 4754 class, a size (mostly micro and small),
a tier, the qualifications a few hold, and one portal user; then the new policies, each
with an area (national, the province, a prefecture or a county) and the conditions the
classifier gives: industries, sizes, tiers, qualifications, listed divisions (the shares
are ``AREAS`` and ``KINDS`` below; a few are already expired). Then, as of 2026-11-30 10:00
(+08:00), it measures:

- ``actions.push_new_policies``: every policy claimed, ``actions.PUSH_BATCH`` at a time,
  each batch matched by one INSERT … SELECT (``matching.push``), then one inbox message per
  pushed enterprise's user for the run, by one INSERT … SELECT (``matching.announce``);
- the same run again (nothing waits: the idempotent minute);
- two references measured in the same run: a naive per-enterprise Python loop (the
  calculator's rule for each enterprise in turn, pushes and messages written by the ORM)
  over a sample of the policies, rolled back and extrapolated to all; and a bare
  ``INSERT … SELECT`` of the same (policy, enterprise) pairs into a table indexed like
  the pushes', the floor of writing them;
- the next morning's digest (``actions.send_digests``), one enterprise's calculator and
  the cockpit's policy figures.

The figures go to stdout and are appended to docs/benchmarks.md.
"""

import argparse
import datetime as dt
import os
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import appeals as appeal_bench  # noqa: E402  (bench/appeals.py: what every report names)

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
MORNING = dt.datetime(2026, 12, 1, 8, 5, tzinfo=SHANGHAI)
SEED = 20261130
NAIVE_SAMPLE = 5  # policies the naive loop matches (then extrapolated)

# Shandong's prefectures and their share of the enterprises (roughly by economic weight).
PREFECTURES = {
    "3701": 12, "3702": 15, "3703": 6, "3704": 3, "3705": 3, "3706": 9, "3707": 9, "3708": 7,
    "3709": 5, "3710": 4, "3711": 3, "3713": 9, "3714": 5, "3715": 4, "3716": 4, "3717": 6,
}  # fmt: skip
# GB/T 4754 classes with their weight: manufacturing and trade first, as registrations are.
INDUSTRIES = {
    "C1310": 2, "C1469": 2, "C1713": 2, "C1810": 2, "C2110": 1, "C2231": 1, "C2319": 1,
    "C2614": 2, "C2710": 2, "C2927": 2, "C3011": 2, "C3130": 1, "C3311": 3, "C3484": 3,
    "C3670": 3, "C3821": 2, "C3989": 3, "C4090": 1,
    "F5123": 4, "F5137": 3, "F5191": 6, "F5211": 4, "F5261": 3, "F5292": 5,
    "I6311": 1, "I6450": 2, "I6513": 3, "I6520": 2,
    "M7320": 2, "M7350": 2, "M7491": 3,
    "L7211": 3, "L7221": 2, "L7281": 3,
    "E4710": 2, "E4813": 2, "E4910": 1,
    "G5430": 3, "G5810": 1, "G5990": 1,
    "H6110": 2, "H6210": 3,
    "K7010": 2, "O8011": 3, "R8710": 1, "A0111": 1,
}  # fmt: skip
SIZES = {"large": 1, "medium": 7, "small": 35, "micro": 57}
KEY_SHARE = 0.02
QUALIFICATIONS = {  # code, name, share of the enterprises holding it
    "high-tech": ("高新技术企业", 0.03),
    "tech-sme": ("科技型中小企业", 0.05),
    "specialized": ("专精特新中小企业", 0.02),
    "little-giant": ("专精特新“小巨人”企业", 0.002),
    "gazelle": ("瞪羚企业", 0.005),
}
# Whose policy it is: national (no region), the province, a prefecture, a county. By count
# of documents, as a province's sources publish them: the State Council and the ministries
# and the province a few dozen a week each, the 16 cities and 136 counties many more.
AREAS = {"national": 5, "province": 5, "prefecture": 50, "county": 40}
# What the classifier found it is for (each policy one kind; the area comes on top).
KINDS = {
    "qualification": 30,  # 1–2 qualifications, sometimes an industry too
    "industry_size": 35,  # 1–2 industries (a section or a division) and SME sizes
    "industry": 15,  # 1–3 divisions (C39, I65…)
    "key": 5,  # key enterprises, sometimes of an industry
    "size": 10,  # small and micro enterprises: prefecture or county policies
    "none": 5,  # no condition but the area: county notices
}
EXPIRED_SHARE = 0.03
TOPICS = [
    "技术改造",
    "研发投入",
    "稳岗就业",
    "融资担保",
    "数字化转型",
    "开拓市场",
    "人才引进",
    "绿色低碳",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=250_000)
    parser.add_argument("--policies", type=int, default=1_000)
    parser.add_argument("--database-url", help="PostgreSQL instead of a throwaway SQLite file")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=NAIVE_SAMPLE,
        help="policies the naive loop matches (0: leave that reference out)",
    )
    parser.add_argument(
        "--no-digest", action="store_true", help="leave out the next morning's digest"
    )
    parser.add_argument(
        "--push-workers",
        type=int,
        help="PostgreSQL's batches at once (actions.PUSH_WORKERS; 1: one after the other)",
    )
    parser.add_argument(
        "--no-report", action="store_true", help="print the figures; leave docs/benchmarks.md"
    )
    return parser.parse_args()


def command_line(args, preset_url):
    line = shlex.join([".venv/bin/python", "bench/push.py", *sys.argv[1:]])
    if args.database_url:
        line = line.replace(args.database_url, appeal_bench.redacted(args.database_url))
    if preset_url:
        line = f"QITONG_DATABASE_URL={appeal_bench.redacted(preset_url)} {line}"
    return line


def main():
    args = parse_args()
    preset_url = os.environ.get("QITONG_DATABASE_URL") if not args.database_url else None
    url = args.database_url or preset_url
    folder = Path(tempfile.mkdtemp(prefix="qitong-bench-push-"))
    os.environ.update(
        QITONG_DATA_DIR=str(folder),
        QITONG_SECRET_KEY="bench-only-secret-key-0123456789abcdef",
        QITONG_RATE_LIMITS="login=1000000/60,filing=1000000/60,urge=1000000/60,public=1000000/60",  # counted, never refused: a benchmark is one client asking fast
    )
    if url:
        os.environ["QITONG_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    try:
        run(args, command_line(args, preset_url))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args, command):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    import qitong.urls  # noqa: F401  (the code measured is the code at the start)
    from qitong.enterprises.models import Enterprise

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - began:.1f} s", flush=True)
    if Enterprise.objects.exists():
        sys.exit("bench/push.py needs a database without enterprises.")
    if args.push_workers:
        from qitong.policies import actions

        actions.PUSH_WORKERS = args.push_workers
    generated = generate(args.enterprises, args.policies)
    machine = appeal_bench.describe_machine(connection)
    print(machine, flush=True)
    measured = measure(generated, args.naive_sample, digest=not args.no_digest)
    report(args, command, machine, generated, measured, write=not args.no_report)


# --- generation -------------------------------------------------------------------------


def _pick(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def generate(enterprise_count, policy_count):
    from django.db import connection, transaction

    from qitong.core.bulk import insert_rows
    from qitong.enterprises.models import Enterprise, Qualification
    from qitong.enterprises.uscc import CHARSET, make_uscc
    from qitong.orgs.models import Region, User
    from qitong.policies.models import Policy

    rng = random.Random(SEED)
    began = time.perf_counter()
    counties = {}
    for pk, code in Region.objects.filter(
        level=Region.Level.COUNTY, is_active=True, code__startswith="37"
    ).values_list("pk", "code"):
        counties.setdefault(code[:4], []).append((pk, code))
    prefectures = {code[:4]: pk for pk, code in Region.objects.filter(
        level=Region.Level.PREFECTURE, is_active=True, code__startswith="37"
    ).values_list("pk", "code")}  # fmt: skip
    province = Region.objects.get(code="370000").pk
    with transaction.atomic():
        qualifications = {
            code: Qualification.objects.create(code=code, name=name).pk
            for code, (name, _share) in QUALIFICATIONS.items()
        }
        rows, held, codes = [], [], set()
        area_of = {}  # enterprise number → (prefecture, county code)
        for number in range(enterprise_count):
            prefecture = _pick(rng, PREFECTURES)
            region_pk, county = rng.choice(counties[prefecture])
            while True:
                uscc = make_uscc("91" + county + "".join(rng.choices(CHARSET, k=9)))
                if uscc not in codes:
                    codes.add(uscc)
                    break
            size = _pick(rng, SIZES)
            tier = "key" if size == "large" or rng.random() < KEY_SHARE else "normal"
            industry = _pick(rng, INDUSTRIES)
            rows.append((uscc, f"山东{number:06d}有限公司", region_pk, industry, size, tier, AT))
            area_of[number] = (prefecture, county)
            for code, (_name, share) in QUALIFICATIONS.items():
                if rng.random() < share:
                    held.append((number, qualifications[code]))
        insert_rows(
            Enterprise, ("uscc", "name", "region", "industry", "size", "tier", "created_at"), rows
        )
    with transaction.atomic():
        ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
        through = Enterprise.qualifications.through
        insert_rows(through, ("enterprise", "qualification"), [(ids[n], q) for n, q in held])
        insert_rows(
            User,
            ("username", "password", "role", "enterprise", "email"),
            [(f"e{pk}", "!", "enterprise", pk, f"e{pk}@example.org") for pk in ids],
        )
    enterprises_seconds = time.perf_counter() - began

    began = time.perf_counter()
    sections = Counter()
    for code, weight in INDUSTRIES.items():
        sections[code[0]] += weight
    divisions = sorted({code[:3] for code in INDUSTRIES})
    all_counties = [pair for pairs in counties.values() for pair in pairs]
    kinds, areas, area_of_policy = Counter(), Counter(), {}
    with transaction.atomic():
        for number in range(policy_count):
            kind = _pick(rng, KINDS)
            area = "county" if kind == "none" else _pick(rng, AREAS)
            if kind == "size" and area in ("national", "province"):
                area = "prefecture"
            kinds[kind] += 1
            areas[area] += 1
            fields = {"industries": [], "sizes": [], "tiers": []}
            quals, listed = [], []
            if kind == "qualification":
                quals = rng.sample(sorted(qualifications.values()), rng.choice((1, 1, 2)))
                if rng.random() < 0.3:
                    fields["industries"] = [_pick(rng, sections)]
            elif kind == "industry_size":
                fields["industries"] = [
                    _pick(rng, sections) if rng.random() < 0.6 else rng.choice(divisions)
                    for _n in range(rng.choice((1, 2)))
                ]
                fields["sizes"] = rng.choice((["small", "micro"], ["medium", "small", "micro"]))
            elif kind == "industry":
                fields["industries"] = rng.sample(divisions, rng.choice((1, 2, 3)))
            elif kind == "key":
                fields["tiers"] = ["key"]
                if rng.random() < 0.5:
                    fields["industries"] = [_pick(rng, sections)]
            elif kind == "size":
                fields["sizes"] = ["small", "micro"]
            if area == "national":
                region = None
            elif area == "province":
                region = province
            elif area == "prefecture":
                prefecture = _pick(rng, PREFECTURES)
                region = prefectures[prefecture]
                if rng.random() < 0.1:  # a few name some of the prefecture's counties
                    listed = [pk for pk, _code in rng.sample(counties[prefecture], 2)]
            else:
                region = rng.choice(all_counties)[0]
            expired = rng.random() < EXPIRED_SHARE
            policy = Policy.objects.create(
                title=f"关于支持{rng.choice(TOPICS)}的若干措施（第{number + 1}号）",
                issuer="山东省人民政府" if region == province else "",
                category=rng.choice(Policy.Category.values),
                published=dt.date(2026, 11, 1) + dt.timedelta(days=rng.randrange(29)),
                valid_until=dt.date(2026, 11, 1) if expired else None,
                region_id=region,
                **fields,
            )
            policy.qualifications.set(quals)
            policy.regions.set(listed)
            area_of_policy[policy.pk] = area
    if connection.vendor == "postgresql":
        # As autovacuum leaves a province's enterprises, loaded long before a backlog of
        # policies arrives: analysed, and vacuumed (their visibility map set, so an index
        # holding every column a condition reads answers without the table).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {
        "enterprises": enterprise_count,
        "policies": policy_count,
        "held": len(held),
        "kinds": kinds,
        "areas": areas,
        "area_of_policy": area_of_policy,
        "enterprises_seconds": enterprises_seconds,
        "policies_seconds": time.perf_counter() - began,
        "users": enterprise_count,
    }


# --- measurement --------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def naive(sample):
    """The naive loop over ``sample`` policy ids: every enterprise judged in Python, written
    by the ORM; rolled back. Returns (seconds, pushes)."""
    from django.db import transaction

    from qitong.enterprises.models import Enterprise
    from qitong.notify import outbox
    from qitong.orgs.models import User
    from qitong.policies import matching
    from qitong.policies.models import Policy, Push

    began = time.perf_counter()
    pushes = 0
    try:
        with transaction.atomic():
            held = {}
            for (
                enterprise_id,
                qualification,
            ) in Enterprise.qualifications.through.objects.values_list(
                "enterprise_id", "qualification_id"
            ):
                held.setdefault(enterprise_id, set()).add(qualification)
            profiles = [
                (
                    pk,
                    matching.Profile(code or "", industry, size, tier, frozenset(held.get(pk, ()))),
                )
                for pk, code, industry, size, tier in Enterprise.objects.values_list(
                    "pk", "region__code", "industry", "size", "tier"
                )
            ]
            users = {}
            for pk, enterprise_id in User.objects.filter(role="enterprise").values_list(
                "pk", "enterprise_id"
            ):
                users.setdefault(enterprise_id, []).append(User(pk=pk))
            for policy, terms in matching.load_terms(Policy.objects.filter(pk__in=sample)):
                fits = []
                for pk, profile in profiles:
                    reasons, lacks = matching.judge(terms, profile)
                    if not lacks:
                        fits.append(
                            Push(policy=policy, enterprise_id=pk, pushed_at=AT, reasons=reasons)
                        )
                Push.objects.bulk_create(fits, batch_size=500)
                for push in fits:
                    outbox.enqueue(
                        users.get(push.enterprise_id, []),
                        kind="policy_push",
                        subject=policy.title,
                        body=policy.title,
                        url="/portal/policies/",
                        email=False,
                    )
                pushes += len(fits)
            raise _Rollback
    except _Rollback:
        pass
    return time.perf_counter() - began, pushes


def bare_insert():
    """The floor: the pushes' (policy, enterprise) pairs copied by one INSERT … SELECT into a
    fresh table keyed and indexed as the pushes are (without foreign keys in the database,
    as they are). Returns (seconds, rows)."""
    from django.db import connection, transaction

    from qitong.policies.models import Push

    quote = connection.ops.quote_name
    table = quote(Push._meta.db_table)
    statements = [
        "CREATE TABLE bench_pairs (id integer PRIMARY KEY, policy_id integer NOT NULL, "
        "enterprise_id integer NOT NULL, pushed_at timestamp NOT NULL, reasons text NULL, "
        "read_at timestamp NULL, digested_at timestamp NULL)",
        "CREATE UNIQUE INDEX bench_pairs_once ON bench_pairs (policy_id, enterprise_id)",
        "CREATE INDEX bench_pairs_enterprise ON bench_pairs (enterprise_id, pushed_at DESC)",
    ]
    if connection.vendor == "postgresql":
        statements[0] = statements[0].replace("integer PRIMARY KEY", "bigserial PRIMARY KEY")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_pairs (policy_id, enterprise_id, pushed_at, reasons) "
            f"SELECT policy_id, enterprise_id, pushed_at, CAST(reasons AS TEXT) FROM {table}"
        )
        rows = cursor.rowcount
    seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_pairs")
    return seconds, rows


def timed(function, *args):
    """``(seconds, queries, result)`` of ``function(*args)``; queries counted, not kept."""
    from django.db import connection

    count = [0]

    def counting(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        began = time.perf_counter()
        result = function(*args)
        seconds = time.perf_counter() - began
    return seconds, count[0], result


def measure(generated, naive_sample=NAIVE_SAMPLE, digest=True):
    import time_machine
    from django.db import connection

    from qitong.dashboard import cockpit
    from qitong.enterprises.models import Enterprise
    from qitong.notify.models import Message
    from qitong.orgs.models import Unit, User
    from qitong.policies import actions, matching
    from qitong.policies.models import Policy, Push

    rows = []
    sample = list(
        Policy.objects.filter(valid_until__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    sample = sample[:: max(1, len(sample) // max(1, naive_sample))][:naive_sample]
    if sample:
        print(f"naive loop over {len(sample)} policies…", flush=True)
        naive_seconds, naive_pushes = naive(sample)
        print(f"  {naive_seconds:.1f} s, {naive_pushes:,} pushes", flush=True)

    print("push_new_policies…", flush=True)
    by_area = phase_timer()
    load_before, cpu_before = os.getloadavg()[0], time.process_time()
    with time_machine.travel(AT, tick=True), by_area:
        seconds, queries, summary = timed(actions.push_new_policies, AT)
    cpu = time.process_time() - cpu_before
    load = (load_before + os.getloadavg()[0]) / 2
    print(f"  {seconds:.1f} s {summary}", flush=True)
    per_policy = seconds / max(1, summary["policies"])
    rows.append(
        {
            "what": f"actions.push_new_policies: {summary['policies']:,} policies",
            "seconds": seconds,
            "queries": queries,
            "note": f"{summary['pushes']:,} pushes, {summary['messages']:,} inbox messages; "
            f"{per_policy * 1000:,.1f} ms a policy, "
            f"{summary['pushes'] / seconds:,.0f} pushes/s; this process's CPU {cpu:,.0f} s "
            f"(load average {load:.1f} on {os.cpu_count()} cores during the run)",
        }
    )
    if sample:
        sample_pushes = Push.objects.filter(policy_id__in=sample).count()
        assert sample_pushes == naive_pushes, (sample_pushes, naive_pushes)
        naive_all = naive_seconds * generated["policies"] / len(sample)
        rows.append(
            {
                "what": f"reference: naive per-enterprise Python loop, {len(sample)} policies "
                f"extrapolated to {generated['policies']:,}",
                "seconds": naive_all,
                "queries": None,
                "note": f"{naive_seconds:,.1f} s for {naive_pushes:,} pushes of the sample "
                f"(the same pairs the push made); ratio {naive_all / seconds:,.1f}× the push",
            }
        )
    bare_seconds, bare_rows = bare_insert()
    rows.append(
        {
            "what": "reference: bare INSERT … SELECT of the same pairs into a table keyed and indexed alike",
            "seconds": bare_seconds,
            "queries": 1,
            "note": f"{bare_rows:,} rows; the push takes {seconds / bare_seconds:,.1f}× this floor "
            "(it also matches, words the reasons and writes the messages)",
        }
    )
    again_seconds, again_queries, again = timed(actions.push_new_policies, AT)
    rows.append(
        {
            "what": "actions.push_new_policies again (nothing waits)",
            "seconds": again_seconds,
            "queries": again_queries,
            "note": str(again),
        }
    )
    if digest:
        with time_machine.travel(MORNING, tick=True):
            digest_seconds, digest_queries, sent = timed(actions.send_digests, MORNING)
        rows.append(
            {
                "what": "actions.send_digests, the next morning",
                "seconds": digest_seconds,
                "queries": digest_queries,
                "note": f"{sent['enterprises']:,} enterprises, {sent['emails']:,} e-mails "
                f"queued, {sent['pushes']:,} pushes carried",
            }
        )
    # One enterprise's calculator: the most pushed enterprise of Jinan.
    enterprise = Enterprise.objects.get(
        pk=Push.objects.filter(enterprise__region__code__startswith="3701")
        .values("enterprise")
        .annotate(n=django_count())
        .order_by("-n", "enterprise")
        .values_list("enterprise", flat=True)[0]
    )
    times = []
    for _run in range(5):
        calc_seconds, calc_queries, result = timed(matching.calculate, enterprise, AT.date())
        times.append(calc_seconds)
    rows.append(
        {
            "what": "matching.calculate: one enterprise's calculator (median of 5)",
            "seconds": statistics.median(times),
            "queries": calc_queries,
            "note": f"{len(result.eligible)} eligible, {len(result.near_misses)} near misses",
        }
    )
    mayor = Unit.objects.create(code="bench-leader", name="市长", kind=Unit.Kind.LEADER)
    leader = User.objects.create(username="bench-leader", role=User.Role.LEADER, unit=mayor)
    start = dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    end = dt.datetime(2026, 12, 1, tzinfo=SHANGHAI)
    fig_seconds, fig_queries, figures = timed(cockpit.policy_figures, leader, start, end)
    assert figures["pushes"] == summary["pushes"], figures
    rows.append(
        {
            "what": "cockpit: the month's policy figures",
            "seconds": fig_seconds,
            "queries": fig_queries,
            "note": f"{figures}",
        }
    )
    counts = {
        "pushes": Push.objects.count(),
        "messages": Message.objects.count(),
        "db": connection.vendor,
    }
    return {"rows": rows, "summary": summary, "counts": counts, "areas": by_area.rows()}


class phase_timer:
    """Times ``matching.push`` (each batch's claim excluded: the matching and the pushes'
    INSERT … SELECT) and ``matching.announce`` (the run's inbox messages)."""

    def __init__(self):
        self.spent = {"push": [0, 0, 0.0], "announce": [0, 0, 0.0]}

    def __enter__(self):
        from qitong.policies import matching

        self.matching = matching
        self.push, self.announce = matching.push, matching.announce

        def timed_call(name, function):
            def call(*args):
                began = time.perf_counter()
                result = function(*args)
                row = self.spent[name]
                row[0] += 1
                row[1] += result
                row[2] += time.perf_counter() - began
                return result

            return call

        matching.push = timed_call("push", self.push)
        matching.announce = timed_call("announce", self.announce)
        return self

    def __exit__(self, *exc):
        self.matching.push, self.matching.announce = self.push, self.announce

    def rows(self):
        return self.spent


def django_count():
    from django.db.models import Count

    return Count("pk")


def report(args, command, machine, generated, measured, write=True):
    summary = measured["summary"]
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(generated["kinds"].items()))
    areas = ", ".join(f"{area} {count}" for area, count in sorted(generated["areas"].items()))
    vendor = "PostgreSQL" if measured["counts"]["db"] == "postgresql" else "SQLite"
    push_seconds = measured["rows"][0]["seconds"]
    lines = [
        f"## Policy push: {args.enterprises:,} enterprises × {args.policies:,} new policies on "
        f"{vendor} ({dt.datetime.now(dt.UTC).date().isoformat()})",
        "",
        f"Machine: {machine}",
        f"Command: `{command}`",
        "",
        f"Data: {args.enterprises:,} enterprises over Shandong's 16 prefectures and their "
        f"counties (GB/T 4754 classes, 57% micro, 35% small; {generated['held']:,} "
        f"qualifications held), one portal user each; {args.policies:,} new policies by area "
        f"({areas}) and by what they are for ({kinds}); about 3% already expired. "
        f"Generated in {generated['enterprises_seconds']:,.0f} s (enterprises) and "
        f"{generated['policies_seconds']:,.0f} s (policies).",
        "",
        f"Result: {summary['pushes']:,} pushes ({summary['pushes'] / args.enterprises:,.1f} an "
        f"enterprise, {summary['pushes'] / max(1, summary['policies']):,.0f} a policy) and "
        f"{summary['messages']:,} inbox messages in {push_seconds:,.1f} s: "
        + ("within" if push_seconds < 30 else "**over**")
        + " the 30 s target.",
        "",
        "| what | seconds | queries | notes |",
        "|---|---:|---:|---|",
    ]
    for row in measured["rows"]:
        queries = "" if row["queries"] is None else f"{row['queries']:,}"
        lines.append(f"| {row['what']} | {row['seconds']:,.2f} | {queries} | {row['note']} |")
    phases = measured["areas"]
    lines += [
        "",
        "The push by its parts (the rest is the batches' claims and the transactions):",
        "",
        "| part | calls | rows | seconds |",
        "|---|---:|---:|---:|",
        f"| matching.push: match and write the pushes, one INSERT … SELECT a batch "
        f"| {phases['push'][0]:,} | {phases['push'][1]:,} | {phases['push'][2]:,.2f} |",
        f"| matching.announce: one inbox message per enterprise user for the run "
        f"| {phases['announce'][0]:,} | {phases['announce'][1]:,} "
        f"| {phases['announce'][2]:,.2f} |",
    ]
    lines.append("")
    print("\n".join(lines))
    if not write:
        return
    target = ROOT / "docs" / "benchmarks.md"
    before = target.read_text()
    target.write_text(before.rstrip("\n") + "\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
