"""Each policy's terms gain its period (``core.search.PERIOD_MARK``): PostgreSQL reads a
sparse tier window by window of recency inside its GIN index."""

from django.db import migrations

from qitong.policies import search


def add_periods(apps, schema_editor):
    search.INDEX.add_periods(schema_editor)


class Migration(migrations.Migration):

    dependencies = [("policies", "0008_text_index_prefix")]

    operations = [migrations.RunPython(add_periods, migrations.RunPython.noop)]
