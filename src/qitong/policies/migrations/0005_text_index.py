"""The library's ranked full-text index (``policies.search.INDEX``), filled from the policies
already there."""

from django.db import migrations

from qitong.policies import search

CHUNK = 2000


def create(apps, schema_editor):
    search.INDEX.create(schema_editor)
    Policy = apps.get_model("policies", "Policy")
    connection = schema_editor.connection
    rows = Policy.objects.using(connection.alias).order_by("pk")
    last = 0
    with search.INDEX.filling(connection):
        while True:
            chunk = list(rows.filter(pk__gt=last).values_list(*search.INDEX_COLUMNS)[:CHUNK])
            if not chunk:
                break
            search.INDEX.add((search.document(*row) for row in chunk), connection=connection)
            last = chunk[-1][0]


def drop(apps, schema_editor):
    search.INDEX.drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("policies", "0004_library_and_push")]

    operations = [migrations.RunPython(create, drop)]
