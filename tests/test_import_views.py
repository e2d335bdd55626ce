"""The "Add articles" page, the import API, background import jobs and the "Edit text" page."""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations import articles, claims
from annotations import text as textlib
from annotations.imports import pipeline
from annotations.models import AnchorStatus, Article, ArticleRevision, Claim, ImportJob

CLAIM = "Russia has the advantage, but we are doing everything we can"


def jsonl(count: int, broken_line: int | None = None) -> bytes:
    lines = [json.dumps({"title": f"T{i}", "text": f"Article number {i}."}) for i in range(1, count + 1)]
    if broken_line:
        lines[broken_line - 1] = lines[broken_line - 1][:-1]
    return "\n".join(lines).encode()


# --- the "Add articles" page ----------------------------------------------------------------------


@pytest.mark.django_db
class TestImportPage:
    def url(self, project):
        return reverse("import-articles", args=[project.slug])

    def test_it_shows_paste_upload_and_url_forms_to_reviewers_and_editors(self, client_for, project, author, editor):
        for user in (author, editor):
            response = client_for(user).get(self.url(project))
            assert response.status_code == 200
            html = response.content.decode()
            for source in ("paste", "upload", "url"):
                assert f'name="source" value="{source}"' in html
            assert 'enctype="multipart/form-data"' in html

    def test_an_outsider_gets_404_and_writes_nothing(self, client_for, project, outsider):
        client = client_for(outsider)
        assert client.get(self.url(project)).status_code == 404
        assert client.post(self.url(project), {"source": "paste", "text": "Hello."}).status_code == 404
        assert Article.objects.count() == 0

    def test_it_requires_login(self, client, project):
        response = client.get(self.url(project))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_pasting_adds_an_article_and_links_to_it(self, client_for, project, author):
        data = {"source": "paste", "title": "Pasted", "text": "Ships are stuck.", "published_at": "2022-05-26"}
        response = client_for(author).post(self.url(project), data)
        assert response.status_code == 200
        article = Article.objects.get()
        assert (article.title, article.text, article.created_by) == ("Pasted", "Ships are stuck.", author)
        assert reverse("article-detail", args=[project.slug, article.pk]) in response.content.decode()

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"text": "   "}, "text", "The text is empty."),
            ({"text": "Fine.", "published_at": "yesterday"}, "published_at", "'yesterday' is not an ISO date"),
            ({"text": "Fine.", "url": "not a url"}, "url", "Enter a valid URL."),
        ],
    )
    def test_bad_paste_input_is_400_naming_the_field(self, client_for, project, author, data, field, message):
        response = client_for(author).post(self.url(project), {"source": "paste", **data})
        assert response.status_code == 400
        assert message in " ".join(response.context["forms"]["paste"].errors[field])
        assert Article.objects.count() == 0

    def test_uploading_files_adds_each_article(self, client_for, project, author, seed_text):
        files = [
            SimpleUploadedFile("seed.txt", seed_text.encode()),
            SimpleUploadedFile("more.jsonl", jsonl(2), content_type="application/jsonl"),
        ]
        response = client_for(author).post(self.url(project), {"source": "upload", "files": files})
        assert response.status_code == 200
        assert len(response.context["report"].created) == 3
        assert Article.objects.count() == 3

    def test_a_malformed_upload_is_400_naming_file_and_line_and_writes_nothing(self, client_for, project, author):
        files = [SimpleUploadedFile("good.txt", b"A good one."), SimpleUploadedFile("five.jsonl", jsonl(5, 3))]
        response = client_for(author).post(self.url(project), {"source": "upload", "files": files})
        assert response.status_code == 400
        errors = response.context["forms"]["upload"].errors["files"]
        assert errors[0].startswith("five.jsonl: line 3: not valid JSON")
        assert Article.objects.count() == 0

    def test_an_oversized_upload_is_refused_before_reading(self, client_for, project, author, settings):
        settings.IMPORT_MAX_FILE_BYTES = 10
        upload = SimpleUploadedFile("big.txt", b"x" * 11)
        response = client_for(author).post(self.url(project), {"source": "upload", "files": [upload]})
        assert response.status_code == 400
        assert response.context["forms"]["upload"].errors["files"] == [
            "big.txt: the file is 11 bytes; the limit is 10 bytes (IMPORT_MAX_FILE_BYTES)."
        ]

    def test_a_private_url_is_400_on_the_url_field(self, client_for, project, author):
        response = client_for(author).post(self.url(project), {"source": "url", "urls": "http://127.0.0.1:9/x"})
        assert response.status_code == 400
        assert "private or reserved address" in response.context["forms"]["url"].errors["urls"][0]

    def test_an_already_imported_text_is_reported_not_duplicated(self, client_for, project, author, article):
        response = client_for(author).post(self.url(project), {"source": "paste", "text": article.text})
        assert response.status_code == 200
        assert f"already imported as article {article.pk}" in response.content.decode()
        assert Article.objects.count() == 1

    def test_an_unknown_source_is_400(self, client_for, project, author):
        assert client_for(author).post(self.url(project), {"source": "fax"}).status_code == 400

    def test_a_large_batch_becomes_a_job_with_a_progress_page(self, client_for, project, author, outsider, settings):
        settings.IMPORT_ASYNC_THRESHOLD = 2
        upload = SimpleUploadedFile("batch.jsonl", jsonl(3))
        response = client_for(author).post(self.url(project), {"source": "upload", "files": [upload]})
        job = ImportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("import-job", args=[project.slug, job.pk])
        assert (job.status, job.total, Article.objects.count()) == ("queued", 3, 0)
        page = client_for(author).get(response["Location"])
        assert page.status_code == 200 and b'http-equiv="refresh"' in page.content
        assert client_for(outsider).get(response["Location"]).status_code == 404


