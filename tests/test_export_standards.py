"""Every export checked by the standards' own artefacts, not only by our schemas.

- W3C Web Annotation: every MUST assertion of the W3C test suite (annotationMusts, collectionMusts,
  pageMusts), for the collection, for each annotation in it and for each line of the one-per-line
  format; and JSON-LD expansion against anno.jsonld defines every term used.
- ClaimReview: JSON-LD expansion against the schema.org context; every type and property is a
  schema.org term, used on a type in its domain, with a value in its range.
- FEVER: the official scorer (PyPI fever-scorer, pinned in requirements-test.txt) scores the file
  against itself at 1.0 on every measure, with predictions and in blind mode.
- And our own schemas refuse what the standards refuse.

The seed article with a claim in each of the eight verdicts exports in every format.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from annotations.exports import FORMATS, ExportStream, parse_params
from annotations.models import Source, Verdict
from tests.export_fixtures import seed_every_verdict
from tests.factories import CaptureFactory
from tests.standards import schemaorg_problems, undefined_terms, w3c_must_failures

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"
ANNOTATION_MUSTS = "annotations/annotationMusts.test"
COLLECTION_MUSTS = "collections/collectionMusts.test"
PAGE_MUSTS = "collections/pages/pageMusts.test"


def our_schema_errors(instance: object, name: str) -> list[str]:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [error.message for error in validator.iter_errors(instance)]


def export_text(project, **data) -> str:
    return "".join(ExportStream(project, parse_params(data, project=project)).iter_text())


@pytest.fixture
def seeded(project, article, author, editor):
    claims = seed_every_verdict(project, article, author=author, editor=editor)
    # Half the sources have a capture of their page: exports carry its time and hash, and the
    # formats' validators see sources with and without one.
    for n, source in enumerate(Source.objects.filter(claim__article=article).order_by("id")):
        if n % 2 == 0:
            CaptureFactory(source=source)
    return {"project": project, "claims": claims}


@pytest.fixture
def collection(seeded) -> dict:
    return json.loads(export_text(seeded["project"], format="webannotation"))


@pytest.fixture
def fever_rows(seeded) -> list[dict]:
    return [json.loads(line) for line in export_text(seeded["project"], format="fever").splitlines()]


# --- the seed article in every format ----------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_it_exports_the_seed_article_with_every_verdict_in_every_format(seeded, fmt):
    text = export_text(seeded["project"], format=fmt)
    claims = seeded["claims"]
    schema = FORMATS[fmt].schema_file.removesuffix(".schema.json")
    if fmt == "csv":
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert {row["verdict"] for row in rows} == set(Verdict.values)
        instances: list[object] = rows
    elif fmt in ("claimreview", "webannotation"):
        instances = [json.loads(text)]
    else:
        instances = [json.loads(line) for line in text.splitlines()]
    for instance in instances:
        assert our_schema_errors(instance, schema) == []
    exported = {
        "jsonl": lambda: {c["verdict"] or "" for c in instances[0]["claims"]},  # type: ignore[index]
        "claimreview": lambda: {r["reviewRating"]["alternateName"] for r in instances[0]},  # type: ignore[attr-defined]
        "webannotation": lambda: {b["value"] for i in instances[0]["first"]["items"] for b in i["body"]  # type: ignore[index]
                                  if b["purpose"] == "assessing"},
        "webannotation-lines": lambda: {b["value"] for i in instances for b in i["body"]  # type: ignore[attr-defined]
                                        if b["purpose"] == "assessing"},
        "fever": lambda: {i["workbench"]["verdict"] for i in instances},  # type: ignore[index]
        "csv": lambda: {r["verdict"] for r in instances},  # type: ignore[index]
    }[fmt]()  # fmt: skip
    expected_count = {"claimreview": 7, "fever": 6}.get(fmt, 8)  # what each format can carry (README)
    assert len(exported) == expected_count, exported
    assert len(claims) == 8


# --- W3C Web Annotation -------------------------------------------------------------------------


def test_it_passes_every_w3c_must_for_the_collection_and_its_page(collection):
    assert w3c_must_failures(collection, COLLECTION_MUSTS) == []
    assert w3c_must_failures(collection, PAGE_MUSTS) == []
    assert collection["total"] == len(collection["first"]["items"]) == 8


def test_it_passes_every_w3c_must_for_each_annotation_on_its_own(seeded, collection):
    lines = [json.loads(line) for line in export_text(seeded["project"], format="webannotation-lines").splitlines()]
    assert lines == collection["first"]["items"]
    for annotation in lines:
        assert w3c_must_failures(annotation, ANNOTATION_MUSTS) == [], annotation["id"]


def test_it_uses_only_terms_the_web_annotation_context_defines(seeded, collection):
    assert undefined_terms(collection) == []
    annotation = collection["first"]["items"][0]
    assert undefined_terms(annotation) == []
    # The check itself: the published anno.jsonld lacks "assessing" (w3c/web-annotation#444),
    # which is why the export's own context defines it.
    assert undefined_terms({**annotation, "@context": "http://www.w3.org/ns/anno.jsonld"}) == ["assessing", "stance"]


def test_it_targets_the_article_url_with_quote_and_position_and_links_each_source(seeded, collection):
    claims = seeded["claims"]
    by_id = {f"urn:x-workbench:claim:{claim.pk}": claim for claim in claims.values()}
    text = claims[Verdict.TRUE].article.text
    for annotation in collection["first"]["items"]:
        claim = by_id[annotation["id"]]
        target = annotation["target"]
        assert target["source"] == "https://www.cbc.ca/news/world/ukraine-luhansk-1.6467180"
        quote, position = target["selector"]
        assert (quote["type"], position["type"]) == ("TextQuoteSelector", "TextPositionSelector")
        assert text[position["start"] : position["end"]] == quote["exact"] == claim.quote
        assert target["state"] == {"type": "TimeState", "sourceDate": "2022-05-27T08:00:00+00:00"}
        (link,) = [body for body in annotation["body"] if body["purpose"] == "linking"]
        source = claim.sources.get()
        assert link["source"]["id"] == source.url and link["stance"] == source.stance
        assert link["state"]["cached"] == source.archived_url


# --- ClaimReview ----------------------------------------------------------------------------------


def test_it_uses_only_schema_org_terms_in_claimreview(seeded):
    reviews = json.loads(export_text(seeded["project"], format="claimreview"))
    assert len(reviews) == 7
    for review in reviews:
        assert schemaorg_problems(review) == [], review["identifier"]


def test_the_schema_org_check_catches_a_made_up_term(seeded):
    (review, *_rest) = json.loads(export_text(seeded["project"], format="claimreview"))
    review["reviewRating"]["ratingSummary"] = "made up"
    review["itemReviewed"]["author"]["@type"] = "Claimant"
    review["reviewRating"]["headline"] = "a CreativeWork property on a Rating"
    problems = schemaorg_problems(review)
    assert any("ratingSummary is not a schema.org property" in p for p in problems), problems
    assert any("type Claimant is not a schema.org class" in p for p in problems), problems
    assert any("headline is not a property of ['Rating']" in p for p in problems), problems


# --- FEVER: the official scorer -----------------------------------------------------------------


def predictions_from(rows: list[dict]) -> list[dict]:
    """Our file read as a system's predictions: its label, and every (page, sentence) of its evidence."""
    predicted = []
    for row in rows:
        evidence = [[item[2], item[3]] for group in row["evidence"] for item in group if item[2] is not None]
        predicted.append({**copy.deepcopy(row), "predicted_label": row["label"], "predicted_evidence": evidence})
    return predicted


