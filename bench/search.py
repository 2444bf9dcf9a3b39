"""`make bench-search`: catalog search at 100 000 programs in 5 000 organizations, on PostgreSQL.

Generates the catalog (once; reused while its size matches), starts the production server
(granian, WSGI, 2 workers, DEBUG off, Redis cache), then sends 600 searches as families make them —
text, filters, both — through the search page and through the API.
The page's own database time comes from its Server-Timing header, so "sql" is the same query's
database time alone, measured inside the same request.
"""

import http.client
import os
import random
import re
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = int(os.environ.get("BENCH_PROGRAMS", "100000"))
ORGANIZATIONS = int(os.environ.get("BENCH_ORGANIZATIONS", "5000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "600"))
# Latency is measured with one client at a time (server, database and client share two cores);
# a second pass with one client per worker shows the same searches under load.
LOAD_CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "2"))
CONNECTIONS_PER_CLIENT = 8
PORT = int(os.environ.get("BENCH_PORT", "8765"))
ORGANIZATION_QUERIES = 200  # through the list of organizations (a fifth of them on its map)
MAP_QUERIES = 200  # the same searches «На карте» (a map's page is larger: its places' lists, not 20 cards)
SERVER_TIMING = re.compile(r'db;dur=([0-9.]+);desc="(\d+)')
SITEMAP_LOC = re.compile(r"<loc>([^<]+)</loc>")

