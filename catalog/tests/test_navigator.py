"""The public Navigator pages: what families see, what stays hidden, and how bad input is handled."""

import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from catalog import search, services
from catalog.models import Organization, OvzCategory, Program
from catalog.search import AgeSeats
from catalog.search_form import ProgramSearchQuery
from catalog.search_index import new_catalog_version
from catalog.templatetags import navigator
from core.testing import make_program


def test_home_shows_search_directions_municipalities_and_counts(client, published_program, personas):
    html = client.get(reverse("navigator:home")).content.decode()
    assert 'role="search"' in html
    assert "Техническая" in html and "Социально-гуманитарная" in html
    assert personas.municipality_x.name in html
    assert "1</strong> программ" in html or "<strong>1</strong>" in html


def test_search_page_finds_programs_and_its_url_can_be_shared(client, published_program):
    url = reverse("navigator:search") + "?q=робототехнике&direction=technical&age=9"
    html = client.get(url).content.decode()
    assert published_program.title in html
    assert 'value="робототехнике"' in html
    assert 'value="technical" checked' in html


def test_search_page_without_javascript_is_a_plain_get_form(client, published_program):
    html = client.get(reverse("navigator:search")).content.decode()
    assert 'method="get"' in html
    assert "<noscript>" in html


def test_htmx_request_gets_only_the_results_fragment(client, published_program):
    response = client.get(reverse("navigator:search") + "?q=робототехника", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert published_program.title in html
    assert "<html" not in html


def test_htmx_results_bring_the_filters_with_counts_of_the_new_search(client, personas, published_program):
    """The filters sit outside the swapped results: they come out of band, counted for the new search."""
    make_program(personas.org_a, "Робототехника: соревнования", is_free=False, is_paid=True, price_per_month=2500)
    url = reverse("navigator:search") + "?q=робототехника"
    before = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    after = client.get(url + "&funding=free", HTTP_HX_REQUEST="true").content.decode()
    assert '<div id="filters" hx-swap-oob="true">' in after
    technical = re.compile(r'id="filter-direction-technical".*?<span class="count"[^>]*>(\d+)</span>', re.S)
    assert technical.search(before).group(1) == "2"
    assert technical.search(after).group(1) == "1"  # the free ones only
    assert 'id="filter-funding-free" name="funding" value="free" checked' in after


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("age=abc", "Возраст укажите числом"),
        ("age=40", "Возраст — от 0 до 18"),
        ("direction=magic", "Направленность"),
        ("age=9&age_to=7", "Возраст до: нужен и возраст «от», не больше возраста «до»."),
        ("age_to=7", "Возраст до: нужен и возраст «от», не больше возраста «до»."),
    ],
)
def test_bad_filter_values_get_a_russian_message_and_are_ignored(client, published_program, query, message):
    response = client.get(reverse("navigator:search") + "?" + query)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert published_program.title in html


def test_typo_shows_what_was_searched_instead(client, published_program):
    html = client.get(reverse("navigator:search") + "?q=работотехника").content.decode()
    assert "ничего не нашлось" in html
    assert published_program.title in html


def test_program_page_has_everything_to_decide(client, published_program):
    html = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    group = published_program.groups.get()
    for text in [
        published_program.title,
        published_program.organization.short_name,
        group.name,
        "Пн 16:00–17:30",
        "15 из 15",
        "Записаться",
        "7–14 лет",
        "144 ч",
    ]:
        assert text in html, text


@pytest.mark.parametrize("who", [None, "family", "operator_b", "municipal_y", "other_regional"])
def test_unpublished_program_does_not_exist_for_outsiders(client, draft_program, personas, who):
    if who:
        client.force_login(getattr(personas, who))
    assert client.get(reverse("navigator:program", args=[draft_program.code])).status_code == 404


@pytest.mark.parametrize("who", ["operator_a", "teacher_a", "municipal_x", "regional", "admin"])
def test_unpublished_program_is_previewed_within_scope(client, draft_program, personas, who):
    client.force_login(getattr(personas, who))
    response = client.get(reverse("navigator:program", args=[draft_program.code]))
    assert response.status_code == 200
    assert "Программа не опубликована" in response.content.decode()


def test_organization_page_shows_contacts_accessibility_and_published_programs(client, published_program, personas):
    make_program(personas.org_a, "Секретный черновик", status="draft")
    html = client.get(reverse("navigator:organization", args=[personas.org_a.code])).content.decode()
    assert personas.org_a.full_name in html and personas.org_a.phone in html
    assert "Доступная среда" in html
    assert published_program.title in html
    assert "Секретный черновик" not in html


