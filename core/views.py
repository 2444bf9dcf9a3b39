"""Service endpoints."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from core.templatetags.opora import asset


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers: the process answers, without touching the database."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, asked for by browsers and bots that do not read the pages' `<link rel="icon">`:
    the SVG icon. A temporary redirect: the icon's hashed name changes with its content."""
    response = HttpResponseRedirect(asset("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


# Kept from crawlers: people's own and staff pages, the API, and the switches that only set a cookie.
CLOSED_TO_CRAWLERS = ("/office/", "/family/", "/accounts/", "/admin/", "/api/", "/a11y/")


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """/robots.txt: the Navigator open to search engines, the rest closed, and where its sitemap is."""
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in CLOSED_TO_CRAWLERS),
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
