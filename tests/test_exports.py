"""Exports: every format on a fixture project, filters, streaming query counts, jobs, page, API, command."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import articles, claims
from annotations.exports import ExportParamsError, ExportStream, parse_params, write_export
from annotations.exports.jobs import expire_jobs, job_create, job_run
from annotations.exports.jsonl import JsonlError, parse_jsonl
from annotations.models import Claim, ClaimComment, EntityMention, ExportJob, RunStatus, Source, Verdict
from tests.factories import ArticleFactory, ClaimFactory, MembershipFactory, SourceFactory, UserFactory

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"
ALL_VERDICTS = [v.value for v in Verdict]
FIXTURE_TEXT = (
    "Le ministre a déclaré : « Le chômage a baissé de 5 % en 2023 ». 🙂 Emoji before a claim.\n"
    "=SUM(A1:A9) is what the spreadsheet says; +33 people agreed, -7 did not, @everyone saw it.\n"
    "Second paragraph: the bridge cost 12 million euros and opened in 1999, said the mayor."
)


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def validate(instance: object, name: str) -> None:
    jsonschema.Draft202012Validator(schema(name), format_checker=jsonschema.FormatChecker()).validate(instance)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def sentence_spans(text: str, count: int) -> list[tuple[int, int]]:
    """``count`` disjoint word-aligned spans of the text, in order."""
    words = [i for i, ch in enumerate(text) if ch == " "]
    step = len(words) // (count + 1)
    return [(words[k * step] + 1, words[k * step + 1]) for k in range(count)]


@pytest.fixture
def dataset(project, author, editor, other_reviewer):
    """A project with one approved claim per verdict (and one without), unapproved claims,
    a claimless article, sources, mentions, and a second project whose claims must never leak."""
    article = articles.create(
        project=project, title="Jobless = down?", text=FIXTURE_TEXT, created_by=author,
        url="https://news.example/unemployment", publisher="Le Journal",
    )  # fmt: skip
    spans = sentence_spans(article.text, len(ALL_VERDICTS) + 3)
    approved: dict[str, Claim] = {}
    for (start, end), verdict in zip(spans, [*ALL_VERDICTS, ""], strict=False):
        claim = claims.create(
            article=article, by=author, start=start, end=end, claimant="The minister",
            verdict=verdict, rationale=f"Because {verdict or 'nothing'}.\nSecond line, «quoted».",
        )  # fmt: skip
        # Set up as if reviewed: the review rules themselves are tested in test_review_rules.py.
        Claim.objects.filter(pk=claim.pk).update(status="approved", reviewed_by=editor, approved_at=timezone.now())
        claim.refresh_from_db()
        approved[verdict] = claim
    unapproved = [
        claims.create(article=article, by=other_reviewer, start=s, end=e, verdict="false") for s, e in spans[-2:]
    ]
    Claim.objects.filter(pk=unapproved[0].pk).update(status="in_review")
    SourceFactory(
        claim=approved["false"], url="https://stats.example/unemployment", excerpt="Up 2 %. Not down.",
        stance="refutes", title="Labour statistics", added_by=editor,
    )  # fmt: skip
    SourceFactory(claim=approved["false"], url="https://archive.example/b", stance="context", title="")
    SourceFactory(claim=approved["true"], url="https://stats.example/ok", excerpt="Déjà vu", stance="supports")
    ClaimComment.objects.create(claim=approved["false"], author=editor, body="Check the 2023 series.")
    Claim.objects.filter(pk=approved["mostly_false"].pk).update(
        claimant="Statistics Office", claimant_type="organization"
    )
    first = approved["true"]
    EntityMention.objects.create(
        article=article, start=first.start, end=first.start + 3, text=article.text[first.start : first.start + 3],
        label="ORG", model="test",
    )  # fmt: skip
    EntityMention.objects.create(article=article, start=0, end=2, text=article.text[0:2], label="PERSON", model="")
    quiet = ArticleFactory(project=project, title="No claims here")
    elsewhere = ClaimFactory(article=ArticleFactory(title="Other project"), status="approved", verdict="true")
    return {
        "project": project, "article": article, "approved": approved, "unapproved": unapproved,
        "quiet": quiet, "elsewhere": elsewhere,
    }  # fmt: skip


def export_text(project, **data) -> str:
    params = parse_params(data, project=project)
    return "".join(ExportStream(project, params).iter_text())


def exported_claim_ids_jsonl(text: str) -> set[int]:
    return {c["id"] for line in text.splitlines() for c in json.loads(line)["claims"]}


# --- JSONL -------------------------------------------------------------------------------------


def test_it_exports_jsonl_that_validates_and_holds_exactly_the_approved_claims(dataset):
    text = export_text(dataset["project"], format="jsonl", include_mentions="1")
    lines = text.splitlines()
    assert len(lines) == 1  # only the article with approved claims; no other project's article
    row = json.loads(lines[0])
    validate(row, "jsonl")
    assert exported_claim_ids_jsonl(text) == {c.pk for c in dataset["approved"].values()}
    for claim in row["claims"]:
        assert row["text"][claim["start"] : claim["end"]] == claim["quote"]
    by_verdict = {c["verdict"]: c for c in row["claims"]}
    assert set(by_verdict) == {*ALL_VERDICTS, None}
    assert [s["url"] for s in by_verdict["false"]["sources"]] == [
        "https://stats.example/unemployment",
        "https://archive.example/b",
    ]
    org = next(m for m in row["mentions"] if m["label"] == "ORG")
    assert by_verdict["true"]["mention_ids"] == [org["id"]]
    assert by_verdict["false"]["mention_ids"] == []


def test_jsonl_leaves_entity_mentions_out_unless_asked(dataset):
    project = dataset["project"]
    without = export_text(project, format="jsonl")
    row = json.loads(without.splitlines()[0])
    validate(row, "jsonl")
    assert row["mentions"] == []
    assert all(claim["mention_ids"] == [] for claim in row["claims"])
    assert json.loads(export_text(project, format="jsonl", include_mentions="true").splitlines()[0])["mentions"]
    assert parse_params({"format": "jsonl", "include_mentions": "1"}, project=project).to_dict() == {
        "format": "jsonl",
        "include_mentions": True,
    }


def test_it_round_trips_a_full_jsonl_dump_through_the_parser(dataset):
    project = dataset["project"]
    text = export_text(project, format="jsonl", include_unreviewed="1", include_mentions="1")
    records = list(parse_jsonl(io.StringIO(text)))
    assert {r.id for r in records} == set(project.articles.values_list("pk", flat=True))  # claimless one too
    for record in records:
        article = project.articles.get(pk=record.id)
        for name in ("title", "url", "publisher", "published_at", "language", "fetched_at", "text", "text_sha256",
                     "created_at", "updated_at"):  # fmt: skip
            assert getattr(record, name) == getattr(article, name), name
        assert record.created_by == (article.created_by.username if article.created_by else None)
        assert record.assignee == (article.assignee.username if article.assignee else None)
        claims = list(article.claims.order_by("start", "end", "id"))
        assert [c.id for c in record.claims] == [c.pk for c in claims]
        mentions = list(article.mentions.order_by("start", "end", "id"))
        for parsed, claim in zip(record.claims, claims, strict=True):
            for name in ("start", "end", "quote", "prefix", "suffix", "claim_text", "claimant", "claimant_type",
                         "status", "verdict", "rationale", "version", "created_at", "updated_at", "approved_at",
                         "corrected_at", "correction_note", "anchor_status", "anchor_confidence",
                         "previous_quote"):  # fmt: skip
                assert getattr(parsed, name) == getattr(claim, name), name
            assert parsed.created_by == (claim.created_by.username if claim.created_by else None)
            assert parsed.reviewed_by == (claim.reviewed_by.username if claim.reviewed_by else None)
            sources = list(claim.sources.order_by("id"))
            assert [(s.url, s.title, s.excerpt, s.stance, s.created_at, s.added_by) for s in parsed.sources] == [
                (s.url, s.title, s.excerpt, s.stance, s.created_at, s.added_by and s.added_by.username) for s in sources
            ]
            assert [(m.author, m.body, m.created_at) for m in parsed.comments] == [
                (m.author.username, m.body, m.created_at) for m in claim.comments.order_by("created_at", "id")
            ]
            linked = [record.mentions[index].id for index in parsed.mention_indexes]
            assert linked == [m.pk for m in claim.mentions_inside(mentions)]
        assert [(m.id, m.start, m.end, m.text, m.label, m.model) for m in record.mentions] == list(
            article.mentions.order_by("start", "end", "id").values_list("id", "start", "end", "text", "label", "model")
        )
    comments = [c for r in records for claim in r.claims for c in claim.comments]
    assert [(c.author, c.body) for c in comments] == [("editor", "Check the 2023 series.")]


def test_it_reports_the_line_of_a_broken_jsonl_row(dataset):
    good = export_text(dataset["project"], format="jsonl").splitlines()[0]
    broken = json.loads(good)
    broken["claims"][0]["quote"] = "not what the text says"
    with pytest.raises(JsonlError, match="line 3: claim .*quote does not match"):
        list(parse_jsonl([good, "", json.dumps(broken)]))
    with pytest.raises(JsonlError, match="line 2: not JSON"):
        list(parse_jsonl([good, "{oops"]))
    del broken["claims"]
    with pytest.raises(JsonlError, match="'claims' is a required property"):
        list(parse_jsonl([json.dumps(broken)]))


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_it_exports_csv_rows_that_validate_with_exact_offsets(dataset):
    text = export_text(dataset["project"], format="csv")
    rows = read_csv(text)
    assert list(rows[0]) == schema("csv")["x-columns"]
    assert {int(r["claim_id"]) for r in rows} == {c.pk for c in dataset["approved"].values()}
    article_text = dataset["article"].text
    for row in rows:
        validate(row, "csv")
        quote = row["quote"].removeprefix("'") if row["quote"].startswith("'") else row["quote"]
        assert article_text[int(row["start"]) : int(row["end"])] == quote
    false_row = next(r for r in rows if r["verdict"] == "false")
    assert false_row["source_urls"] == "https://stats.example/unemployment\nhttps://archive.example/b"
    assert false_row["source_titles"] == "Labour statistics\n"  # line N of each cell is source N
    assert false_row["source_stances"] == "refutes\ncontext"
    assert false_row["verdict_label"] == "False"
    assert next(r for r in rows if r["verdict"] == "mostly_false")["claimant_type"] == "organization"
    assert false_row["rationale"] == "Because false.\nSecond line, «quoted»."  # newline and non-ASCII intact
    assert not text.startswith("\ufeff")


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_it_neutralises_cells_that_would_run_as_formulas(dataset, trigger):
    claim = dataset["approved"]["true"]
    payload = f'{trigger}HYPERLINK("http://evil.example","x")'
    Claim.objects.filter(pk=claim.pk).update(claimant=payload, rationale=payload)
    rows = read_csv(export_text(dataset["project"], format="csv", verdict="true"))
    assert len(rows) == 1
    assert rows[0]["claimant"] == "'" + payload
    assert rows[0]["rationale"] == "'" + payload
    assert rows[0]["article_title"] == "Jobless = down?"  # '=' inside a cell is harmless and left alone


def test_it_starts_csv_with_a_byte_order_mark_when_asked(dataset):
    text = export_text(dataset["project"], format="csv", bom="true")
    assert text.startswith("\ufeffarticle_id,")
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert "«" in data.decode("utf-8-sig")


# --- ClaimReview, Web Annotation, FEVER ------------------------------------------------------


def publish(project, **fields):
    values = {
        "publisher_name": "Checkers", "publisher_url": "https://checkers.example",
        "review_url_template": "https://checkers.example/checks/{claim_id}", **fields,
    }  # fmt: skip
    for name, value in values.items():
        setattr(project, name, value)
    project.save()


def test_it_maps_every_verdict_in_claimreview(dataset):
    publish(dataset["project"], publisher_logo_url="https://checkers.example/logo.png")
    reviews = json.loads(export_text(dataset["project"], format="claimreview"))
    validate(reviews, "claimreview")
    ratings = {r["identifier"]: r["reviewRating"] for r in reviews}
    approved = dataset["approved"]
    expected = {"true": 5, "mostly_true": 4, "mixed": 3, "misleading": 2, "mostly_false": 2, "false": 1}
    assert set(ratings) == {str(approved[v].pk) for v in [*expected, "unverifiable"]}  # no not_checkable, no blank
    labels = dict(Verdict.choices)
    for verdict, value in expected.items():
        rating = ratings[str(approved[verdict].pk)]
        assert {k: v for k, v in rating.items() if k != "description"} == {
            "@type": "Rating", "ratingValue": value, "bestRating": 5, "worstRating": 1,
            "alternateName": labels[verdict], "name": labels[verdict],
        }  # fmt: skip
    # Two verdicts share 2: each says so, and why.
    assert "Mostly false" in ratings[str(approved["misleading"].pk)]["description"]
    assert "Misleading" in ratings[str(approved["mostly_false"].pk)]["description"]
    unverifiable = ratings[str(approved["unverifiable"].pk)]
    assert "ratingValue" not in unverifiable and unverifiable["alternateName"] == "Unverifiable"
    review = next(r for r in reviews if r["identifier"] == str(approved["true"].pk))
    assert review["author"] == {
        "@type": "Organization", "name": "Checkers", "url": "https://checkers.example",
        "logo": "https://checkers.example/logo.png",
    }  # fmt: skip
    assert review["url"] == f"https://checkers.example/checks/{approved['true'].pk}"
    assert review["itemReviewed"]["author"] == {"@type": "Person", "name": "The minister"}
    assert review["itemReviewed"]["appearance"]["url"] == "https://news.example/unemployment"
    assert review["claimReviewed"] == approved["true"].claim_text
    assert review["datePublished"] == approved["true"].approved_at.date().isoformat()
    organisation = next(r for r in reviews if r["identifier"] == str(approved["mostly_false"].pk))
    assert organisation["itemReviewed"]["author"] == {"@type": "Organization", "name": "Statistics Office"}


def test_it_dates_a_claimreview_by_its_first_approval_and_marks_a_correction(dataset, editor):
    from datetime import UTC, datetime

    publish(dataset["project"])
    claim = dataset["approved"]["false"]
    first = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    Claim.objects.filter(pk=claim.pk).update(approved_at=first)
    corrected = claims.update(
        claim=claim, expected_version=None, by=editor, rationale="Figures revised.",
        correction_note="The 2023 figure was revised by the office.",
    )  # fmt: skip
    assert corrected.approved_at == first  # a correction never moves the first approval
    reviews = json.loads(export_text(dataset["project"], format="claimreview", verdict="false"))
    validate(reviews, "claimreview")
    (review,) = reviews
    assert review["datePublished"] == "2024-03-01"
    assert review["dateModified"] == corrected.corrected_at.date().isoformat()
    assert review["correction"] == {
        "@type": "CorrectionComment", "text": "The 2023 figure was revised by the office.",
        "datePublished": review["dateModified"],
    }  # fmt: skip


@pytest.mark.parametrize(
    "fields, setting",
    [
        ({"publisher_name": ""}, "publisher_name"),
        ({"publisher_url": ""}, "publisher_url"),
        ({"review_url_template": ""}, "review_url_template"),
        ({"review_url_template": "https://checkers.example/checks/"}, "review_url_template"),
        ({"review_url_template": "https://checkers.example/{claim}"}, "review_url_template"),
    ],
)
def test_it_refuses_claimreview_without_a_publisher_setting_naming_it(dataset, fields, setting):
    publish(dataset["project"], **fields)
    with pytest.raises(ExportParamsError) as caught:
        parse_params({"format": "claimreview"}, project=dataset["project"])
    assert set(caught.value.errors) == {setting}
    assert "settings" in caught.value.errors[setting] or "template" in caught.value.errors[setting]


def test_it_refuses_unreviewed_claims_for_claimreview(dataset):
    publish(dataset["project"])
    with pytest.raises(ExportParamsError) as caught:
        parse_params({"format": "claimreview", "include_unreviewed": True}, project=dataset["project"])
    assert set(caught.value.errors) == {"include_unreviewed"}


def test_it_exports_web_annotations_whose_selectors_match_the_text(dataset):
    collection = json.loads(export_text(dataset["project"], format="webannotation"))
    validate(collection, "webannotation")
    items = collection["first"]["items"]
    assert collection["total"] == len(items) == len(dataset["approved"])
    assert collection["first"]["id"] and collection["first"]["partOf"] == collection["id"]
    text = dataset["article"].text
    labels = dict(Verdict.choices)
    by_id = {c.pk: c for c in dataset["approved"].values()}
    for item in items:
        validate(item, "webannotation")  # each stands on its own, @context included
        claim = by_id[int(item["id"].rsplit(":", 1)[1])]
        quote, position = item["target"]["selector"]
        assert text[position["start"] : position["end"]] == quote["exact"] == claim.quote
        assert text[: position["start"]].endswith(quote.get("prefix", ""))
        assert text[position["end"] :].startswith(quote.get("suffix", ""))
        assert item["target"]["source"] == "https://news.example/unemployment"
        assert item["motivation"] == "assessing"
        assessing = [b["value"] for b in item.get("body", []) if b["purpose"] == "assessing"]
        assert assessing == ([labels[claim.verdict]] if claim.verdict else [])
        linking = [(b["source"]["id"], b["stance"]) for b in item.get("body", []) if b["purpose"] == "linking"]
        assert linking == list(claim.sources.order_by("id").values_list("url", "stance"))
    emoji_at = text.index("🙂")
    assert any(i["target"]["selector"][1]["start"] > emoji_at for i in items)  # code points, past an astral char
    lines = export_text(dataset["project"], format="webannotation-lines").splitlines()
    assert [json.loads(line) for line in lines] == items


def test_it_cuts_web_annotation_context_on_grapheme_clusters(project, author):
    flag, thumb = "🇫🇷", "👍🏽"  # two regional indicators; a thumb and a skin-tone modifier
    text = "x" * 10 + flag + "y" * 31 + "CLAIM" + "z" * 31 + thumb + " end."
    article = articles.create(project=project, title="Graphemes", text=text, created_by=author)
    start = text.index("CLAIM")
    claim = claims.create(article=article, by=author, start=start, end=start + 5)
    Claim.objects.filter(pk=claim.pk).update(status="approved")
    # 32 code points of context would start inside the flag and end inside the thumb.
    assert claim.prefix.startswith(flag[1]) and claim.suffix.endswith(thumb[0])
    (item,) = json.loads(export_text(project, format="webannotation"))["first"]["items"]
    quote = item["target"]["selector"][0]
    assert quote["prefix"] == "y" * 31 and quote["suffix"] == "z" * 31


def test_it_maps_fever_labels_and_leaves_out_what_has_none(dataset):
    lines = [json.loads(line) for line in export_text(dataset["project"], format="fever").splitlines()]
    for line in lines:
        validate(line, "fever")
    approved = dataset["approved"]
    labels = {line["id"]: line["label"] for line in lines}
    # mostly_true, misleading and mostly_false have no excerpt to show: FEVER cannot carry them.
    assert labels == {
        approved["true"].pk: "SUPPORTS",
        approved["false"].pk: "REFUTES",
        approved["unverifiable"].pk: "NOT ENOUGH INFO",
    }
    false_line = next(line for line in lines if line["id"] == approved["false"].pk)
    source = approved["false"].sources.get(stance="refutes")
    page = "https://stats.example/unemployment"
    assert false_line["evidence"] == [
        [[approved["false"].pk, source.pk, page, 0], [approved["false"].pk, source.pk, page, 1]]
    ]
    assert [s["text"] for s in false_line["workbench"]["sentences"]] == ["Up 2 %.", "Not down."]
    assert [s["stance"] for s in false_line["workbench"]["sources"]] == ["refutes", "context"]
    nei = next(line for line in lines if line["label"] == "NOT ENOUGH INFO")
    assert nei["evidence"] == [[[approved["unverifiable"].pk, None, None, None]]]


# --- filters -----------------------------------------------------------------------------------


def test_it_filters_by_status_verdict_reviewer_dates_and_article(dataset, editor, other_reviewer):
    project = dataset["project"]
    approved_ids = {c.pk for c in dataset["approved"].values()}
    unapproved_ids = {c.pk for c in dataset["unapproved"]}

    def ids(**data):
        return exported_claim_ids_jsonl(export_text(project, format="jsonl", **data))

    assert ids(include_unreviewed=True) == approved_ids | unapproved_ids
    assert ids(include_unreviewed=True, status="in_review,unstarted") == unapproved_ids
    assert ids(verdict=["false", "true"]) == {dataset["approved"]["false"].pk, dataset["approved"]["true"].pk}
    assert ids(include_unreviewed=True, reviewer=other_reviewer.username) == unapproved_ids
    assert ids(reviewer=editor.username) == approved_ids
    today = timezone.now().date()
    assert ids(date_from=today.isoformat(), date_to=today.isoformat()) == approved_ids
    assert ids(date_to=(today - timedelta(days=1)).isoformat()) == set()
    assert ids(article=dataset["quiet"].pk) == set()
    assert ids(article=dataset["article"].pk) == approved_ids


@pytest.mark.parametrize(
    "data, field",
    [
        ({"format": "xml"}, "format"),
        ({}, "format"),
        ({"format": "csv", "status": "in_review"}, "status"),
        ({"format": "csv", "status": "bogus", "include_unreviewed": "1"}, "status"),
        ({"format": "csv", "verdict": "maybe"}, "verdict"),
        ({"format": "csv", "date_from": "31/12/2024"}, "date_from"),
        ({"format": "csv", "date_from": "2024-02-01", "date_to": "2024-01-01"}, "date_to"),
        ({"format": "csv", "article": "abc"}, "article"),
        ({"format": "csv", "reviewer": "nobody-here"}, "reviewer"),
        ({"format": "csv", "include_unreviewed": "perhaps"}, "include_unreviewed"),
        ({"format": "jsonl", "bom": "1"}, "bom"),
        ({"format": "csv", "colour": "red"}, "colour"),
        ({"format": "csv", "reviewer": "a\x00b"}, "reviewer"),
        ({"format": "csv", "article": str(10**30)}, "article"),
    ],
)
def test_it_names_the_field_of_a_bad_filter(dataset, data, field):
    with pytest.raises(ExportParamsError) as caught:
        parse_params(data, project=dataset["project"])
    assert field in caught.value.errors


def test_it_does_not_accept_another_projects_article_or_person(dataset, outsider):
    with pytest.raises(ExportParamsError) as caught:
        parse_params(
            {"format": "csv", "article": dataset["elsewhere"].article_id, "reviewer": outsider.username},
            project=dataset["project"],
        )
    assert set(caught.value.errors) == {"article", "reviewer"}


# --- streaming: queries grow with chunks, not rows ---------------------------------------------


def make_articles(project, author, articles: int, claims_each: int) -> None:
    for n in range(articles):
        article = ArticleFactory(project=project, text=f"Article {n} " + " ".join(f"word{i}" for i in range(40)))
        for k in range(claims_each):
            claim = ClaimFactory(article=article, start=k * 7, end=k * 7 + 5, status="approved", verdict="false")
            SourceFactory(claim=claim, excerpt="It is not so.", stance="refutes")
        EntityMention.objects.create(article=article, start=0, end=7, text=article.text[:7], label="ORG")


@pytest.mark.parametrize(
    "fmt, per_chunk",
    # jsonl, claimreview and webannotation read each chunk's captures too (one query).
    [("jsonl", 6), ("csv", 3), ("fever", 3), ("claimreview", 4), ("webannotation", 4), ("webannotation-lines", 4)],
)
def test_it_makes_a_fixed_number_of_queries_per_chunk_whatever_the_rows(project, author, fmt, per_chunk):
    publish(project)
    make_articles(project, author, articles=6, claims_each=1)
    params = parse_params({"format": fmt, **({"include_mentions": "1"} if fmt == "jsonl" else {})}, project=project)

    def run() -> tuple[int, int]:
        stream = ExportStream(project, params, chunk_articles=2)
        with CaptureQueriesContext(connection) as queries:
            for _ in stream.iter_text():
                pass
        return len(queries), stream.claim_count

    few_queries, few_claims = run()
    # 3 chunks: 4 keyset pages (the last one empty) plus a fixed number of queries per chunk.
    assert few_queries == 4 + 3 * per_chunk
    for article in project.articles.all():
        for k in range(1, 5):
            claim = ClaimFactory(article=article, start=k * 7, end=k * 7 + 5, status="approved", verdict="false")
            SourceFactory(claim=claim, excerpt="It is not so.", stance="refutes")
    many_queries, many_claims = run()
    assert many_claims == 5 * few_claims
    assert many_queries == few_queries


def test_it_splits_jsonl_chunks_by_text_size(project, author, settings, django_assert_num_queries):
    settings.EXPORT_CHUNK_CHARS = 60  # about one article's text
    make_articles(project, author, articles=3, claims_each=1)
    params = parse_params({"format": "jsonl", "include_mentions": "1"}, project=project)
    stream = ExportStream(project, params, chunk_articles=100)
    with django_assert_num_queries(2 + 3 * 6):  # one page of ids (+ the empty one), then 3 chunks of 1 article
        text = "".join(stream.iter_text())
    assert len(text.splitlines()) == 3


@pytest.mark.parametrize(
    "fmt, options",
    [
        ("jsonl", {"include_mentions": "1", "include_suggestions": "1"}),
        ("jsonl", {}),
        ("csv", {}),
        ("fever", {}),
        ("claimreview", {"status": "approved"}),
        ("webannotation", {}),
        ("webannotation-lines", {}),
    ],
)
def test_an_article_read_in_pages_of_claims_exports_the_same_bytes(dataset, author, settings, fmt, options):
    """Claims are read ``EXPORT_CHUNK_CLAIMS`` at a time, so an article with 100,000 of them is never
    held whole; whatever the page size, and wherever a page ends (inside an article, at its end,
    before a claimless one), the export is the same to the byte, with the same counts."""
    publish(dataset["project"])
    make_articles(dataset["project"], author, articles=2, claims_each=3)
    params = parse_params({"format": fmt, **options}, project=dataset["project"])

    def export(page: int) -> tuple[bytes, int, int, int]:
        settings.EXPORT_CHUNK_CLAIMS = page
        stream = ExportStream(dataset["project"], params)
        data = b"".join(stream.iter_bytes())
        return data, stream.row_count, stream.claim_count, stream.article_count

    whole = export(10_000)
    assert whole[2] >= 8  # enough claims (those the format keeps) for several pages
    for page in (1, 2, 3, 5, 13):
        assert export(page) == whole, f"page of {page}"


def test_an_export_holds_at_most_a_page_of_claims_at_once(project, author, settings):
    settings.EXPORT_CHUNK_CLAIMS = 4
    for n, claims_each in enumerate((10, 3, 3)):
        article = ArticleFactory(project=project, text=f"{n} " + " ".join(f"word{i}" for i in range(40)))
        for k in range(claims_each):
            claim = ClaimFactory(article=article, start=k * 7, end=k * 7 + 5, status="approved")
            SourceFactory(claim=claim)
    params = parse_params({"format": "jsonl"}, project=project)
    stream = ExportStream(project, params)
    held = [sum(len(bundle.claims) for bundle in bundles) for bundles in stream.bundle_chunks()]
    assert max(held) <= 4
    assert sum(held) == 16
    # Queries grow with the pages: ceil(16 / 4) pages of claims, each with its sources, captures
    # and comments, and a last empty one.
    with CaptureQueriesContext(connection) as queries:
        lines = b"".join(stream.iter_bytes()).splitlines()
    assert [len(json.loads(line)["claims"]) for line in lines] == [10, 3, 3]
    assert sum('FROM "annotations_source"' in q["sql"] for q in queries) == 4


def test_a_claim_edited_or_deleted_between_pages_is_written_once_or_not_at_all(project, author, settings):
    """Pages after the first are read by the ids in the order read at the start: a span that
    moves across a page boundary in the meantime neither doubles its claim nor drops it."""
    settings.EXPORT_CHUNK_CLAIMS = 2
    article = ArticleFactory(project=project, text=" ".join(f"word{i}" for i in range(40)))
    made = [
        ClaimFactory(article=article, start=k * 7, end=k * 7 + 5, status="approved", verdict="false") for k in range(6)
    ]
    params = parse_params({"format": "jsonl"}, project=project)
    stream = ExportStream(project, params)
    chunks = stream.bundle_chunks()
    first = next(chunks)
    seen = [claim["id"] for bundle in first for claim in bundle.claims]
    assert seen == [made[0].pk, made[1].pk]
    # Meanwhile: the first claim moves to the end, the last one to the front, one is deleted.
    Claim.objects.filter(pk=made[0].pk).update(start=35, end=39)
    Claim.objects.filter(pk=made[5].pk).update(start=0, end=3)
    Claim.objects.filter(pk=made[3].pk).delete()
    seen += [claim["id"] for bundles in chunks for bundle in bundles for claim in bundle.claims]
    assert seen == [made[0].pk, made[1].pk, made[2].pk, made[4].pk, made[5].pk]


# --- jobs (called directly; the worker wiring is tested once below) ----------------------------


def test_it_runs_a_job_into_a_file_whose_manifest_matches(dataset, author, media_root):
    params = parse_params({"format": "csv", "bom": "1"}, project=dataset["project"])
    job = job_create(project=dataset["project"], params=params, created_by=author)
    done = job_run(job.pk)
    assert done is not None and done.status == RunStatus.DONE and done.progress == 100
    data = (Path(media_root) / done.file.name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == done.sha256 == done.manifest["sha256"]
    assert done.manifest["row_count"] == done.row_count == len(read_csv(data.decode("utf-8"))) == 9
    assert done.manifest["filters"] == {"format": "csv", "bom": True}
    assert done.manifest["schema_version"] == "2" and done.manifest["app_version"]
    assert done.expires_at > timezone.now()
    assert job_run(job.pk) is None  # a second delivery finds it finished and changes nothing
    assert ExportJob.objects.get(pk=job.pk).sha256 == done.sha256
    assert len(list((Path(media_root) / "exports").iterdir())) == 1


def test_it_takes_over_a_job_left_running_by_a_dead_worker(dataset, author):
    params = parse_params({"format": "fever"}, project=dataset["project"])
    job = job_create(project=dataset["project"], params=params, created_by=author)
    ExportJob.objects.filter(pk=job.pk).update(status=RunStatus.RUNNING, progress=40)
    done = job_run(job.pk)
    assert done is not None and done.status == RunStatus.DONE and done.row_count == 3


def test_it_marks_a_job_failed_with_the_reason(dataset, author):
    job = ExportJob.objects.create(project=dataset["project"], format="csv", filters={"format": "csv", "verdict": "x"})
    assert job_run(job.pk) is None
    job.refresh_from_db()
    assert job.status == RunStatus.FAILED and "verdict" in job.error


def test_it_deletes_expired_files_and_keeps_the_manifest(dataset, author, media_root):
    params = parse_params({"format": "csv"}, project=dataset["project"])
    job = job_run(job_create(project=dataset["project"], params=params, created_by=author).pk)
    path = Path(media_root) / job.file.name
    assert expire_jobs() == 0 and path.exists()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    out = io.StringIO()
    call_command("expire_exports", stdout=out)
    assert "Expired 1" in out.getvalue()
    job.refresh_from_db()
    assert not path.exists() and job.file.name == "" and job.manifest["sha256"] == job.sha256


# --- the page ----------------------------------------------------------------------------------


def test_it_shows_the_export_page_to_members_only(dataset, client_for, author, outsider):
    url = f"/p/{dataset['project'].slug}/exports/"
    response = client_for(author).get(url)
    assert response.status_code == 200
    assert b"ClaimReview" in response.content
    assert client_for(outsider).get(url).status_code == 404


def test_it_streams_a_small_export_from_the_page(dataset, client_for, author):
    response = client_for(author).post(f"/p/{dataset['project'].slug}/exports/", {"format": "csv", "verdict": "false"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(b"".join(response.streaming_content).decode("utf-8"))
    assert [int(r["claim_id"]) for r in rows] == [dataset["approved"]["false"].pk]
    assert not ExportJob.objects.exists()


def test_it_answers_400_naming_the_field_of_a_bad_filter(dataset, client_for, author):
    response = client_for(author).post(f"/p/{dataset['project'].slug}/exports/", {"format": "csv", "date_from": "soon"})
    assert response.status_code == 400
    assert "date_from must be a date" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_it_queues_a_big_export_as_a_job(dataset, client_for, author, settings):
    settings.EXPORT_STREAM_MAX_CLAIMS = 3
    client = client_for(author)
    response = client.post(f"/p/{dataset['project'].slug}/exports/", {"format": "jsonl", "status": ["approved"]})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.filters == {"format": "jsonl", "status": ["approved"]} and job.created_by == author
    page = client.get(response["Location"])
    assert f'id="export-job-{job.pk}"'.encode() in page.content


def test_it_lets_only_members_download_a_finished_job(dataset, client_for, author, editor, outsider):
    params = parse_params({"format": "webannotation"}, project=dataset["project"])
    job = job_run(job_create(project=dataset["project"], params=params, created_by=author).pk)
    url = f"/p/{dataset['project'].slug}/exports/{job.pk}/download/"
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).get(f"/p/{dataset['project'].slug}/exports/{job.pk}/").status_code == 404
    response = client_for(editor).get(url)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == job.sha256
    row = client_for(editor).get(f"/p/{dataset['project'].slug}/exports/{job.pk}/")
    assert row.status_code == 200 and job.sha256[:10].encode() in row.content
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert client_for(editor).get(url).status_code == 410


def test_it_shows_a_running_jobs_progress_and_refreshes(dataset, client_for, author):
    ExportJob.objects.create(project=dataset["project"], format="csv", status=RunStatus.RUNNING, progress=42)
    page = client_for(author).get(f"/p/{dataset['project'].slug}/exports/").content.decode()
    assert '<progress max="100" value="42"' in page
    assert 'http-equiv="refresh"' in page


# --- the API -----------------------------------------------------------------------------------


def test_it_streams_an_export_through_the_api(dataset, client_for, author, outsider):
    slug = dataset["project"].slug
    response = client_for(author).get(f"/api/v1/projects/{slug}/exports/stream/fever/?verdict=true")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [dataset["approved"]["true"].pk]
    assert client_for(outsider).get(f"/api/v1/projects/{slug}/exports/stream/fever/").status_code == 404


def test_it_answers_api_filter_errors_by_field(dataset, client_for, author):
    client = client_for(author)
    slug = dataset["project"].slug
    response = client.get(f"/api/v1/projects/{slug}/exports/stream/csv/?status=in_review")
    assert response.status_code == 400 and list(response.json()) == ["status"]
    response = client.post(f"/api/v1/projects/{slug}/exports/", {"format": "tsv"}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["format"]
    assert not ExportJob.objects.exists()


def test_it_runs_and_serves_jobs_through_the_api(dataset, client_for, author, outsider):
    client = client_for(author)
    slug = dataset["project"].slug
    response = client.post(
        f"/api/v1/projects/{slug}/exports/", {"format": "csv", "verdict": ["false"]}, content_type="application/json"
    )
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued" and response.json()["download_url"] is None
    job_run(job_id)
    detail = client.get(f"/api/v1/projects/{slug}/exports/{job_id}/").json()
    assert detail["status"] == "done" and detail["row_count"] == 1 and detail["manifest"]["row_count"] == 1
    download = client.get(detail["download_url"])
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == detail["sha256"]
    assert [j["id"] for j in client.get(f"/api/v1/projects/{slug}/exports/").json()] == [job_id]
    outside = client_for(outsider)
    assert outside.get(f"/api/v1/projects/{slug}/exports/").status_code == 404
    assert outside.get(f"/api/v1/projects/{slug}/exports/{job_id}/").status_code == 404
    assert outside.get(f"/api/v1/projects/{slug}/exports/{job_id}/download/").status_code == 404


# --- the command -------------------------------------------------------------------------------


def test_it_exports_from_the_command_line(dataset, tmp_path):
    out = tmp_path / "claims.jsonl"
    manifest = tmp_path / "manifest.json"
    call_command(
        "export_dataset", "--project", dataset["project"].slug, "--format", "jsonl", "--include-unreviewed",
        "--status", "in_review", "--out", str(out), "--manifest", str(manifest), "--no-progress", stderr=io.StringIO(),
    )  # fmt: skip
    records = list(parse_jsonl(out.open(encoding="utf-8")))
    assert [c.id for r in records for c in r.claims] == [dataset["unapproved"][0].pk]
    meta = json.loads(manifest.read_text())
    assert meta["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and meta["claim_count"] == 1


def test_it_refuses_a_bad_filter_on_the_command_line(dataset, tmp_path):
    with pytest.raises(CommandError, match="--status"):
        call_command(
            "export_dataset", "--project", dataset["project"].slug, "--format", "csv", "--status", "in_review",
            "--out", str(tmp_path / "x.csv"), "--no-progress",
        )  # fmt: skip
    assert not (tmp_path / "x.csv").exists()


# --- the real worker ---------------------------------------------------------------------------


@pytest.mark.worker
def test_it_runs_an_export_job_on_a_real_worker(start_worker, tmp_path, settings, client, transactional_db):
    import time

    from django.db import transaction

    var = tmp_path / "worker-var"
    settings.MEDIA_ROOT = var / "media"
    worker = start_worker(EXPORT_TEST_DELAY_SECONDS="0.2", EXPORT_CHUNK_ARTICLES="1", WORKBENCH_VAR_DIR=str(var))
    author = UserFactory(username="job-author")
    project = MembershipFactory(user=author, role="editor").project
    outsider = MembershipFactory(user=UserFactory(username="job-outsider")).user
    make_articles(project, author, articles=6, claims_each=2)
    params = parse_params({"format": "jsonl"}, project=project)
    with transaction.atomic():
        job = job_create(project=project, params=params, created_by=author)
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not seen or seen[-1] != job.progress:
            seen.append(job.progress)
        if job.status in (RunStatus.DONE, RunStatus.FAILED):
            break
        time.sleep(0.05)
    assert job.status == RunStatus.DONE, f"{job.status}: {job.error}\n{worker.log_tail()}"
    assert seen == sorted(seen) and seen[-1] == 100
    assert any(0 < p < 100 for p in seen), seen
    data = (Path(settings.MEDIA_ROOT) / job.file.name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == job.sha256 == job.manifest["sha256"]
    assert job.manifest["row_count"] == len(data.decode().splitlines()) == 6
    assert job.manifest["claim_count"] == Source.objects.filter(claim__article__project=project).count() == 12
    url = f"/p/{project.slug}/exports/{job.pk}/download/"
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(author)
    assert hashlib.sha256(b"".join(client.get(url).streaming_content)).hexdigest() == job.sha256


def test_write_export_counts_bytes_and_rows(dataset):
    params = parse_params({"format": "fever"}, project=dataset["project"])
    out = io.BytesIO()
    result = write_export(ExportStream(dataset["project"], params), out)
    assert result.bytes == len(out.getvalue()) and result.row_count == 3 == len(out.getvalue().splitlines())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="about SQLite's planner without statistics")
def test_it_reads_a_chunks_claims_through_the_article_index(dataset, author):
    params = parse_params({"format": "csv", "reviewer": author.username}, project=dataset["project"])
    stream = ExportStream(dataset["project"], params)
    chunk = [dataset["article"].pk, *range(10**6, 10**6 + 499)]  # a full chunk: the planner weighs 500 lookups
    plan = stream._kept_claims(by_article=True).filter(article_id__in=chunk).explain()
    assert "annotations_article_bb3749_idx" in plan, plan  # the (article, start) index, not status or people


def test_it_answers_anonymous_api_calls_without_a_login_redirect(dataset, client):
    response = client.get(f"/api/v1/projects/{dataset['project'].slug}/exports/")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize(
    "stored, expected",
    [
        ("2024-05-31 12:00:00", "2024-05-31T12:00:00+00:00"),
        ("2024-05-31 12:00:00.123456", "2024-05-31T12:00:00.123456+00:00"),
        ("2024-05-31T12:00:00+02:00", "2024-05-31T12:00:00+02:00"),
        ("2024-05-31 12:00:00.5", "2024-05-31T12:00:00.500000+00:00"),
        (None, None),
    ],
)
def test_it_reads_sqlite_datetimes_as_iso_text(stored, expected):
    from annotations.exports.core import sqlite_iso

    assert sqlite_iso(stored) == expected
