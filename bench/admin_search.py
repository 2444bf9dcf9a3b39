"""`make bench-admin-search`: the admin's lists searched at regional size, on PostgreSQL.

Uses the catalog of `make bench-search` (100 000 programs, 5 000 organizations, 108 000 children;
generated when missing). Every list of the admin that has a search is searched as an administrator
would: by a child's or teacher's family name, a word of a program's title, a town, a code typed in
small letters; each page is opened as a signed-in administrator (rows, their count, the page).
"""

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import in_process_settings, percentile, prepare_postgres  # noqa: E402

in_process_settings()
from bench.search import ensure_catalog  # noqa: E402


def search_terms(rng: random.Random) -> list[str]:
    from catalog.models import Organization, Program
    from enrollment.models import Application
    from people.models import Child, Teacher

    def some(values: list[str], n: int) -> list[str]:
        return rng.sample(values, min(n, len(values)))

    names = list(Child.objects.values_list("last_name", flat=True)[:2000])
    teachers = list(Teacher.objects.values_list("last_name", flat=True)[:2000])
    titles = [w for t in Program.objects.values_list("title", flat=True)[:2000] for w in t.split() if len(w) > 4]
    towns = [n.rsplit(" ", 1)[-1] for n in Organization.objects.values_list("short_name", flat=True)[:500]]
    codes = [
        *Program.objects.values_list("code", flat=True)[:200],
        *Application.objects.values_list("code", flat=True)[:200],
    ]
    return [
        *some(names, 3),
        *some(teachers, 2),
        *some(titles, 3),
        *some(towns, 1),
        *(c.lower() for c in some(codes, 2)),
    ]


def main() -> None:
    prepare_postgres("bench-admin-search", fresh=False)
    ensure_catalog()
    from django.contrib import admin
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email="admin@demo.opora"))
    terms = search_terms(random.Random(20261204))
    lists = [m for m, model_admin in admin.site._registry.items() if model_admin.search_fields]
    pages, statements = [], []
    slowest = (0.0, "")
    for model in lists:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        client.get(url)  # the list's code and templates loaded
        for term in terms:
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, {"q": term})
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url}?q={term}: HTTP {response.status_code}")
            pages.append(elapsed)
            statements.append(max(float(q["time"]) * 1000 for q in captured.captured_queries))
            slowest = max(slowest, (elapsed, f"{url}?q={term}"))
    print(f"slowest page: {slowest[1]} {slowest[0]:.0f} ms")
    print(
        f"BENCH admin-search lists={len(lists)} searches={len(pages)} page_p50_ms={percentile(pages, 50):.0f} "
        f"page_p95_ms={percentile(pages, 95):.0f} page_max_ms={max(pages):.0f} "
        f"statement_p95_ms={percentile(statements, 95):.0f} statement_max_ms={max(statements):.0f}"
    )


if __name__ == "__main__":
    main()
