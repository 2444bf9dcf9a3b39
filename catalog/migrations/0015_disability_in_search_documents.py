"""Programs adapted for children with disabilities get the words in their search documents."""

from django.db import migrations


def rebuild_documents(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The search's own code writes documents and their postings (catalog.search); only the programs whose
    # document changes are rewritten.
    from catalog.search import refresh_search_documents

    Program = apps.get_model("catalog", "Program")
    refresh_search_documents(list(Program.objects.filter(disability_adapted=True).values_list("pk", flat=True)))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0014_program_offering_groups")]

    operations = [migrations.RunPython(rebuild_documents, migrations.RunPython.noop)]
