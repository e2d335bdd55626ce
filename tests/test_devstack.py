"""`make run` end to end: the devstack command serves the login page and the seed article."""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.worker
def test_devstack_serves_login_and_the_seed_article_with_a_worker(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update(DEBUG="1", WORKBENCH_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    log_path = tmp_path / "devstack.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "devstack", "--addr", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        output = ""
        while time.monotonic() < deadline:
            output = log_path.read_text(errors="replace")
            if "celery@" in output and " ready." in output and "Demo login" in output:
                break
            assert process.poll() is None, output
            time.sleep(0.3)
        else:
            pytest.fail(f"devstack did not start:\n{output}")
        user, password = re.search(r"Demo login: user (\S+)  password (\S+)", output).groups()
        # The login comes last, after the worker's banner, with the URL beside it.
        assert output.index(" ready.") < output.index("Demo login")
        assert f"Serving on http://127.0.0.1:{port}/" in output[output.index(" ready.") :]
        assert user == "demo-editor"
        # The checkout's local environment: what manage.py reads, the same password, its own prefix.
        local = (tmp_path / "local.env").read_text()
        assert f"DEMO_PASSWORD={password}\n" in local
        assert re.search(r"^CELERY_BROKER_KEY_PREFIX=wb-[0-9a-f]{8}:$", local, re.MULTILINE)
        assert "Redis keys of this checkout start with 'wb-" in output

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{port}"
        login_page = opener.open(f"{base}/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode({"username": user, "password": password, "csrfmiddlewaretoken": token})
        request = urllib.request.Request(f"{base}/login/", data=form.encode(), headers={"Referer": f"{base}/login/"})
        projects = opener.open(request, timeout=30).read().decode()
        assert "Demo project" in projects
        articles = opener.open(f"{base}/p/demo/", timeout=30).read().decode()
        article_path = re.search(r'href="(/p/demo/articles/\d+/)"', articles).group(1)
        article = opener.open(base + article_path, timeout=30).read().decode()
        # As read on the page: once the worker has run, entity highlights split the text into spans.
        shown = html.unescape(re.sub(r"<[^>]+>", "", article))
        assert "Russia has the advantage, but we are doing everything we can" in shown
        # Nobody touches it: the worker's extraction pass scores its sentences, and the desk
        # shows the ranked suggestions (the first load may come before the worker is done).
        deadline = time.monotonic() + 120
        while 'class="suggestion"' not in article and time.monotonic() < deadline:
            time.sleep(1)
            article = opener.open(base + article_path, timeout=30).read().decode()
        assert article.count('class="suggestion"') == 10, "no suggestions on the seed article"
        article_id = re.search(r"/articles/(\d+)/", article_path).group(1)
        ranked = json.loads(opener.open(f"{base}/api/v1/articles/{article_id}/suggestions/", timeout=30).read())
        assert ranked["count"] > 40 and ranked["results"][0]["score"] >= ranked["results"][-1]["score"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    # Every child (web server, worker, embedded broker) went down with it.
    for _ in range(50):
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("processes of the devstack group outlived it")


# --- the checkout's local environment (var/local.env) ------------------------------------------


def test_the_local_env_file_keeps_its_values(tmp_path):
    from workbench import localenv

    file = localenv.ensure(tmp_path / "local.env")
    first = localenv.read(file)
    assert set(first) == {"DEBUG", "SECRET_KEY", "CELERY_BROKER_KEY_PREFIX", "DEMO_PASSWORD"}
    assert first["DEBUG"] == "1" and len(first["SECRET_KEY"]) > 50
    assert oct(file.stat().st_mode & 0o777) == "0o600"
    assert localenv.read(localenv.ensure(file)) == first  # a restart keeps the password and the key


def test_the_environment_wins_over_the_local_env_file(tmp_path, monkeypatch):
    from workbench import localenv

    file = tmp_path / "local.env"
    file.write_text("# comment\nDEBUG=1\nDEMO_PASSWORD=from-file\n")
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    localenv.load(file)
    assert os.environ["DEBUG"] == "0"
    assert os.environ["DEMO_PASSWORD"] == "from-file"


def _manage(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}}
    clean.update(WORKBENCH_VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_a_readme_command_works_as_written_in_a_checkout_after_make_run(tmp_path):
    from workbench import localenv

    localenv.ensure(tmp_path / "local.env")  # what `make run` leaves behind
    assert _manage(tmp_path, "migrate", "--verbosity", "0").returncode == 0
    done = _manage(tmp_path, "create_project", "demo", "--admin", "nobody")
    assert done.returncode == 1 and "admin" in done.stderr and "Traceback" not in done.stderr
    made = _manage(tmp_path, "create_reviewer", "newcomer")
    assert made.returncode == 0, made.stderr
    assert "password:" in made.stdout


def test_without_the_local_env_a_misconfiguration_is_one_line(tmp_path):
    done = _manage(tmp_path, "create_reviewer", "newcomer", DEBUG="0")
    assert done.returncode == 2
    assert done.stderr.startswith("Configuration error: SECRET_KEY is the placeholder")
    assert "make run" in done.stderr and "Traceback" not in done.stderr
