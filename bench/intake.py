"""Filing appeals under load: Qitong's ``POST /api/v1/appeals`` against a minimal create.

Run: ``.venv/bin/python bench/intake.py [--rounds 3] [--seconds 20] [--clients 16]
[--qitong-src DIR] [--before-src DIR] [--pg-stat]``

It starts, on loopback and under a temporary folder removed at the end:

- a throwaway PostgreSQL cluster with the server's default durability (fsync and
  synchronous commit on, unlike ``scripts/with-postgres.sh``), two databases;
- Redis (``redis-server --daemonize yes``), so Qitong runs in production mode;
- ``qitong serve`` with ``QITONG_WEB_WORKERS=2`` on a small city: the city's
  service office with its two users (an admin and a clerk, as in the demo city),
  who have e-mail addresses, so each filing also queues two messages for e-mail
  and wakes the Celery delivery, as in production; one enterprise; a token from
  ``qitong apitoken``;
- the yardstick ``bench/intake_app`` (token auth, a serializer, one transaction
  with an UPDATE of a counter row for the number, the insert and an event insert)
  under gunicorn with the same two workers and eight threads each (``--threads``
  sets both servers' threads).

Then ``wrk`` drives both with the same JSON body, alternating, ``--rounds`` times
``--seconds`` each at ``--clients`` connections, then once more with one client
for the per-request latency; last, each server's code files ``--cpu-filings``
appeals through its WSGI application in a process of its own, ``--cpu-rounds``
times alternating, for the CPU a filing costs (the process's CPU clock: a busy
machine slows it, but does not drown it as it drowns the throughput). A Lua
script counts the 201 answers; afterwards the rows are counted: every 201 must be a row, the only rows beyond them are the
requests cut off in flight when wrk stopped, and the year's numbers must run
1..N without a gap or a duplicate. ``--qitong-src`` runs Qitong from another
checkout's ``src`` (e.g. a ``git worktree`` of an older commit); ``--before-src``
adds a second Qitong from such a ``src`` (its own database, data folder and
Redis database), alternated with the other two in the same run, so that before
and after meet the same noise on a shared machine. ``--pg-stat`` loads
pg_stat_statements and prints Qitong's costliest statements. The figures go to
stdout as a markdown section.
"""

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import appeals as appeal_bench  # noqa: E402  (bench/appeals.py: what every report names)

ROOT = appeal_bench.ROOT
BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SECRET = "bench-only-secret-key-0123456789abcdefghijkl"
TITLE = "新增用电容量审批"
CONTENT = "公司新建厂房需要新增用电容量 2000 千伏安，申请协调供电公司加快审批与接入。"

