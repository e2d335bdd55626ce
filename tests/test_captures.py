"""Evidence captures: a source's page fetched from a real local HTTP server, kept, shown, quoted.

The server is tests/local_http.py on 127.0.0.1, so these tests turn IMPORT_ALLOW_PRIVATE_URLS on,
except the one that shows a private address is refused when it is off. Captures are run by
calling the task's function directly; the worker wiring is tested once (marker ``worker``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from annotations import captures, claims
from annotations.models import Capture, ExcerptState, RunStatus, Source
from tests.factories import ClaimFactory
from tests.local_http import Route, serve

PAGE = (
    "<html><head><title>Ministry figures</title></head><body><article>"
    "<h1>Ministry figures</h1>"
    "<p>The ministry said on Tuesday that unemployment fell to 4.1 percent in May, the lowest in a decade.</p>"
    "<p>Economists cautioned that the figures are seasonally adjusted &lt;script&gt;alert(1)&lt;/script&gt; "
    "and may be revised next month.</p>"
    "</article></body></html>"
)
CHANGED = PAGE.replace("fell to 4.1 percent in May, the lowest in a decade", "rose slightly in May")
EXCERPT = "unemployment fell to 4.1 percent in May"


@pytest.fixture
def loopback(settings, tmp_path):
    settings.IMPORT_ALLOW_PRIVATE_URLS = True  # the test server is on 127.0.0.1
    settings.IMPORT_FETCH_TIMEOUT = 3.0
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CAPTURE_SOURCES = True


@pytest.fixture
def claim(article, author):
    return ClaimFactory(article=article, start=0, end=8, created_by=author)


def run_queued() -> list[str]:
    """Run every queued capture as the worker would; returns the outcomes."""
    pks = Capture.objects.filter(status=RunStatus.QUEUED).order_by("id").values_list("pk", flat=True)
    return [captures.run_capture(capture_id=pk) for pk in list(pks)]


def test_it_captures_a_source_page_and_shows_it(loopback, claim, author, client_for):
    body = PAGE.encode()
    with serve({"/news": Route(body)}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), stance="supports", excerpt=EXCERPT)
        capture = Capture.objects.get(source=source)
        assert (capture.status, capture.url, capture.requested_by) == (RunStatus.QUEUED, source.url, author)
        assert run_queued() == ["done"]
    capture.refresh_from_db()
    assert capture.status == RunStatus.DONE, capture.error
    assert (capture.http_status, capture.content_type, capture.final_url) == (200, "text/html", site.url("/news"))
    assert capture.title == "Ministry figures"
    assert "unemployment fell to 4.1 percent in May" in capture.text
    assert capture.sha256 == hashlib.sha256(body).hexdigest()
    assert capture.body_bytes == len(body)
    assert captures.read_body(capture) == body
    assert capture.body.name.endswith(".gz")
    assert (capture.excerpt_state, capture.text[capture.excerpt_start : capture.excerpt_end]) == (
        ExcerptState.FOUND,
        EXCERPT,
    )

    client = client_for(author)
    desk = client.get(reverse("article-detail", args=["newsroom", claim.article_id])).content.decode()
    assert "Captured on" in desk and reverse("capture-detail", args=["newsroom", capture.pk]) in desk
    page = client.get(reverse("capture-detail", args=["newsroom", capture.pk])).content.decode()
    assert capture.sha256 in page and 'id="capture-fetched"' in page
    # The captured text is escaped: the page's text mentions a script tag, which stays text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    raw = client.get(reverse("capture-raw", args=["newsroom", capture.pk]))
    assert raw["Content-Type"] == "application/gzip" and "attachment" in raw["Content-Disposition"]
    assert gzip.decompress(b"".join(raw.streaming_content)) == body


def test_a_later_capture_without_the_quoted_excerpt_flags_the_source(loopback, claim, author, editor, client_for):
    routes = {"/news": Route(PAGE.encode())}
    with serve(routes) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), stance="supports", excerpt=EXCERPT)
        run_queued()
        first = Capture.objects.get(source=source)
        assert first.excerpt_state == ExcerptState.FOUND
        site.routes["/news"] = Route(CHANGED.encode())  # the publisher edits the page
        second, created = captures.capture_again(source=source, by=editor)
        assert created and second.pk != first.pk
        run_queued()
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.excerpt_state == ExcerptState.CHANGED and second.excerpt_start is None
    assert first.excerpt_state == ExcerptState.FOUND and first.sha256 != second.sha256  # kept, not overwritten
    assert Capture.objects.filter(source=source).count() == 2

    desk = client_for(author).get(reverse("article-detail", args=["newsroom", claim.article_id])).content.decode()
    assert "Changed since quoted" in desk
    claim.status = "in_review"
    claim.save()
    queue = client_for(editor).get(reverse("queues")).content.decode()
    assert "Changed since quoted" in queue and 'id="changed-sources"' in queue
    review_page = client_for(editor).get(reverse("claim-workflow", args=["newsroom", claim.pk])).content.decode()
    assert "Changed since quoted" in review_page
    # The queue is the editors': the reviewer who wrote the claim does not get it there.
    assert "Changed since quoted" not in client_for(author).get(reverse("queues")).content.decode()


def test_a_typed_excerpt_not_in_the_page_is_marked(loopback, claim, author, client_for):
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), excerpt="words the page never said")
        run_queued()
    assert Capture.objects.get(source=source).excerpt_state == ExcerptState.NOT_FOUND
    desk = client_for(author).get(reverse("article-detail", args=["newsroom", claim.article_id])).content.decode()
    assert "Excerpt not found in capture" in desk
    # Correcting the excerpt places it in the capture at once, without fetching again.
    claims.edit_source(source=source, by=author, excerpt="the lowest\n in a decade")
    capture = Capture.objects.get(source=source)
    assert capture.excerpt_state == ExcerptState.FOUND
    assert capture.text[capture.excerpt_start : capture.excerpt_end] == "the lowest in a decade"


def test_an_excerpt_is_quoted_from_the_captured_text_with_its_offsets(loopback, claim, author, client_for):
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"))
        run_queued()
    capture = Capture.objects.get(source=source)
    start = capture.text.index("Economists")
    end = start + len("Economists cautioned")
    client = client_for(author)
    url = reverse("capture-quote", args=["newsroom", capture.pk])
    wrong = client.post(url, {"start": start, "end": end, "quote": "Something else"})
    assert wrong.status_code == 400 and "quote does not match" in wrong.content.decode()
    response = client.post(url, {"start": start, "end": end, "quote": "Economists cautioned"})
    assert response.status_code == 302
    source.refresh_from_db()
    capture.refresh_from_db()
    assert source.excerpt == "Economists cautioned"
    assert (capture.excerpt_state, capture.excerpt_start, capture.excerpt_end) == (ExcerptState.SELECTED, start, end)


def test_quoting_the_same_excerpt_again_is_still_only_for_who_may_edit(loopback, claim, author, project):
    # Nothing to change on the source, but the capture would record new offsets: the edit rule
    # (only the author or an editor) holds for that too.
    from tests.factories import MembershipFactory, UserFactory

    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), excerpt="Economists cautioned")
        run_queued()
    capture = Capture.objects.get(source=source)
    before = (capture.excerpt_state, capture.excerpt_start, capture.excerpt_end)
    other = MembershipFactory(project=project, user=UserFactory(username="other-reviewer"), role="reviewer").user
    start = capture.text.index("Economists cautioned")
    with pytest.raises(PermissionDenied):
        captures.quote_from_capture(
            capture=capture, by=other, start=start, end=start + len("Economists cautioned"), quote=None
        )
    capture.refresh_from_db()
    assert (capture.excerpt_state, capture.excerpt_start, capture.excerpt_end) == before


def test_a_redirect_is_followed_and_the_final_url_kept(loopback, claim, author):
    routes = {"/old": Route(status=301, location="/new"), "/new": Route(PAGE.encode())}
    with serve(routes) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/old"))
        run_queued()
    capture = Capture.objects.get(source=source)
    assert (capture.status, capture.url, capture.final_url) == (RunStatus.DONE, site.url("/old"), site.url("/new"))


def test_a_silent_server_fails_the_capture_with_the_reason_and_try_again(loopback, settings, claim, author, client_for):
    settings.IMPORT_FETCH_TIMEOUT = 1.0
    with serve({"/slow": Route(PAGE.encode(), sleep=30)}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/slow"))
        assert run_queued() == ["failed"]
    capture = Capture.objects.get(source=source)
    assert capture.status == RunStatus.FAILED and "IMPORT_FETCH_TIMEOUT" in capture.error
    assert not capture.body and not capture.sha256
    desk = client_for(author).get(reverse("article-detail", args=["newsroom", claim.article_id])).content.decode()
    assert "Capture failed:" in desk and "IMPORT_FETCH_TIMEOUT" in desk and "Try again" in desk


def test_a_page_over_the_size_limit_is_not_kept(loopback, settings, claim, author):
    settings.IMPORT_FETCH_MAX_BYTES = 1000
    with serve({"/big": Route(b"<p>" + b"x" * 5000 + b"</p>", send_length=False)}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/big"))
        run_queued()
    capture = Capture.objects.get(source=source)
    assert capture.status == RunStatus.FAILED and "IMPORT_FETCH_MAX_BYTES" in capture.error


def test_a_private_address_is_refused_when_private_urls_are_not_allowed(loopback, settings, claim, author):
    settings.IMPORT_ALLOW_PRIVATE_URLS = False
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"))
        run_queued()
        assert site.hits == []  # never connected to
    capture = Capture.objects.get(source=source)
    assert capture.status == RunStatus.FAILED and "private or reserved address" in capture.error


def test_a_capture_run_twice_is_done_once(loopback, claim, author):
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"))
        capture = Capture.objects.get(source=source)
        assert captures.run_capture(capture_id=capture.pk) == "done"
        assert captures.run_capture(capture_id=capture.pk) == "skipped"
        assert site.hits == ["/news"]


# --- every door queues exactly one capture per new or changed URL --------------------------------


def _jsonl_with_source(url: str) -> bytes:
    text = "The minister said 20 ships were stuck. Officials disputed it."
    line = {
        "title": "Ships",
        "text": text,
        "claims": [
            {
                "start": 18,
                "end": 38,
                "quote": "20 ships were stuck.",
                "sources": [
                    {
                        "url": url,
                        "stance": "supports",
                        # A capture in the file (our own export carries them) is not imported.
                        "captures": [{"sha256": "0" * 64, "fetched_at": "2020-01-01T00:00:00Z", "text": "forged"}],
                    }
                ],
            }
        ],
    }
    return (json.dumps(line) + "\n").encode()


def test_every_door_queues_one_capture_per_new_url_never_two(
    loopback, claim, article, author, project, client_for, api_client_for, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(author)
    api = api_client_for(author)
    base = "https://evidence.example"
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            reverse("source-create", args=["newsroom", article.pk, claim.pk]),
            {"url": f"{base}/desk", "stance": "supports"},
        )
    assert len(callbacks) == 1  # one on-commit send for the one source
    api.post(f"/api/v1/claims/{claim.pk}/sources/", {"url": f"{base}/api", "stance": "refutes"}, format="json")
    bulk = api.post(
        f"/api/v1/articles/{article.pk}/claims/",
        {"claims": [{"start": 10, "end": 20, "sources": [{"url": f"{base}/bulk1"}, {"url": f"{base}/bulk2"}]}]},
        format="json",
    )
    assert bulk.status_code == 201, bulk.content
    response = client.post(
        reverse("import-articles", args=["newsroom"]),
        {"source": "upload", "files": [SimpleUploadedFile("x.jsonl", _jsonl_with_source(f"{base}/jsonl"))]},
    )
    assert response.status_code == 200
    urls = sorted(Capture.objects.values_list("url", flat=True))
    assert urls == sorted(f"{base}/{door}" for door in ("desk", "api", "bulk1", "bulk2", "jsonl"))
    assert not Capture.objects.filter(text="forged").exists()
    assert all(c.status == RunStatus.QUEUED for c in Capture.objects.all())

    # Edits: a change of URL queues one more; any other change queues none.
    desk_source = Source.objects.get(url=f"{base}/desk")
    client.post(
        reverse("source-edit", args=["newsroom", article.pk, claim.pk, desk_source.pk]),
        {"url": f"{base}/desk", "stance": "supports", "title": "Now with a title"},
    )
    api.patch(f"/api/v1/claims/{claim.pk}/sources/{desk_source.pk}/", {"publisher": "Wire"}, format="json")
    assert Capture.objects.filter(source=desk_source).count() == 1
    api.patch(f"/api/v1/claims/{claim.pk}/sources/{desk_source.pk}/", {"url": f"{base}/moved"}, format="json")
    assert list(Capture.objects.filter(source=desk_source).order_by("id").values_list("url", flat=True)) == [
        f"{base}/desk",
        f"{base}/moved",
    ]


def test_a_bulk_write_sends_one_message_that_queues_the_captures(
    loopback, settings, article, author, django_capture_on_commit_callbacks
):
    settings.CAPTURE_FANOUT_THRESHOLD = 2
    items = [{"start": i, "end": i + 3, "sources": [{"url": f"https://e.example/{i}"}]} for i in range(0, 30, 5)]
    with django_capture_on_commit_callbacks() as callbacks:
        claims.create_many(article=article, by=author, items=items)
    assert len(callbacks) == 1 and Capture.objects.count() == 6
    # The worker's side of that message: one task per capture still queued (to the real broker).
    ids = list(Capture.objects.order_by("id").values_list("pk", flat=True))
    Capture.objects.filter(pk=ids[0]).update(status=RunStatus.FAILED, error="abandoned")
    assert captures.fan_out(ids) == 5


def test_capture_again_while_one_is_queued_gives_that_one(loopback, claim, author, other_reviewer, outsider):
    source = claims.add_source(claim=claim, by=author, url="https://e.example/page")
    first = Capture.objects.get(source=source)
    again, created = captures.capture_again(source=source, by=other_reviewer)  # any member may ask
    assert (again.pk, created) == (first.pk, False)
    with pytest.raises(PermissionDenied):
        captures.capture_again(source=source, by=outsider)
    assert Capture.objects.filter(source=source).count() == 1


def test_nothing_is_captured_when_captures_are_off(loopback, settings, claim, author):
    settings.CAPTURE_SOURCES = False
    claims.add_source(claim=claim, by=author, url="https://e.example/page")
    assert not Capture.objects.exists()


# --- the API ------------------------------------------------------------------------------------


def test_the_api_lists_captures_read_only_and_captures_again(loopback, claim, author, outsider, api_client_for):
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), excerpt=EXCERPT)
        run_queued()
    api = api_client_for(author)
    listed = api.get(f"/api/v1/captures/?source={source.pk}").json()["results"]
    assert len(listed) == 1
    row = listed[0]
    capture = Capture.objects.get(source=source)
    assert (row["id"], row["status"], row["sha256"], row["excerpt_state"]) == (
        capture.pk,
        "done",
        capture.sha256,
        "found",
    )
    assert row["fetched_at"] and row["has_body"] and row["http_status"] == 200 and "text" not in row
    assert api.get(f"/api/v1/captures/{capture.pk}/").json()["text"] == capture.text
    assert api.post("/api/v1/captures/", {}, format="json").status_code == 405
    assert api.delete(f"/api/v1/captures/{capture.pk}/").status_code == 405

    again = api.post(f"/api/v1/claims/{claim.pk}/sources/{source.pk}/capture/")
    assert again.status_code == 201 and again.json()["status"] == "queued"
    assert api.post(f"/api/v1/claims/{claim.pk}/sources/{source.pk}/capture/").status_code == 200
    assert Capture.objects.filter(source=source).count() == 2

    stranger = api_client_for(outsider)
    assert stranger.get(f"/api/v1/captures/{capture.pk}/").status_code == 404
    assert stranger.get("/api/v1/captures/").json()["results"] == []
    assert stranger.post(f"/api/v1/claims/{claim.pk}/sources/{source.pk}/capture/").status_code == 404


def test_an_outsider_gets_404_on_capture_pages(loopback, claim, author, outsider, client_for):
    source = claims.add_source(claim=claim, by=author, url="https://e.example/page")
    capture = Capture.objects.get(source=source)
    client = client_for(outsider)
    for name in ("capture-detail", "capture-raw"):
        assert client.get(reverse(name, args=["newsroom", capture.pk])).status_code == 404
    assert client.post(reverse("capture-quote", args=["newsroom", capture.pk])).status_code == 404
    args = ["newsroom", claim.article_id, claim.pk, source.pk]
    assert client.get(reverse("capture-state", args=args)).status_code == 404
    assert client.post(reverse("capture-again", args=args)).status_code == 404
    assert Capture.objects.count() == 1


def test_try_again_on_the_desk_and_the_review_page(loopback, settings, claim, author, client_for):
    settings.IMPORT_ALLOW_PRIVATE_URLS = False
    source = claims.add_source(claim=claim, by=author, url="http://127.0.0.1:9/nothing")
    run_queued()
    client = client_for(author)
    args = ["newsroom", claim.article_id, claim.pk, source.pk]
    review_url = reverse("claim-workflow", args=["newsroom", claim.pk])
    page = client.get(review_url).content.decode()
    assert "Capture failed:" in page and "Try again" in page
    # The desk asks with htmx and gets the state back; the review page posts a form and goes back.
    partial = client.post(reverse("capture-again", args=args), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "Capture queued" in partial.content.decode()
    Capture.objects.filter(status=RunStatus.QUEUED).update(status=RunStatus.FAILED, error="x")
    back = client.post(reverse("capture-again", args=args), {"next": review_url})
    assert back.status_code == 302 and back["Location"] == review_url
    assert Capture.objects.filter(source=source).count() == 3


def test_capture_sources_command_captures_a_project(loopback, claim, author, project):
    with serve({"/a": Route(PAGE.encode()), "/b": Route(PAGE.encode())}) as site:
        done = claims.add_source(claim=claim, by=author, url=site.url("/a"))
        run_queued()
        claims.add_source(claim=claim, by=author, url=site.url("/b"))
        Capture.objects.filter(status=RunStatus.QUEUED).delete()  # its message was lost, say
        out = io.StringIO()
        call_command("capture_sources", "--project", project.slug, "--only-missing", "--no-wait", stdout=out)
        assert "Queued 1 capture(s)" in out.getvalue()
        assert Capture.objects.filter(source=done).count() == 1
        call_command("capture_sources", "--project", project.slug, "--no-wait", stdout=io.StringIO())
        assert Capture.objects.filter(source=done).count() == 2


# --- exports ------------------------------------------------------------------------------------


def test_jsonl_and_its_manifest_carry_the_captures_and_their_hashes(loopback, claim, author, project):
    from pathlib import Path

    import jsonschema

    from annotations.exports import ExportStream, parse_params
    from annotations.exports.core import write_export
    from annotations.exports.jobs import build_manifest

    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), excerpt=EXCERPT)
        run_queued()
        captures.capture_again(source=source, by=author)
        run_queued()
    done = list(Capture.objects.filter(source=source).order_by("fetched_at", "id"))
    stream = ExportStream(project, parse_params({"format": "jsonl", "include_unreviewed": "1"}, project=project))
    out = io.BytesIO()
    result = write_export(stream, out)
    line = json.loads(out.getvalue().decode())
    schema = json.loads((Path(__file__).parent.parent / "docs/schemas/jsonl.schema.json").read_text())
    jsonschema.validate(line, schema)
    exported = line["claims"][0]["sources"][0]["captures"]
    assert [c["sha256"] for c in exported] == [c.sha256 for c in done]
    assert exported[0]["excerpt_state"] == "found" and exported[0]["final_url"] == site.url("/news")
    manifest = build_manifest(stream, result)
    assert manifest["capture_count"] == 2
    expected = hashlib.sha256("".join(f"{c.sha256}\n" for c in done).encode()).hexdigest()
    assert manifest["captures_sha256"] == expected


# --- the real worker ----------------------------------------------------------------------------


@pytest.mark.worker
def test_a_real_worker_captures_a_source_added_in_a_committed_write(start_worker, tmp_path, settings):
    import time

    from tests.factories import ArticleFactory, MembershipFactory, UserFactory

    settings.CAPTURE_SOURCES = True
    worker = start_worker(IMPORT_ALLOW_PRIVATE_URLS="1", IMPORT_FETCH_TIMEOUT="5", WORKBENCH_VAR_DIR=str(tmp_path))
    author = UserFactory(username="capture-author")
    project = MembershipFactory(user=author, role="editor").project
    claim = ClaimFactory(article=ArticleFactory(project=project), created_by=author)
    with serve({"/news": Route(PAGE.encode())}) as site:
        # No transaction of the test's own: add_source commits, and its on-commit send reaches Redis.
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), excerpt=EXCERPT)
        capture = Capture.objects.get(source=source)
        deadline = time.monotonic() + 60
        while capture.status in (RunStatus.QUEUED, RunStatus.RUNNING) and time.monotonic() < deadline:
            time.sleep(0.1)
            capture.refresh_from_db()
    assert capture.status == RunStatus.DONE, f"{capture.status}: {capture.error}\n{worker.log_tail()}"
    assert capture.task_id  # claimed by the worker's task, not run here
    assert capture.sha256 == hashlib.sha256(PAGE.encode()).hexdigest()
    assert capture.excerpt_state == ExcerptState.FOUND
    assert site.hits == ["/news"]  # fetched once
    assert (tmp_path / "media" / capture.body.name).is_file()


def test_removing_a_source_removes_its_stored_pages(loopback, claim, author, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"))
        run_queued()
    name = Capture.objects.get(source=source).body.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        claims.remove_source(source=source, by=author)
    assert not Capture.objects.exists() and not default_storage.exists(name)


@pytest.mark.parametrize("many", [3, 30])
def test_the_desk_reads_every_source_capture_state_in_one_query(
    loopback, article, author, client_for, many, django_assert_num_queries, settings
):
    from tests.factories import CaptureFactory, SourceFactory

    settings.DESK_FULL_CARDS = 50  # every card in full (past it, stubs show no sources)
    for i in range(many):
        claim = ClaimFactory(article=article, start=i * 2, end=i * 2 + 1, created_by=author)
        source = SourceFactory(claim=claim)
        CaptureFactory(source=source)
        CaptureFactory(source=source, status=RunStatus.FAILED, fetched_at=None, error="gone")
    client = client_for(author)
    url = reverse("article-detail", args=["newsroom", article.pk])
    client.get(url)
    # session, user, article, role, claims (rows), full cards, sources, their captures, mentions, suggestions,
    # latest run
    with django_assert_num_queries(11):
        html = client.get(url).content.decode()
    assert html.count("Captured on") == many and html.count("Capture failed: gone") == many


def test_a_stuck_capture_is_abandoned_when_someone_asks_again(loopback, settings, claim, author):
    source = claims.add_source(claim=claim, by=author, url="https://e.example/page")
    lost = Capture.objects.get(source=source)
    settings.JOB_QUEUED_STUCK_SECONDS = -1  # its message was lost long ago
    assert captures.states_for([source])[source.pk].stuck
    fresh, created = captures.capture_again(source=source, by=author)
    lost.refresh_from_db()
    assert created and fresh.pk != lost.pk
    assert lost.status == RunStatus.FAILED and lost.error.startswith("Abandoned")
    assert captures.run_capture(capture_id=lost.pk) == "skipped"  # its message, if it ever comes, does nothing


def test_a_bulk_write_captures_each_source_with_its_url_excerpt_and_asker(loopback, article, author):
    items = [
        {"start": 0, "end": 5, "sources": [{"url": "https://e.example/a", "excerpt": "the quoted words"}]},
        {"start": 6, "end": 9, "sources": [{"url": "HTTP://E.example/B"}]},
    ]
    claims.create_many(article=article, by=author, items=items)
    captured = list(Capture.objects.order_by("source_id").values_list("source__url", "url", "excerpt", "requested_by"))
    assert captured == [
        ("https://e.example/a", "https://e.example/a", "the quoted words", author.pk),
        ("HTTP://E.example/B", "HTTP://E.example/B", "", author.pk),
    ]


def test_scheduling_a_source_that_is_not_in_the_database_is_refused_not_skipped(loopback, claim, author):
    """The capture copies its source's row: a source not saved, or gone, must not lose its capture silently."""
    source = claims.add_source(claim=claim, by=author, url="https://e.example/kept", stance="supports")
    with pytest.raises(ValueError, match="not saved"):
        captures.schedule([Source(claim=claim, url="https://e.example/unsaved")], by=author)
    with pytest.raises(ValueError, match="1 of 2"):
        captures.schedule_saved([(source.pk, source.url), (source.pk + 1000, "https://e.example/gone")], by=author)
    assert list(Capture.objects.values_list("url", flat=True)) == ["https://e.example/kept"]


def test_capture_project_leaves_out_a_source_removed_while_it_runs(loopback, claim, author, project, monkeypatch):
    first = claims.add_source(claim=claim, by=author, url="https://e.example/first")
    second = claims.add_source(claim=claim, by=author, url="https://e.example/second")
    Capture.objects.all().delete()
    schedule_saved = captures.schedule_saved

    def then_remove_the_second(sources, *, by):
        made = schedule_saved(sources, by=by)
        if still := Source.objects.filter(pk=second.pk).first():
            claims.remove_source(source=still, by=author)  # someone else, meanwhile
        return made

    monkeypatch.setattr(captures, "schedule_saved", then_remove_the_second)
    made = captures.capture_project(project_id=project.pk, only_missing=False, chunk_size=1)
    assert list(Capture.objects.values_list("pk", "source_id")) == [(made[0], first.pk)] and len(made) == 1
