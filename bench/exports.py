"""Exports, the figures API and a unit's list at a province's volume, on kept data.

Run: ``.venv/bin/python bench/exports.py --data DIR [--database-url postgres://…] [--before FILE] [--no-report]``

``DIR`` is a folder that ``bench/appeals.py --keep DIR`` generated. The
measurements run on a fresh copy of its pristine data, migrated to the code of
the day, so the kept data (which others read) is left alone: for SQLite the
copy of ``DIR/pristine.db`` (or ``DIR/qitong.db`` when there is no pristine
copy) goes to ``DIR-exports/``; for PostgreSQL (``--database-url`` names the
kept database) the copy is the database ``<name>_exports``, made from
``<name>_pristine`` (or ``<name>``). Everything is measured in-process through
Django's test client as of the benchmark instant 2026-11-30 10:00 (+08:00):

- a unit's whole ledger (``GET /api/v1/appeals/ledger.xlsx`` as the unit fgw,
  and as the office with ``?unit=fgw``), and the peak memory of writing its
  first 5,000 rows and all of them, each in a process of its own;
- a ledger past the job threshold as a background job, start to done;
- ``GET /api/v1/figures?month=2026-10`` as the office;
- the unit's unfiltered ``GET /api/v1/appeals``.

The figures go to stdout and, unless ``--no-report``, into a section of
docs/benchmarks.md beside the figures of before this round: those that
``--record-before FILE`` wrote when run with the earlier code on the path
(``git archive 9bb437d src | tar -x -C /tmp/old``, then
``PYTHONPATH=/tmp/old/src .venv/bin/python bench/exports.py --data DIR --record-before FILE``),
given as ``--before FILE``; without it, the SQLite figures of 2026-12-01.
"""

import argparse
import datetime as dt
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import appeals as appeal_bench  # noqa: E402  (bench/appeals.py: the kept data and its helpers)

