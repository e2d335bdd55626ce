"""Run the whole workbench on one machine: broker, migrations, seeds, worker and web server.

This is what `make run` calls (manage.py has written var/local.env first: DEBUG, SECRET_KEY,
the Redis key prefix and the demo password of this checkout). Ctrl-C stops every process it
started. The demo login is the last thing printed before serving: after the worker's banner
and once the web server answers, so it is not lost in the output.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from annotations import members
from annotations.models import Project, Role
from workbench import localenv
from workbench.broker import ensure_broker
from workbench.celery import worker_queues

# Named for the role it has: an editor may also approve claims, which the demo should show.
DEMO_USER = "demo-editor"
READY_TIMEOUT = 90


class Command(BaseCommand):
    help = "Start broker (embedded if needed), migrate, load seeds, create the demo reviewer, run worker and web."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        # A plain `kill` should clean up like Ctrl-C does, children and embedded broker included.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        broker_url, embedded = ensure_broker(settings.VAR_DIR, settings.DEFAULT_BROKER_URL)
        self.stdout.write(f"broker: {broker_url}" + (" (embedded redis-server under var/redis)" if embedded else ""))
        prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix")
        if prefix:
            self.stdout.write(f"Redis keys of this checkout start with {prefix!r} (CELERY_BROKER_KEY_PREFIX)")
        children: list[subprocess.Popen[bytes]] = []
        try:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("load_seeds", stdout=self.stdout)
            login = self._demo_user()
            env = {**os.environ, "CELERY_BROKER_URL": broker_url, "CELERY_RESULT_BACKEND": broker_url}
            worker_ready = threading.Event()
            if not options["no_worker"]:
                worker = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "workbench",
                        "worker",
                        "--loglevel",
                        "INFO",
                        "--concurrency",
                        "1",
                        "--queues",
                        worker_queues(),
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                children.append(worker)
                assert worker.stdout is not None
                threading.Thread(target=_relay, args=(worker.stdout, worker_ready), daemon=True).start()
            else:
                worker_ready.set()
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "runserver", "--noreload", options["addr"]],
                    env=env,
                    cwd=settings.BASE_DIR,
                )
            )
            url = f"http://{options['addr']}/"
            deadline = time.monotonic() + READY_TIMEOUT
            while time.monotonic() < deadline and all(child.poll() is None for child in children):
                if worker_ready.is_set() and _answers(url + "login/"):
                    break
                time.sleep(0.3)
            self._banner(url, login)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A child process exited; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("Stopping…")
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
            if embedded:
                embedded.stop()

    def _demo_user(self) -> tuple[str, str]:
        """The demo editor of the demo project and what to print about its password."""
        project = Project.objects.get(slug="demo")
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USER)
        # Through members.py like every other door (it keeps the project's last admin one).
        members.set_member(project=project, username=user.get_username(), role=Role.EDITOR, by=None)
        if "DATABASE_URL" in os.environ:
            # A shared database: its people's passwords are not the devstack's to reset.
            return DEMO_USER, f"(unchanged; set it with `manage.py changepassword {DEMO_USER}`)"
        # The checkout's own password (var/local.env), so it stays the same across restarts.
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        # Setting the same password again would re-salt the hash and end every open session.
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return DEMO_USER, password

    def _banner(self, url: str, login: tuple[str, str]) -> None:
        user, password = login
        line = "-" * 64
        self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Serving on {url} - Ctrl-C stops everything."))
        self.stdout.write(self.style.SUCCESS(f"Demo login: user {user}  password {password}"))
        self.stdout.write(f"(role: editor of the Demo project; the password is kept in {localenv.path()})")
        self.stdout.write(line)
        self.stdout.flush()


def _relay(stream: IO[bytes], ready: threading.Event) -> None:
    """Pass the worker's output through, noting when it says it is ready."""
    for raw in iter(stream.readline, b""):
        sys.stdout.write(raw.decode(errors="replace"))
        sys.stdout.flush()
        if b" ready." in raw:
            ready.set()
    ready.set()  # it exited: the main loop notices and stops everything


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False
    return True
