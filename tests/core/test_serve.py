import os
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.processes import free_port, qitong, qitong_env, stop, wait_for_http


@pytest.fixture
def served(tmp_path):
    """``qitong serve`` on a free loopback port over an empty data folder."""
    port = free_port()
    env = qitong_env(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "qitong", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
        yield port, env, tmp_path
    finally:
        stop(process)


def test_it_migrates_an_empty_data_folder_and_serves_pages_and_static_files(served):
    port, _env, data_dir = served
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/") as response:
        assert "登录企通" in response.read().decode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/qitong/site.css") as response:
        assert b".sidebar" in response.read()
    with sqlite3.connect(data_dir / "qitong.db") as db:
        applied = {app for (app,) in db.execute("SELECT app FROM django_migrations")}
    assert {"orgs", "enterprises", "core"} <= applied


def test_a_second_serve_on_a_busy_port_says_so_and_exits_non_zero(served):
    port, env, _data_dir = served
    second = qitong("serve", "--port", str(port), env=env, timeout=60)
    assert second.returncode != 0
    assert f"端口 {port} 已被占用" in second.stderr


@pytest.mark.parametrize("workers", ["many", "0"])
def test_a_wrong_worker_count_stops_serve_naming_the_variable(tmp_path, workers):
    env = {**qitong_env(tmp_path), "QITONG_WEB_WORKERS": workers}
    refused = qitong("serve", "--port", str(free_port()), env=env, timeout=60)
    assert refused.returncode != 0
    assert "QITONG_WEB_WORKERS" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_it_migrates_an_older_database_before_serving(tmp_path):
    env = qitong_env(tmp_path)
    assert qitong("migrate", "enterprises", "0001", env=env).returncode == 0
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qitong", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
    finally:
        stop(process)
    with sqlite3.connect(tmp_path / "qitong.db") as db:
        names = {
            name
            for (name,) in db.execute("SELECT name FROM django_migrations WHERE app='enterprises'")
        }
    assert "0002_initial" in names


def test_in_embedded_mode_serve_runs_the_periodic_jobs_itself(tmp_path):
    """The hourly session clean-up runs at start inside the server's own process."""
    env = qitong_env(tmp_path)
    assert qitong("migrate", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "qitong.db") as db:
        db.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date)"
            " VALUES ('stale', '', '2000-01-01 00:00:00')"
        )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qitong", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sqlite3.connect(tmp_path / "qitong.db") as db:
                left = db.execute("SELECT count(*) FROM django_session").fetchone()[0]
            if left == 0:
                break
            time.sleep(0.2)
    finally:
        stop(process)
    assert left == 0


def test_static_files_are_collected_again_only_when_their_sources_change(tmp_path, settings):
    from qitong.core.management.commands.serve import collect_static

    sources, collected = tmp_path / "sources", tmp_path / "collected"
    sources.mkdir()
    collected.mkdir()
    (sources / "site.css").write_text("body { color: black }\n" * 200)
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATICFILES_DIRS = [sources]
    settings.STATIC_ROOT = collected
    assert collect_static() is True
    assert (collected / "site.css").exists() and (collected / "site.css.gz").exists()
    assert collect_static() is False  # a restart: nothing to compress again
    (sources / "site.css").write_text("body { color: navy }\n" * 200)
    later = time.time() + 10  # collectstatic compares whole seconds
    os.utime(sources / "site.css", (later, later))
    assert collect_static() is True
    assert "navy" in (collected / "site.css").read_text()
