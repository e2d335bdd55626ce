"""`make run` end to end: the devstack command serves the login page and the seed article."""

from __future__ import annotations

import http.cookiejar
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
            if "celery@" in output and " ready." in output and "Serving on" in output:
                break
            assert process.poll() is None, output
            time.sleep(0.3)
        else:
            pytest.fail(f"devstack did not start:\n{output}")
        user, password = re.search(r"Demo login: user (\S+)  password (\S+)", output).groups()

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
        assert "Russia has the advantage, but we are doing everything we can" in article
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
