"""The library's index on SQLite also keeps each term under its first character, so a word
of one character is read from one list (``core.search``, ``prefix='1'``); made again from
the terms it keeps. Nothing changes on PostgreSQL."""

from django.db import migrations

from qitong.policies import search


def rebuild(apps, schema_editor):
    search.INDEX.rebuild(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("policies", "0007_push_indexes")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
