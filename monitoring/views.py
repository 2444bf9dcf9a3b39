"""Monitoring pages: the dashboard of indicators, drill-down to organizations, targets, 1-ДОП."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Organization
from core import audit
from core.xlsx import table_workbook, xlsx_response
from monitoring import indicators, services, statform, tables
from monitoring.models import IndicatorCode, Target
from monitoring.territories import Territory, chosen, may_see_children, may_set_targets, territories_for
from territory.models import Municipality

FIRST_YEAR = 2019


def _year(request: HttpRequest) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or this_year)
    except ValueError:
        raise Http404 from None
    if not FIRST_YEAR <= year <= this_year + 1:
        raise Http404
    return year


def _export(table: tables.Table, name: str) -> HttpResponse:
    return xlsx_response(table_workbook(table.title, table.headers, table.rows, note=table.note), f"{name}.xlsx")


def _context(request: HttpRequest) -> tuple[Territory, int, dict[str, Any]]:
    territories = territories_for(request.user)
    territory = chosen(territories, request.GET.get("territory"))
    year = _year(request)
    return (
        territory,
        year,
        {
            "territory": territory,
            "territories": territories,
            "year": year,
            "years": list(range(timezone.localdate().year, FIRST_YEAR - 1, -1)),
            "query": f"territory={territory.key}&year={year}",
        },
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    territory, year, context = _context(request)
    slug = request.GET.get("table")
    if slug:
        build = tables.DASHBOARD_TABLES.get(slug)
        if build is None:
            raise Http404
        return _export(build(territory, year), f"{slug}-{territory.key}-{year}")
    rows = services.indicator_rows(territory, year)
    context.update(
        indicators=rows,
        chart={
            "years": [y for y, _, _ in rows[0].trend],
            "series": [
                {
                    "label": r.definition.title,
                    "values": [v for _, v, _ in r.trend],
                    "targets": [t for _, _, t in r.trend],
                }
                for r in rows
            ],
        },
        municipalities=tables.comparison_table(territory, year) if territory.is_region else None,
        directions=tables.direction_table(territory, year),
        kinds=tables.organization_kind_table(territory, year),
        funding=tables.funding_table(territory, year),
        demand=tables.demand_table(territory, year),
        may_set_targets=may_set_targets(request.user, territory.region),
    )
    return render(request, "monitoring/dashboard.html", context)


@login_required
@require_GET
def organizations(request: HttpRequest) -> HttpResponse:
    territory, year, context = _context(request)
    table = tables.organization_table(territory, year)
    if request.GET.get("format") == "xlsx":
        return _export(table, f"organizations-{territory.key}-{year}")
    page = Paginator(list(zip(table.links, table.rows, strict=True)), 50).get_page(request.GET.get("page"))
    context.update(table=table, page=page, filter_query=context["query"])
    return render(request, "monitoring/organizations.html", context)


@login_required
@require_GET
def organization(request: HttpRequest, code: str) -> HttpResponse:
    _, year, context = _context(request)
    monitored = {pk for t in context["territories"] for pk in t.municipality_ids}
    found = get_object_or_404(Organization, code=code, municipality__in=monitored)
    programs = tables.organization_program_table(found, year)
    show_children = may_see_children(request.user)
    what = request.GET.get("format")
    if what == "xlsx":
        return _export(programs, f"programs-{found.code}-{year}")
    if what == "children-xlsx" or request.GET.get("children"):
        if not show_children:
            raise PermissionDenied
        children = tables.organization_children_table(found, year)
        # Names and birth dates of children are personal data: each reading is in the audit log.
        audit.record(request.user, "monitoring.children_viewed", found, year=year, rows=len(children.rows))
        if what == "children-xlsx":
            return _export(children, f"children-{found.code}-{year}")
        context["children"] = Paginator(children.rows, 50).get_page(request.GET.get("page"))
        context["children_table"] = children
    context.update(organization=found, programs=programs, show_children=show_children)
    context["filter_query"] = f"{context['query']}&children=1"
    return render(request, "monitoring/organization.html", context)


def _posted_year(value: str) -> int:
    if not value.strip().isdigit():
        raise ValidationError({"year": "Год — четыре цифры, например 2025."})
    return int(value)


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest) -> HttpResponse:
    territory, year, context = _context(request)
    editable = may_set_targets(request.user, territory.region)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        municipality = None
        if chosen_municipality := request.POST.get("municipality", ""):
            if not chosen_municipality.isdigit():
                raise Http404
            municipality = get_object_or_404(Municipality, pk=chosen_municipality, region=territory.region)
        try:
            target = services.set_target(
                request.user,
                indicator=request.POST.get("indicator", ""),
                region=territory.region,
                municipality=municipality,
                year=_posted_year(request.POST.get("year", "")),
                percent=request.POST.get("percent", ""),
                source=request.POST.get("source", ""),
            )
        except ValidationError as error:
            messages.error(request, f"Значение не сохранено: {'; '.join(error.messages)}")
        else:
            where = target.municipality.name if target.municipality else f"{territory.region.name} (весь регион)"
            messages.success(
                request,
                f"Целевое значение сохранено: {target.get_indicator_display()}, {where}, {target.year} год — "
                f"{formats.number_format(target.percent, 1)} %.",
            )
        return redirect(f"{request.path}?territory={territory.key}&year={year}")
    rows = Target.objects.filter(region=territory.region).select_related("municipality")
    if territory.municipality is not None:
        rows = rows.filter(Q(municipality__isnull=True) | Q(municipality=territory.municipality))
    context.update(
        targets=rows.order_by("indicator", "municipality__name", "year"),
        editable=editable,
        indicator_choices=IndicatorCode.choices,
        region_municipalities=territory.region.municipalities.order_by("name") if editable else [],
    )
    return render(request, "monitoring/targets.html", context)


@login_required
@require_GET
def form_1dop(request: HttpRequest) -> HttpResponse:
    """Form 1-ДОП of the territory for the year, as of 31 December, from the layout in monitoring/layouts."""
    territory, year, _ = _context(request)
    result = statform.compute_form(statform.load_layout(), indicators.form_facts(year, territory.municipality_ids))
    content = statform.write_xlsx(result, territory=territory.name, year=year)
    return xlsx_response(content, f"1-dop-{territory.key}-{year}.xlsx")
