"""Celery tasks: thin wrappers that take primary keys and call into the domain."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="annotations.ping")
def ping(payload: str = "pong") -> str:
    """Round-trips through the broker: proves a worker is up and reachable."""
    return payload


@shared_task(name="annotations.extract_entities")
def extract_entities(article_id: int, run_id: int) -> None:
    """Run NER over an article and replace its machine mentions (issue 3 builds this out)."""
    raise NotImplementedError("entity extraction is not built yet")


# Export tasks live with the exports; importing them here registers them with the worker.
from .exports.tasks import expire_exports, run_export  # noqa: E402, F401
