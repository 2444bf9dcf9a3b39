"""On PostgreSQL, trigram indexes for the admin's search in the catalog's big tables: a program's
title and a group's name, as Django compares them (UPPER(column) LIKE UPPER('%word%'))."""

from django.db import migrations

SEARCHED = [("catalog_program", "title"), ("catalog_group", "name")]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column in SEARCHED:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_{column}_search ON {table} USING gin (UPPER({column}::text) gin_trgm_ops)"
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column in SEARCHED:
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_{column}_search")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_organization_by_name")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
