"""Backup and restore of the embedded deployment: the SQLite file, the uploads, the secret key.

``take`` copies the database with SQLite's online backup API, which reads one
consistent snapshot while ``qitong serve`` goes on writing (WAL mode lets the
writers continue; the copy is a single step, so no write lands half in it),
then the uploads folder and the secret key, and writes last a manifest with
each file's size and SHA-256. It writes into ``DIR.partial`` and renames that
to ``DIR`` at the end, so a ``DIR`` that exists is a complete backup.

The snapshot is taken before the uploads are copied: uploads are only ever
added, so every file the snapshot names is there (a file uploaded in between
is an extra, harmless file).

``restore`` refuses a backup whose files do not match the manifest, whose
database fails SQLite's integrity check, or whose schema has migrations this
version of the code does not know (a backup of a newer release); it refuses
to overwrite an existing database unless told to. It copies into temporary
names next to the targets and renames them into place, so a restore cut short
leaves the old data or the new, never a mix. It never runs on PostgreSQL
(``docs/operations.md`` has that procedure).
"""

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from qitong.core import clock

MANIFEST = "manifest.json"
DATABASE = "qitong.db"
UPLOADS = "uploads"
SECRET_KEY = "secret_key"
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup that cannot be taken or restored; the message says why, in Chinese."""


@dataclass(frozen=True)
class Summary:
    files: int
    bytes: int
    seconds: float


def _version():
    try:
        return metadata.version("qitong")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _entry(root, path):
    return {
        "path": path.relative_to(root).as_posix(),
        "size": path.stat().st_size,
        "sha256": _sha256(path),
    }


def _fsync_tree(root):
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def snapshot(db_path, target):
    """A consistent copy of the SQLite database at ``db_path`` into the new file ``target``."""
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=20000")
        source.backup(copy)  # all pages in one step: one read transaction, one snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()


def take(db_path, media_root, secret_key_file, target):
    """Back up into the directory ``target`` (which must not exist); returns a ``Summary``."""
    started = clock.now()
    target = Path(target)
    if target.exists():
        raise BackupError(f"目标目录 {target} 已存在：请指定一个新的目录。")
    db_path = Path(db_path)
    if not db_path.exists():
        raise BackupError(f"数据库文件 {db_path} 不存在。")
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        snapshot(db_path, partial / DATABASE)
        media_root = Path(media_root)
        if media_root.is_dir():
            shutil.copytree(media_root, partial / UPLOADS)
        else:
            (partial / UPLOADS).mkdir()
        secret = Path(secret_key_file) if secret_key_file else None
        if secret is not None and secret.is_file():
            shutil.copy2(secret, partial / SECRET_KEY)
        files = [_entry(partial, partial / DATABASE)]
        files += [
            _entry(partial, path)
            for path in sorted((partial / UPLOADS).rglob("*"))
            if path.is_file()
        ]
        if (partial / SECRET_KEY).exists():
            files.append(_entry(partial, partial / SECRET_KEY))
        manifest = {
            "format": FORMAT,
            "qitong": _version(),
            "created_at": started.isoformat(),
            "migrations": applied_migrations(partial / DATABASE),
            "files": files,
        }
        _fsync_tree(partial)
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        _fsync_tree(partial)
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    seconds = (clock.now() - started).total_seconds()
    return Summary(len(files), sum(entry["size"] for entry in files), seconds)


def applied_migrations(db_path):
    """The migrations a database file has applied, as ``["app.name", …]`` sorted."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT app, name FROM django_migrations").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份中的数据库无法读取：{exc}") from None
    finally:
        connection.close()
    return sorted(f"{app}.{name}" for app, name in rows)


def check(source, known_migrations):
    """The manifest of the backup in ``source`` once every check passes; ``BackupError`` else."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} 中没有 {MANIFEST}：不是一个完整的备份。") from None
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{source / MANIFEST} 已损坏，无法读取。") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')!r} 不受支持（应为 {FORMAT}）。")
    listed = {entry["path"] for entry in manifest["files"]}
    if DATABASE not in listed:
        raise BackupError("备份清单中没有数据库文件。")
    for entry in manifest["files"]:
        path = source / entry["path"]
        if not path.is_file():
            raise BackupError(f"备份缺少文件 {entry['path']}。")
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"备份文件 {entry['path']} 与清单的校验值不符：文件已损坏或被改动。")
    present = (
        {
            path.relative_to(source).as_posix()
            for path in (source / UPLOADS).rglob("*")
            if path.is_file()
        }
        if (source / UPLOADS).is_dir()
        else set()
    )
    extra = present - listed
    if extra:
        raise BackupError(f"备份中有清单未列出的文件：{sorted(extra)[0]}。")
    connection = sqlite3.connect(f"file:{source / DATABASE}?mode=ro", uri=True)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份中的数据库无法读取：{exc}") from None
    finally:
        connection.close()
    if verdict != "ok":
        raise BackupError(f"备份中的数据库未通过完整性检查：{verdict}")
    applied = applied_migrations(source / DATABASE)
    if applied != manifest.get("migrations"):
        raise BackupError("备份中的数据库与清单记录的迁移不一致。")
    unknown = sorted(set(applied) - set(known_migrations))
    if unknown:
        raise BackupError(
            f"备份来自更新版本的企通（本版本不认识迁移 {unknown[0]}）：请先升级企通再恢复。"
        )
    return manifest


def restore(source, db_path, media_root, secret_key_file, known_migrations, *, replace=False):
    """Put the backup in ``source`` in place of the database, uploads and secret key."""
    source, db_path, media_root = Path(source), Path(db_path), Path(media_root)
    manifest = check(source, known_migrations)
    if db_path.exists() and not replace:
        raise BackupError(
            f"数据库 {db_path} 已存在：恢复会覆盖现有数据。确认覆盖请加 --replace（并先停止 qitong serve）。"
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%d%H%M%S%f")
    staged_db = db_path.with_name(f".{db_path.name}.restore-{stamp}")
    staged_media = media_root.with_name(f".{media_root.name}.restore-{stamp}")
    old_media = media_root.with_name(f".{media_root.name}.old-{stamp}")
    try:
        shutil.copyfile(source / DATABASE, staged_db)
        if (source / UPLOADS).is_dir():
            shutil.copytree(source / UPLOADS, staged_media)
        else:
            staged_media.mkdir()
        _fsync_tree(staged_media)
        with open(staged_db, "rb") as handle:
            os.fsync(handle.fileno())
        # The old database's write-ahead log must not be replayed onto the restored file.
        for suffix in ("-wal", "-shm", "-journal"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        os.replace(staged_db, db_path)
        if media_root.exists():
            media_root.rename(old_media)
        staged_media.rename(media_root)
    except BaseException:
        staged_db.unlink(missing_ok=True)
        shutil.rmtree(staged_media, ignore_errors=True)
        raise
    shutil.rmtree(old_media, ignore_errors=True)
    secret = Path(secret_key_file) if secret_key_file else None
    if secret is not None and (source / SECRET_KEY).is_file() and not secret.exists():
        shutil.copy2(source / SECRET_KEY, secret)
        secret.chmod(0o600)
    return manifest
