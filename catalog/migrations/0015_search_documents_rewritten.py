"""Search documents rewritten: a program adapted for children with disabilities says so; the numbers of
long texts (ages, hours) are left out, a query's number being a school's or a studio's."""

from django.db import migrations


def rebuild_documents(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The search's own code writes every document and the postings (catalog.search).
    from catalog.search import refresh_search_documents

    refresh_search_documents()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0014_program_offering_groups")]

    operations = [migrations.RunPython(rebuild_documents, migrations.RunPython.noop)]
