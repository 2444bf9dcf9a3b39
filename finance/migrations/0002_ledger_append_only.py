"""The database refuses to change or delete a posting or an operation of the ledger.

PostgreSQL (production) refuses both UPDATE and DELETE by triggers. SQLite (the demo database)
refuses UPDATE by triggers and DELETE in the model layer (finance.models), because Django's test
and demo resets empty SQLite tables with DELETE, where PostgreSQL uses TRUNCATE.
"""

from django.db import migrations

TABLES = ("finance_posting", "finance_operation")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION finance_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Журнал проводок только дополняется: % в таблице % запрещено', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
"""


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in TABLES:
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION finance_ledger_append_only()"
                )
        elif schema_editor.connection.vendor == "sqlite":
            for table in TABLES:
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'Журнал проводок только дополняется: изменять записи запрещено'); END"
                )


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            if schema_editor.connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS finance_ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
