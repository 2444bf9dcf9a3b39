"""The public Navigator: home, search results, program and organization pages."""

from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from catalog import directory, places, structured_data, text
from catalog.models import MAX_CHILD_AGE, Direction, Organization, Program
from catalog.permissions import readable_program, shown_groups, shown_teachers
from catalog.search import (
    MAX_PAGE,
    SORTS,
    FacetValue,
    SearchParams,
    SearchResult,
    direction_counts,
    home_selections,
    municipalities,
    search_programs,
    similar_programs,
    suggestion_counts,
)
from catalog.search_form import Q_MAX_LENGTH, SWITCHES, params_from_query
from core import a11y, scope
from core.redirects import back_to
from core.templatetags.opora import ages
from enrollment import admission
from people.services import ages_of_children

MUNICIPALITY_COOKIE = "opora_municipality"


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    counts = suggestion_counts()
    options = municipalities()
    chosen = request.COOKIES.get(MUNICIPALITY_COOKIE, "")
    chosen_name = next((m.name for m in options if m.oktmo == chosen), None)
    # The cards lead to the municipality chosen before: they count its programs, as the search will.
    by_direction = direction_counts(chosen if chosen_name is not None else None)
    selections = home_selections(chosen if chosen_name is not None else None)
    return render(
        request,
        "navigator/home.html",
        {
            "counts": counts,
            "directions": [(d.value, d.label, by_direction[d.value]) for d in Direction],
            "municipalities": options,
            "chosen_municipality": chosen if chosen_name is not None else "",
            "chosen_municipality_name": chosen_name,
            "municipality_programs": sum(by_direction.values()),  # each program has one direction
            "for_children": _for_children(request.user, [("municipality", chosen)] if chosen_name else [], None),
            "selections": [(s.title, s.programs, urlencode(s.query)) for s in selections],
        },
    )


# The search's results as cards a page at a time, or as places on a map («На карте»).
VIEWS = ("", "list", "map")


def _on_map(request: HttpRequest, errors: list[str]) -> bool:
    """Whether the results are asked for on the map; a view there is not is said and the list shown."""
    view = request.GET.get("view", "")
    if view not in VIEWS:
        errors.append(f"Вид: такого значения нет: «{view}».")
    return view == "map"


def _views(query: list[tuple[str, str]], on_map: bool) -> dict[str, Any]:
    """The switch between the list and the map (the rest of the search kept), and the map's tiles."""
    as_list = [(key, value) for key, value in query if key != "view"]
    return {
        "on_map": on_map,
        "views": {"list": "?" + urlencode(as_list), "map": "?" + urlencode([*as_list, ("view", "map")])},
        "map_tiles": settings.OPORA_MAP_TILES,
        "map_attribution": settings.OPORA_MAP_ATTRIBUTION,
    }


