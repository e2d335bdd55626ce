"""doccano 1.8.4, the peer the API goals are stated against, set up for bench_api.py's workload.

doccano is not a dependency of the workbench: it lives in its own virtualenv under var/ (never
committed), made once with

    python3.11 -m venv var/doccano-venv
    var/doccano-venv/bin/pip install doccano==1.8.4 gunicorn "marshmallow<4" "numpy<2"

(its dependency ranges now resolve to a marshmallow its environs cannot import and a numpy its
pandas was not built for; the two pins are what it ran with in 2023)

When that virtualenv is missing the bench says so and compares against its floors only. Here
doccano gets a sequence-labelling project (overlapping spans allowed, as claims may overlap),
one example holding the bench text, one span label and a token; then gunicorn serves it the way
its own ``doccano webserver`` does (sync workers, its default persistent connections).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("BENCH_DOCCANO_VENV", ROOT / "var" / "doccano-venv"))
PYTHON = VENV / "bin" / "python"

PREPARE = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("create_roles", verbosity=0)
from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from projects.models import Member, SequenceLabelingProject
from roles.models import Role
from examples.models import Example
from label_types.models import SpanType
user = User.objects.create_user("bench", password="bench-only-password")
project = SequenceLabelingProject.objects.create(
    name="Bench", project_type="SequenceLabeling", created_by=user, allow_overlapping=True
)
Member.objects.create(project=project, user=user, role=Role.objects.get(name=settings.ROLE_PROJECT_ADMIN))
example = Example.objects.create(project=project, text=sys.stdin.read(), upload_name="bench.txt")
label = SpanType.objects.create(project=project, text="claim")
print(json.dumps({"key": Token.objects.create(user=user).key, "project": project.pk,
                  "example": example.pk, "label": label.pk}))
"""


def available() -> bool:
    return PYTHON.exists() and backend_dir() is not None


def backend_dir() -> Path | None:
    found = sorted(VENV.glob("lib/python3*/site-packages/backend"))
    return found[0] if found else None


def environment(database_url: str, workdir: Path) -> dict[str, str]:
    backend = backend_dir()
    assert backend is not None
    if database_url.startswith("postgres"):
        database_url += "?sslmode=disable"
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "DOCCANO_HOME": str(workdir / "doccano"),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "PYTHONPATH": str(backend),
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(workdir / "doccano-media"),
        "SECRET_KEY": "bench-only-doccano-secret",
        "DEBUG": "False",
    }


def prepare(database_url: str, workdir: Path, text: str) -> dict[str, int | str]:
    env = environment(database_url, workdir)
    done = subprocess.run(
        [str(PYTHON), "-c", PREPARE],
        cwd=backend_dir(),
        env=env,
        input=text,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"doccano set-up failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def server_command(port: int, workers: int) -> list[str]:
    return [
        str(PYTHON),
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
