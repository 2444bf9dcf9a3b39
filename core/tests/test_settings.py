"""Settings read from the environment, loaded afresh in a child process for each environment."""

import json
import os
import subprocess
import sys

from django.conf import settings

SHOW_DATABASE = "import json, opora.settings as s; print(json.dumps(s.DATABASES['default'], default=str))"


def database_settings(**environment: str) -> dict:
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPORA_DB_")}
    env.update(OPORA_SECRET_KEY="test-only", **environment)
    shown = subprocess.run(  # noqa: S603 -- this interpreter, a fixed program
        [sys.executable, "-c", SHOW_DATABASE],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(shown.stdout)


def test_behind_a_transaction_pooler_neither_prepared_statements_nor_server_side_cursors():
    direct = database_settings(DATABASE_URL="postgres://opora@db.example:5432/opora")
    assert direct["OPTIONS"]["prepare_threshold"] == 2 and not direct.get("DISABLE_SERVER_SIDE_CURSORS")
    pooled = database_settings(DATABASE_URL="postgres://opora@db.example:5432/opora", OPORA_DB_PREPARED_STATEMENTS="0")
    assert "prepare_threshold" not in pooled.get("OPTIONS", {}) and pooled["DISABLE_SERVER_SIDE_CURSORS"] is True