def test_the_official_fever_scorer_scores_the_file_against_itself_at_one(fever_rows):
    from fever.scorer import fever_score

    assert {row["label"] for row in fever_rows} == {"SUPPORTS", "REFUTES", "NOT ENOUGH INFO"}
    assert all(row["evidence"] and all(group for group in row["evidence"]) for row in fever_rows)
    strict, accuracy, precision, recall, f1 = fever_score(predictions_from(fever_rows))
    assert (strict, accuracy, precision, recall, f1) == (1.0, 1.0, 1.0, 1.0, 1.0)


def test_the_official_fever_scorer_reads_the_file_as_gold_in_blind_mode(fever_rows):
    from fever.scorer import fever_score

    blind = [
        {"id": p["id"], "predicted_label": p["predicted_label"], "predicted_evidence": p["predicted_evidence"]}
        for p in predictions_from(fever_rows)
    ]
    assert fever_score(blind, actual=copy.deepcopy(fever_rows)) == (1.0, 1.0, 1.0, 1.0, 1.0)


def test_fever_sentence_ids_point_into_the_excerpts(seeded, fever_rows):
    for row in fever_rows:
        texts = {(s["page"], s["sentence_id"]): s["text"] for s in row["workbench"]["sentences"]}
        for group in row["evidence"]:
            for _claim_id, source_id, page, sentence_id in group:
                if page is None:
                    continue
                excerpt = next(s for s in row["workbench"]["sources"] if s["id"] == source_id)["excerpt"]
                assert texts[(page, sentence_id)] in excerpt
    mostly_false = next(row for row in fever_rows if row["workbench"]["verdict"] == "mostly_false")
    assert [s["text"] for s in mostly_false["workbench"]["sentences"]] == [
        "Officials counted 29 sites!",
        "Most were farm buildings.",
    ]


