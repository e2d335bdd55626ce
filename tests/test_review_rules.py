"""Doors × rules: every review rule tried through every door that can reach it; refusals write nothing.

The doors are the desk's htmx partials, the claim's review page, the REST API, the importers
(page, API, command), and the admin site. Each door is a small adapter that tries one action
and answers the HTTP status (or the exception the command raised); the rules are the tests.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations import claims, workflow
from annotations.models import Claim, ClaimStatus, Source
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

QUOTE = "Russia has the advantage, but we are doing everything we can"


# --- the people and the claim -------------------------------------------------------------------


@pytest.fixture
def second_editor(project):
    return MembershipFactory(project=project, user=UserFactory(username="second-editor"), role="editor").user


@pytest.fixture
def claim(article, author):
    start = article.text.index(QUOTE)
    return claims.create(article=article, by=author, start=start, end=start + len(QUOTE), verdict="false")


def submitted(claim, author, *, source: bool = True) -> Claim:
    if source:
        claims.add_source(claim=claim, by=author, url="https://example.org/evidence", stance="refutes")
    return claims.move(claim=claim, by=author, target=ClaimStatus.IN_REVIEW)


def approved(claim, author, editor) -> Claim:
    return claims.move(claim=submitted(claim, author), by=editor, target=ClaimStatus.APPROVED)


def snapshot(claim: Claim) -> tuple:
    fresh = Claim.objects.get(pk=claim.pk)
    sources = tuple(fresh.sources.order_by("pk").values_list("url", "stance", "title"))
    return (fresh.status, fresh.verdict, fresh.rationale, fresh.version, fresh.reviewed_by_id, fresh.corrected_at,
            sources)  # fmt: skip


# --- the doors that change a claim ---------------------------------------------------------------


class Desk:
    """The htmx partials of the article page, as desk.js posts them."""

    name = "desk"

    def __init__(self, client_for):
        self.client_for = client_for

    def _url(self, name, claim, *extra):
        claim = Claim.objects.select_related("article__project").get(pk=claim.pk)
        return reverse(name, args=[claim.article.project.slug, claim.article_id, claim.pk, *extra])

    def move(self, claim, user, target):
        fresh = Claim.objects.get(pk=claim.pk)
        data = {"verdict": fresh.verdict, "status": target, "version": fresh.version}
        return self.client_for(user).post(self._url("claim-review", claim), data, HTTP_HX_REQUEST="true").status_code

    def edit(self, claim, user, note="", **fields):
        fresh = Claim.objects.get(pk=claim.pk)
        data = {"claim_text": fresh.claim_text, "claimant": fresh.claimant, "verdict": fresh.verdict,
                "rationale": fresh.rationale, "status": fresh.status, "version": fresh.version,
                "correction_note": note, **fields}  # fmt: skip
        return self.client_for(user).post(self._url("claim-edit", claim), data, HTTP_HX_REQUEST="true").status_code

    def add_source(self, claim, user, url, note=""):
        data = {"url": url, "stance": "supports", "title": "Fake", "correction_note": note}
        return self.client_for(user).post(self._url("source-create", claim), data, HTTP_HX_REQUEST="true").status_code

    def remove_source(self, claim, user, note=""):
        source = Source.objects.filter(claim=claim).first()
        url = self._url("source-delete", claim, source.pk)
        return self.client_for(user).post(url, {"correction_note": note}, HTTP_HX_REQUEST="true").status_code

    def delete(self, claim, user):
        return self.client_for(user).post(self._url("claim-delete", claim), HTTP_HX_REQUEST="true").status_code


class ReviewPage:
    """The claim's "Review & history" page: workflow buttons (no field edits there)."""

    name = "review page"

    def __init__(self, client_for):
        self.client_for = client_for

    def move(self, claim, user, target):
        fresh = Claim.objects.select_related("article__project").get(pk=claim.pk)
        url = reverse("claim-move", args=[fresh.article.project.slug, fresh.pk])
        response = self.client_for(user).post(url, {"status": target, "version": fresh.version})
        return 200 if response.status_code == 302 else response.status_code


