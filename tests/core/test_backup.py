"""``qitong backup`` and ``qitong restore`` for the embedded mode, run as an operator runs them.

A data folder is made by ``qitong migrate``; a thread keeps writing to its
database (two rows per transaction) while ``qitong backup`` runs; the backup
is restored into a fresh data folder and compared with the source: every
table equal, the written rows a whole prefix of what the thread committed, the
uploads byte for byte. Damaged, incomplete or newer backups are refused and
leave the target as it was; a PostgreSQL configuration is refused with a
pointer to docs/operations.md.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qitong.core import backup

KEY = "test-only-secret-key-0123456789abcdefghij"


def qitong(data_dir, *args, database_url=""):
    env = {
        **os.environ,
        "QITONG_DATA_DIR": str(data_dir),
        "QITONG_SECRET_KEY": KEY,
        "QITONG_DATABASE_URL": database_url,
        "QITONG_REDIS_URL": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "qitong", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A data folder with the schema and the shipped data, made once for the module."""
    folder = tmp_path_factory.mktemp("migrated")
    done = qitong(folder, "migrate", "-v0")
    assert done.returncode == 0, done.stderr
    return folder / "qitong.db"


@pytest.fixture
def source(tmp_path, migrated):
    """A data folder to back up: the migrated database, uploads, a secret key file."""
    folder = tmp_path / "source"
    folder.mkdir()
    shutil.copyfile(migrated, folder / "qitong.db")
    with sqlite3.connect(folder / "qitong.db") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE writes (n INTEGER PRIMARY KEY, half TEXT NOT NULL)")
    uploads = folder / "uploads" / "appeals" / "2026" / "12"
    uploads.mkdir(parents=True)
    (uploads / "营业执照.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(200_000))
    (uploads / "现场.png").write_bytes(os.urandom(50_000))
    (folder / "secret_key").write_text("a-secret-key-of-the-source-installation-0123456789")
    return folder


def tables(db_path, *, without=()):
    """Every table's rows, sorted, for comparing two databases (full-text indexes by their shadow tables)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND sql NOT LIKE 'CREATE VIRTUAL%'"  # their shadow tables hold their rows
            )
        ]
        return {
            name: sorted(map(repr, db.execute(f'SELECT * FROM "{name}"')))
            for name in names
            if name not in without
        }


def tree(folder):
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file()
    }


class Writer(threading.Thread):
    """Commits two rows per transaction, as fast as it can, until stopped."""

    def __init__(self, db_path):
        super().__init__(daemon=True)
        self.db_path, self.committed, self.stop = db_path, 0, threading.Event()

    def run(self):
        db = sqlite3.connect(self.db_path, timeout=20, isolation_level=None)
        db.execute("PRAGMA busy_timeout=20000")
        payload = "写" * 500
        while not self.stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            n = self.committed * 2
            db.execute("INSERT INTO writes VALUES (?, ?)", (n + 1, payload))
            db.execute("INSERT INTO writes VALUES (?, ?)", (n + 2, payload))
            db.execute("COMMIT")
            self.committed += 1
        db.close()


def test_a_backup_taken_while_writing_restores_into_a_fresh_folder_equal(tmp_path, source):
    writer = Writer(source / "qitong.db")
    writer.start()
    while writer.committed < 200:
        time.sleep(0.01)
    before = writer.committed
    taken = qitong(source, "backup", str(tmp_path / "backup"))
    after = writer.committed
    time.sleep(0.05)
    writer.stop.set()
    writer.join(10)
    assert taken.returncode == 0, taken.stderr
    assert after > before  # the thread kept writing while the backup ran
    assert writer.committed > after

    fresh = tmp_path / "fresh"
    restored = qitong(fresh, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    db = fresh / "qitong.db"
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        numbers = [row[0] for row in check.execute("SELECT n FROM writes ORDER BY n")]
    # One snapshot: whole transactions only, a prefix of what was committed.
    pairs = len(numbers) // 2
    assert numbers == list(range(1, 2 * pairs + 1))
    assert before <= pairs <= after
    assert tables(db, without={"writes"}) == tables(source / "qitong.db", without={"writes"})
    assert tree(fresh / "uploads") == tree(source / "uploads")
    assert (fresh / "secret_key").read_text() == (source / "secret_key").read_text()
    # The restored folder serves: Django reads it and finds nothing to migrate.
    plan = qitong(fresh, "migrate", "--check")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def _backup(tmp_path, source):
    target = tmp_path / "backup"
    backup.take(source / "qitong.db", source / "uploads", source / "secret_key", target)
    return target


def _restore(folder, target, known, **options):
    return backup.restore(
        folder, target / "qitong.db", target / "uploads", target / "secret_key", known, **options
    )


def _restore_refused(tmp_path, folder, known, expected):
    target = tmp_path / "target"
    target.mkdir(exist_ok=True)
    with pytest.raises(backup.BackupError, match=expected):
        _restore(folder, target, known)
    assert not (target / "qitong.db").exists()
    assert not list(target.iterdir())  # nothing staged is left behind


@pytest.fixture
def known(migrated):
    """The migrations this release knows: those the migrated folder applied."""
    return backup.applied_migrations(migrated)


def test_a_damaged_file_is_refused(tmp_path, source, known):
    folder = _backup(tmp_path, source)
    upload = next((folder / "uploads").rglob("*.png"))
    data = bytearray(upload.read_bytes())
    data[100] ^= 0xFF
    upload.write_bytes(bytes(data))
    _restore_refused(tmp_path, folder, known, "校验值不符")


def test_a_missing_or_extra_file_is_refused(tmp_path, source, known):
    folder = _backup(tmp_path, source)
    extra = folder / "uploads" / "多余.txt"
    extra.write_text("x")
    _restore_refused(tmp_path, folder, known, "清单未列出")
    extra.unlink()
    next((folder / "uploads").rglob("*.pdf")).unlink()
    _restore_refused(tmp_path, folder, known, "缺少文件")


def test_a_backup_without_its_manifest_is_refused(tmp_path, source, known):
    folder = _backup(tmp_path, source)
    (folder / "manifest.json").unlink()
    _restore_refused(tmp_path, folder, known, "不是一个完整的备份")


def _reseal(folder):
    """Rewrite the manifest over a changed database, as a careless hand would."""
    db = folder / "qitong.db"
    manifest = json.loads((folder / "manifest.json").read_text())
    data = db.read_bytes()
    manifest["files"][0].update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    return manifest


def test_a_database_that_fails_its_integrity_check_is_refused(tmp_path, source, known):
    folder = _backup(tmp_path, source)
    db = folder / "qitong.db"
    data = bytearray(db.read_bytes())
    for offset in range(8192, 8192 + 4096):  # scramble the third page
        data[offset] ^= 0x5A
    db.write_bytes(bytes(data))
    (folder / "manifest.json").write_text(json.dumps(_reseal(folder)))
    _restore_refused(tmp_path, folder, known, "完整性检查|无法读取")


def test_a_backup_of_a_newer_release_is_refused(tmp_path, source, known):
    folder = _backup(tmp_path, source)
    with sqlite3.connect(folder / "qitong.db") as edit:
        edit.execute(
            "INSERT INTO django_migrations (app, name, applied)"
            " VALUES ('appeals', '9999_future', '2030-01-01')"
        )
    edit.close()
    manifest = _reseal(folder)
    manifest["migrations"] = backup.applied_migrations(folder / "qitong.db")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    _restore_refused(tmp_path, folder, known, "9999_future")


def test_restore_keeps_existing_data_unless_told_to_replace(tmp_path, source, known):
    folder = _backup(tmp_path, source)
    target = tmp_path / "target"
    shutil.copytree(source, target)
    with sqlite3.connect(target / "qitong.db") as db:
        db.execute("INSERT INTO writes VALUES (1, 'only in the target')")
    db.close()
    (target / "uploads" / "新的.txt").write_text("新")
    with pytest.raises(backup.BackupError, match="--replace"):
        _restore(folder, target, known)
    _restore(folder, target, known, replace=True)
    with sqlite3.connect(target / "qitong.db") as db:
        assert db.execute("SELECT count(*) FROM writes").fetchone()[0] == 0
    db.close()
    assert tree(target / "uploads") == tree(source / "uploads")
    assert not list(target.glob("qitong.db-wal"))
    assert not [path for path in target.iterdir() if path.name.startswith(".")]


def test_the_backup_folder_must_be_new(tmp_path, source):
    folder = _backup(tmp_path, source)
    with pytest.raises(backup.BackupError, match="已存在"):
        _backup(tmp_path, source)
    assert folder.exists() and not (tmp_path / "backup.partial").exists()


def test_postgresql_configurations_are_pointed_to_the_operations_guide(tmp_path):
    url = "postgres://qitong@127.0.0.1:9/qitong"  # never connected to
    for args in (("backup", str(tmp_path / "b")), ("restore", str(tmp_path / "b"))):
        answer = qitong(tmp_path, *args, database_url=url)
        assert answer.returncode != 0
        assert "docs/operations.md" in answer.stderr and "pg_dump" in answer.stderr
    assert not (tmp_path / "b").exists()
