"""How fast the units' assessment scores a year: 200 units, 1,000,000 appeals.

Run: ``.venv/bin/python bench/assessment.py [--appeals N] [--units N] [--keep DIR | --data DIR]
[--database-url postgres://…] [--no-report]`` (default 1,000,000 appeals, 200 units).

The data is bench/appeals.py's, made by its own generator (imported, not
copied), with two changes: the appeals are filed over the calendar year 2026
(its benchmark instant moved to 2027-01-01 00:00 +08:00, so that the year is
whole), and the demo city gets more departments and towns, so that 200 units
are assessed. ``--keep DIR`` keeps the generated data (and a pristine copy);
``--data DIR`` measures again on a fresh copy of it.

Measured as of 2027-01-01 00:00 (+08:00): the year 2026 scored from cold (no
monthly tallies stored: every month counted from the timeline, then weighted,
ranked and judged against the targets), scored again from the stored tallies,
the API and the page for the year, the cases behind one unit's lost points,
and the month's bulletin (PDF and .xlsx). The reference, in the same run, is
what the score builds on: ``appeals.figures.unit_figures``, the plain
per-unit figures, counted over the same year month by month and in one pass.
The figures go to stdout and are appended to docs/benchmarks.md.
"""

import argparse
import datetime as dt
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import appeals as generator  # noqa: E402  (bench/appeals.py: its generator and helpers)

