"""Small things that stood in the way: stance without a default, favicon, headlines pasted twice,
export names and filters in words, one-line refusals in the log, extraction messages."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from annotations.exports.params import describe_filters, parse_params
from annotations.imports.base import Metadata, single_record
from annotations.models import ExportJob
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def test_the_source_form_has_no_stance_chosen(client_for, article, author):
    claim = ClaimFactory(article=article, created_by=author)
    url = reverse("source-create", args=[article.project.slug, article.pk, claim.pk])
    client = client_for(author)
    html = client.get(url).content.decode()
    assert '<option value="" selected>— choose —</option>' in html
    response = client.post(url, {"url": "https://example.org/a", "title": "A"})
    assert response.status_code == 400
    assert "Choose whether the source supports or refutes the claim" in response.content.decode()
    assert not claim.sources.exists()


def test_favicon_is_served_without_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("annotations/favicon.svg")


@pytest.mark.parametrize(
    ("text", "title", "stored"),
    [
        ("Big News Today\n\nThe body.", "Big news today", "The body."),
        ("Big News Today\nThe body.", "", "Big News Today\nThe body."),  # no title given: kept
        ("Another first line\nThe body.", "Big news", "Another first line\nThe body."),
        ("Only a headline", "Only a headline", "Only a headline"),
    ],
)
def test_a_pasted_headline_is_not_kept_twice(text, title, stored):
    record = single_record(text, source="paste", metadata=Metadata(title=title))
    assert record.text == stored


def test_export_file_names_say_which_claims_they_hold(project):
    approved = parse_params({"format": "csv"}, project=project)
    everything = parse_params({"format": "csv", "include_unreviewed": "1"}, project=project)
    assert approved.scope_name == "approved"
    assert everything.scope_name == "all-claims"
    assert parse_params({"format": "csv", "verdict": "false"}, project=project).scope_name == "approved-filtered"


def test_export_filters_read_as_words(client_for, project, editor):
    assert describe_filters({"format": "csv"}) == "approved claims only"
    assert describe_filters({"status": ["in_review"], "verdict": ["false", "mostly_false"]}) == (
        "status: In review; verdict: False, Mostly false"
    )
    ExportJob.objects.create(project=project, format="csv", filters={"format": "csv", "include_unreviewed": True})
    html = client_for(editor).get(reverse("export-page", args=[project.slug])).content.decode()
    assert '<td class="export-filters">all claims</td>' in html
    assert "{&#x27;format&#x27;" not in html


def test_an_expected_refusal_is_logged_without_a_traceback(client_for, project, author, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_for(author).post(reverse("agreement-refresh", args=[project.slug]))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.exc_info is None for r in records)


def test_re_running_an_articles_extraction_leaves_no_stale_message(client_for, article, author):
    client = client_for(author)
    url = reverse("article-extraction", args=[article.project.slug, article.pk])
    article.extraction_runs.update(status="done")
    response = client.post(url, follow=True)
    assert "Entity extraction queued." not in response.content.decode()


def test_the_project_button_says_when_there_is_nothing_to_extract(client_for, project, editor):
    response = client_for(editor).post(reverse("project-extraction", args=[project.slug]), follow=True)
    assert "nothing to extract" in response.content.decode()
    assert "queued for 0 articles" not in response.content.decode()
