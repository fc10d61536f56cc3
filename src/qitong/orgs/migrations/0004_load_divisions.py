"""Every province, prefecture and county by its GB/T 2260 code, from the shipped list.

Runs on a fresh database and on one that already holds some divisions (say the
demo city's 370100 and 370102): known codes keep their ids and take the list's
names, parents and levels; nothing is deleted. Later lists come in through
``qitong regions load``, not through a new migration.
"""

from django.db import migrations


def load_divisions(apps, schema_editor):
    from qitong.orgs import regions

    Region = apps.get_model("orgs", "Region")
    regions.load(regions.SHIPPED.read_bytes(), region_model=Region)
    # Divisions outside the list (made by hand before) still need their level.
    for region in Region.objects.iterator():
        level = regions.Region.Level.of(region.code)
        if region.level != level:
            region.level = level
            region.save(update_fields=["level"])


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0003_region_level_activity_successor"),
    ]

    operations = [
        migrations.RunPython(load_divisions, migrations.RunPython.noop, elidable=False),
    ]
