"""Redis down (issue 15): filing goes on, and the queued work catches up when it is back.

The production layout on loopback: ``qitong serve`` with ``QITONG_REDIS_URL``, a Celery
worker (with beat) on the same Redis, a real SMTP server. Each filing writes e-mails to
the office in its transaction (the outbox) and wakes the worker through Redis. Redis is
killed with SIGKILL; filings go on (201, the rate limits let them pass, the wake is lost);
Redis comes back on the same port, empty; the next filing's wake sends the backlog: every
e-mail delivered, each once.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.notify.conftest import SmtpServer
from tests.processes import BIN, free_port, query, stop, wait_for_port
from tests.reliability.servers import SETUP, Server, file_appeal

BEFORE, DURING = 5, 20  # filings with Redis up, then down
RATE_LIMITS = "login=1000/60,filing=100000/60,urge=1000/600,public=100000/60"  # counted in Redis


class Redis:
    """``redis-server`` on a fixed loopback port, nothing on disk; killed and started again."""

    def __init__(self, folder):
        self.binary = shutil.which("redis-server")
        self.folder, self.port, self.process = folder, free_port(), None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


def _wait(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_filing_goes_on_without_redis_and_the_e_mails_catch_up(database, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/system-deps.sh installs it)")
    redis = Redis(tmp_path)
    redis.start()
    smtp = SmtpServer(free_port())
    smtp.start()
    env = {
        **database,
        "QITONG_REDIS_URL": redis.url,
        "QITONG_RATE_LIMITS": RATE_LIMITS,
        "QITONG_EMAIL_HOST": "127.0.0.1",
        "QITONG_EMAIL_PORT": str(smtp.port),
        "QITONG_WEB_WORKERS": "1",
    }
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 (closed at the end)
    server = Server(env, log)
    worker = None
    try:
        server.start()
        setup = subprocess.run(
            [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, timeout=300
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        key, uscc = setup.stdout.split()
        restarts = 0

        def start_worker():
            return subprocess.Popen(
                [str(BIN / "celery"), "-A", "qitong", "worker", "--beat", "--pool", "solo"]
                + ["--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "WARNING"]
                + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )

        worker = start_worker()

        def delivered():
            # Supervised as docs/deployment.md's unit does (Restart=on-failure): a worker
            # that held a task when Redis vanished exits ("Couldn't ack", then celery's
            # "Unrecoverable error") and is started again.
            nonlocal worker, restarts
            if worker.poll() is not None:
                restarts += 1
                worker = start_worker()
            return len(smtp.mailbox.received)

        for n in range(BEFORE):
            status, answer = file_appeal(server.port, key, uscc, f"up-{n}")
            assert status == 201, answer
        assert _wait(lambda: delivered() == BEFORE, 90), delivered()

        redis.kill()
        latencies = []
        for n in range(DURING):
            started = time.monotonic()
            status, answer = file_appeal(server.port, key, uscc, f"down-{n}")
            latencies.append(time.monotonic() - started)
            assert status == 201, answer
        time.sleep(2)
        waiting = BEFORE + DURING - delivered()  # nothing can wake the worker

        redis.start()  # empty: the wakes sent while it was down are gone
        back = time.monotonic()
        # Traffic goes on: the first filing's wake sends the backlog with it (without any,
        # beat's deliver-email job, every minute, would: ``QITONG_FAULT_WAIT_FOR_BEAT=1``).
        if not os.environ.get("QITONG_FAULT_WAIT_FOR_BEAT"):
            status, answer = file_appeal(server.port, key, uscc, "after")
            assert status == 201, answer
        total = BEFORE + DURING + (0 if os.environ.get("QITONG_FAULT_WAIT_FOR_BEAT") else 1)
        caught_up = _wait(lambda: delivered() >= total, 100)
        recovery = time.monotonic() - back
        assert caught_up, delivered()
        time.sleep(1)
        subjects = [message["subject"] for message in smtp.mailbox.received]
        assert len(subjects) == len(set(subjects)) == total  # each once
        [(appeals,)] = query(env, "SELECT count(*) FROM appeals_appeal")
        [(pending,)] = query(
            env, "SELECT count(*) FROM notify_message WHERE email_status <> 'sent'"
        )
        assert (appeals, pending) == (total, 0)
        print(
            f"\nRedis down ({'PostgreSQL' if 'QITONG_DATABASE_URL' in env else 'SQLite'}):"
            f" {DURING} of {DURING} filings acknowledged while down (median"
            f" {sorted(latencies)[DURING // 2] * 1000:.0f} ms, slowest {max(latencies) * 1000:.0f}"
            f" ms); {waiting} e-mails waiting; all {total} delivered once"
            f" {recovery:.1f} s after Redis came back (the worker restarted {restarts} times)"
        )
    finally:
        if worker is not None:
            stop(worker)
        server.kill(signal.SIGTERM)
        redis.kill()
        smtp.stop()
        log.close()
