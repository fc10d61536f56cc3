from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from qitong.core import backup
from qitong.core.management.commands.backup import embedded_only, secret_key_file


class Command(BaseCommand):
    help = _("从 qitong backup 的备份目录恢复内置模式的数据（先停止 qitong serve）。")

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("备份目录"))
        parser.add_argument("--replace", action="store_true", help=_("覆盖已有的数据库和上传文件"))

    def handle(self, *args, directory, replace, **options):
        embedded_only()
        known = [
            f"{app}.{name}"
            for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
        ]
        connections.close_all()
        try:
            manifest = backup.restore(
                directory,
                settings.DATABASES["default"]["NAME"],
                settings.MEDIA_ROOT,
                secret_key_file(),
                known,
                replace=replace,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _(
                "已恢复 %(created)s 的备份（%(files)d 个文件）。如本版本较新，请再运行 qitong migrate。"
            )
            % {"created": manifest["created_at"], "files": len(manifest["files"])}
        )