ROOT = appeal_bench.ROOT
AT = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
UNIT = "fgw"
SMALL = 5_000  # rows of the smaller ledger whose peak memory is compared with the whole one
BEFORE_CODE = "9bb437d"  # the code this round started from
# Without --before: docs/benchmarks.md, "Appeals at 1,000,000 (2026-12-01)", SQLite.
BEFORE = {
    "ledger-office": 30_651.4,
    "figures": 1_493.5,
    "list-unit": 300.6,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", metavar="DIR", required=True, help="bench/appeals.py --keep DIR")
    parser.add_argument("--database-url", help="the kept PostgreSQL database")
    parser.add_argument("--no-report", action="store_true", help="leave docs/benchmarks.md")
    parser.add_argument(
        "--record-before",
        metavar="FILE",
        help="measure only what the earlier code answers too, into FILE (run with that code)",
    )
    parser.add_argument(
        "--before", metavar="FILE", help="the earlier figures --record-before wrote"
    )
    parser.add_argument("--child-rss", type=int, help=argparse.SUPPRESS)  # internal
    return parser.parse_args()


def main():
    args = parse_args()
    os.environ.setdefault("QITONG_SECRET_KEY", "bench-only-secret-key-0123456789abcdef")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    os.environ["QITONG_REDIS_URL"] = ""
    if args.child_rss is not None:
        return child_rss(args.child_rss)
    folder = Path(args.data).resolve()
    if args.database_url:
        url = appeal_bench.fresh_copy_postgresql(args.database_url, SUFFIX)
        os.environ["QITONG_DATABASE_URL"] = url
        os.environ["QITONG_DATA_DIR"] = str(scratch_folder(folder))
    else:
        os.environ["QITONG_DATABASE_URL"] = ""
        os.environ["QITONG_DATA_DIR"] = str(appeal_bench.fresh_copy_sqlite(folder, SUFFIX))
    command = shlex.join([".venv/bin/python", "bench/exports.py", *sys.argv[1:]])
    if args.database_url:
        command = command.replace(args.database_url, appeal_bench.redacted(args.database_url))
    if args.record_before:
        measured, machine, total = measure(only_comparable=True)
        medians = {row["key"]: row["median"] for row in measured if row["key"]}
        Path(args.record_before).write_text(json.dumps({"machine": machine, "medians": medians}))
        print(json.dumps(medians, indent=1))
        return None
    if args.before:
        earlier = json.loads(Path(args.before).read_text())["medians"]
        source = (
            f"the code before this round ({BEFORE_CODE}), measured on the same copy just before"
        )
    else:
        earlier = BEFORE
        source = 'the same request in "Appeals at 1,000,000 (2026-12-01)" (SQLite)'
    measured, machine, total = measure(before=earlier)
    text = report(measured, machine, total, command, source)
    print(text)
    if not args.no_report:
        with (ROOT / "docs" / "benchmarks.md").open("a") as docs:
            docs.write("\n" + text)


# --- a copy of the kept data ---------------------------------------------------------
# bench/appeals.py's copies, into ``DIR-exports/`` and ``<name>_exports``.

SUFFIX = "exports"


def scratch_folder(folder):
    """The data folder (uploads, job results) beside the PostgreSQL copy."""
    scratch = folder.parent / f"{folder.name}-{SUFFIX}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    return scratch


# --- measuring -----------------------------------------------------------------------


def setup(migrate=True):
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from qitong.core import clock

    if migrate:
        call_command("migrate", verbosity=0)
    offset = AT - timezone.now()
    clock.now = lambda: timezone.now() + offset  # the benchmark instant, ticking on


def describe_machine():
    """bench/appeals.py's description (hardware, database, code), and the load at the start."""
    from django.db import connection

    return appeal_bench.describe_machine(connection).removesuffix(".") + (
        f"; load average {os.getloadavg()[0]:.1f} at the start"
    )


def timed(client, url, runs, accept=None):
    """First run, then ``runs`` more: (first ms, median ms, queries of the first, last response body)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    extra = {"HTTP_ACCEPT": accept} if accept else {}
    times, body, queries = [], b"", 0
    for run in range(runs + 1):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url, **extra)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code} {body[:300]!r}")
        response.close()
        if run == 0:
            queries = len(captured.captured_queries)
            slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
            for query in slowest:
                print(
                    f"    {float(query['time']) * 1000:8.1f} ms  {query['sql'][:200]}", flush=True
                )
    median = statistics.median(times[1:]) if runs else times[0]
    return times[0], median, queries, body


def measure(before=None, only_comparable=False):
    """Rows of figures; ``before`` gives each comparable row's earlier median, by key.

    ``only_comparable`` measures only the requests the code before this round
    also answers (run with that code on the path: see ``--record-before``).
    """
    setup(migrate=not only_comparable)
    from django.test import Client

    from qitong.appeals.access import visible_appeals
    from qitong.appeals.models import Appeal
    from qitong.orgs.models import User

    before = before or {}

    machine = describe_machine()
    total = Appeal.objects.count()
    print(machine, f"{total:,} appeals", flush=True)
    clients = {}
    for username in ("office", UNIT):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    rows = []

    def row(what, first, median, runs, queries, note, key=None):
        rows.append(
            {
                "key": key,
                "before": before.get(key),
                "what": what,
                "first": first,
                "median": median,
                "runs": runs,
                "queries": queries,
                "note": note,
            }
        )
        print(f"  {what}: first {first:,.1f} ms, median {median:,.1f} ms; {note}", flush=True)

    def ledger_rows(body):
        import io

        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body), read_only=True).active
        return sum(1 for _row in sheet.iter_rows(values_only=True)) - 1

    unit_rows = visible_appeals(User.objects.get(username=UNIT)).count()
    print(f"the unit's ledger ({unit_rows:,} rows) …", flush=True)
    ledger_runs = 0 if only_comparable else 2  # the earlier code's ledger takes half a minute
    first, median, queries, body = timed(clients[UNIT], "/api/v1/appeals/ledger.xlsx", ledger_runs)
    row(
        f"GET /api/v1/appeals/ledger.xlsx, unit ({UNIT}): its whole history",
        first,
        median,
        ledger_runs,
        queries,
        f"{ledger_rows(body):,} rows, {len(body) / 1e6:.1f} MB",
        "ledger-unit",
    )
    first, median, queries, body = timed(
        clients["office"], f"/api/v1/appeals/ledger.xlsx?unit={UNIT}", ledger_runs
    )
    row(
        f"GET /api/v1/appeals/ledger.xlsx?unit={UNIT}, office",
        first,
        median,
        ledger_runs,
        queries,
        f"{ledger_rows(body):,} rows, {len(body) / 1e6:.1f} MB",
        "ledger-office",
    )

    if not only_comparable:
        new_roads(clients, row)

    print("figures …", flush=True)
    first, median, queries, body = timed(clients["office"], "/api/v1/figures?month=2026-10", 4)
    counted = json.loads(body).get("counted_at", "live")
    row(
        "GET /api/v1/figures?month=2026-10, office (all units)",
        first,
        median,
        4,
        queries,
        f"{len(json.loads(body)['results'])} units; first run counts the month when no "
        f"snapshot is kept (counted at {counted})",
        "figures",
    )

    print("the unit's list …", flush=True)
    first, median, queries, body = timed(clients[UNIT], "/api/v1/appeals", 4)
    row(
        f"GET /api/v1/appeals, unit ({UNIT})",
        first,
        median,
        4,
        queries,
        f"{json.loads(body)['count']:,} rows, page of 20",
        "list-unit",
    )
    first, median, queries, body = timed(clients[UNIT], "/api/v1/appeals?page=100", 2)
    row(
        f"GET /api/v1/appeals?page=100, unit ({UNIT})",
        first,
        median,
        2,
        queries,
        "a deep page: the unit's led cases sorted",
        "list-unit-deep",
    )
    return rows, machine, total


def new_roads(clients, row):
    """What only this round's code does: the ledger's memory at two sizes, a ledger as a job."""
    from django.conf import settings

    from qitong.appeals.models import Appeal
    from qitong.core import exports, jobs

    print("peak memory of the ledger at two sizes …", flush=True)
    memory = [child(size) for size in (SMALL, None)]
    for result in memory:
        row(
            f"ledger.build of the unit's first {result['rows']:,} rows, a process of its own",
            result["ms"],
            result["ms"],
            1,
            0,
            f"peak RSS {result['peak_mb']:.0f} MB, {result['peak_mb'] - result['base_mb']:.0f} MB "
            f"over the {result['base_mb']:.0f} MB before writing",
        )

    print("a ledger past the job threshold …", flush=True)
    query = "submitted_from=2026-07-01&submitted_to=2026-09-30"
    quarter = Appeal.objects.filter(
        created_at__gte=dt.datetime(2026, 7, 1, tzinfo=AT.tzinfo),
        created_at__lt=dt.datetime(2026, 10, 1, tzinfo=AT.tzinfo),
    ).count()
    if quarter <= exports.job_threshold():  # smaller data: still measure the job's road
        settings.QITONG_EXPORT_JOB_ROWS = quarter // 2
    began = time.perf_counter()
    response = clients["office"].get(f"/api/v1/appeals/ledger.xlsx?{query}")
    answered = (time.perf_counter() - began) * 1000
    if response.status_code != 202:
        raise RuntimeError(f"ledger job: {response.status_code}")
    job_id = response.json()["id"]
    began = time.perf_counter()
    jobs.run(job_id)
    ran = (time.perf_counter() - began) * 1000
    job = clients["office"].get(f"/api/v1/jobs/{job_id}").json()
    row(
        f"GET /api/v1/appeals/ledger.xlsx?{query}, office: 202, then the job",
        answered,
        ran,
        1,
        0,
        f"answered 202 in {answered:,.0f} ms; job {job['status']} in {ran / 1000:,.1f} s, "
        f"{job['progress']['done']:,} rows",
    )


def child(size):
    """Write the unit's ledger (its first ``size`` rows, or all) in a new process; its figures."""
    out = subprocess.run(
        [sys.executable, __file__, "--data", "-", "--child-rss", str(size or 0)],
        env=os.environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_rss(size):
    setup()
    from qitong.appeals import ledger
    from qitong.appeals.access import visible_appeals
    from qitong.core import clock
    from qitong.orgs.models import User

    appeals = visible_appeals(User.objects.get(username=UNIT))
    if size:
        appeals = appeals.filter(pk__in=list(appeals.values_list("pk", flat=True)[:size]))
    list(ledger.rows(appeals[:10], clock.now()))  # imports and first queries done
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    stream = ledger.build(appeals, at=clock.now())
    seconds = time.perf_counter() - began
    stream.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"rows": appeals.count(), "ms": seconds * 1000, "base_mb": base, "peak_mb": peak}
        )
    )


def report(rows, machine, total, command, source):
    from django.db import connection

    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    lines = [
        f"## Exports, figures and a unit's list at {total:,} appeals on {vendor} "
        f"({dt.datetime.now(dt.UTC).date().isoformat()})",
        "",
        f"Machine: {machine}.",
        f"Command: `{command}`",
        "",
        "As of 2026-11-30 10:00 (+08:00), on a fresh copy of the data `bench/appeals.py --keep` "
        f"generated. Before: {source}.",
        "",
        "| what | before ms | first ms | median ms | runs | queries | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for item in rows:
        before = f"{item['before']:,.1f}" if item["before"] else ""
        lines.append(
            f"| {item['what']} | {before} | {item['first']:,.1f} | {item['median']:,.1f} | "
            f"{item['runs']} | {item['queries']} | {item['note']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
