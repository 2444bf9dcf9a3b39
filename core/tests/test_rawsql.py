"""Fixed statements read values as the ORM does, insert as `save()` would, and show in the query log."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Group, Program
from core import audit, rawsql
from core import models as core_models
from core.bulk import insert_objects
from core.models import AuditEvent
from core.testing import make_child
from enrollment.models import Application, ApplicationEvent

pytestmark = pytest.mark.django_db

GROUP_FIELDS = ("id", "uuid", "code", "start_date", "enrollment_opens_at", "is_locked", "capacity")


def test_selected_columns_are_the_orm_values(published_program: Program):
    group = published_program.groups.get()
    opens = timezone.now().replace(microsecond=123456) - timedelta(days=2)
    Group.objects.filter(pk=group.pk).update(enrollment_opens_at=opens, is_locked=True)
    columns = rawsql.fields(Group, GROUP_FIELDS)
    sql = f"SELECT {rawsql.select_list('g', columns)}, 1 + 1 FROM catalog_group g WHERE g.uuid = %(uuid)s"  # noqa: S608
    [row] = rawsql.select(sql, {"uuid": rawsql.param(Group._meta.get_field("uuid"), group.uuid)}, [*columns, None])

    loaded = Group.from_db(connection.alias, GROUP_FIELDS, row[:-1])
    expected = Group.objects.get(pk=group.pk)
    for name in GROUP_FIELDS:
        assert getattr(loaded, name) == getattr(expected, name), name
    assert loaded.enrollment_opens_at == opens and loaded.enrollment_opens_at.tzinfo is not None
    assert loaded.is_locked is True
    assert row[-1] == 2


def test_a_loaded_instance_is_the_orm_one_with_the_other_fields_deferred(published_program: Program):
    group = published_program.groups.get()
    columns = rawsql.fields(Group, GROUP_FIELDS)
    sql = f"SELECT {rawsql.select_list('g', columns)} FROM catalog_group g WHERE g.id = %s"  # noqa: S608
    [row] = rawsql.select(sql, [group.pk], columns)

    loaded = rawsql.loader(Group, GROUP_FIELDS)(row)
    assert loaded == group and not loaded._state.adding and loaded._state.db == connection.alias
    assert {name: getattr(loaded, name) for name in GROUP_FIELDS} == {
        name: getattr(group, name) for name in GROUP_FIELDS
    }
    assert "name" in loaded.get_deferred_fields() and "capacity" not in loaded.get_deferred_fields()
    with CaptureQueriesContext(connection) as queries:
        assert loaded.name == group.name  # a deferred field is read when asked for, as the ORM does
    assert len(queries) == 1
    loaded.capacity = 20
    loaded.save(update_fields=["capacity"])
    assert Group.objects.get(pk=group.pk).capacity == 20


def test_fields_come_in_the_models_order_and_unknown_names_are_refused():
    assert [f.attname for f in rawsql.fields(Group, ("capacity", "id", "code"))] == ["id", "code", "capacity"]
    with pytest.raises(LookupError):
        rawsql.fields(Group, ("id", "no_such_field"))


def test_inserted_instances_get_keys_timestamps_and_json(personas, published_program: Program):
    program = published_program
    events = audit.record_many(
        [
            (personas.family, "test.first", program, {"ключ": "значение", "n": [1, 2]}),
            (None, "test.second", program, {}),
        ]
    )
    assert all(event.pk for event in events)
    stored = {event.pk: event for event in AuditEvent.objects.filter(pk__in=[e.pk for e in events])}
    first, second = (stored[event.pk] for event in events)
    assert (first.action, first.actor_id, first.data) == (
        "test.first",
        personas.family.pk,
        {"ключ": "значение", "n": [1, 2]},
    )
    assert (second.action, second.actor_id, second.data) == ("test.second", None, {})
    assert first.created_at is not None and first.object_id == str(program.pk)


def test_fixed_statements_show_in_the_query_log_once_prepared(published_program: Program):
    group = published_program.groups.get()
    sql = "SELECT g.capacity FROM catalog_group g WHERE g.id = %(id)s"
    with CaptureQueriesContext(connection) as queries:
        for _ in range(4):  # on PostgreSQL prepared from the second run on
            assert rawsql.select(sql, {"id": group.pk}, [None]) == [(group.capacity,)]
    logged = [q["sql"] for q in queries.captured_queries]
    assert len(logged) == 4 and all(text and "FROM catalog_group g" in text for text in logged), logged


def test_an_application_with_history_is_inserted_in_its_final_status(personas, published_program: Program):

    group = published_program.groups.get()
    child = make_child(personas.family, age_on=group.start_date)
    application = Application(
        child=child, applicant=personas.family, program=published_program, group=group, idempotency_key="k"
    )
    application.assign_code()
    insert_objects([application])
    [event] = insert_objects([ApplicationEvent(application=application, from_status="", to_status="new", reason="")])
    stored = Application.objects.get(pk=application.pk)
    assert stored.code == application.code and stored.code.startswith("AP-")
    assert stored.uuid == application.uuid and stored.created_at is not None and stored.status == "new"
    assert ApplicationEvent.objects.get(pk=event.pk).application_id == application.pk


def test_a_taken_code_draws_another_instead_of_failing(personas, published_program: Program, monkeypatch):

    group = published_program.groups.get()
    existing = Application.objects.create(
        child=make_child(personas.family, "Аня", age_on=group.start_date),
        applicant=personas.family,
        program=published_program,
        idempotency_key="first",
    )
    fresh = iter(["AP-ZZZZZZ"])
    monkeypatch.setattr(core_models, "new_code", lambda prefix: next(fresh))
    second = Application(
        child=make_child(personas.family, "Ваня", age_on=group.start_date),
        applicant=personas.family,
        program=published_program,
        idempotency_key="second",
        code=existing.code,  # drawn again by chance
    )
    insert_objects([second])
    assert second.pk and second.code == "AP-ZZZZZZ"
    assert Application.objects.get(pk=second.pk).code == "AP-ZZZZZZ"
    assert Application.objects.get(pk=existing.pk).idempotency_key == "first"


def test_saving_an_entity_whose_drawn_code_is_taken_draws_another(personas, published_program: Program, monkeypatch):

    taken = published_program.code
    drawn = iter([taken, taken, "PR-ZZZZZZ"])
    monkeypatch.setattr(core_models, "new_code", lambda prefix: next(drawn))
    copy = Program.objects.get(pk=published_program.pk)
    copy.pk, copy.id, copy.code, copy._state.adding = None, None, "", True
    copy.uuid = uuid.uuid4()
    copy.save()
    assert copy.code == "PR-ZZZZZZ" and Program.objects.filter(code__in=[taken, "PR-ZZZZZZ"]).count() == 2


def test_another_constraint_still_refuses_a_new_entity(personas, published_program: Program):
    copy = Program.objects.get(pk=published_program.pk)
    copy.pk, copy.id, copy.code, copy._state.adding = None, None, "", True  # the same UUID
    with pytest.raises(IntegrityError):
        copy.save()
