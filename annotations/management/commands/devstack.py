"""Run the whole workbench on one machine: broker, migrations, seeds, worker and web server.

This is what `make run` calls. Ctrl-C stops every process it started.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from annotations.models import Membership, Project, Role
from workbench.broker import ensure_broker

DEMO_USER = "demo-reviewer"


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
        children: list[subprocess.Popen[bytes]] = []
        try:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("load_seeds", stdout=self.stdout)
            self._demo_reviewer()
            env = {**os.environ, "CELERY_BROKER_URL": broker_url, "CELERY_RESULT_BACKEND": broker_url}
            if not options["no_worker"]:
                children.append(
                    subprocess.Popen(
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
                            settings.CELERY_TASK_DEFAULT_QUEUE,
                        ],
                        env=env,
                    )
                )
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "runserver", "--noreload", options["addr"]],
                    env=env,
                    cwd=settings.BASE_DIR,
                )
            )
            self.stdout.write(self.style.SUCCESS(f"Serving on http://{options['addr']}/ - Ctrl-C stops everything."))
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

    def _demo_reviewer(self) -> None:
        project = Project.objects.get(slug="demo")
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USER)
        Membership.objects.update_or_create(project=project, user=user, defaults={"role": Role.EDITOR})
        on_embedded_default = "DATABASE_URL" not in os.environ
        if on_embedded_default:
            # Local demo only: a fresh password each start, printed so the newcomer can log in.
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(self.style.SUCCESS(f"Demo login: user {DEMO_USER}  password {password}"))
        else:
            self.stdout.write(
                f"Demo user {DEMO_USER} exists; set its password with `manage.py changepassword {DEMO_USER}`."
            )
