"""Dictionaries of the EPGU exchange model and, on PostgreSQL, the search indexes."""

from django.db import migrations

OVZ_CATEGORIES = [
    ("deaf", "Глухие"),
    ("hard_of_hearing", "Слабослышащие и позднооглохшие"),
    ("blind", "Слепые"),
    ("visually_impaired", "Слабовидящие"),
    ("speech", "Тяжёлые нарушения речи"),
    ("musculoskeletal", "Нарушения опорно-двигательного аппарата"),
    ("mental_delay", "Задержка психического развития"),
    ("autism", "Расстройства аутистического спектра"),
    ("intellectual", "Умственная отсталость (интеллектуальные нарушения)"),
    ("complex", "Сложные дефекты"),
]

REGISTERS = [
    ("significant", "Реестр значимых программ"),
    ("preprofessional", "Реестр предпрофессиональных программ"),
    ("general", "Реестр общеразвивающих программ (муниципальное задание)"),
    ("certified", "Реестр сертифицированных программ"),
    ("paid", "Реестр платных программ"),
]

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS program_search_document_gin ON catalog_program USING gin (search_document)",
    "CREATE INDEX IF NOT EXISTS searchterm_word_trgm ON catalog_searchterm USING gin (word gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS searchterm_word_trgm",
    "DROP INDEX IF EXISTS program_search_document_gin",
]


def load_dictionaries(apps, schema_editor):
    OvzCategory = apps.get_model("catalog", "OvzCategory")
    ProgramRegister = apps.get_model("catalog", "ProgramRegister")
    for code, name in OVZ_CATEGORIES:
        OvzCategory.objects.update_or_create(code=code, defaults={"name": name})
    for code, name in REGISTERS:
        ProgramRegister.objects.update_or_create(code=code, defaults={"name": name})


def create_pg_indexes(apps, schema_editor):
    # GIN over tsvector and trigram indexes exist only on PostgreSQL; SQLite searches stems.
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql)


def drop_pg_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]

    operations = [
        migrations.RunPython(load_dictionaries, migrations.RunPython.noop),
        migrations.RunPython(create_pg_indexes, drop_pg_indexes),
    ]