def test_an_organization_with_many_programs_leads_to_the_search_among_them(client, personas, settings):
    settings.OPORA_PAGE_SIZE = 2
    page = reverse("navigator:organization", args=[personas.org_a.code])
    make_program(personas.org_a, "Шахматы")
    assert "Подобрать среди программ организации" not in client.get(page).content.decode()  # one page: all seen
    for title in ("Шашки", "Го"):
        make_program(personas.org_a, title)
    html = client.get(page).content.decode()
    search = f"{reverse('navigator:search')}?organization={personas.org_a.code}"
    assert f'<a href="{search}">Подобрать среди программ организации</a>' in html
    assert client.get(search).context["result"].total == 3


def test_unknown_codes_are_404(client, db):
    assert client.get(reverse("navigator:program", args=["PR-000000"])).status_code == 404
    assert client.get(reverse("navigator:organization", args=["OR-000000"])).status_code == 404


def test_version_for_the_visually_impaired_switches_by_cookie_without_javascript(client, published_program):
    response = client.get(reverse("navigator:a11y") + "?on=1&next=/programs/")
    assert response.status_code == 302 and response["Location"] == "/programs/"
    assert 'class="a11y"' in client.get("/programs/").content.decode()
    client.get(reverse("navigator:a11y") + "?on=0&next=/")
    assert 'class="a11y"' not in client.get("/programs/").content.decode()


def test_a_setting_of_the_version_for_the_visually_impaired_is_kept_and_shown_on_every_page(client, published_program):
    client.get(reverse("navigator:a11y") + "?on=1&next=/")
    response = client.get(reverse("navigator:a11y") + "?size=3&next=/programs/")
    assert response.status_code == 302 and response["Location"] == "/programs/"
    client.get(reverse("navigator:a11y") + "?scheme=black&next=/")
    assert client.cookies["opora_a11y"].value == "3.black.1.0"
    html = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert '<html lang="ru" class="a11y a11y-size-3 a11y-scheme-black">' in html
    panel = html[html.index('<section class="a11y-panel"') : html.index("</section>")]
    assert re.findall(r'aria-current="true">([^<]+)<span class="visually-hidden"> — ([^<]+)</span>', panel) == [
        ("А++", "очень крупный"),
        ("Ц", "белым по чёрному"),
    ]
    assert re.findall(r'aria-current="true">([^<]+)</a>', panel) == ["обычный", "скрыть"]
    # Each choice comes back to the page it was chosen on.
    assert f"size=1&amp;next=%2Fprograms%2F{published_program.code}%2F" in panel


@pytest.mark.parametrize("query", ["size=4", "scheme=%3Cb%3E", "images=", "on=2"])
def test_a_setting_there_is_no_choice_for_is_refused_and_changes_nothing(client, db, query):
    client.get(reverse("navigator:a11y") + "?size=2&next=/")
    response = client.get(reverse("navigator:a11y") + f"?{query}&next=/programs/")
    assert response.status_code == 400
    assert "нет такого значения" in response.content.decode()
    assert client.cookies["opora_a11y"].value == "2.white.1.0"


def test_the_usual_version_has_no_settings_panel(client, published_program):
    html = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert "a11y-panel" not in html and '<html lang="ru">' in html


def test_a11y_switch_never_redirects_to_another_site(client, db):
    response = client.get(reverse("navigator:a11y") + "?on=1&next=https://evil.example/")
    assert response["Location"] == "/"


def test_search_page_query_count_does_not_grow_with_results(client, personas, django_assert_max_num_queries):
    for n in range(12):
        make_program(personas.org_a, f"Робототехника {n}")
    client.get(reverse("navigator:search"))  # warm the municipality list cache
    # Tests keep no index: five statements read it afresh on every search (programs, their ОВЗ categories, groups,
    # their weekdays, the places of groups held elsewhere); the page's rows are one whatever their number.
    with django_assert_max_num_queries(9):
        client.get(reverse("navigator:search") + "?q=робототехника&sort=popular")


def test_pages_are_labelled_for_screen_readers(client, published_program):
    html = client.get(reverse("navigator:search")).content.decode()
    assert '<link rel="stylesheet" href="/static/css/opora.css">' in html and "catalog/filters.js" in html
    # In the head: htmx restoring the body from its history would run it again (its declarations failed).
    assert html.index("catalog/filters.js") < html.index("</head>")
    # Without JavaScript the sort is sent by its own button («Применить» is at the filters' foot).
    assert '<noscript><button type="submit" form="search-form" class="button">Показать</button></noscript>' in html
    assert 'lang="ru"' in html
    assert "Перейти к содержимому" in html
    assert '<label for="q"' in html and '<label for="municipality">' in html


