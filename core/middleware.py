"""Server-Timing (time spent in the database), a definite answer under overload (503 + Retry-After),
the API's 405 in its JSON shape, the office closed to those who have no work there, and the
Content-Security-Policy."""

import json
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from psycopg_pool import PoolTimeout

from accounts.roles import principal_of

RETRY_AFTER_SECONDS = 2
OVERLOADED = "Сервис перегружен: слишком много запросов одновременно. Повторите через несколько секунд."


class DatabaseTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        spent = [0.0, 0]

        def timed(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent[0] += time.perf_counter() - start
                spent[1] += 1

        with connection.execute_wrapper(timed):
            response = self.get_response(request)
        response["Server-Timing"] = f'db;dur={spent[0] * 1000:.2f};desc="{int(spent[1])} queries"'
        return response


def overload_response(request: HttpRequest, exception: BaseException) -> HttpResponse | None:
    """503 with Retry-After when the database pool had no free connection in time; None otherwise."""
    if not (isinstance(exception, OperationalError) and isinstance(exception.__cause__, PoolTimeout)):
        return None
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": OVERLOADED}, status=503, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = HttpResponse(OVERLOADED, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OverloadMiddleware:
    """Every connection of the process's pool stayed busy: answer 503 with Retry-After at once, so
    the client retries later (with the same idempotency key) instead of the request failing half-way.
    The API answers the same through its exception handler (opora/api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return overload_response(request, exception)


API_PREFIX = "/api/"


class ApiMethodNotAllowedMiddleware:
    """An API client reads JSON in one shape ({"detail": …}); ninja answers a method its path does
    not take (405) with plain text of its own, before any handler of the API sees the request. HEAD,
    which ninja routes nowhere, is answered as GET without its body (HTTP asks it of every GET)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "HEAD" and request.path_info.startswith(API_PREFIX):
            request.method = "GET"
            response = self.get_response(request)
            request.method = "HEAD"
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)  # the GET's, as HTTP says of HEAD
            return response
        response = self.get_response(request)
        if response.status_code != 405 or not request.path_info.startswith(API_PREFIX):
            return response
        # ninja lists them from a set: in the order of the process's string hashes.
        allowed = ", ".join(sorted(method.strip() for method in response.get("Allow", "").split(",") if method.strip()))
        # The same response with its headers (security, Server-Timing), in the API's shape.
        detail = f"Метод {request.method} по этому адресу не принимается; принимаются: {allowed}."
        response.content = json.dumps({"detail": detail}, ensure_ascii=False)
        if response.has_header("Content-Length"):  # set by CommonMiddleware for the text it replaces
            response["Content-Length"] = str(len(response.content))
        response["Content-Type"] = "application/json; charset=utf-8"
        response["Allow"] = allowed
        return response


OFFICE_PREFIX = "/office/"


class OfficeAccessMiddleware:
    """The office («Кабинет») is for staff: organizations, territories, methodologists, administrators.
    Checked here once for every office page, so that no page of any app is left open by mistake:
    a guest is sent to sign in, a family gets 403 (their pages are under /family/). Each view still
    limits its objects to the person's scope."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(OFFICE_PREFIX):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not principal_of(request.user).uses_office:
                raise PermissionDenied("Кабинет — для сотрудников организаций и операторов.")
        return self.get_response(request)


DEBUG_PAGES = (404, 500)


class ContentSecurityPolicyMiddleware:
    """Pages run only the site's own scripts and styles (no inline ones, no eval), load nothing from
    elsewhere and cannot be framed: an injected tag finds nothing to run. One constant header,
    OPORA_CONTENT_SECURITY_POLICY; django-csp builds its header anew for every response (~40 µs,
    a search page's template takes ~300 µs) for per-view policies and nonces the site does not use.
    Django 6's SECURE_CSP takes its place with the next LTS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.OPORA_CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in DEBUG_PAGES:
            return response  # Django's technical pages style themselves inline
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
