"""`make fuzz-api`: the API fuzzed from its own OpenAPI schema by schemathesis, as three people.

A throwaway SQLite demo (var/fuzz.sqlite3: 2 municipalities, 20 organizations, 200 programs) is
loaded, an API token issued to an organization's operator, a municipal operator and a family, the
server started, and schemathesis sends every operation thousands of generated requests — valid,
invalid, out of range — as each of them. The check is that no answer is a server error: bad input
must get a 4xx with a message, never a 500. Fails when any is found, with the requests to replay.
"""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = ROOT / "var" / "fuzz.sqlite3"
PORT = int(os.environ.get("FUZZ_PORT", "8767"))
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "25")  # per operation and phase
SEED = os.environ.get("FUZZ_SEED", "20261205")
PEOPLE = ("operator", "municipal", "family")
ENV = {
    **os.environ,
    "DATABASE_URL": f"sqlite:///{DATABASE}",
    "OPORA_DEBUG": "0",
    "OPORA_SECRET_KEY": "fuzz-only-not-secret",
    "OPORA_ALLOWED_HOSTS": "127.0.0.1",
    "OPORA_SECURE_COOKIES": "0",
}


def manage(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    ).stdout


def main() -> None:
    DATABASE.unlink(missing_ok=True)
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    manage("load_demo", "--municipalities", "2", "--organizations", "20", "--programs", "200", "--children", "500")
    tokens = {}
    for who in PEOPLE:
        tokens[who] = manage("issue_api_token", "--email", f"{who}@demo.opora", "--name", "fuzz").strip()
    log = (ROOT / "var" / "fuzz-server.log").open("w")  # every refused request is logged: kept out of sight
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "granian"), "--interface", "wsgi", "--workers", "1", "--port", str(PORT),
         "--log-level", "warning", "opora.wsgi:application"],
        cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    schema = f"http://127.0.0.1:{PORT}/api/v1/openapi.json"
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(schema, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        generated = failed = 0
        for who, token in tokens.items():
            run = subprocess.run(
                [str(ROOT / ".venv-fuzz" / "bin" / "st"), "run", schema, "--header", f"Authorization: Bearer {token}",
                 "--checks", "not_a_server_error", "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "2"],
                cwd=ROOT / "var", capture_output=True, text=True,  # its cache of past failures stays in var/
            )  # fmt: skip
            summary = re.search(r"(\d+) generated(?:, (\d+) found)?", run.stdout)
            generated += int(summary.group(1)) if summary else 0
            found = int(summary.group(2) or 0) if summary else 0
            failed += found
            print(f"{who}: {summary.group(0) if summary else 'no summary'}", flush=True)
            if found or not summary:
                print(run.stdout[-20000:], run.stderr[-5000:], sep="\n", flush=True)
                print(f"the server's log: {log.name}", flush=True)
    finally:
        server.terminate()
        server.wait(10)
        log.close()
    print(f"FUZZ api people={len(PEOPLE)} requests={generated} server_errors={failed}")
    if failed or not generated:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
