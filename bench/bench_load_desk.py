"""Which server and how many workers (or threads) the desk wants: a short, bounded loopback load test.

Starts a server on 127.0.0.1 for each configuration in LOAD_CONFIGS ("class:workers:threads",
comma-separated; class "granian" is the production server, ``python -m workbench.serve``; "sync"
and "gthread" are gunicorn's worker classes; default sync:3:1,gthread:3:4,granian:3:4), lets LOAD_CLIENTS (16)
concurrent clients request the desk of a 400-sentence article (40 claims with sources, 400
entity mentions) for LOAD_SECONDS (10) after a warm-up of single requests, and prints one JSON
line per configuration: requests per second, latency percentiles, errors, and the article's claim
count at its end (the load writes claims; each configuration starts from the same prepared 40).
Uses `wrk` (Debian package wrk) as the client, so the measuring does not compete for the GIL
with anything.

Needs PostgreSQL, as in production: LOAD_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/workbench_load; the database is created if missing), and
Debian's wrk; without either it prints a "skipped" line saying why (part of `make bench`).
Loopback only; every run stops by itself. The last line compares each configuration with the
first one ("sync:3:1", one request at a time per process, the baseline) measured in the same run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="load-desk-")
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/workbench_load")
ENV = {
    "DATABASE_URL": DATABASE_URL,
    "WORKBENCH_VAR_DIR": TMP,
    "DJANGO_SETTINGS_MODULE": "workbench.settings",
    "SECRET_KEY": "load-test-only-" + "x" * 40,
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
    # Throttles count per user: a load test of one user must not be throttled.
    "API_THROTTLE_USER": "",
}
os.environ.update(ENV)

SENTENCES = 400
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "16"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "10"))
CONFIGS = os.environ.get("LOAD_CONFIGS", "sync:3:1,gthread:3:4,granian:3:4").split(",")  # the first is the baseline
# "mixed" (the issue's workload): of every 10 requests, 5 desk pages (session), 3 claim lists and
# 2 claim creates (API token); "page": the desk page only.
MIX = os.environ.get("LOAD_MIX", "mixed")


def ensure_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def prepare() -> tuple[str, str, int, str, int]:
    """Migrate, create the project, the article, a session and a token.

    Returns the desk URL path, the session key, the article id, the token and the text length.
    """
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from annotations.models import ApiToken, Article, Claim, EntityMention, Membership, Project, Source

    call_command("migrate", verbosity=0)
    Project.objects.filter(slug="load").delete()
    user, _ = get_user_model().objects.get_or_create(username="load")
    project = Project.objects.create(name="Load", slug="load")
    Membership.objects.create(project=project, user=user, role="editor")
    sentence = "The minister said that 40 towns near Kharkiv were shelled in the past 24 hours."
    text = "\n".join(" ".join([sentence] * 4) for _ in range(SENTENCES // 4))
    article = Article.objects.create(project=project, title="Load", text=text, created_by=user)
    paragraph = len(" ".join([sentence] * 4)) + 1
    for i in range(SENTENCES // 10):
        start = i * paragraph * 2 + 1
        claim = Claim.objects.create(
            article=article,
            start=start,
            end=start + len(sentence) - 1,
            quote=text[start : start + len(sentence) - 1],
            created_by=user,
        )
        Source.objects.bulk_create([Source(claim=claim, url=f"https://example.org/{i}/{n}") for n in range(2)])
    EntityMention.objects.bulk_create(
        EntityMention(article=article, start=m.start(), end=m.end(), text="Kharkiv", label="GPE", model="bench")
        for m in re.finditer("Kharkiv", text)
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    _, key = ApiToken.issue(user, "load")
    path = f"/p/{project.slug}/articles/{article.pk}/"
    return path, session.session_key or "", article.pk, key, len(text)


def reset_claims(article: int, prepared: int) -> None:
    """Delete the claims a previous configuration's load created (ids above the prepared ones):
    every configuration starts on the same 40-claim page, not on the one its predecessor grew.
    Bench setup, not an app write door."""
    from annotations.models import Claim

    Claim.objects.filter(article_id=article, pk__gt=prepared).delete()


def mixed_script(path: str, cookie: str, article: int, key: str, length: int) -> Path:
    """A wrk script: 5 desk pages, 3 claim lists and 2 claim creates in every 10 requests."""
    script = Path(TMP) / "mixed.lua"
    script.write_text(
        f"""
