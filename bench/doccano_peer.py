"""doccano 1.8.4, the peer the API goals are stated against, set up for bench_api.py's workload.

doccano is not a dependency of the workbench: it lives in its own virtualenv under var/ (never
committed), made once with

    python3.11 -m venv var/doccano-venv
    var/doccano-venv/bin/pip install doccano==1.8.4 gunicorn "marshmallow<4" "numpy<2" "psycopg[binary]" "redis>=6.1,<7"

(its dependency ranges now resolve to a marshmallow its environs cannot import and a numpy its
pandas was not built for; the two pins are what it ran with in 2023; redis is its Celery
broker's client here)

When that virtualenv is missing the bench says so and compares against its floors only. Here
doccano gets sequence-labelling projects (overlapping spans allowed, as claims may overlap): one
whose example holds the bench text, for creating spans; one whose example already holds the
bulk figure's spans (written by its ORM), for the export; an empty one for the import. Then
gunicorn serves it the way its own ``doccano webserver`` does (sync workers, its default
persistent connections), and its Celery worker runs the imports and exports as
``doccano task`` does (2 processes), on Redis rather than its default SQL broker, which polls
once a second: the peer gets its fastest set-up.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("BENCH_DOCCANO_VENV", ROOT / "var" / "doccano-venv"))
PYTHON = VENV / "bin" / "python"
# A database of the local Redis of its own, emptied before each run.
BROKER_URL = os.environ.get("BENCH_DOCCANO_BROKER_URL", "redis://127.0.0.1:6379/14")

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
from labels.models import Span
given = json.load(sys.stdin)
user = User.objects.create_user("bench", password="bench-only-password")
admin = Role.objects.get(name=settings.ROLE_PROJECT_ADMIN)
def new_project(name):
    project = SequenceLabelingProject.objects.create(
        name=name, project_type="SequenceLabeling", created_by=user, allow_overlapping=True
    )
    Member.objects.create(project=project, user=user, role=admin)
    return project
project = new_project("Bench")
example = Example.objects.create(project=project, text=given["text"], upload_name="bench.txt")
label = SpanType.objects.create(project=project, text="claim")
exported = new_project("Export")
held = Example.objects.create(project=exported, text=given["text"], upload_name="export.txt")
claim = SpanType.objects.create(project=exported, text="claim")
Span.objects.bulk_create(
    Span(example=held, user=user, label=claim, start_offset=start, end_offset=end) for start, end in given["spans"]
)
imported = new_project("Import")
print(json.dumps({"key": Token.objects.create(user=user).key, "project": project.pk,
                  "example": example.pk, "label": label.pk, "export_project": exported.pk,
                  "import_project": imported.pk}))
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
        "CELERY_BROKER_URL": BROKER_URL,
    }


def prepare(database_url: str, workdir: Path, text: str, spans: list[tuple[int, int]]) -> dict[str, int | str]:
    """Projects, examples and a token; ``spans`` are the export project's."""
    env = environment(database_url, workdir)
    done = subprocess.run(
        [str(PYTHON), "-c", PREPARE],
        cwd=backend_dir(),
        env=env,
        input=json.dumps({"text": text, "spans": spans}),
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


def worker_command() -> list[str]:
    """Its Celery worker as ``doccano task`` starts it (prefork, concurrency 2)."""
    return [str(PYTHON), "-m", "celery", "--app=config", "worker", "--loglevel=warning", "--concurrency=2"]


def has_broker_client() -> bool:
    done = subprocess.run([str(PYTHON), "-c", "import redis"], capture_output=True, check=False)
    return done.returncode == 0


def import_lines(texts: list[str]) -> bytes:
    """The upload doccano's JSONL import takes for sequence labelling: a text and no labels a line."""
    return "\n".join(json.dumps({"text": text, "label": []}) for text in texts).encode()