LUA = r"""
-- Posts the same JSON body on every request; counts answers per thread.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  created, others, sent = 0, 0, 0
end

function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, nil)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else others = others + 1 end
end

function done(summary, latency, requests)
  local c, o, s = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    o = o + thread:get("others")
    s = s + thread:get("sent")
  end
  io.write(string.format(
    'INTAKE {"created": %d, "others": %d, "sent": %d, "duration_us": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"errors": %d}\n',
    c, o, s, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.status + summary.errors.timeout))
end
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, *, process=None, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


def run(cmd, *, env=None, as_owner=()):
    done = subprocess.run([*as_owner, *cmd], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{shlex.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Postgres:
    """A throwaway cluster on loopback with the default durability settings."""

    def __init__(self, tmp, *, pg_stat):
        self.bindir = Path(
            sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
        )
        self.dir = tmp / "pg"
        self.pidfile = self.dir / "data" / "postmaster.pid"
        self.dir.mkdir()
        self.port = free_port()
        self.as_owner = ()
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.dir, "postgres")
            self.as_owner = ("runuser", "-u", "postgres", "--")
        run(
            [str(self.bindir / "initdb"), "-D", str(self.dir / "data"), "-U", "bench"]
            + ["-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"],
            as_owner=self.as_owner,
        )
        # track_wal_io_timing: the time of each WAL flush, which every filing's
        # commit waits for while it holds the year's counter (``wal_flushes``).
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=100"
            " -c track_wal_io_timing=on"
        )
        if pg_stat:
            options += " -c shared_preload_libraries=pg_stat_statements"
        run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data")]
            + ["-l", str(self.dir / "server.log"), "-w", "-o", options, "start"],
            as_owner=self.as_owner,
        )
        self.version = run([str(self.bindir / "postgres"), "--version"]).split()[2]
        self.settings = {
            name: self.psql("postgres", f"SHOW {name}")
            for name in ("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method")
        }

    def url(self, database):
        return f"postgres://bench@127.0.0.1:{self.port}/{database}"

    def psql(self, database, sql):
        return run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database)]
            + ["-c", sql]
        ).strip()

    def wal_flushes(self):
        """``(flushes, milliseconds, bytes)`` of WAL the server has flushed and written so far."""
        done = self.psql("postgres", "SELECT wal_sync, wal_sync_time, wal_bytes FROM pg_stat_wal")
        count, time_ms, written = done.split("|")
        return int(count), float(time_ms), int(written)

    def stop(self):
        subprocess.run(
            [*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data")]
            + ["-m", "fast", "-w", "stop"],
            capture_output=True,
        )


class Redis:
    def __init__(self, tmp):
        self.port = free_port()
        self.pidfile = tmp / "redis.pid"
        run(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--daemonize", "yes", "--dir", str(tmp), "--pidfile", str(self.pidfile)]
            + ["--save", "", "--appendonly", "no", "--logfile", str(tmp / "redis.log")]
        )
        wait_for_port(self.port)

    def stop(self):
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )


SETUP_QITONG = """
import json
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import Region, Unit, User
city, _ = Region.objects.get_or_create(code="370100", defaults={"name": "济南市"})
district, _ = Region.objects.get_or_create(
    code="370102", defaults={"name": "历下区", "parent": city}
)
office = Unit.objects.create(
    code="office", name="市服务企业办公室", kind=Unit.Kind.OFFICE, region=city
)
Unit.objects.create(code="fgw", name="市发展和改革委员会", kind=Unit.Kind.DEPARTMENT, region=city)
enterprise = Enterprise.objects.create(
    uscc=make_uscc("91370102MA3C00001"), name="济南泉华电子有限公司", region=district,
    industry="C3989",
)
for username, role in (("admin", User.Role.ADMIN), ("office", User.Role.OFFICE)):
    user = User(username=username, role=role, unit=office, email=f"{username}@office.example.org")
    user.set_unusable_password()
    user.full_clean()
    user.save()
