"""How fast each workbench's first page renders at a province's volume.

Run: ``.venv/bin/python bench/pages.py [--appeals N] [--data DIR]`` (default
1,000,000 appeals). With ``--data DIR`` it reads a data folder that
``bench/appeals.py --keep DIR`` left; otherwise it generates the same data with
that benchmark's generator into a throwaway folder. Then, as of the same
benchmark instant, it renders each workbench's first page in-process through
Django's test client (server time: routing, queries and templates; no network)
and appends the figures to docs/benchmarks.md. The target is < 300 ms each.
"""

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import appeals as appeal_bench  # noqa: E402  (bench/appeals.py: the data and its helpers)

ROOT = appeal_bench.ROOT
TARGET_MS = 300


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--appeals", type=int, default=1_000_000, help="how many to generate (1,000,000)"
    )
    parser.add_argument(
        "--data", metavar="DIR", help="a data folder kept by bench/appeals.py --keep DIR"
    )
    parser.add_argument(
        "--only", metavar="TEXT", help="measure only the pages whose name contains TEXT"
    )
    parser.add_argument(
        "--no-report", action="store_true", help="print the figures; leave docs/benchmarks.md"
    )
    return parser.parse_args()


def main():
    args = parse_args()
    folder = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="qitong-pages-"))
    os.environ.update(
        QITONG_DATA_DIR=str(folder),
        QITONG_SECRET_KEY="bench-only-secret-key-0123456789abcdef",
        QITONG_RATE_LIMITS="login=1000000/60,filing=1000000/60,urge=1000000/60,public=1000000/60",  # counted, never refused: a benchmark is one client asking fast
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    command = shlex.join([".venv/bin/python", "bench/pages.py", *sys.argv[1:]])
    try:
        run(args, command)
    finally:
        if not args.data:
            shutil.rmtree(folder, ignore_errors=True)


def run(args, command):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from qitong.appeals.models import Appeal
    from qitong.demo.city import load_demo_city

    call_command("migrate", verbosity=0)
    load_demo_city()
    if not Appeal.objects.exists():
        began = time.perf_counter()
        appeal_bench.generate(args.appeals)
        print(
            f"generated {args.appeals:,} appeals in {time.perf_counter() - began:,.0f} s",
            flush=True,
        )
    total = Appeal.objects.count()
    machine = appeal_bench.describe_machine(connection)
    jobs = refresh_figures()
    rows = measure(args.only)
    report(total, command, machine, rows, jobs, write=not args.no_report)


def _sample(status):
    from qitong.appeals.models import Appeal

    return Appeal.objects.filter(status=status).order_by("-id").values_list("pk", flat=True).first()


def refresh_figures():
    """Run the figures job as the scheduler would: cold 5 minutes before the instant, then at it."""
    import datetime as dt

    from qitong.appeals import figures
    from qitong.appeals.models import MonthFigures

    MonthFigures.objects.all().delete()  # derived data: measure the job from cold
    lines = []
    for what, at in (
        ("first run (every month of the trend)", appeal_bench.AT - dt.timedelta(minutes=5)),
        ("the next run, 5 minutes later", appeal_bench.AT),
    ):
        appeal_bench.travel_to(at)
        began = time.perf_counter()
        counted = figures.refresh_snapshots()["counted"]
        seconds = time.perf_counter() - began
        lines.append(f"{what}: counted {len(counted)} month(s) in {seconds:,.1f} s")
        print(f"  refresh-figures job, {lines[-1]}", flush=True)
    return lines


def _listed_total(response, body):
    """What the page's pagination says it found, for the notes column."""
    import re

    found = re.search(r'<span class="total">\s*([^<]+?)\s*</span>', body.decode())
    return found.group(1) if found else ""


def measure(only=None):
    from django.test import Client

    from qitong.orgs.models import User

    clients = {}
    for username in ("enterprise", "office", "fgw", "leader"):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    accepted, running = _sample("accepted"), _sample("in_progress")
    pages = [
        ("enterprise", "portal: 我的诉求", "/portal/"),
        ("enterprise", "portal: 提交诉求 (form)", "/portal/new/"),
        ("office", "office: 诉求工作台 (default queue)", "/office/queues/"),
        ("office", "office: 已超期 queue", "/office/queues/?queue=overdue"),
        ("office", "office: 临近期限 queue", "/office/queues/?queue=near"),
        (
            "office",
            "office: search by words (贷款)",
            "/office/queues/?queue=all&q=%E8%B4%B7%E6%AC%BE",
        ),
        (
            "office",
            "office: search, a word in no case (氢能车)",
            "/office/queues/?queue=all&q=%E6%B0%A2%E8%83%BD%E8%BD%A6",
        ),
        ("office", "office: triage of an accepted case", f"/office/appeals/{accepted}/triage/"),
        ("office", "case page (in progress)", f"/appeals/{running}/"),
        ("fgw", "unit: 我的诉求 (default tab)", "/unit/cases/"),
        ("fgw", "unit: 办理中 tab", "/unit/cases/?tab=doing"),
        ("leader", "leader: 领导驾驶舱", "/leader/cockpit/?month=2026-11"),
        ("leader", "leader: cases behind 超期在办", "/leader/cockpit/cases/?kind=overdue_now"),
    ]
    rows = []
    for username, name, url in pages:
        if only and only not in name:
            continue
        print(f"{name} …", flush=True)
        try:
            rows.append(appeal_bench.measure_request(name, clients[username], url, _listed_total))
        except Exception as exc:  # report it with the rest
            rows.append(
                appeal_bench.row(name, [float("nan")], float("nan"), 0, f"failed: {exc!s:.160}")
            )
    return rows


def report(total, command, machine, rows, jobs, write=True):
    import datetime as dt

    lines = [
        f"## Workbench pages at {total:,} appeals ({dt.datetime.now(dt.UTC).date().isoformat()})",
        "",
        f"Machine: {machine}",
        f"Command: `{command}`",
        "",
        f"Server time of each workbench's first page (in-process test client, as of {appeal_bench.AT:%Y-%m-%d %H:%M}; target < {TARGET_MS} ms).",
        "",
        "Before the pages, the refresh-figures job (every 5 minutes in production) ran: "
        + "; ".join(jobs)
        + ".",
        "",
        "| page | median ms | runs | first ms | queries | within target |",
        "|---|---|---|---|---|---|",
    ]
    for result in rows:
        within = "yes" if result["median"] < TARGET_MS else "**no**"
        lines.append(
            f"| {result['what']} | {result['median']:,.1f} | {result['runs']} | {result['first']:,.1f} "
            f"| {result['queries']} | {within} {result['note']} |"
        )
    text = "\n".join(lines) + "\n"
    if write:
        with (ROOT / "docs" / "benchmarks.md").open("a") as out:
            out.write("\n" + text)
    print(text)


if __name__ == "__main__":
    main()
