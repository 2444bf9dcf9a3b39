"""The admin's search: Django's results, without joining the tables it searches."""

from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.db.models import Model
from django.test import RequestFactory

from accounts.models import User
from catalog.models import Group, Program
from core.admin_search import EXACT, IndexedSearchMixin
from core.testing import make_child
from core.tests.test_demo import SIZE as DEMO_SIZE

pytestmark = pytest.mark.django_db


def searching_admins() -> list[admin.ModelAdmin]:  # type: ignore[type-arg]
    return [model_admin for model_admin in admin.site._registry.values() if model_admin.search_fields]


def test_every_list_of_the_admin_searches_table_by_table():
    assert searching_admins()
    for model_admin in searching_admins():
        assert isinstance(model_admin, IndexedSearchMixin), type(model_admin).__name__


def value_at(obj: Model | None, path: str) -> Any:
    for name in path.split("__"):
        obj = getattr(obj, name, None)
    return obj


def terms_for(obj: Model, field: str) -> list[str]:
    """What an administrator would type to find this object by this field."""
    prefix = field[0] if field[0] in "^=@" else ""
    value = value_at(obj, field.removeprefix(prefix))
    if value in (None, ""):
        return []
    value = str(value)
    if prefix == EXACT:
        return [value, value.lower()] if value == value.upper() else [value]
    if prefix == "^":
        return [value[: max(1, len(value) // 2)]]
    words = value.split()
    return [value[1:-1] if len(value) > 3 else value, words[-1], f'"{value}"']


def test_results_are_djangos_for_every_search_field_of_every_list():
    """Each list's search, by a piece of each field's value of a few of its rows (codes in small letters
    too), finds what Django's own search finds, and reads no table it searches through a join."""
    call_command("load_demo", *DEMO_SIZE, stdout=StringIO())
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(email="admin@demo.opora")
    checked = found = 0
    for model_admin in searching_admins():
        queryset = model_admin.get_queryset(request)
        joins = str(model_admin.get_search_results(request, queryset, "")[0].query).count("JOIN")  # its own select
        rows = list(queryset.order_by("pk")[:2]) + list(queryset.order_by("-pk")[:1])
        fields = model_admin.get_search_fields(request)
        terms = {term for row in rows for field in fields for term in terms_for(row, str(field))}
        pairs = {f"{a} {b}" for a, b in zip(sorted(terms), sorted(terms)[1:], strict=False)}
        for term in sorted(terms | pairs | {"нет-такого-слова"}):
            ours, _ = model_admin.get_search_results(request, queryset, term)
            djangos, _ = super(IndexedSearchMixin, model_admin).get_search_results(request, queryset, term)  # type: ignore[misc]
            name = f"{type(model_admin).__name__}: {term!r}"
            ours_ids, djangos_ids = set(ours.values_list("pk", flat=True)), set(djangos.values_list("pk", flat=True))
            if connection.vendor == "postgresql":
                assert ours_ids == djangos_ids, name
            else:  # SQLite: other spellings of the word too (Django's misses «иванов» for «Иванов»)
                assert ours_ids >= djangos_ids, name
            assert str(ours.query).count("JOIN") == joins, name
            checked += 1
            found += ours.exists()
    assert checked > 300 and found > checked // 2


def test_a_code_is_found_as_typed_in_small_letters(admin_client, published_program):
    group = published_program.groups.get()
    for model, obj in ((Program, published_program), (Group, group)):
        url = f"/admin/catalog/{model._meta.model_name}/"
        response = admin_client.get(url, {"q": obj.code.lower()})
        assert list(response.context["cl"].result_list) == [obj]


def test_a_name_typed_in_small_letters_finds_it_written_with_a_capital(admin_client, personas):
    child = make_child(personas.family, "Снежана")
    response = admin_client.get("/admin/people/child/", {"q": "снежана"})
    assert list(response.context["cl"].result_list) == [child]
