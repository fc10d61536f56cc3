"""The garbage collector's pauses in a web worker, as loaded and as ``qitong serve`` freezes it.

Run: ``.venv/bin/python bench/gc_pauses.py [--filings 5000] [--rounds 2]``

Sets up what ``bench/intake.py`` sets up (a throwaway PostgreSQL cluster, Redis, a
migrated Qitong with the city's office, one enterprise and a token), then files
``--filings`` appeals through Qitong's WSGI application in a process of its own, the
way a worker serves them, twice a round: once with the heap as Django left it after
loading, once frozen by what ``qitong serve``'s workers call once loaded
(``serve._freeze_loaded``: a collection, then ``gc.freeze()``). It reports, for each,
how many collections of each generation ran, their total and their longest pause, and
the objects the collector tracks. A collection holds the interpreter lock, so its pause
is every thread's of the process: a full collection over a loaded Django's objects is a
request's whole latency budget. The figures go to stdout as a markdown section.
"""

import argparse
import datetime as dt
import shlex
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import intake  # noqa: E402 the benchmark beside this one

# After ``intake.WSGI_FILER``: one filing first (what a worker loads lazily), then the
# heap frozen or not, then the collector's pauses over the counted filings.
PROBE = r"""
import gc
post()
if spec["frozen"]:  # as ``qitong serve``'s workers do once loaded
    from qitong.core.management.commands.serve import _freeze_loaded
    _freeze_loaded(worker=None)
pauses, started = [], [0.0]
def watch(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        pauses.append((info["generation"], (time.perf_counter() - started[0]) * 1000))
gc.callbacks.append(watch)
tracked = len(gc.get_objects())
for _ in range(spec["count"]):
    post()
gc.callbacks.remove(watch)
print("RESULT " + json.dumps({"pauses": pauses, "tracked": tracked}))
"""


def report(runs, args, command, pg):
    lines = [
        f"## Garbage collector pauses in a web worker ({dt.datetime.now(dt.UTC).date().isoformat()})",
        "",
        f"Machine: {intake.appeal_bench.describe_hardware()}; PostgreSQL {pg.version}, Redis, "
        "on loopback.",
        f"Command: `{command}`: {args.filings:,} filings through Qitong's WSGI application in "
        "a process of its own, as loaded and frozen (`serve._freeze_loaded`), alternating.",
        "",
        "| heap | round | objects tracked | gen 0: n, ms | gen 1: n, ms | "
        "gen 2 (full): n, total ms | longest pause ms |",
        "|---|---:|---:|---|---|---|---:|",
    ]
    for (heap, index), figures in runs:
        by = {generation: [] for generation in (0, 1, 2)}
        for generation, ms in figures["pauses"]:
            by[generation].append(ms)
        cells = [f"{len(by[g])}, {sum(by[g]):.1f}" for g in (0, 1, 2)]
        longest = max((ms for _, ms in figures["pauses"]), default=0.0)
        lines.append(
            f"| {heap} | {index} | {figures['tracked']:,} | {' | '.join(cells)} | {longest:.1f} |"
        )
    lines.append("")
    for heap in ("as loaded", "frozen"):
        longest = [
            max((ms for _, ms in figures["pauses"]), default=0.0)
            for (name, _), figures in runs
            if name == heap
        ]
        lines.append(
            f"- {heap}: longest pause, median of the rounds {statistics.median(longest):.1f} ms."
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--filings", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    command = shlex.join([".venv/bin/python", "bench/gc_pauses.py", *sys.argv[1:]])
    tmp = Path(tempfile.mkdtemp(prefix="qitong-gc-"))
    servers = target = None
    try:
        servers = intake.Servers(tmp, ["qitong"])
        target = intake.start_qitong(tmp, servers.pg, servers.redis, None, threads=2)
        target.stop()  # only its setup is wanted: the probe serves in its own process
        runs = []
        for index in range(1, args.rounds + 1):
            for heap, frozen in (("as loaded", False), ("frozen", True)):
                figures = intake.probe(target, PROBE, count=args.filings, frozen=frozen)
                runs.append(((heap, index), figures))
                print(f"round {index} {heap} done", file=sys.stderr)
        print(report(runs, args, command, servers.pg))
    finally:
        if target:
            target.stop()
        if servers:
            servers.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
