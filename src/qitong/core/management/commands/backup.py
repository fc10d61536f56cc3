from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from qitong import env
from qitong.core import backup

POSTGRES = _(
    "当前配置使用 PostgreSQL（QITONG_DATABASE_URL）：qitong backup/restore 只用于内置的 SQLite 模式。"
    "PostgreSQL 请按 docs/operations.md 的 “Production: PostgreSQL backup and restore” 一节使用 pg_dump/pg_restore 或持续归档（PITR）。"
)


def embedded_only():
    """``CommandError`` unless the database is the embedded SQLite file."""
    if connection.vendor != "sqlite":
        raise CommandError(POSTGRES)


def secret_key_file():
    return Path(settings.DATA_DIR) / env.SECRET_KEY_FILE


class Command(BaseCommand):
    help = _(
        "备份内置模式的数据：SQLite 数据库的一致快照（服务运行中也可）、上传文件和密钥，附校验清单。"
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("新建的备份目录"))

    def handle(self, *args, directory, **options):
        embedded_only()
        try:
            summary = backup.take(
                settings.DATABASES["default"]["NAME"],
                settings.MEDIA_ROOT,
                secret_key_file(),
                directory,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("备份完成：%(files)d 个文件，%(size).1f MB，用时 %(seconds).1f 秒，位于 %(dir)s。")
            % {
                "files": summary.files,
                "size": summary.bytes / 1e6,
                "seconds": summary.seconds,
                "dir": directory,
            }
        )
