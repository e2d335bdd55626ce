"""Check-worthiness suggestions: scoring in the extraction pass, accept and dismiss through every
door (owner module, desk, API), the ranked API, the JSONL option, the desk's query count, and
what the learner is taught."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from annotations import articles, checkworthiness, claims, extraction, suggestions
from annotations.exports.core import ExportStream
from annotations.exports.params import parse_params
from annotations.models import (
    CheckworthinessRun,
    Claim,
    ClaimStatus,
    DecisionKind,
    RunStatus,
    Suggestion,
    SuggestionDecision,
)
from tests.factories import ClaimFactory

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "docs/schemas/jsonl.schema.json").read_text("utf-8"))


@pytest.fixture
def scored(article):
    """The seed article after its extraction pass (NER and scoring), as a worker leaves it."""
    assert extraction.run_extraction(article_id=article.pk, run_id=article.latest_run.pk) == extraction.Outcome.DONE
    return article


def best(article) -> Suggestion:
    return Suggestion.objects.filter(article=article).order_by("-score", "start").select_related("article__project")[0]


# --- scoring ---------------------------------------------------------------------------------------


def test_the_extraction_pass_scores_every_sentence(scored):
    rows = list(Suggestion.objects.filter(article=scored).order_by("start"))
    assert len(rows) > 40
    assert all(r.model_version == checkworthiness.FEATURE_MODEL for r in rows)
    for row in rows:
        quote = scored.text[row.start : row.end]
        assert quote == quote.strip() and "\n" not in quote
        assert 0.0 <= row.score <= 1.0
    # Sentences do not overlap and come in text order.
    assert all(a.end <= b.start for a, b in zip(rows, rows[1:], strict=False))
    top = scored.text[best(scored).start : best(scored).end]
    assert re.search(r"\d", top), top  # the start favours figures


def test_scoring_can_be_turned_off(article, settings):
    settings.CHECKWORTHINESS_ENABLED = False
    extraction.run_extraction(article_id=article.pk, run_id=article.latest_run.pk)
    assert not Suggestion.objects.filter(article=article).exists()


# --- the owner module ------------------------------------------------------------------------------


def test_accepting_makes_a_claim_at_the_sentence_exact_offsets(scored, author):
    suggestion = best(scored)
    claim = suggestions.accept(suggestion=suggestion, by=author, claimant="Someone")
    claim.refresh_from_db()
    assert (claim.start, claim.end) == (suggestion.start, suggestion.end)
    assert claim.quote == scored.text[suggestion.start : suggestion.end]
    assert claim.created_by == author and claim.status == ClaimStatus.UNSTARTED and claim.claimant == "Someone"
    decision = SuggestionDecision.objects.get(article=scored, start=suggestion.start, end=suggestion.end)
    assert decision.kind == DecisionKind.ACCEPTED and decision.claim == claim and decision.decided_by == author
    with pytest.raises(ValidationError, match="accepted as a claim already"):
        suggestions.accept(suggestion=suggestion, by=author)
    assert Claim.objects.filter(article=scored).count() == 1


def test_accepting_follows_the_rules_of_any_new_claim(scored, author, editor):
    suggestion = best(scored)
    with pytest.raises(PermissionDenied):
        suggestions.accept(suggestion=suggestion, by=editor, status=ClaimStatus.APPROVED)
    with pytest.raises(ValidationError):
        suggestions.accept(suggestion=suggestion, by=author, verdict="very-true")
    assert not Claim.objects.exists() and not SuggestionDecision.objects.exists()


def test_only_members_decide(scored, outsider):
    suggestion = best(scored)
    with pytest.raises(PermissionDenied):
        suggestions.accept(suggestion=suggestion, by=outsider)
    with pytest.raises(PermissionDenied):
        suggestions.dismiss(suggestion=suggestion, by=outsider)
    assert not SuggestionDecision.objects.exists() and not Claim.objects.exists()


def test_dismissing_records_a_decision_and_an_accepted_sentence_stays_accepted(scored, author):
    first, second = Suggestion.objects.filter(article=scored).order_by("-score")[:2]
    suggestions.dismiss(suggestion=first, by=author)
    assert SuggestionDecision.objects.get(start=first.start).kind == DecisionKind.DISMISSED
    assert first.pk not in [s.pk for s in suggestions.for_desk(scored, [])]
    suggestions.accept(suggestion=second, by=author)
    with pytest.raises(ValidationError):
        suggestions.dismiss(suggestion=second, by=author)
    assert not Claim.objects.filter(start=first.start).exists()  # a suggestion never becomes a claim on its own


# --- what the learner is taught ------------------------------------------------------------------


def test_training_examples_follow_the_decisions(scored, author, editor):
    rows = list(Suggestion.objects.filter(article=scored).order_by("start"))
    marked, dismissed = rows[0], rows[1]
    claims.create(article=scored, by=author, start=marked.start, end=marked.end)
    suggestions.dismiss(suggestion=dismissed, by=author)
    # The review is not finished: only the decided sentences are labelled.
    labels = {e.text: e.label for e in suggestions.training_examples(scored.project_id)}
    assert labels == {scored.text[marked.start : marked.end]: True, scored.text[dismissed.start : dismissed.end]: False}
    # Every claim approved: the review is finished, so every unmarked sentence is a negative.
    Claim.objects.filter(article=scored).update(status=ClaimStatus.APPROVED)
    examples = suggestions.training_examples(scored.project_id)
    assert len(examples) == len(rows) and sum(e.label for e in examples) == 1


def test_enough_new_decisions_queue_a_training_run(scored, author, settings, django_capture_on_commit_callbacks):
    settings.CHECKWORTHINESS_RETRAIN_DECISIONS = 3
    rows = list(Suggestion.objects.filter(article=scored).order_by("start"))
    with django_capture_on_commit_callbacks() as callbacks:
        suggestions.dismiss(suggestion=rows[0], by=author)
        suggestions.dismiss(suggestion=rows[1], by=author)
    for callback in callbacks:
        if getattr(callback, "__name__", "") == "<lambda>":
            callback()
    assert not CheckworthinessRun.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        suggestions.dismiss(suggestion=rows[2], by=author)
    callbacks[0]()  # the check after the decision's commit
    run = CheckworthinessRun.objects.get()
    assert run.status == RunStatus.QUEUED and run.decision_count == 3
    assert suggestions.maybe_retrain(scored.project_id) is None  # one at a time


def test_a_training_run_stores_json_coefficients_and_rescores(scored, author):
    rows = list(Suggestion.objects.filter(article=scored).order_by("-score"))
    for row in rows[:6]:
        claims.create(article=scored, by=author, start=row.start, end=row.end)
    for row in rows[-6:]:
        suggestions.dismiss(suggestion=row, by=author)
    run = suggestions.request_training(scored.project)
    done = suggestions.run_training(run.pk)
    assert done is not None and done.status == RunStatus.DONE, done.error
    assert done.training_size == 12 and done.positives == 6 and done.train_seconds is not None
    assert done.model_version == f"learned-{run.pk}" and done.rescored == len(rows)
    assert checkworthiness.Model.from_json(json.loads(json.dumps(done.coefficients))) is not None
    assert set(Suggestion.objects.filter(article=scored).values_list("model_version", flat=True)) == {
        done.model_version
    }
    # The next extraction scores with the learned model too.
    articles.enqueue_extraction(scored)
    extraction.run_extraction(article_id=scored.pk, run_id=scored.latest_run.pk)
    assert set(Suggestion.objects.filter(article=scored).values_list("model_version", flat=True)) == {
        done.model_version
    }


def test_a_training_run_without_enough_decisions_fails_saying_why(scored):
    run = suggestions.request_training(scored.project)
    done = suggestions.run_training(run.pk)
    assert done is not None and done.status == RunStatus.FAILED and "at least 5" in done.error


# --- the API ---------------------------------------------------------------------------------------


def api_url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def test_the_api_ranks_every_sentence(scored, author, api_client_for):
    response = api_client_for(author).get(api_url("article-suggestions", scored.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["article"] == scored.pk and body["count"] == Suggestion.objects.filter(article=scored).count()
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    for row in body["results"]:
        assert row["text"] == scored.text[row["start"] : row["end"]]
        assert row["decision"] is None and row["model"] == checkworthiness.FEATURE_MODEL


def test_an_outsider_gets_404_from_every_suggestion_endpoint(scored, outsider, api_client_for):
    api = api_client_for(outsider)
    suggestion = best(scored)
    assert api.get(api_url("article-suggestions", scored.pk)).status_code == 404
    assert api.post(api_url("suggestion-accept", suggestion.pk), {}, format="json").status_code == 404
    assert api.post(api_url("suggestion-dismiss", suggestion.pk), {}, format="json").status_code == 404
    assert not SuggestionDecision.objects.exists()


def test_accepting_through_the_api(scored, author, api_client_for):
    api = api_client_for(author)
    suggestion = best(scored)
    response = api.post(api_url("suggestion-accept", suggestion.pk), {"claimant": "Kyiv"}, format="json")
    assert response.status_code == 201, response.content
    claim = Claim.objects.get(pk=response.json()["id"])
    assert (claim.start, claim.end, claim.claimant) == (suggestion.start, suggestion.end, "Kyiv")
    assert api.post(api_url("suggestion-accept", suggestion.pk), {}, format="json").status_code == 400
    bad = api.post(api_url("suggestion-accept", best(scored).pk), {"status": "approved"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()
    listed = api.get(api_url("article-suggestions", scored.pk)).json()["results"]
    assert [r["decision"] for r in listed if r["id"] == suggestion.pk] == ["accepted"]


def test_dismissing_through_the_api(scored, author, api_client_for):
    suggestion = best(scored)
    response = api_client_for(author).post(api_url("suggestion-dismiss", suggestion.pk), {}, format="json")
    assert response.status_code == 200 and response.json()["decision"] == "dismissed"
    assert SuggestionDecision.objects.get().kind == DecisionKind.DISMISSED


# --- the desk --------------------------------------------------------------------------------------


def desk_url(article) -> str:
    return reverse("article-detail", args=[article.project.slug, article.pk])


def test_the_desk_shows_the_top_suggestions(scored, client_for, author, settings):
    settings.CHECKWORTHINESS_DESK_TOP = 5
    html = client_for(author).get(desk_url(scored)).content.decode()
    top = list(Suggestion.objects.filter(article=scored).order_by("-score", "start")[:5])
    assert html.count('class="suggestion"') == 5
    assert f'id="suggestion-{top[0].pk}"' in html and f'data-suggestions="{top[0].pk}"' in html
    assert f"{top[0].score:.2f}" in html


def test_accepting_on_the_desk_makes_the_claim_through_the_form(scored, client_for, author):
    suggestion = best(scored)
    client = client_for(author)
    create = reverse("claim-create", args=[scored.project.slug, scored.pk])
    quote = scored.text[suggestion.start : suggestion.end]
    form = client.get(
        create, {"start": suggestion.start, "end": suggestion.end, "quote": quote, "suggestion": suggestion.pk}
    )
    assert f'name="suggestion" value="{suggestion.pk}"' in form.content.decode()
    # The posted span is ignored: the claim takes the sentence's own.
    data = {
        "start": 0,
        "end": 5,
        "quote": scored.text[:5],
        "suggestion": suggestion.pk,
        "claimant": "Gromov",
        "status": "unstarted",
    }
    response = client.post(create, data)
    assert response.status_code == 200, response.content
    claim = Claim.objects.get()
    assert (claim.start, claim.end, claim.quote) == (suggestion.start, suggestion.end, quote)
    assert SuggestionDecision.objects.get().claim == claim
    assert f'id="suggestion-{suggestion.pk}"' not in response.content.decode()


def test_dismissing_on_the_desk(scored, client_for, author):
    suggestion = best(scored)
    url = reverse("suggestion-dismiss", args=[scored.project.slug, scored.pk, suggestion.pk])
    response = client_for(author).post(url)
    assert response.status_code == 200
    assert SuggestionDecision.objects.get().kind == DecisionKind.DISMISSED
    assert f'id="suggestion-{suggestion.pk}"' not in response.content.decode()
    assert 'id="suggestions"' in response.content.decode()


def test_an_outsider_gets_404_from_the_desk_doors(scored, client_for, outsider):
    suggestion = best(scored)
    client = client_for(outsider)
    assert (
        client.post(reverse("suggestion-dismiss", args=[scored.project.slug, scored.pk, suggestion.pk])).status_code
        == 404
    )
    create = reverse("claim-create", args=[scored.project.slug, scored.pk])
    data = {
        "start": suggestion.start,
        "end": suggestion.end,
        "quote": "x",
        "suggestion": suggestion.pk,
        "status": "unstarted",
    }
    assert client.post(create, data).status_code == 404
    assert not SuggestionDecision.objects.exists()


def test_a_suggestion_of_another_article_is_not_found_on_the_desk(scored, client_for, author, project):
    other = articles.create(project=project, title="Other", text="Another text of 12 words.", created_by=author)
    suggestion = best(scored)
    url = reverse("suggestion-dismiss", args=[project.slug, other.pk, suggestion.pk])
    assert client_for(author).post(url).status_code == 404


@pytest.mark.parametrize("sentences", [10, 1000])
def test_the_desk_query_count_does_not_grow_with_sentences(
    client_for, author, project, sentences, django_assert_num_queries
):
    text = "\n".join(f"In {1900 + n % 100} the count {n} rose by {n} percent." for n in range(sentences))
    article = articles.create(project=project, title="Long", text=text, created_by=author)
    offset, rows = 0, []
    for n, line in enumerate(text.split("\n")):
        rows.append(
            Suggestion(article=article, start=offset, end=offset + len(line), score=n / sentences, model_version="t")
        )
        offset += len(line) + 1
    Suggestion.objects.bulk_create(rows)
    ClaimFactory(article=article, start=0, end=5, created_by=author)
    client = client_for(author)
    client.get(desk_url(article))  # warm the session
    with django_assert_num_queries(10):
        response = client.get(desk_url(article))
    assert len(response.context["suggested"]) == min(10, sentences - 1)  # the claim covers one


# --- the JSONL export ------------------------------------------------------------------------------


def test_the_jsonl_export_carries_suggestions_on_request(scored, author):
    claims.create(article=scored, by=author, start=best(scored).start, end=best(scored).end)
    plain = parse_params({"format": "jsonl", "include_unreviewed": "1"}, project=scored.project)
    [line] = "".join(ExportStream(scored.project, plain).iter_text()).splitlines()
    assert "suggestions" not in json.loads(line)
    asked = parse_params(
        {"format": "jsonl", "include_unreviewed": "1", "include_suggestions": "1"}, project=scored.project
    )
    [line] = "".join(ExportStream(scored.project, asked).iter_text()).splitlines()
    record = json.loads(line)
    jsonschema.validate(record, SCHEMA)
    assert len(record["suggestions"]) == Suggestion.objects.filter(article=scored).count()
    assert record["suggestions"][0]["score"] >= record["suggestions"][-1]["score"]


def test_the_export_api_and_command_accept_the_option(scored, author, api_client_for, tmp_path):
    from django.core.management import call_command

    claims.create(article=scored, by=author, start=best(scored).start, end=best(scored).end)
    url = reverse("api:export-stream", args=[scored.project.slug, "jsonl"])
    response = api_client_for(author).get(url, {"include_unreviewed": "true", "include_suggestions": "true"})
    assert response.status_code == 200
    assert "suggestions" in json.loads(b"".join(response.streaming_content).decode().splitlines()[0])
    out = tmp_path / "out.jsonl"
    call_command(
        "export_dataset", "--project", scored.project.slug, "--format", "jsonl", "--include-unreviewed",
        "--include-suggestions", "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert "suggestions" in json.loads(out.read_text().splitlines()[0])


def test_a_text_correction_drops_the_old_scores_until_the_new_text_is_scored(scored, editor):
    articles.set_text(article=scored, text=scored.text + "\nA new line with 7 percent more.")
    assert not Suggestion.objects.filter(article=scored).exists()
    extraction.run_extraction(article_id=scored.pk, run_id=scored.latest_run.pk)
    assert Suggestion.objects.filter(article=scored, end=len(scored.text)).exists()
