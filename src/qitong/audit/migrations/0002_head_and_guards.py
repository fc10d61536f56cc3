"""The chain's head row, and on PostgreSQL a trigger that keeps the trail append-only.

The trigger refuses every UPDATE of an audit row and every DELETE of a row
younger than 180 days, whoever connects (the admin, a shell, a script): only
``chain.prune`` removes rows, and only old ones. SQLite has no such guard; the
hash chain still shows any change there.
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION audit_record_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit records cannot be changed';
    END IF;
    IF OLD.at >= now() - interval '180 days' THEN
        RAISE EXCEPTION 'audit records younger than 180 days cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_record_guard BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS audit_record_guard ON audit_record;
DROP FUNCTION IF EXISTS audit_record_guard();
"""


def create_head(apps, schema_editor):
    apps.get_model("audit", "Head").objects.get_or_create(pk=1)


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