class Api:
    name = "api"

    def __init__(self, api_client_for):
        self.api_client_for = api_client_for

    def move(self, claim, user, target):
        fresh = Claim.objects.get(pk=claim.pk)
        return (
            self.api_client_for(user)
            .patch(f"/api/v1/claims/{claim.pk}/", {"status": target, "version": fresh.version}, format="json")
            .status_code
        )

    def edit(self, claim, user, note="", **fields):
        fresh = Claim.objects.get(pk=claim.pk)
        body = {"version": fresh.version, **fields, **({"correction_note": note} if note else {})}
        return self.api_client_for(user).patch(f"/api/v1/claims/{claim.pk}/", body, format="json").status_code

    def add_source(self, claim, user, url, note=""):
        body = {"url": url, "stance": "supports", "title": "Fake", **({"correction_note": note} if note else {})}
        return self.api_client_for(user).post(f"/api/v1/claims/{claim.pk}/sources/", body, format="json").status_code

    def remove_source(self, claim, user, note=""):
        source = Source.objects.filter(claim=claim).first()
        query = f"?correction_note={note}" if note else ""
        return self.api_client_for(user).delete(f"/api/v1/claims/{claim.pk}/sources/{source.pk}/{query}").status_code

    def delete(self, claim, user):
        return self.api_client_for(user).delete(f"/api/v1/claims/{claim.pk}/").status_code


@pytest.fixture(params=["desk", "review page", "api"])
def mover(request, client_for, api_client_for):
    return {"desk": Desk(client_for), "review page": ReviewPage(client_for), "api": Api(api_client_for)}[request.param]


@pytest.fixture(params=["desk", "api"])
def editor_door(request, client_for, api_client_for):
    return {"desk": Desk(client_for), "api": Api(api_client_for)}[request.param]


def refused(status: int) -> bool:
    return 400 <= status < 500


# --- rule 1: approval is four-eyes, by an editor, with a source --------------------------------


def test_the_author_never_approves_even_as_an_editor(mover, project, editor, second_editor, article):
    start = article.text.index(QUOTE)
    claim = claims.create(article=article, by=editor, start=start, end=start + len(QUOTE), verdict="false")
    claim = submitted(claim, editor)
    before = snapshot(claim)
    assert refused(mover.move(claim, editor, "approved"))
    assert snapshot(claim) == before
    assert mover.move(claim, second_editor, "approved") == 200
    assert Claim.objects.get(pk=claim.pk).reviewed_by == second_editor


def test_a_reviewer_never_approves(mover, claim, author, other_reviewer):
    claim = submitted(claim, author)
    before = snapshot(claim)
    assert refused(mover.move(claim, other_reviewer, "approved"))
    assert snapshot(claim) == before


def test_an_editor_who_rewrote_the_verdict_in_review_cannot_approve_it(
    editor_door, mover, claim, author, editor, second_editor
):
    claim = submitted(claim, author)
    assert editor_door.edit(claim, editor, verdict="mostly_false", rationale="Rewritten by the editor.") == 200
    before = snapshot(claim)
    assert refused(mover.move(claim, editor, "approved"))
    assert snapshot(claim) == before
    # Another editor is a second pair of eyes on the new verdict.
    assert mover.move(claim, second_editor, "approved") == 200


def test_rewriting_and_approving_in_one_request_is_refused_too(claim, author, editor):
    claim = submitted(claim, author)
    with pytest.raises(claims.PermissionDenied):
        claims.update(claim=claim, by=editor, expected_version=claim.version, verdict="true", status="approved")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_approval_needs_a_source_unless_not_checkable(mover, claim, author, editor):
    claim = submitted(claim, author, source=False)
    before = snapshot(claim)
    assert mover.move(claim, editor, "approved") == 400
    assert snapshot(claim) == before


def test_a_not_checkable_claim_is_approved_without_a_source(claim, author, editor):
    claims.update(claim=claim, by=author, expected_version=claim.version, verdict="not_checkable")
    claim = submitted(claim, author, source=False)
    assert claims.move(claim=claim, by=editor, target="approved").status == ClaimStatus.APPROVED


def test_a_claim_is_submitted_for_review_straight_from_unstarted(mover, claim, author):
    assert mover.move(claim, author, "in_review") == 200
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


# --- rule 2: a published claim changes only as an open correction --------------------------------