def test_result_cards_escape_what_organizations_type_and_show_what_a_family_needs(client, personas):
    program = make_program(
        personas.org_a,
        "Театр <Маски> & «Песни»",
        summary="Сцена " * 60,
        is_paid=True,
        price_per_month=Decimal("1500"),
        ovz_adapted=True,
    )
    for url in [reverse("navigator:search"), reverse("navigator:organization", args=[personas.org_a.code])]:
        html = client.get(url).content.decode()
        assert "Театр &lt;Маски&gt; &amp; «Песни»" in html and "<Маски>" not in html
        assert f'href="{reverse("navigator:program", args=[program.code])}"' in html
        paid = "Платно, 1\u00a0500\u00a0₽/мес"
        assert f'<span class="badge free">Бесплатно</span><span class="badge paid">{paid}</span>' in html
        assert "Для детей с ОВЗ" in html and "Свободных мест: 15" in html and "7–14 лет" in html
        assert ("Сцена " * 36).strip()[:210] in html and "…" in html  # summary cut at 220 characters


def test_a_card_is_rendered_again_only_when_what_it_shows_changed(client, personas, monkeypatch):
    program = make_program(personas.org_a, "Шахматы")
    other = make_program(personas.org_b, "Футбол")
    rendered: list[str] = []
    render = navigator._render_card
    monkeypatch.setattr(navigator, "_render_card", lambda p: rendered.append(p.title) or render(p))
    navigator._cards.clear()

    def search_page() -> str:
        return client.get(reverse("navigator:search"), {"q": "шахматы"}).content.decode()

    assert "Шахматы" in search_page() and rendered == ["Шахматы"]
    services.save_program(personas.operator_b, other)  # the catalog changed, not this card
    new_catalog_version()
    search_page()
    assert rendered == ["Шахматы"]
    Organization.objects.filter(pk=personas.org_a.pk).update(short_name="ЦДТ «Новое имя»")
    assert "ЦДТ «Новое имя»" in search_page() and rendered == ["Шахматы", "Шахматы"]
    Program.objects.filter(pk=program.pk).update(open_seats=0)
    assert "Мест нет" in search_page() and len(rendered) == 2  # the seats end the card: not kept with it


def test_the_home_page_counts_what_the_catalog_has(client, personas):
    make_program(personas.org_a, "Шахматы", direction="sport")
    make_program(personas.org_a, "Робототехника")
    make_program(personas.org_b, "Футбол", direction="sport")
    make_program(personas.org_a, "Черновик", status="draft")
    Program.objects.filter(title="Футбол").update(open_seats=3)
    Organization.objects.filter(pk=personas.org_b.pk).update(is_active=False)
    published = Program.objects.filter(status="published")
    expected = {
        "programs": published.count(),
        "organizations": Organization.objects.filter(is_active=True, programs__in=published).distinct().count(),
        "free_seats": sum(published.values_list("open_seats", flat=True)),
        **{direction: published.filter(direction=direction).count() for direction in ("sport", "technical", "arts")},
    }
    counts = search.suggestion_counts()
    assert (
        {name: counts[name] for name in expected}
        == expected
        == {
            "programs": 3,
            "organizations": 1,
            "free_seats": 33,
            "sport": 2,
            "technical": 1,
            "arts": 0,
        }
    )
    html = client.get(reverse("navigator:home")).content.decode()
    assert "<strong>33</strong> свободных места" in html and "<strong>1</strong> организация" in html


def test_facet_counts_are_read_out_with_the_russian_plural(client, published_program):
    html = client.get(reverse("navigator:search")).content.decode()
    assert 'aria-label="1 программа">1</span>' in html
    assert 'aria-label="0 программ">0</span>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("direction=magic&direction=technical", "Направленность: такого значения нет: «magic»."),
        ("organization=OR-ZZZZZZ", "Организация: не найдена."),  # of the right form, but no organization
        ("municipality=12", "Муниципалитет: не найден."),
        ("municipality=99999999", "Муниципалитет: не найден."),  # of the right form, but no municipality
    ],
)
def test_each_bad_value_is_named_and_the_rest_of_the_search_still_applies(client, personas, query, message):
    make_program(personas.org_a, "Робототехника", direction="technical")
    make_program(personas.org_a, "Живопись", direction="arts")
    html = client.get(reverse("navigator:search") + "?q=робототехника&" + query).content.decode()
    assert message in html
    assert "Робототехника" in html and "Живопись" not in html  # the query still applies


