"""`make bench-rush`: enrollment day. 200 groups × 15 seats open at one instant (a first-come
campaign); 10 000 distinct families apply through the HTTP API from 200 concurrent clients as fast
as they can, retrying a 503 after its Retry-After with the same idempotency key.

Counted afterwards from the database: no group holds more seats than it has (oversold), every
answer the clients got names an application that exists, and every family got a definite answer
(lost). The ceiling is the same server's rate on a trivial page (/healthz) in the same run.
"""

import http.client
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = int(os.environ.get("BENCH_FAMILIES", "10000"))
GROUPS = int(os.environ.get("BENCH_GROUPS", "200"))
SEATS = int(os.environ.get("BENCH_SEATS", "15"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "200"))
PORT = int(os.environ.get("BENCH_PORT", "8766"))
SERVER_ENV = {
    "OPORA_SECRET_KEY": "bench-only-not-secret",
    "OPORA_DEBUG": "0",
    "OPORA_ALLOWED_HOSTS": "127.0.0.1",
    "OPORA_DB_POOL_SIZE": os.environ.get("BENCH_POOL_SIZE", "8"),
    "OPORA_DB_POOL_TIMEOUT": "5",
    # Letters are not part of the measured path (in production they leave through the mail server).
    "OPORA_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
}
os.environ.update({k: v for k, v in SERVER_ENV.items() if k != "OPORA_DB_POOL_SIZE"})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
sys.path.insert(0, str(ROOT))

from bench.common import percentile, prepare_postgres, start_server  # noqa: E402


def setup() -> tuple[list[dict[str, str]], float]:
    """Groups, families with children and API tokens, and a campaign opening a few seconds later."""
    from datetime import date, timedelta

    from django.utils import timezone

    from accounts.models import ApiToken, Role, RoleAssignment, User, hash_token
    from catalog.models import Direction, Group, ModerationStatus, Organization, Program
    from core.testing import make_municipality, make_organization, make_region
    from enrollment.models import Campaign, CampaignKind
    from people.models import Child, Guardian

    region = make_region()
    municipality = make_municipality(region, "Энск")
    organization: Organization = make_organization(municipality, "Дворец творчества")
    today = timezone.localdate()
    programs = Program.objects.bulk_create(
        [
            Program(
                organization=organization,
                municipality=municipality,
                title=f"Программа {n}",
                summary="Программа для рывка записи.",
                direction=Direction.TECHNICAL,
                level_basic=True,
                age_from=5,
                age_to=17,
                hours_total=72,
                duration_months=9,
                is_free=True,
                status=ModerationStatus.PUBLISHED,
                code=f"PR-R{n:05d}",
            )
            for n in range(GROUPS // 10)
        ]
    )
    groups = Group.objects.bulk_create(
        [
            Group(
                program=programs[n // 10],
                name=f"Группа {n}",
                address=organization.address,
                academic_year=today.year,
                start_date=today + timedelta(days=30),
                end_date=today + timedelta(days=300),
                capacity=SEATS,
                code=f"GR-R{n:05d}",
            )
            for n in range(GROUPS)
        ]
    )
    users = User.objects.bulk_create(
        [User(email=f"family{n}@rush.test", first_name="Мама", last_name=f"Семья{n}") for n in range(FAMILIES)],
        batch_size=2000,
    )
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, role=Role.GUARDIAN) for u in users], batch_size=2000)
    guardians = Guardian.objects.bulk_create(
        [Guardian(user=u, last_name=u.last_name, first_name="Мама") for u in users], batch_size=2000
    )
    children = Child.objects.bulk_create(
        [
            Child(
                last_name=g.last_name,
                first_name="Ребёнок",
                birth_date=date(today.year - 10, 1, 15),
                sex="f",
                municipality=municipality,
            )
            for g in guardians
        ],
        batch_size=2000,
    )
    Child.guardians.through.objects.bulk_create(
        [Child.guardians.through(child_id=c.pk, guardian_id=g.pk) for c, g in zip(children, guardians, strict=True)],
        batch_size=2000,
    )
    raws = [f"opora_rush_{uuid.uuid4().hex}" for _ in users]
    ApiToken.objects.bulk_create(
        [
            ApiToken(user=u, name="rush", digest=hash_token(raw), prefix=raw[6:14])
            for u, raw in zip(users, raws, strict=True)
        ],
        batch_size=2000,
    )
    opens = timezone.now() + timedelta(seconds=15)
    campaign = Campaign.objects.create(
        municipality=municipality, name="Рывок", kind=CampaignKind.FIRST_COME, opens_at=opens
    )
    campaign.programs.set(programs)
    families = []
    for n, (child, raw) in enumerate(zip(children, raws, strict=True)):
        group = groups[(n * 7919) % GROUPS]  # spread over the groups, popular and not
        families.append({"token": raw, "child": str(child.uuid), "program": group.program.code, "group": group.code})
    return families, opens.timestamp()


