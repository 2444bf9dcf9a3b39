"""The home page's selections: programs a child can still join, the most popular first, and the newest."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from catalog import search, search_index, services
from catalog.models import Group, Program
from catalog.search_index import current_index, new_catalog_version
from core.testing import make_program


def _catalog(personas) -> dict[str, Program]:
    """Five published programs in the first municipality, one in the second, one draft; the chess club is full."""
    programs = {
        title: make_program(organization, title)
        for title, organization in (
            ("Шахматы", personas.org_a),
            ("Футбол", personas.org_a),
            ("Робототехника", personas.org_a),
            ("Керамика", personas.org_a),
            ("Хор", personas.org_a),
            ("Туризм", personas.org_b),
        )
    }
    make_program(personas.org_a, "Черновик", status="draft")
    now = timezone.now()
    for n, (title, popularity) in enumerate((("Шахматы", 90), ("Футбол", 70), ("Робототехника", 50), ("Керамика", 30))):
        Program.objects.filter(pk=programs[title].pk).update(
            popularity=popularity, published_at=now - timedelta(days=n)
        )
    Program.objects.filter(pk=programs["Хор"].pk).update(popularity=10, published_at=now - timedelta(days=30))
    Program.objects.filter(pk=programs["Туризм"].pk).update(popularity=100, published_at=now + timedelta(minutes=1))
    Group.objects.filter(program=programs["Шахматы"]).update(seats_taken=F("capacity"))
    services.refresh_program_groups([programs["Шахматы"].pk])
    new_catalog_version()
    return programs


def _shown(selections: list[search.Selection]) -> dict[str, list[str]]:
    return {selection.title: [program.title for program in selection.programs] for selection in selections}


def test_the_most_popular_with_free_seats_then_the_newest_none_twice(personas):
    _catalog(personas)
    assert _shown(search.home_selections()) == {
        # The full chess club is not offered as a place to go; the other municipality's tourism is the most popular.
        "Есть свободные места": ["Туризм", "Футбол", "Робототехника", "Керамика"],
        # Newest first: the chess club (full, but new), then the rest not shown above.
        "Новые программы": ["Шахматы", "Хор"],
    }


def test_in_the_municipality_chosen_only(personas):
    _catalog(personas)
    shown = _shown(search.home_selections(personas.municipality_x.oktmo))
    assert shown["Есть свободные места"] == ["Футбол", "Робототехника", "Керамика", "Хор"]
    assert shown["Новые программы"] == ["Шахматы"]
    assert search.home_selections(personas.municipality_y.oktmo)[0].programs[0].title == "Туризм"


def test_each_selection_leads_to_the_search_that_lists_it_in_the_same_order(client, personas):
    _catalog(personas)
    client.cookies["opora_municipality"] = personas.municipality_x.oktmo
    html = client.get(reverse("navigator:home")).content.decode()
    sections = re.findall(r'<section class="selection".*?</section>', html, re.S)
    assert len(sections) == 2
    assert f"Есть свободные места: {personas.municipality_x.name}" in sections[0]
    link = re.search(r'<a href="(/programs/\?[^"]*)">Все программы', sections[0])
    assert link is not None
    query = parse_qs(urlsplit(link[1].replace("&amp;", "&")).query)
    assert query == {"free_seats": ["1"], "sort": ["popular"], "municipality": [personas.municipality_x.oktmo]}
    cards = re.findall(r'<h3><a href="/programs/[^"]+">([^<]+)</a>', sections[0])
    assert cards == ["Футбол", "Робототехника", "Керамика", "Хор"]
    # The whole catalog of the municipality on the map, one click from the home page.
    assert f'href="/programs/?view=map&amp;municipality={personas.municipality_x.oktmo}">Кружки на карте</a>' in html
    listed = client.get(link[1].replace("&amp;", "&")).content.decode()
    assert re.findall(r'<h3><a href="/programs/[^"]+">([^<]+)</a>', listed) == cards  # the same search, all of it


def test_rows_of_both_selections_are_one_statement(settings, personas, django_assert_num_queries):
    _catalog(personas)
    settings.OPORA_FACET_CACHE_SECONDS = 60  # the index kept, as a server keeps it
    search_index._index = None
    try:
        current_index()
        with django_assert_num_queries(1):
            selections = search.home_selections()
    finally:
        search_index._index = None
    assert [len(s.programs) for s in selections] == [4, 2]


def test_an_empty_catalog_shows_no_selection(client, personas):
    html = client.get(reverse("navigator:home")).content.decode()
    assert 'class="selection"' not in html and "Направленности" in html
