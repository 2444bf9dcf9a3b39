"""On PostgreSQL, fuzzystrmatch: the typo corrector also takes the catalog's words a few edits away,
which trigram similarity misses when two letters near the start of a short word are swapped."""

from django.db import migrations


def create_extension(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")


def drop_extension(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP EXTENSION IF EXISTS fuzzystrmatch")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_program_current_groups")]

    operations = [migrations.RunPython(create_extension, drop_extension)]