counter = 0
request = function()
  counter = counter + 1
  local k = counter % 10
  if k < 5 then
    return wrk.format("GET", "{path}", {{["Cookie"] = "{cookie}"}})
  elseif k < 8 then
    return wrk.format("GET", "/api/v1/claims/?article={article}", {{["Authorization"] = "Token {key}"}})
  end
  local start = (counter * 37) % {length - 40}
  local body = string.format('{{"article": {article}, "start": %d, "end": %d, "verdict": "false"}}', start, start + 25)
  return wrk.format("POST", "/api/v1/claims/", {{["Authorization"] = "Token {key}",
    ["Content-Type"] = "application/json"}}, body)
end
"""
    )
    return script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, cookie: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            request = urllib.request.Request(url, headers={"Cookie": cookie})
            if urllib.request.urlopen(request, timeout=10).status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not answer within 60 s")


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, cookie: str, seconds: int, script: Path | None = None) -> dict[str, float | str]:
    output = subprocess.run(
        [
            "wrk",
            *(["-s", str(script)] if script else []),
            f"-t{min(2, CLIENTS)}",
            f"-c{CLIENTS}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    result: dict[str, float | str] = {}
    for percentile in ("50", "90", "99"):
        found = re.search(rf"^\s+{percentile}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{percentile}_ms"] = round(_ms(found.group(1)), 1) if found else float("nan")
    if os.environ.get("LOAD_DEBUG"):
        print(output, file=sys.stderr)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["requests_per_second"] = float(rate.group(1)) if rate else 0.0
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    result["errors"] = int(errors.group(1)) if errors else 0
    result["timeouts"] = int(timeouts.group(1)) if timeouts else 0
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        result["socket_errors"] = socket_errors.group(1)
    return result


def main() -> None:
    if not shutil.which("wrk"):
        print(json.dumps({"bench": "load_desk", "skipped": "wrk is not installed (apt-get install wrk)"}))
        return
    try:
        ensure_database()
    except Exception as error:  # noqa: BLE001 - any connection problem means "skip"
        print(json.dumps({"bench": "load_desk", "skipped": f"PostgreSQL not reachable at {DATABASE_URL}: {error}"}))
        return
    results: list[dict[str, Any]] = []
    path, session_key, article, key, length = prepare()
    from annotations.models import Claim

    prepared = Claim.objects.filter(article_id=article).order_by("-pk").values_list("pk", flat=True).first() or 0
    cookie = f"sessionid={session_key}"
    script = mixed_script(path, cookie, article, key, length) if MIX == "mixed" else None
    for config in CONFIGS:
        worker_class, workers, threads = config.split(":")
        reset_claims(article, prepared)
        port = free_port()
        url = f"http://127.0.0.1:{port}{path}"
        bind = f"127.0.0.1:{port}"
        if worker_class == "granian":
            command = ["workbench.serve", "--bind", bind, "--workers", workers, "--threads", threads]
        else:
            command = ["gunicorn", "workbench.wsgi", "--config", "/dev/null", "--bind", bind]
            command += ["--worker-class", worker_class, "--workers", workers, "--threads", threads, "--timeout", "60"]
        process = subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=ROOT,
            env={**os.environ, **ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(url, cookie, process)
            # Warm-up, one request at a time (a burst would leave a backlog for the measurement):
            # every worker process imports, compiles its templates and opens its connection.
            for _ in range(2 * int(workers) * int(threads)):
                urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=60).read()
            result = run_wrk(url, cookie, SECONDS, script)
        finally:
            process.terminate()
            process.wait(timeout=30)
        # The claims the load created stay until the next configuration's reset: count them here.
        result["claims_at_end"] = Claim.objects.filter(article_id=article).count()
        results.append({"config": config, **result})
        print(
            json.dumps(
                {
                    "bench": "load_desk",
                    "mix": MIX,
                    "config": config,
                    "clients": CLIENTS,
                    "seconds": SECONDS,
                    "cpus": os.cpu_count(),
                    "load_average_1m": round(os.getloadavg()[0], 2),
                    **result,
                }
            ),
            flush=True,
        )
    baseline = results[0]
    for result in results[1:]:
        rate = float(result["requests_per_second"])
        print(
            json.dumps(
                {
                    "bench": "load_desk",
                    "summary": "vs_baseline",
                    "config": result["config"],
                    "baseline": baseline["config"],
                    "requests_per_second": rate,
                    "baseline_requests_per_second": baseline["requests_per_second"],
                    "ratio": round(rate / max(float(baseline["requests_per_second"]), 0.001), 2),
                    "p99_ms": result["p99_ms"],
                    "goal": "at least 100 requests/s with p99 under 500 ms, 0 errors",
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
