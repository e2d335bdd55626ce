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


@shared_task(bind=True, name="annotations.run_import_job", acks_late=True, time_limit=3600, soft_time_limit=3500)
def run_import_job(self, job_id: int) -> str:  # noqa: ANN001 - Celery binds the task instance
    """Import a large batch in the background (issue 7); progress goes to the job row and the result backend."""
    from .imports.pipeline import run_job

    def live(done: int, total: int) -> None:
        if self.request.id:
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    job = run_job(job_id, live_progress=live)
    return job.status if job else "skipped"