def test_a_reviewers_change_to_a_published_claim_sends_it_back_to_review(editor_door, claim, author, editor):
    claim = approved(claim, author, editor)
    before = snapshot(claim)
    assert editor_door.edit(claim, author, verdict="true") == 400  # no correction note
    assert snapshot(claim) == before
    assert editor_door.edit(claim, author, note="A new source changes it.", verdict="true") == 200
    fresh = Claim.objects.get(pk=claim.pk)
    assert (fresh.status, fresh.verdict, fresh.reviewed_by) == ("in_review", "true", None)
    assert fresh.corrected_at is not None and fresh.correction_note == "A new source changes it."


def test_an_editors_correction_keeps_it_published_and_credits_the_editor(
    editor_door, claim, author, editor, second_editor
):
    claim = approved(claim, author, editor)
    assert editor_door.edit(claim, second_editor, note="UN figures.", verdict="mostly_false") == 200
    fresh = Claim.objects.get(pk=claim.pk)
    assert (fresh.status, fresh.verdict, fresh.reviewed_by) == ("approved", "mostly_false", second_editor)
    assert fresh.correction_note == "UN figures."


def test_adding_a_source_to_a_published_claim_needs_a_note(editor_door, claim, author, editor):
    claim = approved(claim, author, editor)
    before = snapshot(claim)
    assert editor_door.add_source(claim, author, "https://example.org/fake") == 400
    assert snapshot(claim) == before
    assert editor_door.add_source(claim, author, "https://example.org/more", note="Another report.") in (200, 201)
    fresh = Claim.objects.get(pk=claim.pk)
    assert fresh.status == ClaimStatus.IN_REVIEW and fresh.corrected_at is not None
    assert fresh.sources.count() == 2


def test_the_only_source_of_a_published_claim_is_never_removed(editor_door, claim, author, editor):
    claim = approved(claim, author, editor)
    before = snapshot(claim)
    assert editor_door.remove_source(claim, author) == 400
    assert editor_door.remove_source(claim, editor, note="Dead link.") == 400
    assert snapshot(claim) == before


def test_a_published_claim_is_retracted_never_deleted(editor_door, client_for, claim, author, editor):
    claim = approved(claim, author, editor)
    before = snapshot(claim)
    assert refused(editor_door.delete(claim, author))
    assert refused(editor_door.delete(claim, editor))
    assert snapshot(claim) == before
    url = reverse("claim-retract", args=[claim.article.project.slug, claim.pk])
    assert client_for(author).post(url, {"note": "Wrong."}).status_code == 403
    assert client_for(editor).post(url, {"note": ""}).status_code == 400
    assert client_for(editor).post(url, {"note": "The quote was misattributed."}).status_code == 302
    fresh = Claim.objects.get(pk=claim.pk)
    assert (fresh.retracted_by, fresh.retraction_note) == (editor, "The quote was misattributed.")
    assert fresh.history.filter(history_change_reason="retracted").exists()


def test_an_unpublished_claim_is_deleted_by_its_author(editor_door, claim, author):
    assert editor_door.delete(claim, author) in (200, 204)
    assert not Claim.objects.filter(pk=claim.pk).exists()


# --- rule 3: imports never approve on their own authority ---------------------------------------


def _jsonl(article_text: str, *, created_by: str = "", reviewed_by: str = "", url: str = "https://example.org/a"):
    start = article_text.index(QUOTE)
    line = {
        "title": "Imported", "text": article_text,
        "claims": [{
            "start": start, "end": start + len(QUOTE), "quote": QUOTE, "status": "approved", "verdict": "false",
            "created_by": created_by, "reviewed_by": reviewed_by,
            "sources": [{"url": url, "stance": "refutes"}],
        }],
    }  # fmt: skip
    return json.dumps(line) + "\n"


def _import(door: str, project, user, data: str, client_for, api_client_for) -> int | str:
    if door == "page":
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("batch.jsonl", data.encode(), content_type="application/json")
        url = reverse("import-articles", args=[project.slug])
        return client_for(user).post(url, {"source": "upload", "files": upload}).status_code
    if door == "api":
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("batch.jsonl", data.encode(), content_type="application/json")
        return (
            api_client_for(user)
            .post(reverse("api:import", args=[project.slug]), {"files": upload}, format="multipart")
            .status_code
        )
    out, err = StringIO(), StringIO()
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as handle:
        handle.write(data)
    try:
        call_command("import_articles", "--project", project.slug, "--no-progress", "--user", user.username,
                     handle.name, stdout=out, stderr=err)  # fmt: skip
    except (CommandError, SystemExit):
        return "error: " + err.getvalue()
    return "ok: " + out.getvalue()


