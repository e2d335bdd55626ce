"""The local environment file of a development checkout: ``var/local.env``.

`make run` (``manage.py devstack``) writes it once, with what a dev checkout needs and nobody
should have to type: DEBUG on, a generated SECRET_KEY, a Redis key prefix of its own (two
checkouts on one machine must not take each other's tasks off a shared Redis) and the demo
user's password, which therefore stays the same across restarts. ``manage.py`` reads it, so
every command of the README works as written in the checkout. Variables already in the
environment win over the file. Nothing else reads it: a deployment never has this file, and
the test suite sets what it needs itself.

No Django here: it runs before the settings are imported.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HEADER = (
    "# Written by `make run` for this checkout only (never for a deployment); manage.py reads it.\n"
    "# Variables set in the environment win over these. Delete the file to get new values.\n"
)


def path() -> Path:
    return Path(os.environ.get("WORKBENCH_VAR_DIR", BASE_DIR / "var")) / "local.env"


def read(file: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments are skipped."""
    values: dict[str, str] = {}
    if not file.is_file():
        return values
    for line in file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def load(file: Path | None = None) -> dict[str, str]:
    """Put the file's values into the environment where it does not set them already."""
    values = read(file or path())
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return values


def defaults() -> dict[str, str]:
    return {
        "DEBUG": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CELERY_BROKER_KEY_PREFIX": f"wb-{secrets.token_hex(4)}:",
        "DEMO_PASSWORD": secrets.token_urlsafe(12),
    }


def ensure(file: Path | None = None) -> Path:
    """Write the file, or add the values it lacks; values it has are kept (stable across restarts)."""
    file = file or path()
    current = read(file)
    missing = {key: value for key, value in defaults().items() if key not in current}
    if missing or not file.is_file():
        file.parent.mkdir(parents=True, exist_ok=True)
        values = {**current, **missing}
        body = HEADER + "".join(f"{key}={value}\n" for key, value in values.items())
        # Owner-only: it holds a secret key and a password.
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(body)
    return file
