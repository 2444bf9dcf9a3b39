"""Search documents rewritten: a program says the unit it is held in («Кванториум», «Точка роста», «IT-куб»)."""

from django.db import migrations


def rebuild_documents(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The search's own code writes every document and the postings (catalog.search).
    from catalog.search import refresh_search_documents

    refresh_search_documents()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0015_search_documents_rewritten")]

    operations = [migrations.RunPython(rebuild_documents, migrations.RunPython.noop)]
