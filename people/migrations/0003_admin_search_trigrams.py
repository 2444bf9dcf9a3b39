"""On PostgreSQL, trigram indexes for the admin's search of children by name, as Django compares
names (UPPER(column) LIKE UPPER('%word%')): the registry holds every child of the region."""

from django.db import migrations

SEARCHED = ["last_name", "first_name", "patronymic"]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for column in SEARCHED:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS people_child_{column}_search ON people_child "
                f"USING gin (UPPER({column}::text) gin_trgm_ops)"
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for column in SEARCHED:
            schema_editor.execute(f"DROP INDEX IF EXISTS people_child_{column}_search")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_registry"),
        ("catalog", "0003_dictionaries_and_search_indexes"),  # pg_trgm
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
