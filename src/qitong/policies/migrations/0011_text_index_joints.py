"""The library's index also keeps the joints where letters or digits meet another run
(``core.search.joint``: 〔2023〕27号 → 2023_27, 27_号), so a document number is found by its
rare joints rather than by checking every text that holds its common runs. Every policy is
indexed again, on either database (docs/operations.md, upgrade step 11), 50,000 policies a
transaction: the platform is stopped meanwhile, and a migration stopped midway starts again
from an empty index."""

from django.db import migrations

from qitong.policies import search


def reindex(apps, schema_editor):
    search.rebuild(apps.get_model("policies", "Policy").objects, whole=False)


class Migration(migrations.Migration):
    atomic = False  # each batch commits (``search.rebuild``)
    dependencies = [("policies", "0010_push_storage")]

    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
