"""Server-Timing (time spent in the database) and a definite answer under overload (503 + Retry-After)."""

import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from psycopg_pool import PoolTimeout

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
