"""Starting real servers of our own on loopback for tests, and stopping them."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
