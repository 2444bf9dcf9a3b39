"""What the benchmarks share: manage.py, their PostgreSQL database, the production server, percentiles."""

import http.client
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def in_process_settings() -> None:
    """Production settings for a benchmark that calls the application in its own process through
    Django's test client (signed in as a person): DEBUG off, the client's host allowed. Before Django
    or another benchmark module (which sets its own defaults) is imported."""
    os.environ.setdefault("OPORA_SECRET_KEY", "bench-only-not-secret")
    os.environ["OPORA_DEBUG"] = "0"
    os.environ.setdefault("OPORA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ.setdefault("OPORA_SECURE_COOKIES", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def postgres_database(fresh: bool) -> None:
    """Create the database of DATABASE_URL if missing; drop and recreate it when `fresh`."""
    import psycopg

    url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")  # the benchmark's own database, from its BENCH_*_DATABASE_URL
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare_postgres(bench: str, fresh: bool) -> None:
    """The benchmark's PostgreSQL database, migrated, and Django set up in this process."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit(f"{bench} работает на PostgreSQL: задайте DATABASE_URL")
    postgres_database(fresh)
    manage("migrate", "--noinput", "-v0")
    import django

    django.setup()


def start_server(port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """granian, WSGI, 2 workers (BENCH_WORKERS) of 8 threads (BENCH_THREADS) with a pool of as many
    PostgreSQL connections, as the README says to run `make serve`; returns once /healthz answers."""
    threads = os.environ.get("BENCH_THREADS", "8")
    command = [
        str(ROOT / ".venv" / "bin" / "granian"),
        "--interface", "wsgi", "--workers", os.environ.get("BENCH_WORKERS", "2"),
        "--blocking-threads", threads,
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "opora.wsgi:application",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "OPORA_DB_POOL_SIZE": threads, **(env or {})})
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("Сервер не запустился за 60 секунд")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]