# --- background jobs ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_imports_each_file_reports_progress_and_runs_only_once(project, author, settings):
    settings.IMPORT_ASYNC_THRESHOLD = 1
    items = [
        pipeline.ImportInput.file("a.jsonl", jsonl(3)),
        pipeline.ImportInput.file("b.txt", b"Article number 1."),  # the same text as a.jsonl's first line
    ]
    job = pipeline.submit(project=project, user=author, items=items, metadata=pipeline.Metadata())
    assert isinstance(job, ImportJob)
    seen: list[tuple[int, int]] = []
    done = pipeline.run_job(job.pk, live_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert (done.status, done.progress, done.created_count, done.duplicate_count) == ("done", 100, 3, 1)
    assert [o["status"] for o in done.report] == ["created", "created", "created", "duplicate"]
    assert pipeline.run_job(job.pk) is None, "a second delivery of the task must not import again"
    assert Article.objects.count() == 3


@pytest.mark.django_db
def test_a_bad_file_in_a_job_is_reported_and_written_not_at_all(project, author, settings):
    settings.IMPORT_ASYNC_THRESHOLD = 0
    items = [pipeline.ImportInput.from_url("http://127.0.0.1:9/")]
    job = pipeline.submit(project=project, user=author, items=items, metadata=pipeline.Metadata())
    done = pipeline.run_job(job.pk)
    assert done.status == "done" and done.created_count == 0
    assert "private or reserved address" in done.report[0]["message"]


@pytest.mark.worker
def test_a_worker_runs_a_large_import_in_the_background(project, author, settings, celery_worker, client_for):
    settings.IMPORT_ASYNC_THRESHOLD = 2
    upload = SimpleUploadedFile("batch.jsonl", jsonl(5))
    response = client_for(author).post(
        reverse("import-articles", args=[project.slug]), {"source": "upload", "files": [upload]}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert (job.status, job.progress, job.created_count) == ("done", 100, 5), celery_worker.log_tail()
    assert sorted(Article.objects.values_list("title", flat=True)) == ["T1", "T2", "T3", "T4", "T5"]
    api = client_for(author).get(reverse("api:import-job", args=[project.slug, job.pk]))
    assert api.json()["progress"] == {"done": 5, "total": 5, "percent": 100}


# --- the API --------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestImportApi:
    def url(self, project):
        return reverse("api:import", args=[project.slug])

    def test_posting_text_creates_an_article(self, client_for, project, author):
        body = {"text": "Ships are stuck.", "title": "Ships", "publisher": "Wire"}
        response = client_for(author).post(self.url(project), body, content_type="application/json")
        assert response.status_code == 201
        article = Article.objects.get()
        assert response.json()["created"][0]["id"] == article.pk
        assert response.json()["created"][0]["url"] == "http://testserver" + reverse(
            "article-detail", args=[project.slug, article.pk]
        )
        assert (article.title, article.publisher) == ("Ships", "Wire")

    def test_the_article_url_is_right_whatever_the_project_slug(self, client_for, author):
        from annotations.api.import_views import _STAND_IN_ID
        from tests.factories import MembershipFactory, ProjectFactory

        digits = ProjectFactory(slug=str(_STAND_IN_ID))  # a slug of the stand-in's own digits
        MembershipFactory(project=digits, user=author, role="reviewer")
        body = {"text": "Ships are stuck.", "title": "Ships"}
        response = client_for(author).post(self.url(digits), body, content_type="application/json")
        assert response.status_code == 201, response.content
        article = Article.objects.get(project=digits)
        assert response.json()["created"][0]["url"] == "http://testserver" + reverse(
            "article-detail", args=[digits.slug, article.pk]
        )

    def test_posting_a_file_imports_it(self, client_for, project, author, seed_text):
        upload = SimpleUploadedFile("seed.md", b"# The seed\n\n" + seed_text.encode())
        response = client_for(author).post(self.url(project), {"file": upload})
        assert response.status_code == 201
        article = Article.objects.get()
        assert article.title == "The seed" and article.text == textlib.normalise(seed_text)

    def test_already_imported_is_200_with_the_existing_article(self, client_for, project, author, article):
        response = client_for(author).post(self.url(project), {"text": article.text}, content_type="application/json")
        assert response.status_code == 200
        assert response.json()["duplicates"][0]["id"] == article.pk
        assert Article.objects.count() == 1

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({}, "input", "Give exactly one of: file (upload), text (pasted), url or urls."),
            ({"text": "A.", "urls": ["http://example.org"]}, "input", "Give exactly one of"),
            ({"text": "A.", "published_at": "soon"}, "published_at", "'soon' is not an ISO date"),
            ({"urls": ["http://10.1.2.3/"]}, "url", "resolves to a private or reserved address"),
            ({"url": "gopher://example.org/"}, "url", "only http:// and https:// URLs can be imported."),
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, client_for, project, author, body, field, message):
        response = client_for(author).post(self.url(project), body, content_type="application/json")
        assert response.status_code == 400
        assert message in " ".join(response.json()[field])
        assert Article.objects.count() == 0

    def test_a_malformed_file_is_400_naming_file_and_line(self, client_for, project, author):
        response = client_for(author).post(self.url(project), {"file": SimpleUploadedFile("five.jsonl", jsonl(5, 3))})
        assert response.status_code == 400
        assert response.json()["file"][0].startswith("five.jsonl: line 3: not valid JSON")
        assert Article.objects.count() == 0

    def test_a_csv_without_a_text_column_is_400_on_text(self, client_for, project, author):
        response = client_for(author).post(self.url(project), {"file": SimpleUploadedFile("a.csv", b"title\nA\n")})
        assert response.status_code == 400
        assert "no text column" in response.json()["text"][0]

    def test_an_outsider_gets_404(self, client_for, project, outsider):
        response = client_for(outsider).post(self.url(project), {"text": "Hi."}, content_type="application/json")
        assert response.status_code == 404
        assert Article.objects.count() == 0

    def test_an_anonymous_client_is_refused_in_json(self, client, project):
        response = client.post(self.url(project), {"text": "Hi."}, content_type="application/json")
        assert response.status_code in (401, 403)
        assert response["Content-Type"].startswith("application/json")

    def test_more_urls_than_a_request_should_wait_for_become_a_job(self, client_for, project, author, settings):
        settings.IMPORT_SYNC_MAX_URLS = 2
        urls = ["https://example.org/a", "https://example.org/b", "https://example.org/c"]
        response = client_for(author).post(self.url(project), {"urls": urls}, content_type="application/json")
        assert response.status_code == 202
        assert ImportJob.objects.get().inputs == [{"kind": "url", "url": url} for url in urls]
        assert Article.objects.count() == 0

    def test_a_large_batch_is_202_with_its_job(self, client_for, project, author, outsider, settings):
        settings.IMPORT_ASYNC_THRESHOLD = 2
        response = client_for(author).post(self.url(project), {"file": SimpleUploadedFile("b.jsonl", jsonl(3))})
        assert response.status_code == 202
        job = ImportJob.objects.get()
        assert response.json()["job"]["id"] == job.pk and response.json()["job"]["status"] == "queued"
        status_url = reverse("api:import-job", args=[project.slug, job.pk])
        assert client_for(author).get(status_url).json()["progress"] == {"done": 0, "total": 3, "percent": 0}
        assert client_for(outsider).get(status_url).status_code == 404


# --- the "Edit text" page -------------------------------------------------------------------------


@pytest.mark.django_db
class TestRevisePage:
    def url(self, article):
        return reverse("article-revise", args=[article.project.slug, article.pk])

    def test_an_editor_sees_the_text_in_a_form(self, client_for, article, editor):
        response = client_for(editor).get(self.url(article))
        assert response.status_code == 200
        html = response.content.decode()
        assert '<textarea id="id_text" name="text"' in html
        assert f'name="base_sha256" value="{article.text_sha256}"' in html

    def test_a_reviewer_is_forbidden_and_an_outsider_gets_404(self, client_for, article, author, outsider):
        assert client_for(author).get(self.url(article)).status_code == 403
        assert client_for(author).post(self.url(article), {"text": "New."}).status_code == 403
        assert client_for(outsider).get(self.url(article)).status_code == 404
        assert client_for(outsider).post(self.url(article), {"text": "New."}).status_code == 404
        assert ArticleRevision.objects.count() == 0

    def test_saving_a_correction_lists_the_claims_that_need_attention(self, client_for, article, editor, author):
        start = article.text.index(CLAIM)
        claim = claims.create(article=article, by=author, start=start, end=start + len(CLAIM))
        sentence = next(line for line in article.text.split("\n") if CLAIM in line)
        new_text = article.text.replace(sentence + "\n", "")
        client = client_for(editor)
        response = client.post(self.url(article), {"text": new_text, "base_sha256": article.text_sha256})
        assert response.status_code == 302
        page = client.get(response["Location"])
        html = page.content.decode()
        assert "1 need(s) attention" in html
        assert f'id="claim-{claim.pk}"' in html and CLAIM in html
        claim.refresh_from_db()
        assert claim.anchor_status == AnchorStatus.NEEDS_ATTENTION
        assert ArticleRevision.objects.get().text == article.text

    def test_an_empty_text_is_400_naming_the_text(self, client_for, article, editor):
        response = client_for(editor).post(self.url(article), {"text": " \n "})
        assert response.status_code == 400
        assert "The article text is empty." in response.content.decode()
        assert ArticleRevision.objects.count() == 0

    def test_a_correction_of_an_outdated_text_is_409(self, client_for, article, editor):
        articles.revise(article=article, new_text="Someone else's fix.\n" + article.text, user=editor)
        response = client_for(editor).post(self.url(article), {"text": "Mine.", "base_sha256": article.text_sha256})
        assert response.status_code == 409
        assert ArticleRevision.objects.count() == 1

    def test_placing_a_flagged_claim(self, client_for, article, editor, author, outsider):
        start = article.text.index(CLAIM)
        claim = claims.create(article=article, by=author, start=start, end=start + len(CLAIM))
        articles.revise(article=article, new_text=article.text.replace(CLAIM, "We hold the line"), user=editor)
        claim.refresh_from_db()
        assert claim.anchor_status == AnchorStatus.NEEDS_ATTENTION
        url = reverse("claim-place", args=[article.project.slug, article.pk, claim.pk])
        assert client_for(outsider).post(url, {"start": 0, "end": 5}).status_code == 404
        assert client_for(author).post(url, {"start": 0, "end": 5}).status_code == 403
        bad = client_for(editor).post(url, {"start": "x", "end": 5})
        assert bad.status_code == 400 and "start: must be a whole number." in bad.content.decode()
        beyond = client_for(editor).post(url, {"start": 0, "end": 10**7})
        assert beyond.status_code == 400 and "end: end must be at most the text length" in beyond.content.decode()
        new_start = Article.objects.get(pk=article.pk).text.index("We hold the line")
        ok = client_for(editor).post(url, {"start": new_start, "end": new_start + 16})
        assert ok.status_code == 302
        claim = Claim.objects.get(pk=claim.pk)
        assert (claim.anchor_status, claim.quote) == (AnchorStatus.ANCHORED, "We hold the line")
