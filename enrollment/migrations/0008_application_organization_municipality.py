# The program's organization and municipality copied onto its applications (see Application).

import django.db.models.deletion
from django.db import migrations

import core.fields

# A correlated subquery: the same statement on PostgreSQL and SQLite.
COPY_FROM_PROGRAM = """
UPDATE enrollment_application SET
    organization_id = (SELECT p.organization_id FROM catalog_program p WHERE p.id = enrollment_application.program_id),
    municipality_id = (SELECT p.municipality_id FROM catalog_program p WHERE p.id = enrollment_application.program_id)
"""


def copied(to: str, label: str, *, null: bool) -> core.fields.CopiedForeignKey:
    return core.fields.CopiedForeignKey(
        copied_from="program",
        db_index=False,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to=to,
        verbose_name=label,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0012_admin_search_trigrams"),
        ("enrollment", "0007_campaign_progress_message"),
        ("territory", "0003_contingent"),
    ]

    operations = [
        migrations.AddField("application", "organization", copied("catalog.organization", "организация", null=True)),
        migrations.AddField("application", "municipality", copied("territory.municipality", "муниципалитет", null=True)),
        migrations.RunSQL(COPY_FROM_PROGRAM, migrations.RunSQL.noop),
        migrations.AlterField("application", "organization", copied("catalog.organization", "организация", null=False)),
        migrations.AlterField(
            "application", "municipality", copied("territory.municipality", "муниципалитет", null=False)
        ),
        migrations.AddIndex(
            model_name="application",
            index=django.db.models.Index(
                fields=["organization", "created_at", "id"], name="application_organization_list"
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=django.db.models.Index(
                fields=["municipality", "created_at", "id"], name="application_municipality_list"
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=django.db.models.Index(fields=["created_at", "id"], name="application_list"),
        ),
    ]