# --- our schemas refuse what the standards refuse -------------------------------------------------


def _without(document: dict, *path: str | int) -> dict:
    changed = copy.deepcopy(document)
    holder = changed
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    return changed


@pytest.mark.parametrize(
    "change, standard",
    [
        (lambda c: _without(c, "first", "id"), PAGE_MUSTS),
        (lambda c: _without(c, "@context"), COLLECTION_MUSTS),
        (lambda c: {**c, "id": "not a uri"}, COLLECTION_MUSTS),
        (lambda c: {**c, "first": {**c["first"], "type": "Page"}}, PAGE_MUSTS),
    ],
    ids=["page-without-id", "no-context", "id-not-uri", "page-type"],
)
def test_our_collection_schema_refuses_what_the_w3c_suite_refuses(collection, change, standard):
    broken = change(collection)
    assert w3c_must_failures(broken, standard)
    assert our_schema_errors(broken, "webannotation")


@pytest.mark.parametrize(
    "change",
    [
        lambda a: _without(a, "@context"),
        lambda a: _without(a, "target"),
        lambda a: {**a, "bodyValue": "False"},
        lambda a: {**a, "created": "yesterday"},
        lambda a: {**a, "target": {**a["target"], "selector": [{"type": "TextQuoteSelector"}]}},
        lambda a: {**a, "body": [{**a["body"][-1], "value": "a specific resource has no value"}]},
        lambda a: {**a, "body": [{"id": "https://e.example/x", "type": "Text", "purpose": "linking"}]},
    ],
    ids=[
        "no-context",
        "no-target",
        "body-and-bodyValue",
        "created",
        "quote-without-exact",
        "specific-resource-value",
        "web-resource-purpose",
    ],  # fmt: skip
)
def test_our_annotation_schema_refuses_what_the_w3c_suite_refuses(collection, change):
    broken = change(collection["first"]["items"][0])
    assert w3c_must_failures(broken, ANNOTATION_MUSTS)
    assert our_schema_errors(broken, "webannotation")


def test_our_fever_schema_refuses_what_the_scorer_cannot_read(fever_rows):
    from fever.scorer import fever_score

    row = next(r for r in fever_rows if r["label"] == "REFUTES")
    objects = {**row, "evidence": [{"url": "https://e.example", "excerpt": "x"}]}  # the old shape
    assert our_schema_errors(objects, "fever")
    blind = [{"id": row["id"], "predicted_label": "REFUTES", "predicted_evidence": [["https://e.example", 0]]}]
    with pytest.raises((IndexError, KeyError, TypeError)):
        fever_score(blind, actual=[objects])
    flat = {**row, "evidence": [["https://e.example", 0]]}  # a set must be a list of 4-item lists
    assert our_schema_errors(flat, "fever")
    empty = {**row, "evidence": []}  # SUPPORTS and REFUTES always carry evidence: strict scoring needs it
    assert our_schema_errors(empty, "fever")
    assert fever_score(predictions_from([empty]))[0] == 0.0


# --- evidence captures in the exports ------------------------------------------------------------


def test_captures_carry_their_time_and_hash_into_claimreview_and_web_annotation(seeded):
    from annotations.models import Capture

    captured = {c.source.url: c for c in Capture.objects.select_related("source")}
    assert captured
    reviews = json.loads(export_text(seeded["project"], format="claimreview"))
    cited = [page for review in reviews for page in review.get("citation", [])]
    with_capture = [page for page in cited if page["url"] in captured]
    assert with_capture
    for page in with_capture:
        capture = captured[page["url"]]
        copy_ = next(a for a in page["archivedAt"] if isinstance(a, dict))
        assert copy_ == {
            "@type": "WebPage",
            "dateCreated": capture.fetched_at.isoformat(),
            "identifier": f"sha256:{capture.sha256}",
        }
        assert capture.source.archived_url in page["archivedAt"]  # the archived URL stays beside it
    for review in reviews:
        assert schemaorg_problems(review) == [], review["identifier"]
    collection = json.loads(export_text(seeded["project"], format="webannotation"))
    states = {
        body["source"]["id"]: body["state"]
        for item in collection["first"]["items"]
        for body in item["body"]
        if body.get("purpose") == "linking"
    }
    for url, capture in captured.items():
        assert states[url]["sourceDate"] == capture.fetched_at.isoformat()
    assert w3c_must_failures(collection, COLLECTION_MUSTS) == []
