"""Rows staged in their action's transaction before ``chain.seal`` links them.

On PostgreSQL a trigger refuses every UPDATE of a staged row: between its
action's commit and the seal, no one rewrites what it says.
"""

from django.db import migrations, models

GUARD = """
CREATE OR REPLACE FUNCTION audit_staged_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'staged audit records cannot be changed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_staged_guard BEFORE UPDATE ON audit_staged
    FOR EACH ROW EXECUTE FUNCTION audit_staged_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS audit_staged_guard ON audit_staged;
DROP FUNCTION IF EXISTS audit_staged_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_head_and_guards'),
    ]

    operations = [
        migrations.CreateModel(
            name='Staged',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField()),
                ('user_id', models.BigIntegerField(blank=True, null=True)),
                ('username', models.CharField(blank=True, max_length=150)),
                ('role', models.CharField(blank=True, max_length=10)),
                ('address', models.CharField(blank=True, max_length=45)),
                ('action', models.CharField(max_length=16)),
                ('target', models.CharField(blank=True, max_length=300)),
                ('detail', models.JSONField(blank=True, default=dict)),
                ('outcome', models.CharField(max_length=8)),
            ],
            options={
                'verbose_name': '待入链的审计记录',
                'verbose_name_plural': '待入链的审计记录',
            },
        ),
        migrations.RunPython(guard, unguard),
    ]
