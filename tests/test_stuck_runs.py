"""A run queued for longer than JOB_QUEUED_STUCK_SECONDS lost its message: it counts as
stuck, and "Run again" replaces it (running runs past the time limit: test_extraction_views)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations import extraction
from annotations.models import ExtractionRun, RunStatus

pytestmark = pytest.mark.django_db


def extraction_url(article) -> str:
    return reverse("article-extraction", args=[article.project.slug, article.pk])


def queued_for(article, seconds: float) -> ExtractionRun:
    run = article.latest_run
    ExtractionRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))
    run.refresh_from_db()
    return run


def test_a_recently_queued_run_is_not_stuck(article, settings):
    assert not extraction.is_stuck(queued_for(article, settings.JOB_QUEUED_STUCK_SECONDS - 60))


def test_a_run_queued_past_the_threshold_is_stuck(article, settings):
    assert extraction.is_stuck(queued_for(article, settings.JOB_QUEUED_STUCK_SECONDS + 60))


def test_run_again_replaces_a_run_whose_message_was_lost(client_for, author, article, settings):
    old = queued_for(article, settings.JOB_QUEUED_STUCK_SECONDS + 60)
    client = client_for(author)
    html = client.get(extraction_url(article)).content.decode()
    assert 'data-status="stuck"' in html and "no worker took it" in html and "Run again" in html

    client.post(extraction_url(article))
    old.refresh_from_db()
    assert old.status == RunStatus.FAILED
    assert old.error.startswith("Abandoned: queued for too long")
    assert article.latest_run.status == RunStatus.QUEUED and article.latest_run.pk != old.pk
