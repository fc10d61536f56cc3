"""The full-text index of appeals (``qitong.core.search``), filled from the appeals already there."""

from django.db import migrations

from qitong.core.search import TextIndex

INDEX = TextIndex("appeals_appeal_text")  # as ``appeals.models.TEXT_INDEX``
CHUNK = 5000


def create(apps, schema_editor):
    INDEX.create(schema_editor)
    Appeal = apps.get_model("appeals", "Appeal")
    rows = Appeal.objects.using(schema_editor.connection.alias).order_by("pk")
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last).values_list("pk", "number", "title", "content")[:CHUNK])
        if not chunk:
            break
        INDEX.add_many(
            [(pk, f"{number} {title} {content}") for pk, number, title, content in chunk],
            connection=schema_editor.connection,
        )
        last = chunk[-1][0]


def drop(apps, schema_editor):
    INDEX.drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("appeals", "0005_workbench_indexes")]

    operations = [migrations.RunPython(create, drop)]
