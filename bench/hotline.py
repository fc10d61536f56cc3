"""The 12345 bridge under load: 10,000 work orders pushed by 16 clients at ``qitong serve``.

Run: ``.venv/bin/python bench/hotline.py [--orders 10000] [--clients 16]
[--enterprises 500] [--repeat-every 10] [--postgres]``

It starts, on loopback and under a temporary folder removed at the end:

- ``qitong serve`` on a small city (the city's service office and its clerk, who
  hears of every new unverified enterprise) with one 12345 integration whose
  callback URL is a receiver run by this script (``http.server``, threaded),
  which records every callback;
- embedded (SQLite, the in-process scheduler: the ``deliver-callbacks`` job
  every ten seconds) by default; ``--postgres`` runs production mode instead,
  a throwaway PostgreSQL cluster with its default durability and Redis, as
  ``bench/intake.py`` starts them, ``QITONG_WEB_WORKERS=2``, and a Celery
  worker for the callbacks.

Then ``qitong.integrations.simulate`` (what ``qitong hotline12345 simulate``
runs) pushes ``--orders`` signed work orders from ``--clients`` threads, each
with its own client (``qitong serve`` answers one request a connection), every ``--repeat-every``-th one twice (a
hotline's retry, which must answer 200 with the same appeal), naming
``--enterprises`` enterprises the platform does not know yet (each is created
once, unverified). Afterwards it checks, in the database: one appeal and one
work order per order, none lost, none duplicated, the numbers gap-free, the
enterprises created once; then it waits for the callbacks and checks that
each appeal's submit callback arrived once. The figures go to stdout as a
markdown section for docs/benchmarks.md.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intake  # noqa: E402  (bench/intake.py: the throwaway PostgreSQL and Redis)

import appeals as appeal_bench  # noqa: E402  (bench/appeals.py: what every report names)

ROOT = appeal_bench.ROOT
sys.path.insert(0, str(ROOT / "src"))
from qitong.integrations import simulate  # noqa: E402

SECRET = "bench-only-secret-key-0123456789abcdefghijkl"

SETUP = """
import json
from qitong.integrations import actions
from qitong.integrations.models import Integration
from qitong.orgs.models import Region, Unit, User
city = Region.objects.get(code="370100")
office = Unit.objects.create(code="office", name="市服务企业办公室", kind=Unit.Kind.OFFICE, region=city)
clerk = User(username="office", role=User.Role.OFFICE, unit=office, email="office@example.org")
clerk.set_unusable_password()
clerk.save()
hotline, _key = actions.create_integration(
    name="jinan12345", kind=Integration.Kind.HOTLINE, callback_url=%(callback)r
)
print("SETUP " + json.dumps({"secret": hotline.secret}))
"""

COUNT = """
import json
from django.db.models import Count
from qitong.appeals.models import Appeal
from qitong.enterprises.models import Enterprise
from qitong.integrations.models import Callback, WorkOrder
appeals = Appeal.objects.filter(channel="hotline12345", external_id__startswith=%(run)r)
numbers = sorted(int(n.rsplit("-", 1)[1]) for n in appeals.values_list("number", flat=True))
print("COUNT " + json.dumps({
    "appeals": appeals.count(),
    "distinct_orders": appeals.values("external_id").distinct().count(),
    "work_orders": WorkOrder.objects.filter(number__startswith=%(run)r).count(),
    "numbers_gap_free": numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else True,
    "unverified": Enterprise.objects.filter(verified=False).count(),
    "unverified_codes": Enterprise.objects.filter(verified=False).values("uscc").distinct().count(),
    "callbacks": dict(Callback.objects.values_list("status").annotate(n=Count("id"))),
}))
"""


class Receiver:
    """The hotline's callback endpoint: counts each callback by (work order, seq)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}
        self.first_at = self.last_at = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = (body["work_order_no"], body["seq"])
                with receiver.lock:
                    receiver.seen[key] = receiver.seen.get(key, 0) + 1
                    receiver.first_at = receiver.first_at or time.monotonic()
                    receiver.last_at = time.monotonic()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callbacks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _line(output, prefix):
    return json.loads(
        next(line[len(prefix) :] for line in output.splitlines() if line.startswith(prefix))
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument("--repeat-every", type=int, default=10)
    parser.add_argument(
        "--postgres", action="store_true", help="production mode: PostgreSQL, Redis"
    )
    parser.add_argument(
        "--callback-wait", type=int, default=300, help="seconds to wait for callbacks"
    )
    args = parser.parse_args()
    command = shlex.join([".venv/bin/python", "bench/hotline.py", *sys.argv[1:]])
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="qitong-hotline-"))
    servers = pg = serve = worker = None
    receiver = Receiver()
    logs = []
    try:
        env = {key: value for key, value in os.environ.items() if not key.startswith("QITONG_")}
        env.update(QITONG_DATA_DIR=str(tmp / "data"), QITONG_SECRET_KEY=SECRET)
        env.update(QITONG_CALLBACK_FIRST_RETRY_SECONDS="5")
        # Counted, never refused: the bench is one hotline pushing as fast as it can.
        env.update(QITONG_RATE_LIMITS="integration=1000000/60,public=1000000/60")
        if args.postgres:
            servers = intake.Servers(tmp, ["qitong"])
            pg = servers.pg
            env.update(
                QITONG_DATABASE_URL=pg.url("qitong"),
                QITONG_REDIS_URL=f"redis://127.0.0.1:{servers.redis.port}/0",
                QITONG_WEB_WORKERS="2",
            )
        qitong = [sys.executable, "-m", "qitong"]
        intake.run([*qitong, "migrate", "--noinput"], env=env)
        setup = _line(
            intake.run([*qitong, "shell", "-c", SETUP % {"callback": receiver.url}], env=env),
            "SETUP ",
        )
        port = intake.free_port()
        logs.append(open(tmp / "serve.log", "w"))  # noqa: SIM115 closed below
        serve = subprocess.Popen(
            [*qitong, "serve", "--port", str(port)],
            env=env,
            stdout=logs[-1],
            stderr=subprocess.STDOUT,
        )
        if args.postgres:
            logs.append(open(tmp / "worker.log", "w"))  # noqa: SIM115 closed below
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "qitong",
                    "worker",
                    "-c",
                    "1",
                    "-l",
                    "WARNING",
                ],
                env={**env, "DJANGO_SETTINGS_MODULE": "qitong.settings"},
                stdout=logs[-1],
                stderr=subprocess.STDOUT,
            )
        intake.wait_for_port(port, process=serve, seconds=120)
        url = f"http://127.0.0.1:{port}/api/v1/hotline12345/workorders"
        tallies = simulate.run(
            url,
            setup["secret"],
            count=args.orders,
            clients=args.clients,
            enterprises=args.enterprises,
            repeat_every=args.repeat_every,
        )
        print(json.dumps(tallies, ensure_ascii=False), file=sys.stderr)
        pushed_at = time.monotonic()
        deadline = pushed_at + args.callback_wait
        while time.monotonic() < deadline:
            with receiver.lock:
                if len(receiver.seen) >= args.orders:
                    break
            time.sleep(1)
        callback_seconds = (receiver.last_at or pushed_at) - pushed_at
        counted = _line(
            intake.run([*qitong, "shell", "-c", COUNT % {"run": tallies["run"]}], env=env), "COUNT "
        )
        print(json.dumps(counted), file=sys.stderr)
        load = (load_before, os.getloadavg()[0])
        print(report(args, command, tallies, counted, receiver, callback_seconds, pg, load))
    finally:
        for process in (worker, serve):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        for log in logs:
            log.close()
        receiver.stop()
        if servers:
            servers.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def report(args, command, tallies, counted, receiver, callback_seconds, pg, load):
    orders, repeats = tallies["orders"], tallies["repeated"]
    expected_repeats = len(range(0, orders, args.repeat_every)) if args.repeat_every else 0
    submits = {key: n for key, n in receiver.seen.items() if key[1] == 1}
    checks = {
        "every order answered 201 once": tallies["created"] == orders,
        "every retry answered 200 with the same appeal": repeats == expected_repeats
        and tallies["mismatched"] == 0,
        "no error answer": tallies["errors"] == 0,
        "one appeal per order (none lost, none duplicated)": counted["appeals"] == orders
        and counted["distinct_orders"] == orders
        and tallies["appeals"] == orders,
        "one work order per order": counted["work_orders"] == orders,
        "numbers gap-free": counted["numbers_gap_free"],
        "each unknown enterprise created once": counted["unverified"]
        == counted["unverified_codes"]
        == min(args.enterprises, orders),
        "each appeal's submit callback received once": len(submits) == orders
        and set(submits.values()) == {1},
    }
    database = (
        f"PostgreSQL {pg.version} ({', '.join(f'{k}={v}' for k, v in pg.settings.items())}), "
        "Redis, `qitong serve` with QITONG_WEB_WORKERS=2 (gthread), one Celery worker"
        if pg
        else "embedded: SQLite (WAL, synchronous=NORMAL), `qitong serve` with one gunicorn "
        "worker (threads) and the in-process scheduler"
    )
    latency = tallies["latency_ms"]
    lines = [
        f"### 12345 work orders, {orders:,} by {args.clients} clients"
        + (" (PostgreSQL)" if pg else " (SQLite)"),
        "",
        f"Machine: {appeal_bench.describe_hardware()}; shared with other work (load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end). {database}.",
        f"Command: `{command}`",
        "",
        "| orders | retries | clients | seconds | orders/s | p50 ms | p90 ms | p99 ms | max ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {orders:,} | {repeats:,} | {args.clients} | {tallies['seconds']} "
        f"| {tallies['orders_per_second']} | {latency['p50']} | {latency['p90']} "
        f"| {latency['p99']} | {latency['max']} |",
        "",
        f"Callbacks: {len(receiver.seen):,} received ({counted['callbacks']}), "
        f"the last {callback_seconds:.0f} s after the last order was answered.",
        "",
        *(f"- {'✔' if ok else '✘'} {name}" for name, ok in checks.items()),
    ]
    if not all(checks.values()):
        print("\n".join(lines))
        sys.exit("a check failed")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