# The same address answers a full page, or the results fragment to htmx: caches and the browser's
# history must keep the two apart.
HTMX_HEADERS = ("HX-Request", "HX-History-Restore-Request")


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    params, errors = params_from_query(_page_within_cap(request.GET), settings.OPORA_PAGE_SIZE)
    if (said := _filters_said(request.GET, params)) is not None:
        return _go(request, "?" + urlencode(said))
    if params.ovz_categories and not params.ovz:
        # On the page a category narrows «Адаптирована для детей с ОВЗ», shown only with it: that box unticked,
        # the categories (kept in the address for ticking it again) do not filter what nobody sees chosen.
        params = params.without(ovz_categories=())
    organization = None
    if params.organization:
        found = Organization.objects.filter(code=params.organization).values_list("short_name", flat=True).first()
        if found is None:  # a code of the right form that names no organization: said like any bad value
            errors.append("Организация: не найдена.")
            params = params.without(organization=None)
        organization = found
    on_map = _on_map(request, errors)
    result = search_programs(params, last_page_past_end=True, on_map=on_map)  # an old link, a typed address
    params = result.params
    # The query without its page: links to other pages and chips build on it.
    query = [(key, value) for key, values in request.GET.lists() if key != "page" for value in values]
    query_without_words = bool(params.q) and not text.query_words(params.q)
    template = "navigator/_results_update.html" if _wants_fragment(request) else "navigator/search.html"
    response = render(
        request,
        template,
        {
            "result": result,
            "params": params,
            "errors": errors,
            "query_without_words": query_without_words,
            "base_query": urlencode(query),
            "suggestion_query": urlencode([*((k, v) for k, v in query if k != "q"), ("q", result.suggestion or "")]),
            "sorts": _sorts(SORTS, params.near),
            "default_sort": SearchParams.sort,
            "pages": _page_numbers(params.page, result.page_count),
            "chips": _chips(query, params, result, organization, searched_text=not query_without_words),
            "reset_filters": _reset_filters(query),
            "for_children": _for_children(request.user, query, params),
            "indexable": not errors and _indexable(request, {"direction", "municipality"}),
            **_views(query, on_map),
        },
    )
    patch_vary_headers(response, HTMX_HEADERS)
    if params.municipality and request.COOKIES.get(MUNICIPALITY_COOKIE) != params.municipality:
        # Remembered for the home page's selector; sent again only when it changes.
        response.set_cookie(MUNICIPALITY_COOKIE, params.municipality, max_age=365 * 24 * 3600, samesite="Lax")
    elif request.GET.get("municipality") == "" and MUNICIPALITY_COOKIE in request.COOKIES:
        response.delete_cookie(MUNICIPALITY_COOKIE, samesite="Lax")  # «Все муниципалитеты» chosen
    return response