ROOT = generator.ROOT
SHANGHAI = generator.SHANGHAI
YEAR = 2026
# The generator files appeals over the SPAN_DAYS before its instant GENERATED_AT, the days
# from 1 January to 31 December 2026 (its last hour before the instant left out), so
# every appeal is of 2026; the last sweep before it: Thursday 31 December's office hours.
# The year is measured once over, at AT.
GENERATED_AT = dt.datetime(YEAR, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
AT = dt.datetime(YEAR + 1, 1, 1, 0, 0, tzinfo=SHANGHAI)
PREVIOUS_SWEEP = dt.datetime(YEAR, 12, 31, 16, 59, tzinfo=SHANGHAI)
SPAN_DAYS = 364
TARGET_SECONDS = 30


def use_the_year():
    generator.AT = GENERATED_AT
    generator.PREVIOUS_SWEEP = PREVIOUS_SWEEP
    generator.SPAN_DAYS = SPAN_DAYS


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appeals", type=int, default=1_000_000, help="how many (1,000,000)")
    parser.add_argument("--units", type=int, default=200, help="units assessed (200)")
    parser.add_argument("--database-url", help="PostgreSQL instead of a throwaway SQLite file")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated data here")
    parser.add_argument(
        "--generate-only", action="store_true", help="with --keep: generate, measure nothing"
    )
    parser.add_argument(
        "--data", metavar="DIR", help="measure again on a copy of what --keep DIR left"
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


def main():
    use_the_year()
    args = parse_args()
    preset_url = os.environ.get("QITONG_DATABASE_URL") if not args.database_url else None
    url = args.database_url or preset_url
    scratch = None
    if args.data:
        folder = Path(args.data)
        if url:
            url = generator.fresh_copy_postgresql(url, suffix="assessment")
        else:
            scratch = generator.fresh_copy_sqlite(folder, suffix="assessment")
    else:
        folder = Path(args.keep or tempfile.mkdtemp(prefix="qitong-assessment-"))
        folder.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        QITONG_DATA_DIR=str(scratch or folder),
        QITONG_SECRET_KEY="bench-only-secret-key-0123456789abcdef",
    )
    if url:
        os.environ["QITONG_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    line = shlex.join([".venv/bin/python", "bench/assessment.py", *sys.argv[1:]])
    if args.database_url:
        line = line.replace(args.database_url, generator.redacted(args.database_url))
    if preset_url:
        line = f"QITONG_DATABASE_URL={generator.redacted(preset_url)} {line}"
    try:
        run(args, folder, line)
    finally:
        if not args.keep and not args.data:
            shutil.rmtree(folder, ignore_errors=True)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(args, folder, command):
    import django

    django.setup()
    import json

    from django.core.management import call_command
    from django.db import connection

    import qitong.urls  # noqa: F401  (every view imported before measuring)
    from qitong.appeals.models import Appeal
    from qitong.demo import city as demo_city

    call_command("migrate", verbosity=0)
    # The demo's key projects and visits file a few appeals of their own, whose ids the
    # generator (which numbers appeals from 1) would collide with: the city without them.
    demo_city.demo_projects.load = lambda **kwargs: []
    demo_city.demo_visits.load = lambda **kwargs: []
    demo_city.load_demo_city()
    if args.data:
        generated = json.loads((folder / generator.GENERATED_JSON).read_text())
    else:
        if Appeal.objects.exists():
            sys.exit("bench/assessment.py needs a database without appeals.")
        added = more_units(args.units)
        print(f"added {added} units: {assessed_count()} units are assessed", flush=True)
        generated = generator.generate(args.appeals)
        generated["status"] = dict(generated["status"])
        if args.keep:
            generator.keep_pristine(folder, generated)
        if args.generate_only:
            return
    machine = generator.describe_machine(connection)
    print(machine, flush=True)
    measured = measure()
    report(command, machine, generated, measured, write=not args.no_report)


# --- the city: the demo's units and more, up to the count assessed ----------------------


def assessed_count():
    from qitong.assessment.access import assessed_units

    return assessed_units().count()


def more_units(wanted):
    """Departments and towns added to the demo city until ``wanted`` units are assessed."""
    from qitong.orgs.models import Unit

    missing = max(0, wanted - assessed_count())
    districts = list(Unit.objects.filter(kind=Unit.Kind.DISTRICT).order_by("code"))
    units = []
    for number in range(1, missing + 1):
        if number % 3 and districts:
            district = districts[number % len(districts)]
            units.append(
                Unit(
                    code=f"bench-town-{number:03d}",
                    name=f"{district.name}第{number}街道",
                    kind=Unit.Kind.TOWN,
                    parent=district,
                )
            )
        else:
            units.append(
                Unit(
                    code=f"bench-dept-{number:03d}",
                    name=f"市第{number}专业部门",
                    kind=Unit.Kind.DEPARTMENT,
                )
            )
    Unit.objects.bulk_create(units)
    return len(units)


# --- measurement ------------------------------------------------------------------------


# This process's CPU seconds of each run of the last ``timed``: on a shared machine the
# wall clock measures the others' load too, and with SQLite every query runs in here.
CPU = []


def timed(function, runs=1):
    """``(seconds of each run, the last result)``."""
    times, result = [], None
    CPU.clear()
    for _run in range(runs):
        began, cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append(time.perf_counter() - began)
        CPU.append(time.process_time() - cpu)
    return times, result


def row(what, times, note="", reference=None):
    median = statistics.median(times)
    cpu = statistics.median(CPU)
    result = {
        "what": what,
        "seconds": median,
        "cpu": cpu,
        "runs": len(times),
        "note": note,
        "ref": reference,
    }
    print(
        f"  {what}: {median:,.2f} s, CPU {cpu:,.2f} s (median of {len(times)}) {note}", flush=True
    )
    return result


def measure():
    from django.test import Client

    from qitong.appeals import figures
    from qitong.assessment import bulletins, periods, scoring, tally
    from qitong.assessment.models import MonthTally
    from qitong.orgs.models import User

    generator.travel_to(AT)
    generator.AT = AT  # what the generator's helpers read from here on
    year = periods.parse(str(YEAR))
    units = list(scoring.assessed_units())
    rows = []

    # The references: the plain figures the score is built on, over the same year.
    times, plain = timed(lambda: figures.unit_figures(year.start, year.end, units=units))
    reference_pass = row("reference: figures.unit_figures over the year, one pass", times)
    rows.append(reference_pass)
    times, _months = timed(
        lambda: [figures.unit_figures(s, e, units=units) for s, e in year.months()]
    )
    reference_months = row(
        "reference: figures.unit_figures, the year's 12 months one by one", times
    )
    rows.append(reference_months)

    # Scored from cold: no tallies stored.
    MonthTally.objects.all().delete()
    times, assessed = timed(lambda: scoring.assess(year, at=now()))
    ranked = sum(1 for result in assessed.results if result.rank is not None)
    cold = row(
        "assessment of the year from cold (12 months counted, scored, ranked)",
        times,
        f"{len(assessed.results)} units, {ranked} ranked; "
        f"{sum(plain_row.received for plain_row in plain):,} cases received",
        reference=reference_months,
    )
    rows.append(cold)
    times, _again = timed(lambda: scoring.assess(year, at=now()), runs=5)
    rows.append(row("assessment of the year from the stored monthly tallies", times))

    # The job's steady work: the running month counted again (December, as its last run
    # before the year ended would have).
    MonthTally.objects.filter(month=dt.date(YEAR, 12, 1)).delete()
    times, refreshed = timed(lambda: tally.refresh(now()))
    rows.append(
        row(
            "the refresh job, one month counted again",
            times,
            f"counted {', '.join(refreshed['counted']) or 'nothing'}",
        )
    )

    office = User.objects.get(username="office")
    client = Client()
    client.force_login(office)
    for what, url in (
        ("GET /api/v1/assessment?period=2026, office", "/api/v1/assessment?period=2026"),
        ("GET /api/v1/assessment?period=2026-11, office", "/api/v1/assessment?period=2026-11"),
        ("page 考核评价, the year, office", "/assessment/?period=2026"),
        ("export .xlsx, the year, office", "/assessment/export.xlsx?period=2026"),
    ):
        times, _response = timed(lambda url=url: _get(client, url), runs=3)
        rows.append(row(what, times))

    busiest = max(plain, key=lambda figure: figure.received)
    for period in ("2026-11", "2026"):
        url = f"/assessment/cases/?period={period}&unit={busiest.unit}&item=resolve_on_time"
        times, response = timed(
            lambda url=url: _get(client, url), runs=1 if period == "2026" else 3
        )
        rows.append(
            row(
                f"cases behind a unit's lost points (按时办结, {period}), office",
                times,
                f"unit {busiest.unit}, {busiest.received:,} received in the year",
            )
        )

    month = periods.parse("2026-12")
    times, built = timed(lambda: bulletins.render(month, at=now()), runs=2)
    pdf, xlsx = built
    rows.append(
        row(
            "bulletin of 2026-12: PDF and .xlsx rendered",
            times,
            f"PDF {len(pdf) / 1024:,.0f} KiB, .xlsx {len(xlsx) / 1024:,.0f} KiB",
        )
    )
    return rows


def now():
    from qitong.core import clock

    return clock.now()


def _get(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {body[:300]!r}")
    return response


def report(command, machine, generated, measured, write=True):
    total = generated["appeals"]
    status = generated["status"]
    cold = next(item for item in measured if item["ref"] is not None)
    ratio = cold["seconds"] / cold["ref"]["seconds"]
    verdict = "within" if cold["seconds"] < TARGET_SECONDS else "over"
    lines = [
        f"## Assessment: {assessed_count()} units over a year of {total:,} appeals "
        f"({dt.datetime.now(dt.UTC).date().isoformat()})",
        "",
        f"Machine: {machine}",
        f"Command: `{command}`",
        "",
        f"Data: bench/appeals.py's generator, {total:,} appeals filed in {YEAR} "
        f"({status.get('archived', 0):,} archived, {status.get('rejected', 0):,} rejected, the "
        f"rest open at {AT:%Y-%m-%d %H:%M} +08:00), {generated['events']:,} events, led by "
        f"the demo city's departments and towns and the ones added to make "
        f"{assessed_count()} units assessed. Generation: {generated['seconds']:,.0f} s.",
        "",
        f"Scoring the year from cold took {cold['seconds']:,.1f} s ({verdict} the "
        f"{TARGET_SECONDS} s target); the reference, the plain figures counted month by "
        f"month in the same run, {cold['ref']['seconds']:,.1f} s: a ratio of {ratio:.2f}.",
        "",
        "| what | seconds (median) | CPU seconds of this process | runs | notes |",
        "|---|---:|---:|---:|---|",
    ]
    for item in measured:
        lines.append(
            f"| {item['what']} | {item['seconds']:,.2f} | {item['cpu']:,.2f} | {item['runs']} "
            f"| {item['note']} |"
        )
    lines.append("")
    print("\n".join(lines))
    if not write:
        return
    target = ROOT / "docs" / "benchmarks.md"
    target.write_text(target.read_text().rstrip("\n") + "\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