def test_of_several_values_only_the_bad_one_is_left_out(client, personas):
    make_program(personas.org_a, "Робототехника", direction="technical")
    make_program(personas.org_a, "Живопись", direction="arts")
    html = client.get(reverse("navigator:search") + "?direction=magic&direction=arts&direction=x").content.decode()
    assert "Направленность: такого значения нет: «magic»." in html and "такого значения нет: «x»." in html
    assert "Живопись" in html and "Робототехника" not in html  # arts still filters
    assert 'aria-label="Убрать фильтр Художественная"' in html


@pytest.mark.parametrize("page", ["abc", "0", "-3"])
def test_a_page_number_that_is_no_page_opens_the_first_without_a_word(client, published_program, page):
    html = client.get(reverse("navigator:search"), {"page": page}).content.decode()
    assert 'role="alert"' not in html and published_program.title in html


def test_an_empty_box_is_no_value_and_no_error(client, published_program):
    html = client.get(reverse("navigator:search") + "?q=&age=&municipality=").content.decode()
    assert 'role="alert"' not in html
    assert published_program.title in html


def test_an_unknown_municipality_is_not_remembered(client, published_program):
    response = client.get(reverse("navigator:search"), {"municipality": "99999999"})
    assert published_program.title in response.content.decode()  # searched everywhere, with the message
    assert "opora_municipality" not in response.cookies


def test_two_filters_or_more_can_be_reset_at_once_keeping_the_text_and_order(client, published_program):
    url = reverse("navigator:search") + "?q=робототехника&sort=title&direction=technical&age=9&age=&page=2"
    html = client.get(url).content.decode()
    [link] = re.findall(r'<a class="chip chip-reset" href="\?([^"]*)">Сбросить фильтры</a>', html)
    assert QueryDict(link.replace("&amp;", "&")).dict() == {"q": "робототехника", "sort": "title"}
    one_filter = client.get(reverse("navigator:search") + "?q=робототехника&direction=technical&age=").content.decode()
    assert "Сбросить фильтры" not in one_filter  # its chip does it


def test_each_active_filter_has_a_chip_that_removes_only_it(client, published_program, personas):
    url = reverse("navigator:search") + "?q=робототехника&direction=technical&direction=arts&free_seats=on&age=9&page=2"
    html = client.get(url).content.decode()
    chips = dict(re.findall(r'<a class="chip" href="\?([^"]*)" aria-label="Убрать фильтр ([^"]*)"', html))
    assert sorted(chips.values()) == [
        "9 лет",
        "«робототехника»",
        "Есть свободные места",
        "Техническая",
        "Художественная",
    ]
    by_label = {label: QueryDict(link.replace("&amp;", "&")) for link, label in chips.items()}
    assert by_label["Техническая"].getlist("direction") == ["arts"] and "page" not in by_label["Техническая"]
    assert "free_seats" not in by_label["Есть свободные места"]  # switched on by «on», removed all the same
    assert "q" not in by_label["«робототехника»"] and by_label["«робототехника»"]["age"] == "9"
    assert "age" not in by_label["9 лет"] and by_label["9 лет"].getlist("direction") == ["technical", "arts"]


def test_results_are_paged_with_the_query_kept_and_the_sort_chosen(client, settings, personas):
    settings.OPORA_PAGE_SIZE = 2
    for n in range(7):
        make_program(personas.org_a, f"Робототехника {n}")
    html = client.get(reverse("navigator:search") + "?q=робототехника&sort=title&page=2").content.decode()
    assert '<option value="title" selected>по названию</option>' in html
    assert '<option value="relevance">по релевантности</option>' in html
    query = "q=%D1%80%D0%BE%D0%B1%D0%BE%D1%82%D0%BE%D1%82%D0%B5%D1%85%D0%BD%D0%B8%D0%BA%D0%B0&amp;sort=title"
    assert f'<li><a href="?{query}&amp;page=1">1</a></li>' in html
    assert '<li><span aria-current="page">2</span></li>' in html
    assert f'<li><a href="?{query}&amp;page=4">4</a></li>' in html  # 7 programs, 2 a page
    assert "Робототехника 2" in html and "Робототехника 3" in html and "Робототехника 4" not in html


def test_full_page_and_fragment_of_one_address_are_kept_apart_by_caches(client, published_program):
    """Without `Vary` the browser's cache hands the fragment to the Back button as the page."""
    url = reverse("navigator:search") + "?q=робототехника"
    for headers in [{}, {"HTTP_HX_REQUEST": "true"}]:
        vary = {h.strip().lower() for h in client.get(url, **headers)["Vary"].split(",")}
        assert {"hx-request", "hx-history-restore-request"} <= vary


