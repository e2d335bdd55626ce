"""A corpus of hostile input for every door: the API, the pages, the importers, the commands.

Each case must get a clear 4xx (or, for a command, a CommandError) that names the field, or the
file and line, and must write nothing: the counts of every table a door writes, and the claim
a case tries to change, are the same before and after. No case may get a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework.test import APIClient

from annotations import articles, claims, limits
from annotations.models import (
    ApiToken,
    Article,
    ArticleRevision,
    BlindVerdict,
    Claim,
    ClaimComment,
    EntityMention,
    ExportJob,
    ExtractionRun,
    ImportJob,
    Membership,
    Source,
)

pytestmark = pytest.mark.django_db

TEXT = "Prices rose by five percent overnight, the minister said on Tuesday."
LONG = limits.QUOTE_CHARS + 100
TABLES = (
    Article,
    ArticleRevision,
    Claim,
    Source,
    ClaimComment,
    BlindVerdict,
    EntityMention,
    ExtractionRun,
    ExportJob,
    ImportJob,
    ApiToken,
    Membership,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def snapshot() -> dict[str, Any]:
    state: dict[str, Any] = {table.__name__: table.objects.count() for table in TABLES}
    state["users"] = get_user_model().objects.count()
    state["claims"] = list(Claim.objects.order_by("pk").values_list("pk", "version", "rationale", "claim_text"))
    return state


@dataclass
class Doors:
    api: Any  # token-authenticated APIClient of the claim's author
    admin_api: Any  # the same for an admin of the project
    page: Any  # session-authenticated test client of the same author
    project: Any
    article: Any
    claim: Any
    long_article: Any  # longer than one claim may span

    def claim_url(self, name: str) -> str:
        return reverse(name, args=[self.project.slug, self.article.pk, self.claim.pk])


@pytest.fixture
def doors(api_client_for, client_for, project, author, project_admin, settings) -> Doors:
    # Small enough that the oversized cases stay cheap, big enough for every legitimate case.
    settings.REQUEST_MAX_BODY_BYTES = 200_000
    settings.REQUEST_MAX_UPLOAD_BYTES = 400_000
    article = articles.create(project=project, title="Prices", text=TEXT, created_by=author)
    long_article = articles.create(project=project, title="Long", text="word " * (LONG // 5), created_by=author)
    claim = claims.create(article=article, by=author, start=0, end=6, quote="Prices")
    project.double_review = True
    project.save()
    return Doors(
        api_client_for(author),
        api_client_for(project_admin),
        client_for(author),
        project,
        article,
        claim,
        long_article,
    )


# --- the API --------------------------------------------------------------------------------------


def _api_claim(doors: Doors, **fields: Any) -> Any:
    return doors.api.post(
        "/api/v1/claims/", {"article": doors.article.pk, "start": 0, "end": 6, **fields}, format="json"
    )


def _api_patch(doors: Doors, **fields: Any) -> Any:
    return doors.api.patch(
        f"/api/v1/claims/{doors.claim.pk}/", fields, format="json", HTTP_IF_MATCH=f'"{doors.claim.version}"'
    )


def _api_source(doors: Doors, **fields: Any) -> Any:
    body = {"url": "https://example.org/evidence", **fields}
    return doors.api.post(f"/api/v1/claims/{doors.claim.pk}/sources/", body, format="json")


def _api_article(doors: Doors, **fields: Any) -> Any:
    body = {"project": doors.project.slug, "title": "New", "text": "Another text entirely.", **fields}
    return doors.api.post("/api/v1/articles/", body, format="json")


def _api_raw(doors: Doors, body: bytes, **extra: str) -> Any:
    return doors.api.generic("POST", "/api/v1/claims/", body, content_type="application/json", **extra)


API_CASES: dict[str, tuple[Callable[[Doors], Any], int, str]] = {
    "claim rationale over the limit": (
        lambda d: _api_claim(d, rationale="x" * (limits.RATIONALE_CHARS + 1)),
        400,
        "rationale",
    ),
    "claim text over the limit": (
        lambda d: _api_claim(d, claim_text="x" * (limits.CLAIM_TEXT_CHARS + 1)),
        400,
        "claim_text",
    ),
    "claimant over the limit": (lambda d: _api_claim(d, claimant="x" * (limits.CLAIMANT_CHARS + 1)), 400, "claimant"),
    "claim rationale with a NUL": (lambda d: _api_claim(d, rationale="a\x00b"), 400, "rationale"),
    "claim span over the limit": (
        lambda d: d.api.post(
            "/api/v1/claims/", {"article": d.long_article.pk, "start": 0, "end": LONG - 50}, format="json"
        ),
        400,
        "a span can cover at most",
    ),
    "claim start beyond any integer": (lambda d: _api_claim(d, start=10**100), 400, "start"),
    "claim start NaN": (lambda d: _api_raw(d, b'{"article": 1, "start": NaN, "end": 6}'), 400, "JSON parse error"),
    "patched rationale over the limit": (
        lambda d: _api_patch(d, rationale="x" * (limits.RATIONALE_CHARS + 1)),
        400,
        "rationale",
    ),
    "correction note over the limit": (
        lambda d: _api_patch(d, correction_note="x" * (limits.CORRECTION_NOTE_CHARS + 1)),
        400,
        "correction_note",
    ),
    "source excerpt over the limit": (
        lambda d: _api_source(d, excerpt="x" * (limits.EXCERPT_CHARS + 1)),
        400,
        "excerpt",
    ),
    "source title over the limit": (lambda d: _api_source(d, title="x" * (limits.TITLE_CHARS + 1)), 400, "title"),
    "source url over the limit": (
        lambda d: _api_source(d, url="https://example.org/" + "a" * limits.URL_CHARS),
        400,
        "url",
    ),
    "source javascript: url": (lambda d: _api_source(d, url="javascript:alert(1)"), 400, "url"),
    "article title over the limit": (lambda d: _api_article(d, title="x" * (limits.TITLE_CHARS + 1)), 400, "title"),
    "article url over the limit": (
        lambda d: _api_article(d, url="https://example.org/" + "a" * limits.URL_CHARS),
        400,
        "url",
    ),
    "article language over the limit": (lambda d: _api_article(d, language="x" * 17), 400, "language"),
    "body over REQUEST_MAX_BODY_BYTES": (
        lambda d: _api_claim(d, rationale="x" * 300_000),
        413,
        "REQUEST_MAX_BODY_BYTES",
    ),
    "150 MB declared, nothing read": (
        lambda d: _api_raw(d, b"{}", CONTENT_LENGTH=str(150 * 1024 * 1024)),
        413,
        "REQUEST_MAX_BODY_BYTES",
    ),
    "Content-Length that is no number": (lambda d: _api_raw(d, b"{}", CONTENT_LENGTH="lots"), 400, "Content-Length"),
    "body nested 100,000 deep": (lambda d: _api_raw(d, nested(100_000).encode()), 400, "nests deeper than"),
    "body nested one level too deep": (
        lambda d: _api_raw(d, nested(limits.JSON_MAX_DEPTH + 1).encode()),
        400,
        "nests deeper than",
    ),
    "a field nested deep": (
        lambda d: _api_raw(d, ('{"article": 1, "start": 0, "end": 6, "rationale": ' + nested(40) + "}").encode()),
        400,
        "nests deeper than",
    ),
    "body that is not UTF-8": (lambda d: _api_raw(d, b'{"rationale": "\xff\xfe"}'), 400, "JSON parse error"),
    "member username over the limit": (
        lambda d: d.admin_api.post(
            f"/api/v1/projects/{d.project.slug}/members/", {"username": "x" * 151}, format="json"
        ),
        400,
        "username",
    ),
    "export parameter with a NUL": (
        lambda d: d.api.post(
            f"/api/v1/projects/{d.project.slug}/exports/", {"format": "jsonl", "reviewer": "a\x00"}, format="json"
        ),
        400,
        "reviewer",
    ),
    "import text nested deep": (
        lambda d: d.api.generic(
            "POST",
            f"/api/v1/projects/{d.project.slug}/imports/",
            ('{"text": ' + nested(5000) + "}").encode(),
            content_type="application/json",
        ),
        400,
        "nests deeper than",
    ),
    "import upload over REQUEST_MAX_UPLOAD_BYTES": (
        lambda d: d.api.post(
            f"/api/v1/projects/{d.project.slug}/imports/",
            {"file": SimpleUploadedFile("big.txt", b"word " * 100_000)},
            format="multipart",
        ),
        413,
        "REQUEST_MAX_UPLOAD_BYTES",
    ),
    "bad token guessed": (
        lambda d: APIClient().get("/api/v1/claims/", HTTP_AUTHORIZATION="Token " + "A" * 5000),
        401,
        "Invalid token",
    ),
}


@pytest.mark.parametrize("case", list(API_CASES), ids=list(API_CASES))
def test_the_api_refuses_hostile_input_naming_it_and_writes_nothing(doors, case):
    send, status, named = API_CASES[case]
    before = snapshot()
    response = send(doors)
    assert response.status_code == status, response.content[:500]
    assert named in response.content.decode(errors="replace")
    assert snapshot() == before


# --- the pages --------------------------------------------------------------------------------------


def _page_claim(doors: Doors, **fields: Any) -> Any:
    url = reverse("claim-create", args=[doors.project.slug, doors.article.pk])
    data = {
        "start": 0,
        "end": 6,
        "quote": "Prices",
        "status": "unstarted",
        "claim_text": "",
        "claimant": "",
        "verdict": "",
        "rationale": "",
        **fields,
    }
    return doors.page.post(url, data)


def _page_edit(doors: Doors, **fields: Any) -> Any:
    data = {
        "claim_text": "c",
        "claimant": "",
        "verdict": "",
        "status": "unstarted",
        "rationale": "",
        "version": doors.claim.version,
        "correction_note": "",
        **fields,
    }
    return doors.page.post(doors.claim_url("claim-edit"), data)


def _page_source(doors: Doors, **fields: Any) -> Any:
    data = {
        "url": "https://example.org/e",
        "title": "",
        "publisher": "",
        "excerpt": "",
        "stance": "context",
        "archived_url": "",
        **fields,
    }
    return doors.page.post(doors.claim_url("source-create"), data)


def _team(doors: Doors, name: str, **data: Any) -> Any:
    return doors.page.post(reverse(name, args=[doors.project.slug, doors.claim.pk]), data)


def _import(doors: Doors, **data: Any) -> Any:
    return doors.page.post(reverse("import-articles", args=[doors.project.slug]), data)


PAGE_CASES: dict[str, tuple[Callable[[Doors], Any], int, str]] = {
    "desk: new claim's rationale over the limit": (
        lambda d: _page_claim(d, rationale="x" * (limits.RATIONALE_CHARS + 1)),
        400,
        "at most 20000 characters",
    ),
    "desk: new claim's span over the limit": (
        lambda d: d.page.post(
            reverse("claim-create", args=[d.project.slug, d.long_article.pk]),
            {"start": 0, "end": LONG - 50, "quote": d.long_article.text[: LONG - 50], "status": "unstarted"},
        ),
        400,
        "at most 10000 characters",
    ),
    "desk: edited claim text over the limit": (
        lambda d: _page_edit(d, claim_text="x" * (limits.CLAIM_TEXT_CHARS + 1)),
        400,
        "at most 10000 characters",
    ),
    "desk: correction note over the limit": (
        lambda d: _page_edit(d, correction_note="x" * (limits.CORRECTION_NOTE_CHARS + 1)),
        400,
        "at most 5000",
    ),
    "desk: source excerpt over the limit": (
        lambda d: _page_source(d, excerpt="x" * (limits.EXCERPT_CHARS + 1)),
        400,
        "at most 10000 characters",
    ),
    "desk: source javascript: url": (lambda d: _page_source(d, url="javascript:alert(1)"), 400, "Enter a valid URL"),
    "review: comment over the limit": (
        lambda d: _team(d, "claim-comment", body="x" * (limits.COMMENT_CHARS + 1)),
        400,
        "at most 10,000 characters",
    ),
    "review: blind rationale over the limit": (
        lambda d: _team(d, "claim-blind-verdict", verdict="true", rationale="x" * (limits.RATIONALE_CHARS + 1)),
        400,
        "at most 20,000 characters",
    ),
    "import: pasted text with a NUL": (
        lambda d: _import(d, source="paste", text="Text with a \x00 in it."),
        400,
        "Null characters are not allowed",
    ),
    "import: a URL over the limit": (
        lambda d: _import(d, source="url", urls="https://example.org/" + "a" * limits.URL_CHARS),
        400,
        "the limit is 2000",
    ),
    "import: title over the limit": (
        lambda d: _import(d, source="paste", text="Some text.", title="x" * (limits.TITLE_CHARS + 1)),
        400,
        "at most 500 characters",
    ),
    "form body over REQUEST_MAX_BODY_BYTES": (
        lambda d: d.page.post(
            reverse("claim-create", args=[d.project.slug, d.article.pk]),
            urlencode({"start": 0, "end": 6, "quote": "Prices", "rationale": "x" * 300_000}),
            content_type="application/x-www-form-urlencoded",
        ),
        413,
        "REQUEST_MAX_BODY_BYTES",
    ),
    "multipart form body over REQUEST_MAX_UPLOAD_BYTES": (
        lambda d: _page_claim(d, rationale="x" * 500_000),
        413,
        "REQUEST_MAX_UPLOAD_BYTES",
    ),
    "150 MB declared to a page, nothing read": (
        lambda d: d.page.generic(
            "POST",
            reverse("claim-create", args=[d.project.slug, d.article.pk]),
            b"",
            content_type="application/x-www-form-urlencoded",
            CONTENT_LENGTH=str(150 * 1024 * 1024),
        ),
        413,
        "REQUEST_MAX_BODY_BYTES",
    ),
    "revise: text over MAX_ARTICLE_CHARS": (
        lambda d: d.page.post(
            reverse("article-revise", args=[d.project.slug, d.article.pk]),
            {"text": "y" * 3000, "base_sha256": d.article.text_sha256},
        ),
        400,
        "the limit is 2000",
    ),
    "tokens: name over the limit": (
        lambda d: d.page.post(reverse("api-tokens"), {"name": "x" * 101}),
        400,
        "100 characters at most",
    ),
    "settings: username of 10,000 characters": (
        lambda d: d.page.post(
            reverse("project-settings", args=[d.project.slug]),
            {"action": "member", "username": "x" * 10_000, "role": "reviewer"},
        ),
        400,
        "username",
    ),
}


@pytest.mark.parametrize("case", list(PAGE_CASES), ids=list(PAGE_CASES))
def test_the_pages_refuse_hostile_input_naming_it_and_write_nothing(doors, case, settings, editor, project_admin):
    settings.MAX_ARTICLE_CHARS = 2000
    if case.startswith(("revise", "settings")):
        doors.page.force_login(project_admin)  # pages only editors and admins reach
    send, status, named = PAGE_CASES[case]
    before = snapshot()
    response = send(doors)
    assert response.status_code == status, response.content[:500]
    assert named in response.content.decode(errors="replace")
    assert snapshot() == before


# --- the importers, through the page, the API and the command ------------------------------------


def _line(**article: Any) -> str:
    claim: dict[str, Any] = {"start": 0, "end": 6, "quote": "Prices", "sources": [{"url": "https://example.org/"}]}
    claim.update(article.pop("claim", {}))
    claim["sources"][0].update(article.pop("source", {}))
    return json.dumps({"title": "Prices", "text": TEXT.replace("Tuesday", "Monday"), "claims": [claim], **article})


GOOD_LINE = json.dumps({"title": "Fine", "text": "A first article that is fine."})
LONG_URL = "https://example.org/" + "a" * limits.URL_CHARS
# name -> (file name, bytes, what the refusal must name)
FILES: dict[str, tuple[str, bytes, str]] = {
    "JSONL nested 10,000 deep": (
        "deep.jsonl",
        f'{GOOD_LINE}\n{{"a": {nested(10_000)}}}\n'.encode(),
        "deep.jsonl: line 2: the JSON nests deeper than 32 levels",
    ),
    "JSONL nested 33 deep": (
        "deep33.jsonl",
        f'{GOOD_LINE}\n{{"a": {nested(33)}}}\n'.encode(),
        "deep33.jsonl: line 2: the JSON nests deeper than 32 levels",
    ),
    "JSONL source url over 2,000": (
        "s.jsonl",
        f"{GOOD_LINE}\n{_line(source={'url': LONG_URL})}\n".encode(),
        "s.jsonl: line 2: claims[0].sources[0].url: has 2020 characters; the limit is 2000",
    ),
    "JSONL source title over 500": (
        "t.jsonl",
        _line(source={"title": "x" * 501}).encode(),
        "t.jsonl: line 1: claims[0].sources[0].title: has 501 characters",
    ),
    "JSONL source excerpt over the limit": (
        "e.jsonl",
        _line(source={"excerpt": "x" * 10_001}).encode(),
        "claims[0].sources[0].excerpt: has 10001 characters",
    ),
    "JSONL source javascript: url": (
        "j.jsonl",
        _line(source={"url": "javascript:alert(1)"}).encode(),
        "claims[0].sources[0].url: must be an http(s) URL",
    ),
    "JSONL claim rationale over the limit": (
        "r.jsonl",
        _line(claim={"rationale": "x" * 20_001}).encode(),
        "claims[0].rationale: has 20001 characters",
    ),
    "JSONL comment over the limit": (
        "cm.jsonl",
        _line(claim={"comments": [{"body": "x" * (limits.COMMENT_CHARS + 1)}]}).encode(),
        "claims[0].comments[0].body: has 10001 characters",
    ),
    "JSONL correction note over the limit": (
        "cn.jsonl",
        _line(claim={"correction_note": "x" * (limits.CORRECTION_NOTE_CHARS + 1)}).encode(),
        "claims[0].correction_note: has 5001 characters",
    ),
    "JSONL retraction note over the limit": (
        "rn.jsonl",
        _line(claim={"retraction_note": "x" * (limits.CORRECTION_NOTE_CHARS + 1)}).encode(),
        "claims[0].retraction_note: has 5001 characters",
    ),
    "JSONL claimant over 300": (
        "c.jsonl",
        _line(claim={"claimant": "x" * 301}).encode(),
        "claims[0].claimant: has 301 characters",
    ),
    "JSONL article title over 500": (
        "a.jsonl",
        _line(title="x" * 501).encode(),
        "a.jsonl: line 1: title: has 501 characters; the limit is 500",
    ),
    "JSONL article url over 2,000": ("u.jsonl", _line(url=LONG_URL).encode(), "url: has 2020 characters"),
    "JSONL article publisher over 200": (
        "p.jsonl",
        _line(publisher="x" * 201).encode(),
        "publisher: has 201 characters",
    ),
    "JSONL title with an escaped NUL": (
        "n.jsonl",
        _line(title="a\u0000b").encode(),
        "title: must not contain NUL characters",
    ),
    "damaged UTF-8 text": (
        "broken.txt",
        "Prices rose.\nMüller said so.\n".encode() + b"Bad \xff byte.\n",
        "broken.txt: line 3: the file is UTF-8 with invalid bytes",
    ),
    "stray bytes in an ASCII text": (
        "stray.txt",
        b"Prices rose overnight.\nThen \x81\x8d\x8f.\n",
        "stray.txt: line 2: the file is not UTF-8",
    ),
}


def _via_page(doors: Doors, name: str, data: bytes) -> tuple[int, str]:
    response = _import(doors, source="upload", files=SimpleUploadedFile(name, data))
    return response.status_code, response.content.decode()


def _via_api(doors: Doors, name: str, data: bytes) -> tuple[int, str]:
    response = doors.api.post(
        f"/api/v1/projects/{doors.project.slug}/imports/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )
    return response.status_code, json.dumps(response.json())


def _via_command(doors: Doors, name: str, data: bytes, folder: Path) -> tuple[int, str]:
    path = folder / name
    path.write_bytes(data)
    err = StringIO()
    try:
        call_command(
            "import_articles",
            str(path),
            "--project",
            doors.project.slug,
            "--no-progress",
            stdout=StringIO(),
            stderr=err,
        )
    except CommandError as failed:
        return 1, err.getvalue() + str(failed)
    return 0, err.getvalue()


@pytest.mark.parametrize("door", ["page", "api", "command"])
@pytest.mark.parametrize("case", list(FILES), ids=list(FILES))
def test_the_importers_refuse_hostile_files_naming_file_and_line_and_write_nothing(doors, case, door, tmp_path):
    name, data, named = FILES[case]
    before = snapshot()
    if door == "page":
        status, answer = _via_page(doors, name, data)
        assert status == 400
        answer = answer.replace("&#x27;", "'").replace("&quot;", '"')
    elif door == "api":
        status, answer = _via_api(doors, name, data)
        assert status == 400
    else:
        status, answer = _via_command(doors, name, data, tmp_path)
        assert status == 1
    assert named in answer
    assert snapshot() == before


# --- commands ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["maria", "--password", "1"], "password refused: This password is too short"),
        (["maria", "--password", "password"], "This password is too common"),
        (["maria", "--password", "maria1982"], "too similar to the username"),
        (
            ["<b>maria</b>", "--password", "a-long-enough-pass-phrase"],
            "username '<b>maria</b>': Enter a valid username",
        ),
        (["x" * 151, "--password", "a-long-enough-pass-phrase"], "at most 150 characters"),
    ],
    ids=["one-character-password", "common-password", "password-like-username", "html-username", "long-username"],
)
def test_create_reviewer_refuses_weak_passwords_and_bad_usernames_and_writes_nothing(doors, arguments, named):
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        call_command("create_reviewer", *arguments, "--project", doors.project.slug, stdout=StringIO())
    assert named in str(refused.value)
    assert snapshot() == before
