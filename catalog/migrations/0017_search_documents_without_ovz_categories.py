"""Search documents rewritten: the categories of children with ОВЗ leave them, being the search's filter now."""

from django.db import migrations


def rebuild_documents(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The search's own code writes every document and the postings (catalog.search).
    from catalog.search import refresh_search_documents

    refresh_search_documents()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0016_search_documents_with_units")]

    operations = [migrations.RunPython(rebuild_documents, migrations.RunPython.noop)]