def test_the_municipality_searched_is_remembered_for_the_home_page(client, published_program, personas):
    oktmo = personas.municipality_x.oktmo
    response = client.get(reverse("navigator:search") + f"?municipality={oktmo}")
    cookie = response.cookies["opora_municipality"]
    assert cookie.value == oktmo and cookie["samesite"] == "Lax" and int(cookie["max-age"]) == 365 * 24 * 3600
    again = client.get(reverse("navigator:search") + f"?municipality={oktmo}&direction=technical")
    assert "opora_municipality" not in again.cookies  # the browser has it: not sent again
    home = client.get(reverse("navigator:home")).content.decode()
    assert re.search(rf'<option value="{oktmo}"\s+selected', home)


def test_htmx_restoring_history_gets_the_full_page(client, published_program):
    """htmx 2 says HX-Request when it restores a page missing from its history cache, and puts the
    answer in place of the whole body."""
    response = client.get(
        reverse("navigator:search") + "?q=робототехника", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" in html and 'class="site-header"' in html and 'id="q"' in html


def test_only_the_result_count_is_a_live_region(client, published_program):
    url = reverse("navigator:search") + "?q=робототехника"
    page = client.get(url).content.decode()
    assert "aria-live" not in page
    assert re.findall(r'<[^>]*role="status"[^>]*>', page) == ['<p id="result-count" role="status">']
    assert '<div id="results">' in page  # what htmx swaps: no live region of its own
    # An update changes the text inside the count, so that the region a screen reader watches stays.
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "aria-live" not in fragment and 'role="status"' not in fragment
    count = re.search(r'<p id="result-count" hx-swap-oob="innerHTML">(.*?)</p>', fragment, re.S)
    assert count and count.group(1).strip() == "<strong>1</strong> программа"


def test_a_change_of_the_search_box_alone_sends_no_request_of_its_own(client, published_program):
    """Enter in a box would send its change and the form's submit: the boxes search on submit only."""
    html = client.get(reverse("navigator:search")).content.decode()
    trigger = re.search(r'hx-trigger="([^"]*)"', html).group(1)
    assert trigger == "submit, filter-change"  # filters.js sends filter-change for a checkbox or a select only
    assert 'hx-sync="this:replace"' in html
    assert 'name="sort" form="search-form" data-default="relevance"' in html  # left out of the address


def test_results_fragment_carries_the_same_title_as_the_page(client, published_program):
    url = reverse("navigator:search") + "?q=робототехника"
    title = "<title>«робототехника» — Поиск программ — Опора</title>"
    assert title in client.get(url).content.decode()
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith(title)  # at the top level, where htmx looks for it
    plain = client.get(reverse("navigator:search"), HTTP_HX_REQUEST="true").content.decode()
    assert "<title>Поиск программ — Опора</title>" in plain


def _chip_labels(html: str) -> list[str]:
    return re.findall(r'<a class="chip" href="[^"]*" aria-label="Убрать фильтр ([^"]*)"', html)


@pytest.mark.parametrize("age", ["abc", "-5", "99"])
def test_a_rejected_value_gets_its_message_and_no_chip(client, published_program, age):
    html = client.get(reverse("navigator:search") + f"?age={age}&direction=technical").content.decode()
    assert 'role="alert">Возраст' in html
    assert _chip_labels(html) == ["Техническая"]
    assert 'id="age" name="age" min="0" max="18" value=""' in html


def test_age_chip_reads_the_validated_age_in_russian(client, published_program):
    assert _chip_labels(client.get(reverse("navigator:search") + "?age=1").content.decode()) == ["1 год"]
    assert _chip_labels(client.get(reverse("navigator:search") + "?age=03").content.decode()) == ["3 года"]


@pytest.mark.parametrize("q", ["*", "!", " ? "])
def test_a_query_without_words_gets_a_notice_and_no_chip(client, personas, published_program, q):
    make_program(personas.org_b, "Шахматы", direction="sport")
    html = client.get(reverse("navigator:search"), {"q": q}).content.decode()
    assert f"В запросе «{q.strip()}» нет слов, по которым можно искать, поэтому он не учтён." in html
    assert _chip_labels(html) == []
    assert published_program.title in html and "Шахматы" in html
    searched = client.get(reverse("navigator:search"), {"q": "шахматы"}).content.decode()
    assert "нет слов" not in searched and _chip_labels(searched) == ["«шахматы»"]


def test_search_box_takes_no_more_than_the_server_accepts(client, published_program):
    limit = next(
        rule.max_length for rule in ProgramSearchQuery.model_fields["q"].metadata if hasattr(rule, "max_length")
    )
    html = client.get(reverse("navigator:search")).content.decode()
    assert re.search(r'<input type="search" id="q"[^>]* maxlength="(\d+)"', html).group(1) == str(limit)
    # A longer one (a typed address) is searched by what it begins with.
    too_long = client.get(reverse("navigator:search"), {"q": "ш" * (limit + 1)}).content.decode()
    assert "Не длиннее" not in too_long and _chip_labels(too_long) == [f"«{'ш' * limit}»"]


@pytest.mark.parametrize("page", ["5", "9", "999", "0" * 3 + "51", "9" * 5000])
def test_a_page_past_the_end_shows_the_last_page(client, settings, personas, page):
    settings.OPORA_PAGE_SIZE = 2
    for n in range(7):
        make_program(personas.org_a, f"Робототехника {n}")
    html = client.get(reverse("navigator:search") + f"?q=робототехника&sort=title&page={page}").content.decode()
    assert 'role="alert"' not in html
    assert '<li><span aria-current="page">4</span></li>' in html  # 7 programs, 2 a page
    assert "Робототехника 6" in html and "Ничего не нашлось" not in html


def test_past_the_thousandth_result_the_last_page_asks_to_narrow_the_search(client, settings, personas):
    settings.OPORA_PAGE_SIZE = 1
    for n in range(51):
        make_program(personas.org_a, f"Робототехника {n:02}")
    html = client.get(reverse("navigator:search") + "?q=робототехника&sort=title&page=999").content.decode()
    assert 'role="alert"' not in html
    assert '<li><span aria-current="page">50</span></li>' in html and "Робототехника 49" in html
    assert "Показаны первые 1 000 программ — уточните запрос или фильтры." in html


def test_a_range_of_ages_written_into_the_search_box_is_the_age_filter_from_to(client, published_program):
    response = client.get(reverse("navigator:search"), {"q": "робототехника 8-10 лет", "age_to": "12"})
    assert response["Location"] == "?" + urlencode({"q": "робототехника", "age": "8", "age_to": "10"})
    html = client.get(reverse("navigator:search") + response["Location"]).content.decode()
    assert _chip_labels(html) == ["«робототехника»", "8–10 лет"] and published_program.title in html
    assert 'name="age" min="0" max="18" value="8"' in html and 'name="age_to" min="0" max="18" value="10"' in html
    chip = re.search(r'<a class="chip" href="([^"]*)" aria-label="Убрать фильтр 8–10 лет"', html)
    assert chip is not None and "age" not in chip.group(1)  # the chip removes both ends
    # Whom a program is for, in words: «для подростков» is 12–17.
    teenagers = client.get(reverse("navigator:search"), {"q": "робототехника для подростков"})
    assert teenagers["Location"] == "?" + urlencode({"q": "робототехника", "age": "12", "age_to": "17"})
    # Without a range the search box has one age field.
    assert 'name="age_to"' not in client.get(reverse("navigator:search"), {"age": "9"}).content.decode()


def test_an_age_written_into_the_search_box_becomes_the_age_filter(client, published_program):
    response = client.get(reverse("navigator:search"), {"q": "робототехника для 9 лет", "sort": "title", "page": "2"})
    assert response.status_code == 302
    assert response["Location"] == "?" + urlencode({"q": "робототехника", "sort": "title", "age": "9"})
    html = client.get(reverse("navigator:search") + response["Location"]).content.decode()
    assert _chip_labels(html) == ["«робототехника»", "9 лет"] and published_program.title in html
    # Chosen in the filter already, the age chosen wins; the words leave the query all the same.
    chosen = client.get(reverse("navigator:search"), {"q": "робототехника 9 лет", "age": "10"})
    assert chosen["Location"] == "?" + urlencode({"q": "робототехника", "age": "10"})
    # With htmx, the page is loaded whole at its new address.
    fragment = client.get(reverse("navigator:search"), {"q": "бесплатно"}, headers={"HX-Request": "true"})
    assert (fragment.status_code, fragment["HX-Redirect"]) == (204, "?q=&funding=free")
    ovz = client.get(reverse("navigator:search"), {"q": "робототехника для детей с ОВЗ", "ovz": ""})
    assert ovz["Location"] == "?" + urlencode({"q": "робототехника для детей", "ovz": "on"})
    # Days too: «по субботам» is the day filter, «на выходных» both days of the weekend.
    days = client.get(reverse("navigator:search"), {"q": "робототехника на выходных"})
    assert days["Location"] == "?" + urlencode([("q", "робототехника"), ("day", "5"), ("day", "6")])
    html = client.get(reverse("navigator:search") + days["Location"]).content.decode()
    assert sorted(_chip_labels(html)) == ["«робототехника»", "Вс", "Сб"]


def test_a_category_of_children_with_ovz_written_into_the_search_box_becomes_its_filter(client, personas):
    chess = make_program(personas.org_a, "Шахматы без границ", ovz_adapted=True, ovz_categories=("visually_impaired",))
    make_program(personas.org_a, "Шахматы на слух", ovz_adapted=True, ovz_categories=("deaf",))
    make_program(personas.org_a, "Шахматы для всех")
    response = client.get(reverse("navigator:search"), {"q": "шахматы для слабовидящих"})
    assert response["Location"] == "?" + urlencode({"q": "шахматы", "ovz": "on", "ovz_category": "visually_impaired"})
    html = client.get(reverse("navigator:search") + response["Location"]).content.decode()
    assert _chip_labels(html) == ["Адаптирована для детей с ОВЗ", "Слабовидящие", "«шахматы»"]
    assert chess.title in html and "Шахматы на слух" not in html and "Шахматы для всех" not in html


def _category_options(html: str) -> dict[str, tuple[str, bool, int]]:
    """The category checkboxes of the filters: code → (label, ticked, count)."""
    found = re.findall(
        r'name="ovz_category" value="([^"]*)"( checked)?> ([^<]*)</label><span class="count"[^>]*>(\d+)</span>', html
    )
    return {code: (label, bool(checked), int(count)) for code, checked, label, count in found}


def test_the_categories_are_offered_once_adapted_programs_are_asked_for(client, personas):
    make_program(personas.org_a, "Жестовое пение", ovz_adapted=True, ovz_categories=("deaf",), direction="arts")
    make_program(personas.org_a, "Шахматы без границ", ovz_adapted=True, ovz_categories=("blind", "visually_impaired"))
    make_program(personas.org_a, "Робототехника")
    assert _category_options(client.get(reverse("navigator:search")).content.decode()) == {}
    adapted = client.get(reverse("navigator:search"), {"ovz": "on"}).content.decode()
    options = _category_options(adapted)
    assert list(options) == list(OvzCategory.objects.values_list("code", flat=True))
    assert options["deaf"] == ("Глухие", False, 1) and options["autism"] == (
        "Расстройства аутистического спектра",
        False,
        0,
    )
    # Ticked with JavaScript, the filters come back with the results (htmx) with the categories in them.
    fragment = client.get(reverse("navigator:search"), {"ovz": "on"}, headers={"HX-Request": "true"}).content.decode()
    assert _category_options(fragment) == options
    # A category chosen is offered with the others; each counts ignoring its own choice.
    url = reverse("navigator:search") + "?ovz=on&ovz_category=deaf&ovz_category=blind&direction=technical"
    chosen = client.get(url).content.decode()
    options = _category_options(chosen)
    assert options["deaf"] == ("Глухие", True, 0) and options["blind"] == ("Слепые", True, 1)
    assert options["visually_impaired"] == ("Слабовидящие", False, 1)
    assert "Шахматы без границ" in chosen and "Жестовое пение" not in chosen and "Робототехника</a>" not in chosen
    chips = dict(re.findall(r'<a class="chip" href="\?([^"]*)" aria-label="Убрать фильтр ([^"]*)"', chosen))
    by_label = {label: QueryDict(link.replace("&amp;", "&")) for link, label in chips.items()}
    assert by_label["Глухие"].getlist("ovz_category") == ["blind"]
    assert by_label["Слепые"].getlist("ovz_category") == ["deaf"]
    [reset] = re.findall(r'<a class="chip chip-reset" href="\?([^"]*)">Сбросить фильтры</a>', chosen)
    assert "ovz_category" not in QueryDict(reset.replace("&amp;", "&"))
    # «Адаптирована для детей с ОВЗ» unticked: its categories, kept in the address, neither show nor filter.
    unticked = client.get(url.replace("?ovz=on&", "?")).content.decode()
    assert _category_options(unticked) == {} and "Робототехника</a>" in unticked
    assert "Слепые" not in _chip_labels(unticked)


def test_an_unknown_category_gets_its_message_and_no_chip(client, published_program):
    html = client.get(reverse("navigator:search") + "?ovz=on&ovz_category=wizards&direction=technical").content.decode()
    assert 'role="alert">Категория детей с ОВЗ: такого значения нет: «wizards».' in html
    assert _chip_labels(html) == ["Техническая", "Адаптирована для детей с ОВЗ"]


def test_the_organization_filter_is_named_by_the_organization(client, published_program):
    organization = published_program.organization
    html = client.get(reverse("navigator:search"), {"organization": organization.code}).content.decode()
    assert organization.short_name in _chip_labels(html)


def test_the_home_directions_count_the_municipality_they_lead_to(client, personas, published_program):
    make_program(personas.org_b, "Шахматы", direction="social")  # in the other municipality
    client.cookies["opora_municipality"] = published_program.municipality.oktmo
    html = client.get(reverse("navigator:home")).content.decode()
    assert f"Направленности: {published_program.municipality.name}, 1 программа" in html
    assert "во всём навигаторе" in html  # the hero's figures are the whole catalog's
    social = re.search(r'dir-social"[^>]*>\s*<h3>[^<]*</h3><span class="count">(\d+)', html)
    assert social is not None and social[1] == "0"  # the other municipality's chess is not counted
    client.cookies["opora_municipality"] = "00000000"  # no longer a municipality: the whole catalog
    html = client.get(reverse("navigator:home")).content.decode()
    social = re.search(r'dir-social"[^>]*>\s*<h3>[^<]*</h3><span class="count">(\d+)', html)
    assert "Направленности:" not in html and social is not None and social[1] == "1"


def test_the_switch_to_the_other_version_follows_the_search_htmx_changed(client, published_program):
    fragment = client.get(reverse("navigator:search"), {"q": "робототехника", "day": "5"}, headers={"HX-Request": "1"})
    switch = re.search(
        r'<a href="([^"]*)" class="a11y-toggle" id="a11y-toggle" hx-swap-oob="true">', fragment.content.decode()
    )
    assert switch is not None and "next=/programs/%3Fq%3D" in switch[1] and "%26day%3D5" in switch[1]
    assert "a11y-panel" not in fragment.content.decode()
    client.cookies["opora_a11y"] = "2.white.1.0"
    fragment = client.get(reverse("navigator:search"), {"q": "робототехника", "day": "5"}, headers={"HX-Request": "1"})
    html = fragment.content.decode()
    panel = html[html.index('<div id="a11y-settings" hx-swap-oob="innerHTML">') :]
    assert "size=3&amp;next=%2Fprograms%2F%3Fq%3D" in panel and "%26day%3D5" in panel


def test_the_suggestion_replaces_the_query_and_keeps_the_filters(client, personas, published_program):
    make_program(personas.org_a, "Театральная студия", direction="arts")
    make_program(personas.org_a, "Театр моды", direction="arts")
    # One program has the typo in its description (the vocabulary of corrections is titles' and summaries').
    make_program(personas.org_a, "Кукольная студия", direction="arts", description="Наш театор кукол.")
    html = client.get(reverse("navigator:search"), {"q": "театор", "direction": "arts"}).content.decode()
    link = re.search(r'Возможно, вы искали: <a href="([^"]*)"', html)
    assert link is not None and link[1] == "?" + urlencode({"direction": "arts", "q": "театр"}).replace("&", "&amp;")


def test_all_municipalities_chosen_forgets_the_remembered_one(client, published_program):
    client.cookies["opora_municipality"] = published_program.municipality.oktmo
    response = client.get(reverse("navigator:search"), {"q": "", "municipality": ""})
    assert response.cookies["opora_municipality"].value == ""  # deleted


def test_a_card_tells_the_seats_of_the_groups_for_the_age_searched_for(published_program):
    # The search leaves out a program with groups but none for the age; a card read as a group closes says so.
    def badge(age: int | range, seats: AgeSeats) -> str:
        return re.findall(
            r'<span class="seats-[a-z]+">([^<]*)</span>',
            navigator.program_cards(
                [published_program], [age] if isinstance(age, int) else age, {published_program.pk: seats}
            ),
        )[-1]

    assert badge(7, AgeSeats(open_seats=4, closed_seats=2, current_groups=2, offering_groups=1)) == (
        "Свободных мест для 7 лет: 4"
    )
    assert badge(1, AgeSeats(closed_seats=2, current_groups=1)) == "Для 1 года приём закрыт"
    assert badge(21, AgeSeats(current_groups=2, offering_groups=1)) == "Для 21 года мест нет"
    assert badge(21, AgeSeats(current_groups=1)) == "Для 21 года приём закрыт"  # full, and no queue either
    assert badge(8, AgeSeats()) == "Для 8 лет групп нет"
    assert badge(range(5, 8), AgeSeats(open_seats=3, current_groups=1, offering_groups=1)) == (
        "Свободных мест для 5–7 лет: 3"
    )
    assert badge(range(1, 3), AgeSeats()) == "Для 1–2 лет групп нет"
