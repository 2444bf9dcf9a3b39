"""«Подобрать по возрасту»: a parent finds programs for each of their children's ages in one click, on the home
page and the search page (kept in step by htmx) and from the cabinet; nobody else sees anybody's children there."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.views import MUNICIPALITY_COOKIE
from core.testing import make_child

pytestmark = pytest.mark.django_db

LINE = "Подобрать по возрасту"


@pytest.fixture
def anya_and_petya(personas):
    """Аня, 9 today, and Петя, 15, the eldest first."""
    return make_child(personas.family, "Аня", age=9), make_child(personas.family, "Петя", age=15)


def test_a_parent_searches_for_each_childs_age_keeping_the_rest_of_the_search(client, personas, anya_and_petya):
    client.force_login(personas.family)
    page = client.get(reverse("navigator:search") + "?q=шахматы&direction=sport&age=3&age_to=5&page=2")
    html = page.content.decode()
    line = html[html.index(LINE) : html.index("</p>", html.index(LINE))]
    assert line.index("Петя, 15 лет") < line.index("Аня, 9 лет")
    assert 'href="/programs/?q=%D1%88%D0%B0%D1%85%D0%BC%D0%B0%D1%82%D1%8B&amp;direction=sport&amp;age=9"' in line
    assert "age=15" in line and "age_to" not in line and "page=" not in line
    assert "aria-current" not in line  # 3–5 years is neither's


def test_the_childs_age_searched_for_is_marked(client, personas, anya_and_petya):
    client.force_login(personas.family)
    html = client.get(reverse("navigator:search") + "?age=9").content.decode()
    assert 'class="chip selected" href="/programs/?age=9" aria-current="true">Аня, 9 лет</a>' in html
    assert 'class="chip" href="/programs/?age=15">Петя, 15 лет</a>' in html
    # The results swapped in by htmx carry the line for the new search.
    fragment = client.get(reverse("navigator:search") + "?age=15&level=start", headers={"HX-Request": "true"})
    assert 'class="chip selected" href="/programs/?level=start&amp;age=15" aria-current="true">Петя' in (
        fragment.content.decode()
    )


def test_the_home_page_leads_to_the_search_for_each_child_in_the_municipality_chosen(client, personas, anya_and_petya):
    client.force_login(personas.family)
    oktmo = personas.municipality_x.oktmo
    client.cookies[MUNICIPALITY_COOKIE] = oktmo
    html = client.get(reverse("navigator:home")).content.decode()
    assert f'href="/programs/?municipality={oktmo}&amp;age=9">Аня, 9 лет</a>' in html
    client.cookies[MUNICIPALITY_COOKIE] = "00000000"  # no longer a municipality: not carried on
    assert 'href="/programs/?age=9">Аня, 9 лет</a>' in client.get(reverse("navigator:home")).content.decode()


@pytest.mark.parametrize("who", [None, "other_family", "operator_a", "municipal_x"])
def test_nobody_else_sees_the_familys_children(client, personas, anya_and_petya, who):
    if who is not None:
        client.force_login(getattr(personas, who))
    for url in (reverse("navigator:home"), reverse("navigator:search") + "?age=9"):
        html = client.get(url).content.decode()
        assert LINE not in html and "Аня" not in html


def test_a_child_merged_into_another_record_is_not_offered_twice(client, personas, anya_and_petya):
    anya = anya_and_petya[0]
    twin = make_child(personas.family, "Анна", age=9)
    type(twin).objects.filter(pk=twin.pk).update(merged_into=anya)
    client.force_login(personas.family)
    html = client.get(reverse("navigator:home")).content.decode()
    assert "Аня, 9 лет" in html and "Анна" not in html


def test_a_newborn_is_offered_the_search_from_nought(client, personas):
    baby = make_child(personas.family, "Лиза", age=0)
    assert baby.birth_date > timezone.localdate() - timedelta(days=366)
    client.force_login(personas.family)
    assert 'href="/programs/?age=0">Лиза, меньше года</a>' in client.get(reverse("navigator:home")).content.decode()


def test_the_cabinet_leads_to_the_programs_for_each_childs_age_where_the_child_lives(client, personas, anya_and_petya):
    client.force_login(personas.family)
    anya = anya_and_petya[0]
    html = client.get(reverse("family:cabinet")).content.decode()
    where = anya.municipality
    assert (
        f'<a href="/programs/?municipality={where.oktmo}&amp;age=9" aria-label="Подобрать программы: Аня, 9 лет, '
        f'{where.name}">Подобрать программы (9 лет, {where.name})</a>'
    ) in html
    assert f"/programs/?municipality={where.oktmo}&amp;age=15" in html