@pytest.mark.parametrize("door", ["page", "api", "command"])
def test_an_import_by_a_reviewer_never_creates_approved_claims(
    door, project, author, editor, seed_text, client_for, api_client_for
):
    result = _import(door, project, author, _jsonl(seed_text, created_by="author", reviewed_by="editor"),
                     client_for, api_client_for)  # fmt: skip
    assert str(result).startswith(("2", "ok")), result
    claim = Claim.objects.get()
    assert (claim.status, claim.reviewed_by) == (ClaimStatus.IN_REVIEW, None)


def test_an_admin_import_keeps_approval_only_for_a_named_distinct_approving_editor(
    project, project_admin, author, editor, seed_text
):
    from annotations.imports import pipeline
    from annotations.imports.base import Metadata
    from annotations.imports.pipeline import ImportInput

    def run(text, **names):
        return pipeline.import_all_or_nothing(
            project=project, user=project_admin, metadata=Metadata(),
            items=[ImportInput.file("a.jsonl", _jsonl(text, **names).encode())],
        )  # fmt: skip

    run(seed_text, created_by="author", reviewed_by="editor")
    kept = Claim.objects.get()
    assert (kept.status, kept.created_by, kept.reviewed_by) == (ClaimStatus.APPROVED, author, editor)
    for number, names in enumerate([{"created_by": "author", "reviewed_by": "author"},
                                    {"created_by": "author", "reviewed_by": "stranger"},
                                    {"created_by": "editor", "reviewed_by": "author"},
                                    {}]):  # fmt: skip
        report = run(f"{seed_text}\n{number}", **names)
        lowered = Claim.objects.get(article_id=report.created[0].article_id)
        assert (lowered.status, lowered.reviewed_by) == (ClaimStatus.IN_REVIEW, None), names
        assert "approved → in_review" in report.created[0].message


# --- rule 4: every source URL is http(s), on every door ------------------------------------------


HOSTILE_URLS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "not a url",
                "https://example.org/" + "a" * 2001]  # fmt: skip


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_source_url_that_is_not_http_is_refused_by_the_desk_and_the_api(editor_door, claim, author, url):
    before = snapshot(claim)
    assert editor_door.add_source(claim, author, url) == 400
    assert snapshot(claim) == before


@pytest.mark.parametrize("door", ["page", "api", "command"])
@pytest.mark.parametrize("url", HOSTILE_URLS[:2])
def test_a_source_url_that_is_not_http_is_refused_by_every_import(
    door, url, project, author, seed_text, client_for, api_client_for
):
    result = _import(door, project, author, _jsonl(seed_text, url=url), client_for, api_client_for)
    assert result == 400 or str(result).startswith("error"), result
    assert not Claim.objects.exists() and not Source.objects.exists()


def test_a_stored_javascript_url_never_renders_as_a_link(client_for, claim, author):
    # Written around every door, as a row from before the check existed would be.
    Source.objects.create(claim=claim, url="javascript:alert(1)", stance="supports")
    for response in (
        client_for(author).get(reverse("article-detail", args=[claim.article.project.slug, claim.article_id])),
        client_for(author).get(reverse("claim-workflow", args=[claim.article.project.slug, claim.pk])),
    ):
        assert response.status_code == 200
        assert 'href="javascript:' not in response.content.decode()


# --- rule 5: the admin site is a window, not a door ----------------------------------------------


def test_the_admin_site_shows_claims_and_sources_but_changes_none(client, claim, author):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(admin)
    claims.add_source(claim=claim, by=author, url="https://example.org/e", stance="refutes")
    source = Source.objects.get()
    assert client.get(reverse("admin:annotations_claim_change", args=[claim.pk])).status_code == 200
    before = snapshot(claim)
    response = client.post(reverse("admin:annotations_claim_change", args=[claim.pk]),
                           {"status": "approved", "verdict": "true"})  # fmt: skip
    assert response.status_code == 403
    assert client.post(reverse("admin:annotations_source_delete", args=[source.pk]), {"post": "yes"}).status_code == 403
    assert snapshot(claim) == before


