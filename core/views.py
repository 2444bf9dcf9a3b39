"""Service endpoints."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
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
