"""Starting real servers of our own on loopback for tests, and stopping them."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BIN = Path(sys.executable).parent
SECRET = "test-only-secret-key-0123456789abcdefghij"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def qitong_env(data_dir, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith("QITONG_")}
    env.update(QITONG_DATA_DIR=str(data_dir), QITONG_SECRET_KEY=SECRET, **extra)
    return env


def qitong(*args, env, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "qitong", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for_http(url, *, process=None, seconds=180):
    # A fresh data folder is migrated first: a minute or more on a machine under load.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def wait_for_port(port, *, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(port)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_python(snippet, *args, env, timeout=300):
    """Run ``snippet`` in a Python process of its own; returns what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", snippet, *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def query(env, sql, params=()):
    """Rows of ``sql`` read straight from the database of ``env`` (SQLite or PostgreSQL),
    as another process would, while the processes under test write."""
    if "QITONG_DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["QITONG_DATABASE_URL"]) as db:
            return db.execute(sql.replace("?", "%s"), params).fetchall()
    import sqlite3

    db = sqlite3.connect(f"file:{env['QITONG_DATA_DIR']}/qitong.db?mode=ro", uri=True)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def database_url(url, name):
    """``url`` with its database changed to ``name``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def database_of_its_own(env, prefix, *, template=None):
    """``env`` pointed at a database of its own for processes to share and to be killed in:
    its data folder's SQLite file, or when the suite runs on PostgreSQL
    (``QITONG_DATABASE_URL``) a fresh database there (a copy of ``template`` if named),
    dropped afterwards."""
    url = os.environ.get("QITONG_DATABASE_URL")
    if not url:
        yield env
        return
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(database_url(url, "postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield {**env, "QITONG_DATABASE_URL": database_url(url, name)}
    finally:
        with psycopg.connect(database_url(url, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
