"""One policy for every background job: claim, finish, fail, stuck, whichever kind of job it is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from annotations import jobs
from annotations.imports import pipeline
from annotations.imports.base import Metadata
from annotations.imports.pipeline import ImportInput
from annotations.models import AgreementReport, ExportJob, ExtractionRun, ImportJob, RunStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["extraction", "export", "import", "agreement"])
def job(request, project, article):
    make = {
        "extraction": lambda: ExtractionRun.objects.create(article=article),
        "export": lambda: ExportJob.objects.create(project=project, format="jsonl"),
        "import": lambda: ImportJob.objects.create(project=project),
        "agreement": lambda: AgreementReport.objects.create(project=project),
    }
    return make[request.param]()


def fresh(job):
    return type(job).objects.get(pk=job.pk)


def test_a_job_is_claimed_finished_and_never_redone(job):
    assert jobs.claim(type(job), job.pk, task_id="t-1")
    running = fresh(job)
    assert (running.status, running.task_id) == (RunStatus.RUNNING, "t-1")
    assert running.started_at is not None
    # A redelivered message after its worker died finds the job running: it takes it over.
    assert jobs.claim(type(job), job.pk)
    assert jobs.finish(type(job), job.pk)
    done = fresh(job)
    assert (done.status, done.is_finished) == (RunStatus.DONE, True) and done.finished_at is not None
    assert not jobs.claim(type(job), job.pk)
    assert not jobs.fail(type(job), job.pk, "late")
    assert fresh(job).status == RunStatus.DONE


def test_a_failure_says_why_and_a_finish_after_it_changes_nothing(job):
    jobs.claim(type(job), job.pk)
    assert jobs.fail(type(job), job.pk, ValueError("the input is broken"))
    assert not jobs.finish(type(job), job.pk)
    failed = fresh(job)
    assert (failed.status, failed.error) == (RunStatus.FAILED, "ValueError: the input is broken")


def test_a_job_queued_too_long_or_running_past_its_limit_is_stuck_and_can_be_abandoned(job, settings):
    assert not jobs.is_stuck(job)
    old = timezone.now() - timedelta(seconds=settings.JOB_QUEUED_STUCK_SECONDS + 5)
    type(job).objects.filter(pk=job.pk).update(created_at=old)
    assert jobs.is_stuck(fresh(job))
    jobs.claim(type(job), job.pk)
    assert not jobs.is_stuck(fresh(job))
    limit = jobs.time_limit(job)
    type(job).objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(seconds=limit + 61))
    assert jobs.is_stuck(fresh(job))
    assert jobs.abandon(fresh(job))
    assert fresh(job).error == "Abandoned: the worker running it stopped past the hard time limit."


def test_an_import_left_running_by_a_dead_worker_is_taken_over_and_its_inputs_deleted(project, author):
    job = pipeline.create_job(
        project=project, user=author, metadata=Metadata(), total=1,
        items=[ImportInput.file("a.txt", b"An article a dead worker never finished.")],
    )  # fmt: skip
    path = job.inputs[0]["path"]
    assert default_storage.exists(path)
    # The first worker claimed it and died: the row says running, the file is still there.
    jobs.claim(ImportJob, job.pk)
    finished = pipeline.run_job(job.pk)
    assert finished is not None and finished.status == RunStatus.DONE
    assert finished.created_count == 1
    assert not default_storage.exists(path)
    # The same message delivered once more finds the job done and does nothing.
    assert pipeline.run_job(job.pk) is None


def test_a_failed_import_deletes_its_inputs_too(project, author):
    job = pipeline.create_job(
        project=project, user=author, metadata=Metadata(), total=1,
        items=[ImportInput.file("broken.jsonl", b"{not json")],
    )  # fmt: skip
    path = job.inputs[0]["path"]
    report = pipeline.run_job(job.pk)
    assert report is not None
    assert not default_storage.exists(path)
