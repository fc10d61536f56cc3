"""How fast the working-day calendar computes deadlines.

Run: ``.venv/bin/python bench/bench_workdays.py [COUNT]`` (default 30,000: the
contact, reply and resolve deadlines of 10,000 appeals). It migrates a
throwaway SQLite data folder, computes the deadlines from start instants spread
over 2026 and into 2027 (the statutory fallback), and appends its figures to
docs/benchmarks.md.
"""

import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(count):
    folder = tempfile.mkdtemp(prefix="qitong-bench-")
    os.environ.update(
        QITONG_DATA_DIR=folder, QITONG_SECRET_KEY="bench-only-secret-key-0123456789abcdef"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from qitong.core.clock import SHANGHAI
    from qitong.core.workdays import WorkCalendar, add_workdays

    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    base = dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)
    starts = [base + dt.timedelta(minutes=rng.randrange(0, 400 * 24 * 60)) for _ in range(count)]
    amounts = [rng.choice((0.5, 1, 1.5, 3, 7.5, 15, 30)) for _ in range(count)]

    calendar = WorkCalendar()
    began = time.perf_counter()
    for start, amount in zip(starts, amounts, strict=True):
        calendar.add(start, amount)
    shared = time.perf_counter() - began

    sample = min(count, 2000)
    began = time.perf_counter()
    for start, amount in zip(starts[:sample], amounts[:sample], strict=True):
        add_workdays(start, amount)
    fresh = (time.perf_counter() - began) / sample * count

    lines = [
        f"## Working-day deadlines ({dt.datetime.now(dt.UTC).date().isoformat()})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite.",
        f"Command: `.venv/bin/python bench/bench_workdays.py {count}`",
        "",
        "| what | deadlines | total | per deadline |",
        "|---|---|---|---|",
        f"| one calendar shared (a sweep) | {count:,} | {shared:.2f} s | {shared / count * 1e6:.0f} µs |",
        f"| a fresh calendar each time (one request), extrapolated from {sample:,} | {count:,} | {fresh:.2f} s | {fresh / count * 1e6:.0f} µs |",
        "",
    ]
    target = ROOT / "docs" / "benchmarks.md"
    if not target.exists():
        target.write_text(
            "# Benchmarks\n\nFigures measured by the scripts in `bench/`; each section names its command.\n\n"
        )
    with target.open("a") as out:
        out.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30_000)
