"""`make bench-office`: the staff's lists at regional size, on PostgreSQL.

Uses the catalog of `make bench-search` (100 000 programs in 5 000 organizations of 40
municipalities, 108 000 children, 155 000 applications; generated when missing). Every page of
the office and every list of the API that needs no parameters is opened as each demo member of
staff would open it — an organization's operator and teacher, a municipal and a regional
operator, a methodologist — with the filters they use most (a status, a program typed by a word
of its title). A page is the whole request in the server's process: scope, rows, count, rendering.
"""

import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import in_process_settings, percentile, prepare_postgres  # noqa: E402

in_process_settings()
from bench.search import ensure_catalog  # noqa: E402

STAFF = ("operator", "teacher", "municipal", "regional", "methodologist")
OFFICE = (
    "/office/",
    "/office/programs/",
    "/office/programs/?status=published&q=шахмат",
    "/office/moderation/",
    "/office/applications/",
    "/office/applications/?status=waitlisted",
    "/office/applications/?program=шахмат",
    "/office/campaigns/",
    "/office/monitoring/",
    "/office/monitoring/organizations/",
    "/office/monitoring/imports/",
    "/office/registry/",
    "/office/registry/duplicates/",
    "/office/finance/",
    "/office/finance/certificates/",
    "/office/finance/certification/",
    "/office/finance/providers/",
    "/office/finance/providers/?q=школа&registry=out",
    "/office/finance/contracts/",
    "/office/finance/months/",
    "/office/organization/",
    "/office/places/",
    "/office/staff/",
    "/office/organizations/",
    "/office/organizations/?q=школа",
    "/office/organizations/?operators=none",
)
TIMES = 3  # each page; the fastest counts (the first also loads code and warms caches)


def api_lists(client) -> list[str]:  # type: ignore[no-untyped-def]
    """The API's GET lists that need no parameters, as its OpenAPI schema says."""
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if "get" in operations
        and "{" not in path
        and not any(p.get("required") for p in operations["get"].get("parameters", []) if p["in"] == "query")
    )


def main() -> None:
    prepare_postgres("bench-office", fresh=False)
    ensure_catalog()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import ApiToken, User

    logging.getLogger("django.request").setLevel(logging.ERROR)  # pages refused to a persona are skipped, not logged
    paths = [*OFFICE, *api_lists(Client())]
    pages, statements, slowest = [], [], []
    for who in STAFF:
        client = Client()
        person = User.objects.get(email=f"{who}@demo.opora")
        client.force_login(person)
        # The API's lists as an integration of this person reads them: with a token (some take no session).
        token, raw = ApiToken.issue(person, "bench-office")
        api = {"Authorization": f"Bearer {raw}"}
        for path in paths:
            times = []
            for _ in range(TIMES):
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    response = client.get(path, headers=api if path.startswith("/api/") else None)
                    times.append((time.perf_counter() - start) * 1000)
            if response.status_code in (403, 404):
                continue  # not this person's page
            if response.status_code != 200:
                raise SystemExit(f"{who}: {path}: HTTP {response.status_code}")
            pages.append(min(times))
            statements.append(max((float(q["time"]) * 1000 for q in captured.captured_queries), default=0.0))
            slowest.append((min(times), who, path, len(captured.captured_queries)))
        token.delete()
    for elapsed, who, path, count in sorted(slowest, reverse=True)[:5]:
        print(f"slow: {elapsed:.0f} ms {who} {path} ({count} statements)")
    print(
        f"BENCH office personas={len(STAFF)} pages={len(pages)} page_p50_ms={percentile(pages, 50):.0f} "
        f"page_p95_ms={percentile(pages, 95):.0f} page_max_ms={max(pages):.0f} "
        f"statement_max_ms={max(statements):.0f}"
    )


if __name__ == "__main__":
    main()