def _filters_said(query: QueryDict, params: SearchParams) -> list[tuple[str, str]] | None:
    """The address of the search with an age, a way of paying, ОВЗ, its categories or days written into the query
    («танцы 5 лет», «по субботам», «для слабовидящих») as its filters, so that the chips and the filters show them
    and remove them, and the query without those words; None if none was written."""
    written = " ".join(query.get("q", "")[:Q_MAX_LENGTH].split())
    if params.q == written:
        return None  # nothing in the query said a filter
    replaced = {"q", "age", "age_to", "funding", "ovz", "ovz_category", "day", "page"}
    kept = [(key, value) for key, values in query.lists() if key not in replaced for value in values]
    filters = [("age", str(params.age))] if params.age is not None else []
    filters += [("age_to", str(params.age_to))] if params.age_to is not None else []
    filters += [("funding", way) for way in params.funding] + ([("ovz", "on")] if params.ovz else [])
    filters += [("ovz_category", code) for code in params.ovz_categories]
    filters += [("day", day) for day in params.days]
    return [("q", params.q), *kept, *filters]


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; to htmx, the instruction to load that page whole (its URL becomes the history's)."""
    if _wants_fragment(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _wants_fragment(request: HttpRequest) -> bool:
    """htmx asks for the results in place. Restoring a page the history cache lacks, htmx 2 says
    HX-Request too, but swaps the answer for the whole body: that one gets the full page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _page_within_cap(query: QueryDict) -> QueryDict:
    """A page number past the deepest page shown asks for the deepest one, not for an error."""
    pages = [value for value in query.getlist("page") if value != ""]
    digits = pages[-1].lstrip("0") if pages and pages[-1].isascii() and pages[-1].isdigit() else ""
    if len(digits) <= len(str(MAX_PAGE)) and int(digits or 0) <= MAX_PAGE:
        return query
    query = query.copy()
    query.setlist("page", [str(MAX_PAGE)])
    return query


def _page_numbers(current: int, count: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20, with None for a gap."""
    shown = sorted({1, count, *range(max(1, current - 2), min(count, current + 2) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


class ForChild(NamedTuple):
    first_name: str
    age: int
    link: str  # the search for programs for the child's age
    chosen: bool  # the search is for that age now


def _for_children(user: Any, query: list[tuple[str, str]], params: SearchParams | None) -> list[ForChild]:
    """For a parent, the search (`query`, without its page) for each of their children's ages today: one click
    instead of typing it. A search for a range of ages is for none of them alone."""
    if not user.is_authenticated:
        return []  # a guest's search (most of them) builds nothing here
    kept = urlencode([(key, value) for key, value in query if key not in ("age", "age_to")])
    return [
        ForChild(
            child.first_name,
            child.age,
            f"{reverse('navigator:search')}?{kept}{'&' if kept else ''}age={child.age}",
            params is not None and params.age == child.age and params.age_to in (None, child.age),
        )
        for child in ages_of_children(user)
        if child.age <= MAX_CHILD_AGE
    ]


def _reset_filters(query: list[tuple[str, str]]) -> str | None:
    """With two filters or more, the address of the same search without any (the text, the order and
    where the family is kept): one click instead of a chip each."""
    kept = ("q", "sort", "near", "view")
    if sum(1 for key, value in query if key not in kept and value) < 2:
        return None
    return "?" + urlencode([(key, value) for key, value in query if key in kept and value])


def _chips(
    query: list[tuple[str, str]],
    params: SearchParams,
    result: SearchResult,
    organization: str | None,
    *,
    searched_text: bool,
) -> list[tuple[str, str]]:
    """Removable chips for each filter the search applied (never a value it rejected): (label, link without it)."""
    chips = _facet_chips(query, result.facets, "q", params.q if searched_text else "")
    if params.age is not None:
        chips.append((ages(params.age, params.age_to or params.age), _without(query, "age", also=("age_to",))))
    if organization:
        chips.append((organization, _without(query, "organization")))
    if params.near:
        chips.append(_near_chip(query, params.sort, also=("within",)))  # a distance: nothing to measure from
    return chips


def _near_chip(query: list[tuple[str, str]], sort: str, also: tuple[str, ...] = ()) -> tuple[str, str]:
    """«Рядом с вами», taking the place away; without it nearest first means nothing and goes with it."""
    return "Рядом с вами", _without(query, "near", also=(*also, *(("sort",) if sort == "near" else ())))


def _sorts(sorts: dict[str, str], near: object) -> dict[str, str]:
    """The orders offered: nearest first only once the family said where it is («Рядом со мной»)."""
    return sorts if near else {value: label for value, label in sorts.items() if value != "near"}


def _without(query: list[tuple[str, str]], param: str, value: str | None = None, also: tuple[str, ...] = ()) -> str:
    """The search's address without `param` (only its `value` when one is given) and the parameters `also`."""
    return "?" + urlencode(
        [(k, v) for k, v in query if k not in also and (k != param or (value is not None and v != value))]
    )


@require_safe
def organizations(request: HttpRequest) -> HttpResponse:
    """The organizations with published programs, found by name, ИНН or code and filtered, each filter's values
    counted: the search page's way, for those who look for a place rather than a program."""
    params, errors = directory.params_from_query(request.GET)
    on_map = _on_map(request, errors)
    result = directory.find_organizations(params, settings.OPORA_PAGE_SIZE, on_map=on_map)
    query = [(key, value) for key, values in request.GET.lists() if key != "page" for value in values]
    template = "navigator/_organizations_update.html" if _wants_fragment(request) else "navigator/organizations.html"
    response = render(
        request,
        template,
        {
            "result": result,
            "params": result.params,
            "errors": errors,
            "sorts": _sorts(directory.SORTS, result.params.near),
            "base_query": urlencode(query),
            "indexable": not errors and _indexable(request, {"municipality"}),
            "pages": _page_numbers(result.page.number, result.page.paginator.num_pages),
            "chips": [
                *_facet_chips(query, result.facets, "q", result.params.q),
                *([_near_chip(query, result.params.sort)] if result.params.near else []),
            ],
            **_views(query, on_map),
        },
    )
    patch_vary_headers(response, HTMX_HEADERS)
    return response


def _facet_chips(
    query: list[tuple[str, str]], facets: dict[str, list[FacetValue]], text_param: str, text: str
) -> list[tuple[str, str]]:
    """Removable chips for each filter value chosen and the text searched for: (label, link without it)."""
    chips = [
        (value.label, _without(query, facet, None if facet in SWITCHES else value.value))
        for facet, values in facets.items()
        for value in values
        if value.selected
    ]
    if text:
        chips.append((f"«{text}»", _without(query, text_param)))
    return chips


@require_safe
def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    queryset = Program.objects.select_related("organization", "municipality", "unit").prefetch_related(
        "ovz_categories", "registers"
    )
    program = readable_program(queryset, request.user, code)
    prefetch_related_objects(
        [program],
        Prefetch("teachers", queryset=shown_teachers(program)),
        Prefetch(
            "groups", queryset=shown_groups(program).select_related("teacher").prefetch_related("schedule", "financing")
        ),
    )
    found = admission.of_program(program, timezone.now())  # the groups table and the call to action agree
    shown = program.groups.all()
    # Where it is held: where its groups meet (its own address when none is shown), named and on the map.
    where = places.whereabouts(program.organization, [g.address for g in shown] or [program.address])
    at = {place.address: place for place in where}
    groups = [{"group": g, "call": found.calls[g.pk], "where": at[g.address]} for g in shown]
    search_back = urlencode({"direction": program.direction, "municipality": program.municipality.oktmo})
    similar, similar_query = similar_programs(program) if program.is_public else ([], {})
    return render(
        request,
        "navigator/program.html",
        {
            "program": program,
            "groups": groups,
            "admission": found,
            "search_back": search_back,
            "where": where,
            "similar": similar,
            "similar_query": urlencode(similar_query),
            # Given to search engines for a published program only (the page's `social` block).
            "structured_data": structured_data.program_course(program, shown, request.build_absolute_uri)
            if program.is_public
            else None,
        },
    )


def _indexable(request: HttpRequest, kept: set[str]) -> bool:
    """Whether a search engine may keep a list's page: the list itself, or narrowed by one value of a `kept` parameter
    each (in the sitemap, catalog.sitemaps), not the endless combinations of words, filters and pages."""
    return all(key in kept and len(request.GET.getlist(key)) == 1 for key in request.GET)


@require_safe
def organization_detail(request: HttpRequest, code: str) -> HttpResponse:
    organization = scope.get_in_scope(
        Organization.objects.select_related("municipality").prefetch_related("units", "study_places"),
        request.user,
        "view",
        code=code,
    )
    programs = (
        Program.objects.filter(organization=organization, status="published")
        .select_related("organization", "municipality")
        .order_by("-popularity", "title")
    )
    page = Paginator(programs, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "navigator/organization.html",
        {
            "organization": organization,
            "page": page,
            "structured_data": structured_data.organization_profile(organization, request.build_absolute_uri),
        },
    )


@require_safe
def toggle_a11y(request: HttpRequest) -> HttpResponse:
    """The version for the visually impaired switched on (?on=1) or off (?on=0), or one of its
    settings changed (?size=3, which switches it on), then back to the page; works without JavaScript."""
    try:
        chosen = a11y.requested(a11y.from_cookie(request.COOKIES.get(a11y.COOKIE)), request.GET)
    except ValueError as error:
        return render(request, "400.html", {"message": str(error)}, status=400)
    response = back_to(request, request.GET.get("next"), "/")
    if chosen is None:
        response.delete_cookie(a11y.COOKIE)
    else:
        response.set_cookie(a11y.COOKIE, chosen.cookie_value, max_age=a11y.COOKIE_MAX_AGE, samesite="Lax")
    return response