def test_the_admin_keeps_the_last_project_admin(client, project, project_admin):
    from django.contrib.auth import get_user_model

    from annotations.models import Membership

    root = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(root)
    membership = Membership.objects.get(user=project_admin)
    response = client.post(reverse("admin:annotations_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 403
    change = client.post(reverse("admin:annotations_membership_change", args=[membership.pk]), {"role": "editor"})
    assert change.status_code == 200 and "at least one admin" in change.content.decode()
    assert Membership.objects.get(pk=membership.pk).role == "admin"


# --- the desk tells the truth ---------------------------------------------------------------------


def _status_options(html: str, claim: Claim) -> list[str]:
    import re

    card = html[html.index(f'id="claim-{claim.pk}"') :]
    select = card[card.index('name="status"') :]
    select = select[: select.index("</select>")]
    return re.findall(r'<option value="([a-z_]+)"', select)


def test_the_desk_offers_only_the_moves_the_person_may_make(client_for, claim, author, editor, article):
    page = reverse("article-detail", args=[article.project.slug, article.pk])
    assert _status_options(client_for(author).get(page).content.decode(), claim) == [
        "unstarted",
        "in_progress",
        "in_review",
    ]
    submitted(claim, author)
    author_page = client_for(author).get(page).content.decode()
    assert _status_options(author_page, claim) == ["in_review"]
    assert "Edit text" not in author_page
    editor_page = client_for(editor).get(page).content.decode()
    assert _status_options(editor_page, claim) == ["in_review", "approved", "needs_changes"]
    assert "Edit text" in editor_page


def test_an_editor_who_changed_the_claim_is_not_offered_approve(client_for, claim, author, editor, article):
    claim = submitted(claim, author)
    claims.update(claim=claim, by=editor, expected_version=claim.version, rationale="Tightened.")
    page = client_for(editor).get(reverse("article-detail", args=[article.project.slug, article.pk]))
    assert "approved" not in _status_options(page.content.decode(), claim)


def test_a_refused_move_answers_with_the_card_as_stored_and_the_servers_reason(client_for, project, editor, article):
    start = article.text.index(QUOTE)
    claim = claims.create(article=article, by=editor, start=start, end=start + len(QUOTE), verdict="false")
    claim = submitted(claim, editor)
    url = reverse("claim-review", args=[project.slug, article.pk, claim.pk])
    response = client_for(editor).post(url, {"verdict": "false", "status": "approved", "version": claim.version},
                                       HTTP_HX_REQUEST="true")  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 403
    assert "You cannot approve a claim you wrote" in html
    assert 'class="badge status-in_review"' in html
    assert '<option value="in_review" selected>' in html
    assert response["HX-Retarget"] == f"#claim-{claim.pk}"


def test_a_bare_refusal_in_an_htmx_request_is_the_reason_in_plain_text(client_for, claim, other_reviewer):
    url = reverse("claim-edit", args=[claim.article.project.slug, claim.article_id, claim.pk])
    response = client_for(other_reviewer).get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == workflow.EDIT_REFUSED
    assert response["HX-Reswap"] == "none"


def test_a_retraction_is_kept_in_the_jsonl_and_csv_and_withdrawn_from_the_published_formats(
    claim, author, editor, project
):
    from annotations.exports import ExportStream, parse_params

    claim = approved(claim, author, editor)
    claims.retract(claim=claim, by=editor, note="Misattributed quote.")

    def export(fmt: str) -> str:
        return "".join(ExportStream(project, parse_params({"format": fmt}, project=project)).iter_text())

    (line,) = [json.loads(text) for text in export("jsonl").splitlines()]
    (exported,) = line["claims"]
    assert (exported["retracted_by"], exported["retraction_note"]) == ("editor", "Misattributed quote.")
    assert exported["retracted_at"]
    assert "Misattributed quote." in export("csv")
    assert json.loads(export("webannotation")).get("total", 0) == 0
    assert export("fever").strip() == ""


def test_create_reviewer_keeps_the_last_project_admin(project, project_admin):
    from annotations.models import Membership

    with pytest.raises(CommandError, match="at least one admin"):
        call_command("create_reviewer", project_admin.username, "--project", project.slug, "--role", "reviewer",
                     stdout=StringIO())  # fmt: skip
    assert Membership.objects.get(user=project_admin).role == "admin"
