"""The public Navigator: home, search results, program and organization pages."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from catalog.models import Direction, Group, Organization, Program
from catalog.search import (
    SORTS,
    SearchResult,
    municipalities,
    search_programs,
    suggestion_counts,
)
from catalog.search_form import SWITCHES, params_from_query
from core import scope
from core.context_processors import A11Y_COOKIE


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    counts = suggestion_counts()
    directions = [(d.value, d.label, counts.get(d.value, 0)) for d in Direction]
    return render(
        request,
        "navigator/home.html",
        {
            "counts": counts,
            "directions": directions,
            "municipalities": municipalities(),
            "chosen_municipality": request.COOKIES.get("opora_municipality", ""),
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    params, errors = params_from_query(request.GET, settings.OPORA_PAGE_SIZE)
    result = search_programs(params)
    # The query without its page: links to other pages and chips build on it.
    query = [(key, value) for key, values in request.GET.lists() if key != "page" for value in values]
    template = "navigator/_results_update.html" if request.headers.get("HX-Request") else "navigator/search.html"
    response = render(
        request,
        template,
        {
            "result": result,
            "params": params,
            "errors": errors,
            "base_query": urlencode(query),
            "sorts": SORTS,
            "pages": _page_numbers(params.page, result.page_count),
            "chips": _chips(query, result),
        },
    )
    if params.municipality:
        response.set_cookie("opora_municipality", params.municipality, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _page_numbers(current: int, count: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20, with None for a gap."""
    shown = sorted({1, count, *range(max(1, current - 2), min(count, current + 2) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


CHIP_PARAMS = (("q", "«{}»"), ("age", "{} лет"), ("organization", "Организация {}"))


def _chips(query: list[tuple[str, str]], result: SearchResult) -> list[tuple[str, str]]:
    """Removable chips for each active filter: (label, link without it)."""

    def without(param: str, value: str | None = None) -> str:
        return "?" + urlencode([(k, v) for k, v in query if k != param or (value is not None and v != value)])

    chips = []
    for facet, values in result.facets.items():
        for value in values:
            if value.selected:
                chips.append((value.label, without(facet, None if facet in SWITCHES else value.value)))
    given = dict(query)
    for param, label in CHIP_PARAMS:
        if given.get(param):
            chips.append((label.format(given[param]), without(param)))
    return chips


@require_GET
def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    queryset = Program.objects.select_related("organization", "municipality", "unit").prefetch_related(
        "ovz_categories",
        "registers",
        "teachers",
        Prefetch(
            "groups",
            queryset=Group.objects.current()
            .select_related("teacher")
            .prefetch_related("schedule", "financing")
            .order_by("start_date", "name"),
        ),
    )
    program = scope.get_in_scope(queryset, request.user, "view", code=code)
    now = timezone.now()
    groups = [{"group": g, "open": g.enrollment_open(now)} for g in program.groups.all()]
    search_back = urlencode({"direction": program.direction, "municipality": program.municipality.oktmo})
    return render(
        request,
        "navigator/program.html",
        {"program": program, "groups": groups, "search_back": search_back, "now": now},
    )


@require_GET
def organization_detail(request: HttpRequest, code: str) -> HttpResponse:
    organization = scope.get_in_scope(
        Organization.objects.select_related("municipality").prefetch_related("units"), request.user, "view", code=code
    )
    programs = (
        Program.objects.filter(organization=organization, status="published")
        .select_related("organization", "municipality")
        .order_by("-popularity", "title")
    )
    page = Paginator(programs, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "navigator/organization.html", {"organization": organization, "page": page})


@require_GET
def toggle_a11y(request: HttpRequest) -> HttpResponse:
    """Switch the version for the visually impaired on or off; works without JavaScript."""
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.GET.get("on") == "1":
        response.set_cookie(A11Y_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax")
    else:
        response.delete_cookie(A11Y_COOKIE)
    return response
