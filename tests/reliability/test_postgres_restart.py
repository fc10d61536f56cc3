"""PostgreSQL restarted in the middle of a deadline sweep (issue 15): the next sweep
completes the work, each case once.

A throwaway cluster of the test's own (``initdb``/``pg_ctl`` on loopback; the suite's
server is not touched), holding the migrated schema and 1,000 overdue cases under
supervision. The sweep runs in batches of 50 in a process of its own; once its first
batches have committed, the cluster is restarted (``pg_ctl restart -m fast``: every
connection cut). The sweep fails; every case is then whole (urged with its event,
supervision count and message, or untouched); the next sweep for the same instant urges
the rest, each exactly once. PostgreSQL-only: it runs in the PostgreSQL suite
(``scripts/with-postgres.sh``), whose server lends the migrated schema.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from tests.appeals.test_sweep_batches import (
    BATCH,
    INSTANT,
    SETUP,
    SWEEP,
    _state,
    _urge_events,
    _whole,
)
from tests.processes import database_url, free_port, qitong_env, run_python

CASES = 1000

pytestmark = pytest.mark.skipif(
    not os.environ.get("QITONG_DATABASE_URL"),
    reason="PostgreSQL-only: runs in the PostgreSQL suite (scripts/with-postgres.sh)",
)


class Cluster:
    """A PostgreSQL cluster in ``folder`` on a free loopback port, run as ``postgres`` when
    the tests run as root (PostgreSQL refuses root)."""

    def __init__(self, folder):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = found[-1] if found else None
        self.folder, self.port = folder, free_port()
        self.owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    def available(self):
        return self.bin and all(
            os.path.exists(f"{self.bin}/{tool}") for tool in ("initdb", "pg_ctl", "pg_dump")
        )

    @property
    def url(self):
        return f"postgres://qitong@127.0.0.1:{self.port}/postgres"

    def _run(self, *args):
        done = subprocess.run(
            [*self.owner, *args], capture_output=True, text=True, timeout=120, cwd="/"
        )
        assert done.returncode == 0, done.stderr[-3000:]

    def init(self):
        if self.owner:
            shutil.chown(self.folder, "postgres")
        self._run(f"{self.bin}/initdb", "-D", f"{self.folder}/data", "-U", "qitong", "-A", "trust")
        self.start()

    def _ctl(self, action):
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-l", f"{self.folder}/log",
            "-w", "-m", "fast", "-o", options, action,
        )  # fmt: skip

    def start(self):
        self._ctl("start")

    def restart(self):
        self._ctl("restart")

    def stop(self):
        subprocess.run(
            [*self.owner, f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )  # fmt: skip


@pytest.fixture
def cluster():
    # Under /tmp itself, as scripts/with-postgres.sh does: pytest's own folders are closed
    # to the ``postgres`` user.
    cluster = Cluster(tempfile.mkdtemp(prefix="qitong-pg-restart."))
    try:
        if not cluster.available():
            pytest.skip("PostgreSQL's initdb, pg_ctl and pg_dump are not installed")
        cluster.init()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.folder, ignore_errors=True)


def test_a_sweep_cut_by_a_postgres_restart_is_completed_by_the_next_once(
    cluster, migrated, tmp_path
):
    _folder, template = migrated  # the schema, migrated once on the suite's server
    dump = subprocess.run(
        [f"{cluster.bin}/pg_dump", "--no-owner", "--no-privileges", "-d"]
        + [database_url(os.environ["QITONG_DATABASE_URL"], template)],
        capture_output=True,
        timeout=300,
    )
    assert dump.returncode == 0, dump.stderr[-3000:]
    load = subprocess.run(
        [f"{cluster.bin}/psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", cluster.url],
        input=dump.stdout,
        capture_output=True,
        timeout=300,
    )
    assert load.returncode == 0, load.stderr[-3000:]
    env = qitong_env(
        tmp_path, DJANGO_SETTINGS_MODULE="qitong.settings", QITONG_DATABASE_URL=cluster.url
    )
    run_python(SETUP, CASES, env=env)

    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-c", SWEEP, str(BATCH), INSTANT],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while _urge_events(env) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the sweep ended before the restart"
    restart = time.monotonic()
    cluster.restart()
    restarted = time.monotonic() - restart
    _out, errors = process.communicate(timeout=120)
    assert process.returncode != 0, "the sweep did not notice the restart"
    assert "OperationalError" in errors or "connection" in errors.lower(), errors[-2000:]

    cases = _state(env)
    judged = [_whole(case) for case in cases]
    assert all(whole for whole, _urged in judged)
    urged_before = sum(urged for _whole_, urged in judged)
    assert 0 < urged_before < CASES
    assert urged_before % BATCH == 0  # whole batches only

    again = time.monotonic()
    run_python(SWEEP, BATCH, INSTANT, env=env)
    completed = time.monotonic() - again
    cases = _state(env)
    assert all(_whole(case) == (True, True) for case in cases)  # each urged exactly once
    print(
        f"\nPostgreSQL restarted mid-sweep: {urged_before} of {CASES} cases urged before the"
        f" cut ({restart - started:.1f} s into the sweep), restart {restarted:.1f} s; the next"
        f" sweep urged the other {CASES - urged_before} in {completed:.1f} s; 0 urged twice,"
        " 0 half-written"
    )
