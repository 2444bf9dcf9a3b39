"""`make bench-alerts`: the check of search alerts («Сообщать о новых программах») at regional size, on PostgreSQL.

Uses the catalog of `make bench-search` (100 000 programs in 5 000 organizations; generated when missing).
20 000 alerts of 4 000 parents — five each, drawn from 20 000 searches as families make them (the search
benchmark's kind, their page and order left out) — are checked once after 100 programs were published: the new
programs read once, an index built for the run, each different search searched once, the alerts taken 500 at a time
under a lock of their rows, a letter written for each that finds something. All of it in one transaction rolled
back at the end: the catalog stays as it was and no letter leaves.
"""

import os
import random
import sys
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import in_process_settings, prepare_postgres  # noqa: E402

ALERTS = int(os.environ.get("BENCH_ALERTS", "20000"))
# As many searches drawn as there are alerts: most of them different (a word, a municipality, an age…), each
# searched once per run however many parents keep it.
os.environ.setdefault("BENCH_QUERIES", str(ALERTS))
in_process_settings()
from bench.search import ensure_catalog, make_queries  # noqa: E402

PER_PARENT = 5
NEW_PROGRAMS = 100


def main() -> None:
    prepare_postgres("bench-alerts", fresh=False)
    ensure_catalog()
    from django.core.exceptions import ValidationError
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import User
    from catalog.models import ModerationStatus, Program
    from catalog.search_index import current_index
    from enrollment import search_alerts
    from enrollment.models import SearchAlert, SearchAlertProgram
    from people.models import Guardian
    from territory.models import Municipality

    rng = random.Random(20261207)
    searches: list[str] = []
    for query in make_queries(rng):
        try:
            searches.append(search_alerts.kept_query(urllib.parse.urlencode(query)))
        except ValidationError:
            continue  # a search of nothing but a page or an order: never kept
    searches = list(dict.fromkeys(searches))
    with transaction.atomic():
        now = timezone.now()
        parents = User.objects.bulk_create(
            [User(email=f"bench-alerts-{n}@example.test") for n in range(ALERTS // PER_PARENT)]
        )
        SearchAlert.objects.bulk_create(
            [
                SearchAlert(**search_alerts.alert_fields(parent, query, now - timedelta(hours=1)))
                for parent in parents
                for query in rng.sample(searches, PER_PARENT)
            ]
        )
        published = Program.objects.filter(status=ModerationStatus.PUBLISHED)
        new = rng.sample(list(published.values_list("pk", flat=True)), NEW_PROGRAMS)
        Program.objects.filter(pk__in=new).update(published_at=now - timedelta(minutes=1))
        start = time.perf_counter()
        letters = search_alerts.notify_new_programs(now)
        elapsed = time.perf_counter() - start
        told = SearchAlertProgram.objects.count()
        again = time.perf_counter()
        assert search_alerts.notify_new_programs(now + timedelta(seconds=1)) == 0  # nothing twice
        quiet = time.perf_counter() - again
        # The monitoring's «Что ищут семьи» of the region (every municipality) and of its largest town, in a process
        # whose search index is built (a server's is, from its start).
        current_index()
        region = list(Municipality.objects.values_list("pk", flat=True))
        town = Guardian.objects.values("municipality").annotate(n=Count("pk")).order_by("-n")[0]["municipality"]
        demand_ms = {}
        for name, ids in (("region", region), ("town", [int(town)])):
            started = time.perf_counter()
            rows = search_alerts.demand(ids)
            demand_ms[name] = ((time.perf_counter() - started) * 1000, len(rows))
        transaction.set_rollback(True)
    alerts = len(parents) * PER_PARENT
    print(f"searches: {len(searches)} different, a second run with nothing new: {quiet:.2f} s")
    print(
        "what families wait for (the monitoring's table): "
        + ", ".join(f"{name} {ms:.0f} ms ({rows} rows)" for name, (ms, rows) in demand_ms.items())
    )
    print(
        f"BENCH alerts alerts={alerts} parents={len(parents)} new_programs={NEW_PROGRAMS} letters={letters} "
        f"programs_told={told} run_s={elapsed:.1f} per_alert_ms={elapsed * 1000 / alerts:.2f}"
    )


if __name__ == "__main__":
    main()