os.environ.setdefault("OPORA_SECRET_KEY", "bench-only-not-secret")
os.environ["OPORA_DEBUG"] = "0"
os.environ.setdefault("OPORA_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
sys.path.insert(0, str(ROOT))

from bench.common import manage, percentile, prepare_postgres, start_server  # noqa: E402


def ensure_catalog() -> None:
    from catalog.models import Organization, Program, StudyPlace

    # A catalog made before organizations had study places (groups held in schools) is made again.
    made = Program.objects.count() == PROGRAMS and Organization.objects.count() == ORGANIZATIONS
    if made and StudyPlace.objects.exists():
        print(f"Каталог уже создан: {PROGRAMS} программ, {ORGANIZATIONS} организаций", flush=True)
        return
    start = time.perf_counter()
    manage(
        "load_demo",
        "--reset",
        "--organizations",
        str(ORGANIZATIONS),
        "--programs",
        str(PROGRAMS),
        "--municipalities",
        "40",
        "--children",
        "20000",
    )
    print(f"Каталог создан за {time.perf_counter() - start:.0f} с", flush=True)


def make_queries(rng: random.Random) -> list[dict[str, object]]:
    """Searches as families make them: a word of the catalog (often inflected or mistyped),
    their municipality, the child's age, a direction, sometimes free-only or a day, sometimes from
    where they are («Рядом со мной»), the nearest first."""
    from collections import Counter

    from catalog import text
    from catalog.models import Direction, Organization, Program
    from territory.models import Municipality

    # Families type what programs are called: words of titles, as often as titles use them.
    titles = Program.objects.filter(status="published").values_list("title", flat=True).iterator()
    counts = Counter(w for title in titles for w in text.words(title) if len(w) > 3 and w not in text.STOPWORDS)
    words, weights = list(counts), list(counts.values())
    municipalities = list(Municipality.objects.values_list("oktmo", flat=True))
    # «Рядом со мной»: a family at home, some hundreds of metres from one of its town's organizations.
    places = [
        (float(latitude), float(longitude))
        for latitude, longitude in Organization.objects.values_list("latitude", "longitude")
        if latitude is not None and longitude is not None
    ]
    endings = ["", "", "е", "ой", "и", "у", "ами"]
    queries: list[dict[str, object]] = []
    for _ in range(QUERIES):
        q: dict[str, object] = {}
        kind = rng.random()
        if kind < 0.7:
            word = rng.choices(words, weights=weights)[0]
            if rng.random() < 0.3 and len(word) > 5:
                word = word[:-1] + rng.choice(endings)  # an inflected or truncated form
            if rng.random() < 0.05:
                i = rng.randrange(1, len(word) - 1)
                word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # a typo: two letters swapped
            q["q"] = word
        if kind > 0.4 or rng.random() < 0.5:
            q["municipality"] = rng.choice(municipalities)
        if rng.random() < 0.5:
            q["age"] = rng.randint(5, 17)
        if rng.random() < 0.35:
            q["direction"] = rng.choice(list(Direction)).value
        if rng.random() < 0.2:
            q["funding"] = rng.choice(["free", "certificate", "paid"])
        if rng.random() < 0.1:
            q["free_seats"] = "on"
        if rng.random() < 0.1:
            q["day"] = str(rng.randrange(7))
        if rng.random() < 0.15:
            q["sort"] = rng.choice(["popular", "title", "new"])
        if rng.random() < 0.15:
            latitude, longitude = rng.choice(places)
            q["near"] = (
                f"{float(latitude) + rng.uniform(-0.01, 0.01):.3f},{float(longitude) + rng.uniform(-0.02, 0.02):.3f}"
            )
            if rng.random() < 0.8:
                q["sort"] = "near"
            if rng.random() < 0.3:
                q["within"] = rng.choice(["1", "3", "5", "10"])
        if rng.random() < 0.15:
            q["page"] = rng.randint(2, 4)
        queries.append(q)
    return queries


def make_organization_queries(rng: random.Random, count: int) -> list[dict[str, object]]:
    """The list of organizations as families use it: a word of organizations' names (a type of school, a centre,
    a number), their municipality, a kind or a unit, from where they are, on the map."""
    from catalog import text
    from catalog.models import Organization, OrganizationKind, UnitKind
    from territory.models import Municipality

    names = Organization.objects.filter(is_active=True).values_list("short_name", flat=True)
    words = sorted({w for name in names for w in text.words(name) if len(w) > 3 and w not in text.STOPWORDS})
    municipalities = list(Municipality.objects.values_list("oktmo", flat=True))
    places = [
        (float(latitude), float(longitude))
        for latitude, longitude in Organization.objects.values_list("latitude", "longitude")[:2000]
        if latitude is not None and longitude is not None
    ]
    queries: list[dict[str, object]] = []
    for _ in range(count):
        q: dict[str, object] = {}
        if rng.random() < 0.5:
            q["q"] = rng.choice(words)
        if rng.random() < 0.6:
            q["municipality"] = rng.choice(municipalities)
        if rng.random() < 0.25:
            q["kind"] = rng.choice(OrganizationKind.values)
        if rng.random() < 0.15:
            q["unit"] = rng.choice(UnitKind.values)
        if rng.random() < 0.1:
            q["ovz"] = "on"
        if rng.random() < 0.2:
            latitude, longitude = rng.choice(places)
            q["near"], q["sort"] = f"{latitude:.3f},{longitude:.3f}", "near"
        elif rng.random() < 0.2:
            q["sort"] = "programs"
        if rng.random() < 0.2:
            q["view"] = "map"
        queries.append(q)
    return queries


def run(paths: list[str], clients: int = 1) -> list[tuple[float, float, int]]:
    """(client milliseconds, database milliseconds, statements) per request, `clients` at a time, keep-alive.

    Each client sends its requests in turn over CONNECTIONS_PER_CLIENT open connections: a
    connection stays with the worker that accepted it, and the workers' caches (words, cards) are
    their own, so over one connection a run would meet either only caches that saw these searches
    or only caches that did not, by chance. Over several, about half of the searches meet a warm
    cache whatever the draw, as in a server that has seen some of its families' searches before."""
    chunks = [paths[i::clients] for i in range(clients)]

    def client(chunk: list[str]) -> list[tuple[float, float, int]]:
        connections = [http.client.HTTPConnection("127.0.0.1", PORT, timeout=30) for _ in range(CONNECTIONS_PER_CLIENT)]
        for conn in connections:
            conn.connect()
        out = []
        for n, path in enumerate(chunk):
            conn = connections[n % len(connections)]
            start = time.perf_counter()
            database, statements = 0.0, 0
            while True:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if match := SERVER_TIMING.search(response.getheader("Server-Timing") or ""):
                    database, statements = database + float(match.group(1)), statements + int(match.group(2))
                if response.status != 302:
                    break
                # A filter written into the query («малышей», «бесплатно»): the page sends the family on to
                # the search with that filter — both requests are the search it waits for.
                path = urllib.parse.urljoin(path, response.getheader("Location") or "")
            elapsed = (time.perf_counter() - start) * 1000
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
            out.append((elapsed, database, statements))
        for conn in connections:
            conn.close()
        return out

    with ThreadPoolExecutor(clients) as pool:
        return [item for part in pool.map(client, chunks) for item in part]


def sitemap_pages() -> tuple[list[str], float]:
    """The sitemap's pages its index names (10 000 programs each), as paths, and the index's milliseconds."""
    start = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/sitemap.xml", timeout=30) as response:
        index = response.read().decode()
    elapsed = (time.perf_counter() - start) * 1000
    return [
        urllib.parse.urlsplit(loc)._replace(scheme="", netloc="").geturl() for loc in SITEMAP_LOC.findall(index)
    ], elapsed


def measure_index_rebuild(times: int = 3) -> str:
    """What a process pays when the catalog changed: the index rebuilt in its background thread
    (wall and CPU time), and the longest the interpreter went without switching threads meanwhile,
    as a page served by that process would wait for it (a thread waking every 0.5 ms sees it)."""
    import threading

    from catalog.search_index import build_index

    pauses: list[float] = []
    done = threading.Event()

    def heartbeat() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.0005)
            now = time.perf_counter()
            pauses.append((now - last) * 1000)
            last = now

    walls, cpus = [], []
    watcher = threading.Thread(target=heartbeat)
    watcher.start()
    try:
        for _ in range(times):
            start, cpu = time.perf_counter(), time.thread_time()
            index = build_index("bench")
            walls.append((time.perf_counter() - start) * 1000)
            cpus.append((time.thread_time() - cpu) * 1000)
    finally:
        done.set()
        watcher.join()
    return (
        f"index rebuild: programs={index.everything.bit_count()} build_ms={min(walls):.0f} cpu_ms={min(cpus):.0f} "
        f"longest_pause_ms={max(pauses):.0f}"
    )