def ceiling(seconds: float = 5.0) -> float:
    """Requests per second on /healthz from CLIENTS clients."""
    stop = time.perf_counter() + seconds
    done = Counter[str]()
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        count = 0
        while time.perf_counter() < stop:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            count += 1
        with lock:
            done["n"] += count

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        for _ in range(CLIENTS):
            pool.submit(client)
    return done["n"] / (time.perf_counter() - started)


def apply(conn_holder: list[http.client.HTTPConnection], family: dict[str, str]) -> dict[str, object]:
    """One family until a definite answer: 200/201 (applied), 4xx (refused); 503 and dropped
    connections are retried with the same key."""
    body = json.dumps({"child": family["child"], "program": family["program"], "group": family["group"]})
    key = uuid.uuid4().hex
    started = time.perf_counter()
    statuses: list[int] = []
    for _ in range(50):
        try:
            conn = conn_holder[0]
            conn.request(
                "POST",
                "/api/v1/applications",
                body=body,
                headers={
                    "Authorization": f"Bearer {family['token']}",
                    "Idempotency-Key": key,
                    "Content-Type": "application/json",
                },
            )
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            conn_holder[0] = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            statuses.append(0)
            time.sleep(0.2)
            continue
        statuses.append(response.status)
        if response.status == 503:
            time.sleep(float(response.getheader("Retry-After") or 1))
            continue
        answer = json.loads(payload) if payload else {}
        return {
            "status": response.status,
            "code": answer.get("code"),
            "state": answer.get("status"),
            "ms": (time.perf_counter() - started) * 1000,
            "statuses": statuses,
            "key": key,
        }
    return {"status": None, "ms": (time.perf_counter() - started) * 1000, "statuses": statuses, "key": key}


def rush(families: list[dict[str, str]], opens_at: float) -> tuple[list[dict[str, object]], float]:
    chunks = [families[i::CLIENTS] for i in range(CLIENTS)]
    results: list[dict[str, object]] = []
    lock = threading.Lock()

    def client(chunk: list[dict[str, str]]) -> None:
        holder = [http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)]
        time.sleep(max(0.0, opens_at - time.time()))  # everyone at the opening instant
        mine = [apply(holder, family) for family in chunk]
        with lock:
            results.extend(mine)

    time.sleep(max(0.0, opens_at - time.time()))
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, chunks))
    return results, time.perf_counter() - started


def main() -> None:
    prepare_postgres("bench-rush", fresh=True)
    families, opens_at = setup()
    print(f"{len(families)} семей, {GROUPS} групп по {SEATS} мест; приём откроется через "
          f"{opens_at - time.time():.0f} с", flush=True)  # fmt: skip
    server = start_server(PORT, SERVER_ENV)
    try:
        top = ceiling()
        results, seconds = rush(families, opens_at)
    finally:
        server.terminate()
        server.wait(10)
    from django.db import connection
    from django.db.models import Count, F, Q

    from catalog.models import Group
    from enrollment.models import Application

    connection.close()
    statuses = Counter(r["status"] for r in results)
    seen = Counter(s for r in results for s in r["statuses"])  # type: ignore[attr-defined]
    in_db = dict(Application.objects.values_list("code", "status"))
    answered = [r for r in results if r["status"] in (200, 201)]
    lost = sum(1 for r in results if r["status"] is None) + sum(1 for r in answered if r["code"] not in in_db)
    held = Group.objects.annotate(
        holding=Count("applications", filter=Q(applications__status__in=["invited", "enrolled"]))
    )
    oversold = held.filter(Q(seats_taken__gt=F("capacity")) | Q(holding__gt=F("capacity"))).count()
    placed = sum(1 for status in in_db.values() if status in ("invited", "enrolled"))
    waitlisted = sum(1 for status in in_db.values() if status == "waitlisted")
    latencies = [float(r["ms"]) for r in results]  # type: ignore[arg-type]
    errors_5xx = sum(n for status, n in seen.items() if status and status >= 500 and status != 503)
    rate = len([r for r in results if r["status"] is not None]) / seconds
    print(f"answers={dict(statuses)} seen={dict(seen)} seconds={seconds:.1f}", flush=True)
    print(
        f"BENCH rush applicants={len(families)} seats={GROUPS * SEATS} enrolled_or_offered={placed} "
        f"waitlisted={waitlisted} oversold={oversold} lost={lost} http_5xx={errors_5xx} rate_per_s={rate:.0f} "
        f"p95_ms={percentile(latencies, 95):.0f} p99_ms={percentile(latencies, 99):.0f} ceiling_rate_per_s={top:.0f}"
    )


if __name__ == "__main__":
    main()
