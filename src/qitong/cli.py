"""The ``qitong`` console script: every Django management command, plus ours."""

import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line

from qitong import env


def _data_dir():
    value = os.environ.get("QITONG_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else Path.cwd() / "var"


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    command = argv[1] if len(argv) > 1 else ""
    if not os.environ.get("QITONG_SECRET_KEY"):
        key_file = _data_dir() / env.SECRET_KEY_FILE
        # ``demo`` makes the key it needs; any later command in the same data
        # folder reuses it, so ``qitong serve`` works after ``qitong demo``.
        if command == "demo":
            os.environ["QITONG_SECRET_KEY"] = env.ensure_secret_key_file(_data_dir())
        elif key_file.exists():
            os.environ["QITONG_SECRET_KEY"] = key_file.read_text().strip()

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"配置错误：{exc}\n")
        sys.exit(2)