print("SETUP " + json.dumps({"uscc": enterprise.uscc, "office_users": 2}))
"""

SETUP_MINIMAL = """
import json
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from intake_app.models import Counter
user = User.objects.create_user("bench", password="unused-bench-password")
Counter.objects.create(name="filings", value=0)
print("SETUP " + json.dumps({"token": Token.objects.create(user=user).key}))
"""


def _setup_line(output):
    return json.loads(next(line[6:] for line in output.splitlines() if line.startswith("SETUP ")))


class Target:
    """One server under test: how to start it, what to post, how to count its rows."""

    def __init__(self, name, url, body, token, process, log):
        self.name, self.url, self.body, self.token = name, url, body, token
        self.process, self.log = process, log
        self.rounds, self.single = [], None

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def start_qitong(
    tmp, pg, redis, qitong_src, *, name="Qitong", database="qitong", redis_db=0, threads=8
):
    env = {key: value for key, value in os.environ.items() if not key.startswith("QITONG_")}
    env.update(
        QITONG_DATA_DIR=str(tmp / f"{database}-data"),
        QITONG_SECRET_KEY=SECRET,
        QITONG_RATE_LIMITS="login=1000000/60,filing=1000000/60,urge=1000000/60,public=1000000/60",  # counted, never refused: a benchmark is one client asking fast
        QITONG_DATABASE_URL=pg.url(database),
        QITONG_REDIS_URL=f"redis://127.0.0.1:{redis.port}/{redis_db}",
        QITONG_WEB_WORKERS="2",
    )
    if qitong_src:
        env["PYTHONPATH"] = str(Path(qitong_src).resolve())
    qitong = [sys.executable, "-m", "qitong"]
    run([*qitong, "migrate", "--noinput"], env=env)
    setup = _setup_line(run([*qitong, "shell", "-c", SETUP_QITONG], env=env))
    token = run([*qitong, "apitoken", "office"], env=env).strip()
    port = free_port()
    log = open(tmp / f"{database}-serve.log", "w")  # noqa: SIM115 closed by Target.stop
    process = subprocess.Popen(
        [*qitong, "serve", "--port", str(port), "--threads", str(threads)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process=process, seconds=120)
    body = {
        "enterprise": setup["uscc"],
        "title": TITLE,
        "content": CONTENT,
        "channel": "web",
        "contact_name": "王伟",
        "contact_phone": "13800000000",
    }
    target = Target(name, f"http://127.0.0.1:{port}/api/v1/appeals", body, token, process, log)
    target.office_users = setup["office_users"]
    target.count_sql = "SELECT count(*) FROM appeals_appeal"
    target.numbers_sql = "SELECT number FROM appeals_appeal WHERE number LIKE 'QT-2026-%'"
    target.database = database
    target.src = qitong_src
    target.env = {**env, "DJANGO_SETTINGS_MODULE": "qitong.settings"}
    target.path = "/api/v1/appeals"
    return target


def start_minimal(tmp, pg, *, threads=8):
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(BENCH),
        DJANGO_SETTINGS_MODULE="intake_app.settings",
        INTAKE_SECRET_KEY=SECRET,
        INTAKE_DATABASE_URL=pg.url("minimal"),
    )
    django = [sys.executable, "-m", "django"]
    run([*django, "migrate", "--run-syncdb", "--noinput"], env=env)
    setup = _setup_line(run([*django, "shell", "-c", SETUP_MINIMAL], env=env))
    port = free_port()
    log = open(tmp / "minimal-serve.log", "w")  # noqa: SIM115 closed by Target.stop
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "intake_app.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "2", "--threads", str(threads), "--worker-class", "gthread"]
        + ["--access-logfile", "-", "--error-logfile", "-", "--no-control-socket"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process=process)
    body = {
        "enterprise": "91370102MA3C00001X",
        "title": TITLE,
        "content": CONTENT,
        "channel": "web",
        "contact_name": "王伟",
        "contact_phone": "13800000000",
    }
    target = Target(
        "minimal", f"http://127.0.0.1:{port}/filings", body, setup["token"], process, log
    )
    target.count_sql = "SELECT count(*) FROM intake_app_filing"
    target.numbers_sql = "SELECT number FROM intake_app_filing"
    target.database = "minimal"
    target.env, target.path = env, "/filings"
    return target


def post_once(target):
    """One filing by hand: the server answers 201 before any load is put on it."""
    request = urllib.request.Request(
        target.url,
        data=json.dumps(target.body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {target.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 201:
            raise RuntimeError(f"{target.name}: {response.status}")
        return json.loads(response.read())


def wrk(target, tmp, *, clients, seconds, pg):
    """One wrk run; returns its figures and checks the rows it left."""
    script = tmp / f"{target.name}.lua"
    body = json.dumps(target.body, ensure_ascii=False).replace("\\", "\\\\").replace('"', '\\"')
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = "{body}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {target.token}"\n' + LUA,
        encoding="utf-8",
    )
    rows_before = int(pg.psql(target.database, target.count_sql))
    flushes_before = pg.wal_flushes()
    threads = min(clients, 2)
    # A long timeout: on a busy machine a slow answer is a figure, not an error.
    cmd = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "60s"]
    cmd += ["--latency", "-s", str(script)]
    output = run([*cmd, target.url])
    figures = json.loads(
        next(line[7:] for line in output.splitlines() if line.startswith("INTAKE "))
    )
    flushes = [
        after - before for after, before in zip(pg.wal_flushes(), flushes_before, strict=True)
    ]
    time.sleep(1)  # requests cut off by wrk's stop finish on the server
    rows = int(pg.psql(target.database, target.count_sql)) - rows_before
    answered = figures["created"] + figures["others"]
    figures.update(
        rows=rows,
        unanswered=figures["sent"] - answered,
        rate=figures["created"] / (figures["duration_us"] / 1e6),
        # The mean WAL flush while this server ran alone: each filing's commit waits
        # for one while holding the counter, so 1000 / flush_ms bounds the filings/s.
        flush_ms=flushes[1] / flushes[0] if flushes[0] else 0.0,
        wal_per_row=flushes[2] / rows if rows else 0,
    )
    if figures["others"] or figures["errors"]:
        raise RuntimeError(f"{target.name}: answers other than 201: {figures}\n{output}")
    if not figures["created"] <= rows <= figures["created"] + figures["unanswered"]:
        raise RuntimeError(f"{target.name}: {rows} rows for {figures}")
    return figures


# A process that files through the server's own WSGI application, no HTTP server:
# ``WSGI_FILER`` defines ``spec`` (the JSON of argv[1]: path, token, body) and
# ``post()``, one filing that must answer 201; a probe adds what it measures (``probe``).
WSGI_FILER = r"""
import io, json, sys, time
import django
django.setup()
from django.core.handlers.wsgi import WSGIHandler
spec = json.loads(sys.argv[1])
body = json.dumps(spec["body"]).encode()
handler = WSGIHandler()
def post():
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": spec["path"], "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": "Bearer " + spec["token"],
    }
    status = []
    chunks = handler(environ, lambda line, headers: status.append(line))
    b"".join(chunks)
    chunks.close()
    if not status[0].startswith("201"):
        raise SystemExit(status[0])
