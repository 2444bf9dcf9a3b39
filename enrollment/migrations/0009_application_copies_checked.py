# PostgreSQL checks, at each commit, that an application's organization and municipality are its
# program's: a composite foreign key onto the program's (id, organization, municipality). Deferred,
# because a program moving updates its row first and its applications after it (enrollment.receivers),
# in one transaction. Django's models do not know these two constraints; SQLite has neither.

from django.db import migrations

CREATE = [
    "ALTER TABLE catalog_program ADD CONSTRAINT program_id_organization_municipality"
    " UNIQUE (id, organization_id, municipality_id)",
    "ALTER TABLE enrollment_application ADD CONSTRAINT application_copies_its_program"
    " FOREIGN KEY (program_id, organization_id, municipality_id)"
    " REFERENCES catalog_program (id, organization_id, municipality_id) DEFERRABLE INITIALLY DEFERRED",
]
DROP = [
    "ALTER TABLE enrollment_application DROP CONSTRAINT application_copies_its_program",
    "ALTER TABLE catalog_program DROP CONSTRAINT program_id_organization_municipality",
]


def run(statements: list[str]):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0008_application_organization_municipality")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
