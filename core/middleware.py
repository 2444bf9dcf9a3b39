"""Server-Timing: how much of each response was spent in the database (for operators and benchmarks)."""

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


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