"""

# The CPU a filing costs there (the process's CPU clock, so waits for the database are
# left out), which another job on the machine slows but does not hide the way it
# drowns throughput.
CPU_PROBE = r"""
for _ in range(spec["warm"]):
    post()
start = time.process_time()
for _ in range(spec["count"]):
    post()
print("RESULT " + json.dumps((time.process_time() - start) * 1000 / spec["count"]))
"""


def probe(target, script, **spec):
    """Run ``WSGI_FILER`` + ``script`` against ``target`` in a process of its own; the JSON
    the script printed after ``RESULT ``."""
    spec.update(path=target.path, token=target.token, body=target.body)
    return run_script(WSGI_FILER + script, target.env, json.dumps(spec))


def run_script(script, env, *args):
    """Run ``script`` in a process of its own with ``env``: the JSON it printed after ``RESULT ``."""
    output = run([sys.executable, "-c", script, *args], env=env)
    return json.loads(next(line[7:] for line in output.splitlines() if line.startswith("RESULT ")))


def cpu_per_filing(target, count):
    """Milliseconds of CPU one filing costs the server's code in a process of its own, and
    its database and Redis servers meanwhile (``Servers.cpu_ms``; the probe's own
    PostgreSQL backend has ended by then, its start and the 30 warming filings spread
    over the counted ones)."""
    before = target.servers.cpu_ms()
    milliseconds = probe(target, CPU_PROBE, count=count, warm=30)
    return milliseconds, (target.servers.cpu_ms() - before) / count


class Servers:
    """A throwaway PostgreSQL cluster with ``databases`` and Redis, under ``tmp`` (which
    PostgreSQL's user must be able to enter when this runs as root)."""

    def __init__(self, tmp, databases, *, pg_stat=False, redis=True):
        self.pg = self.redis = None
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
            tmp.chmod(0o755)
        try:
            self.pg = Postgres(tmp, pg_stat=pg_stat)
            for database in databases:
                self.pg.psql("postgres", f"CREATE DATABASE {database}")
            if redis:
                self.redis = Redis(tmp)
        except BaseException:
            self.stop()
            raise

    def cpu_ms(self):
        """CPU milliseconds used so far by this cluster (its postmaster with the backends that
        ended, in its children's clocks, and the live ones) and this Redis; other servers on
        the machine are left out."""
        postmaster = int(self.pg.pidfile.read_text().split()[0])
        stats = {int(pid): _stat(pid) for pid in filter(str.isdigit, os.listdir("/proc"))}
        mine = [
            fields
            for pid, fields in stats.items()
            if fields and (pid == postmaster or int(fields[1]) == postmaster)
        ]
        if self.redis:
            mine.append(_stat(self.redis.pidfile.read_text().split()[0]))
        ticks = sum(sum(int(value) for value in fields[11:15]) for fields in mine if fields)
        return ticks * 1000 / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.redis:
            self.redis.stop()
        if self.pg:
            self.pg.stop()


def _stat(pid):
    """The fields of ``/proc/PID/stat`` after the command's name (state, ppid, … utime at 11,
    stime, cutime, cstime); None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def check_numbers(target, pg):
    """The year's numbers are 1..N, each once."""
    numbers = pg.psql(target.database, target.numbers_sql).split()
    values = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    if values != list(range(1, len(values) + 1)):
        missing = sorted(set(range(1, values[-1] + 1)) - set(values))[:10]
        raise RuntimeError(f"{target.name}: numbers not 1..N: missing {missing}")
    return len(values)


def pg_top(pg, limit=15):
    return pg.psql(
        "qitong",
        "SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3), "
        "left(regexp_replace(query, '\\s+', ' ', 'g'), 140) FROM pg_stat_statements "
        f"ORDER BY total_exec_time DESC LIMIT {limit}",
    )


CONNECTIONS = r"""
import json
from qitong.core.management.commands.serve import server_config
config = server_config("127.0.0.1", 8000, workers=2, threads=THREADS, embedded=False)
print("RESULT " + json.dumps([config.get("worker_connections"), config.get("keepalive")]))
"""


def connections_of(target, threads):
    """How that Qitong's ``serve`` takes connections, read from its own ``server_config``."""
    script = "import django\ndjango.setup()\n" + CONNECTIONS.replace("THREADS", str(threads))
    limit, keepalive = run_script(script, target.env)
    if keepalive == 0 and limit is not None:
        return f"{limit} at a time a worker, one request each (no keep-alive)"
    return "gunicorn's defaults (keep-alive on)"


def commit_of(src):
    """The commit a ``src`` folder was checked out at, or the folder when it is no checkout."""
    folder = Path(src).resolve() if src else ROOT
    done = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    if done.returncode:
        return str(folder)
    dirty = subprocess.run(
        ["git", "-C", str(folder), "status", "--porcelain", "--", "."],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return done.stdout.strip() + (" with uncommitted changes" if dirty else "")


def ms(microseconds):
    return f"{microseconds / 1000:,.1f}"


def report(args, pg, targets, numbers, command):
    *qitongs, minimal = targets
    lines = [
        f"## Filing under load, Qitong against a minimal create ({dt.datetime.now(dt.UTC).date().isoformat()})",
        "",
        f"Machine: {appeal_bench.describe_hardware()}; PostgreSQL {pg.version} "
        f"(fsync={pg.settings['fsync']}, synchronous_commit={pg.settings['synchronous_commit']}, "
        f"full_page_writes={pg.settings['full_page_writes']}, "
        f"wal_sync_method={pg.settings['wal_sync_method']}), Redis; everything on the same cores.",
        "; ".join(f"{t.name} at {commit_of(t.src)}" for t in qitongs)
        + ": `qitong serve`, production mode, QITONG_WEB_WORKERS=2 "
        f"(gthread, {args.threads} threads each), "
        f"filed by the office's clerk; {qitongs[0].office_users} office users notified by inbox "
        f"and e-mail. Minimal: `bench/intake_app` under gunicorn, 2 workers × {args.threads} "
        f"threads, gunicorn's defaults otherwise (keep-alive on: wrk's {args.clients} "
        "connections stay "
        "with the worker that accepted them; each `qitong serve` of this run says below how "
        "it takes its connections).",
        *(f"{t.name}'s connections: {connections_of(t, args.threads)}." for t in qitongs),
        f"Command: `{command}`",
        "",
        f"{args.clients} clients, {args.rounds} rounds of {args.seconds} s each, alternating:",
        "",
        "| round | server | filings/s | p50 ms | p90 ms | p99 ms | max ms | WAL flush ms "
        "| WAL kB a filing | 201s | rows | cut off |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for index in range(args.rounds):
        for target in targets:
            f = target.rounds[index]
            lines.append(
                f"| {index + 1} | {target.name} | {f['rate']:,.0f} | {ms(f['p50_us'])} | "
                f"{ms(f['p90_us'])} | {ms(f['p99_us'])} | {ms(f['max_us'])} | "
                f"{f['flush_ms']:.1f} | {f['wal_per_row'] / 1024:.1f} | {f['created']:,} | "
                f"{f['rows']:,} | {f['unanswered']} |"
            )

    def median(target, key):
        return statistics.median(f[key] for f in target.rounds)

    lines += [
        "",
        "WAL flush ms: the server's mean WAL flush while that round ran (`pg_stat_wal` with "
        "track_wal_io_timing); every filing's commit waits for one while it holds the year's "
        "counter, so 1,000 / flush ms bounds the filings a second of either server. WAL kB a "
        "filing: the WAL written in the round over its rows.",
        "",
        "Medians of the rounds:",
        "",
    ]
    for target in targets:
        line = (
            f"- {target.name}: {median(target, 'rate'):,.0f}/s, p50 {ms(median(target, 'p50_us'))}"
            f" ms, p99 {ms(median(target, 'p99_us'))} ms, WAL flush "
            f"{median(target, 'flush_ms'):.1f} ms"
        )
        if target is not minimal:
            # Each round's ratio to the minimal run right after it: the machine's
            # load drifts less within a round than across the run.
            ratios = [
                mine["rate"] / theirs["rate"]
                for mine, theirs in zip(target.rounds, minimal.rounds, strict=True)
            ]
            line += (
                f"; ratio to the minimal {median(target, 'rate') / median(minimal, 'rate'):.2f}"
                f" (median of the rounds' own ratios {statistics.median(ratios):.2f}, "
                f"{min(ratios):.2f}–{max(ratios):.2f})"
            )
        lines.append(line + ".")
    lines += ["", f"One client, {args.single_seconds} s each:", ""]
    for target in targets:
        single = target.single
        lines.append(
            f"- {target.name}: p50 {ms(single['p50_us'])} ms, p99 {ms(single['p99_us'])} ms "
            f"({single['rate']:,.0f}/s)."
        )
    if args.cpu_rounds:
        lines += [
            "",
            f"CPU per filing in one process of its own (the server's WSGI application, "
            f"{args.cpu_filings} filings after 30, {args.cpu_rounds} rounds alternating, median), "
            "and the PostgreSQL and Redis servers' CPU meanwhile, per filing:",
            "",
        ]
        for target in targets:
            probe = [value for value, _servers in target.cpu]
            servers = [value for _probe, value in target.cpu]
            rounds = ", ".join(f"{value:.1f}" for value in probe)
            lines.append(
                f"- {target.name}: {statistics.median(probe):.1f} ms ({rounds}); "
                f"the servers {statistics.median(servers):.1f} ms "
                f"({', '.join(f'{value:.1f}' for value in servers)})."
            )
    counted = ", ".join(
        f"{target.name} 1..{count:,}" for target, count in zip(targets, numbers, strict=True)
    )
    lines += [
        "",
        "Rows after: every 201 answer is a row; the rows beyond them are requests wrk cut off "
        f"in flight at its stop. Numbers gap-free and unique: {counted}.",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--single-seconds", type=int, default=10)
    parser.add_argument("--qitong-src", help="run Qitong from this src folder (PYTHONPATH)")
    parser.add_argument(
        "--before-src", help="also run a Qitong from this src folder, as 'Qitong before'"
    )
    parser.add_argument("--pg-stat", action="store_true", help="print the costliest statements")
    parser.add_argument("--cpu-rounds", type=int, default=3)
    parser.add_argument("--cpu-filings", type=int, default=200)
    parser.add_argument(
        "--threads", type=int, default=8, help="threads of each server's 2 workers (8)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    command = shlex.join([".venv/bin/python", "bench/intake.py", *sys.argv[1:]])
    tmp = Path(tempfile.mkdtemp(prefix="qitong-intake-"))
    servers = None
    targets = []
    try:
        databases = ["qitong", "minimal"] + (["before"] if args.before_src else [])
        servers = Servers(tmp, databases, pg_stat=args.pg_stat)
        pg, redis = servers.pg, servers.redis
        if args.pg_stat:
            pg.psql("qitong", "CREATE EXTENSION pg_stat_statements")
        if args.before_src:
            before = start_qitong(
                tmp,
                pg,
                redis,
                args.before_src,
                name="Qitong before",
                database="before",
                redis_db=1,
                threads=args.threads,
            )
            targets.append(before)
        targets.append(start_qitong(tmp, pg, redis, args.qitong_src, threads=args.threads))
        targets.append(start_minimal(tmp, pg, threads=args.threads))
        for target in targets:
            target.servers = servers
            post_once(target)
        if args.pg_stat:
            pg.psql("qitong", "SELECT pg_stat_statements_reset()")
        for index in range(args.rounds):
            for target in targets:
                figures = wrk(target, tmp, clients=args.clients, seconds=args.seconds, pg=pg)
                target.rounds.append(figures)
                print(
                    f"round {index + 1} {target.name}: {figures['rate']:.0f}/s "
                    f"p50 {ms(figures['p50_us'])} ms p99 {ms(figures['p99_us'])} ms",
                    file=sys.stderr,
                )
        if args.pg_stat:
            print(pg_top(pg), file=sys.stderr)
        for target in targets:
            target.single = wrk(target, tmp, clients=1, seconds=args.single_seconds, pg=pg)
        for target in targets:
            target.cpu = []
        for _index in range(args.cpu_rounds):
            for target in targets:
                target.cpu.append(cpu_per_filing(target, args.cpu_filings))
        numbers = [check_numbers(target, pg) for target in targets]
        print(report(args, pg, targets, numbers, command))
    except urllib.error.HTTPError as exc:
        sys.exit(f"{exc.url}: {exc.code} {exc.read()[:500]!r}")
    finally:
        for target in targets:
            target.stop()
        if servers:
            servers.stop()
        if os.environ.get("INTAKE_KEEP"):
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