def main() -> None:
    prepare_postgres("bench-search", fresh=False)
    ensure_catalog()
    manage("collectstatic", "--noinput", "-v0")
    rebuild = measure_index_rebuild()
    queries = make_queries(random.Random(20261123))
    page_paths = ["/programs/?" + urllib.parse.urlencode(q) for q in queries]
    organization_paths = [
        "/organizations/?" + urllib.parse.urlencode(q)
        for q in make_organization_queries(random.Random(20261207), ORGANIZATION_QUERIES)
    ]
    api_paths = [
        "/api/v1/programs?" + urllib.parse.urlencode(q).replace("free_seats=on", "free_seats=true") for q in queries
    ]
    organization_api_paths = [
        f"/api/v1/organizations/{'map' if q.pop('view', None) else 'search'}?"
        + urllib.parse.urlencode(q).replace("ovz=on", "ovz=true")
        for q in make_organization_queries(random.Random(20261207), ORGANIZATION_QUERIES)
    ]
    # The sitemap's pages are cached for an hour (opora.urls): an earlier run's must not be measured. The benchmark's
    # own Redis database: nothing else is lost.
    manage("shell", "-c", "from django.core.cache import cache; cache.clear()")
    server = start_server(PORT)
    try:
        run(page_paths[:40] + api_paths[:40], LOAD_CLIENTS)  # load code and indexes in both workers
        loaded = run(page_paths, LOAD_CLIENTS)
        pages = run(page_paths)
        api = run(api_paths)
        maps = run([path + "&view=map" for path in page_paths[:MAP_QUERIES]])  # «На карте»: 300 programs' places
        listed = run(organization_paths)
        listed_api = run(organization_api_paths)
        sitemap_paths, sitemap_index_ms = sitemap_pages()
        sitemap, sitemap_cached = run(sitemap_paths), run(["/sitemap.xml", *sitemap_paths])
    finally:
        server.terminate()
        server.wait(10)
    page_ms = [t for t, _, _ in pages]
    sql_ms = [d for _, d, _ in pages]
    api_ms = [t for t, _, _ in api]
    loaded_ms = [t for t, _, _ in loaded]
    print(
        f"under load: clients={LOAD_CLIENTS} server=granian-wsgi-2 page_p50_ms={percentile(loaded_ms, 50):.1f} "
        f"page_p95_ms={percentile(loaded_ms, 95):.1f} sql_p95_ms={percentile([d for _, d, _ in loaded], 95):.2f}"
    )
    outside_sql = [t - d for t, d, _ in pages]  # the page's own time: Python, templates, HTTP
    print(
        f"one client: page_p99_ms={percentile(page_ms, 99):.1f} api_p50_ms={percentile(api_ms, 50):.1f} "
        f"sql_p50_ms={percentile(sql_ms, 50):.2f} page_max_ms={max(page_ms):.1f} "
        f"outside_sql_p50_ms={percentile(outside_sql, 50):.2f} outside_sql_p95_ms={percentile(outside_sql, 95):.2f}"
    )
    map_ms = [t for t, _, _ in maps]
    print(
        f"on the map: queries={len(maps)} page_p50_ms={percentile(map_ms, 50):.1f} "
        f"page_p95_ms={percentile(map_ms, 95):.1f} sql_p95_ms={percentile([d for _, d, _ in maps], 95):.2f}"
    )
    listed_ms = [t for t, _, _ in listed]
    print(
        f"the list of organizations: queries={len(listed)} page_p50_ms={percentile(listed_ms, 50):.1f} "
        f"page_p95_ms={percentile(listed_ms, 95):.1f} sql_p95_ms={percentile([d for _, d, _ in listed], 95):.2f} "
        f"api_p95_ms={percentile([t for t, _, _ in listed_api], 95):.1f}"
    )
    sitemap_ms = [t for t, _, _ in sitemap]
    print(
        f"the sitemap: pages={len(sitemap)} index_ms={sitemap_index_ms:.0f} "
        f"page_p50_ms={percentile(sitemap_ms, 50):.0f} page_max_ms={max(sitemap_ms):.0f} "
        f"sql_max_ms={max(d for _, d, _ in sitemap):.0f} "
        f"cached_max_ms={max(t for t, _, _ in sitemap_cached):.1f}"
    )
    print(rebuild)
    # SQL p95 falls where pages of one, two and three statements meet: show each group.
    groups = {n: [d for _, d, count in pages if count == n] for n in sorted({count for _, _, count in pages})}
    print("sql by statements per page: " + ", ".join(
        f"{n}: {len(ds)} pages, p50 {percentile(ds, 50):.2f} ms, max {max(ds):.2f} ms" for n, ds in groups.items()
    ))  # fmt: skip
    page_p95, sql_p95 = percentile(page_ms, 95), percentile(sql_ms, 95)
    print(
        f"BENCH search programs={PROGRAMS} queries={len(queries)} page_p50_ms={percentile(page_ms, 50):.1f} "
        f"page_p95_ms={page_p95:.1f} api_p95_ms={percentile(api_ms, 95):.1f} sql_p95_ms={sql_p95:.2f} "
        f"ratio_page_to_sql={page_p95 / max(sql_p95, 0.01):.2f}"
    )


if __name__ == "__main__":
    main()
