"""What was checked before, through every door: the library import (file, URL, API, command), the
desk's matches, "same claim as" links and copied verdicts, search, entity pages, and scoping."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotations import articles, claims, factchecks, similar
from annotations.imports.base import ImportProblem
from annotations.models import Article, Claim, ClaimLink, ClaimStatus, EntityMention, FactCheck, Source
from tests.local_http import Route, serve

pytestmark = pytest.mark.django_db

TEXT = (
    "The mayor said unemployment in the city fell to 4 percent last year.\n"
    "Crime rates doubled since 2015 according to police figures in Springfield.\n"
    "Tax revenue from tourism reached 2 billion dollars.\n"
)
REPEAT = "Police figures show crime in Springfield has doubled since 2015."
REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checks.example.org/crime-doubled",
    "claimReviewed": "Crime in Springfield doubled since 2015, police figures show",
    "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1, "alternateName": "False"},
    "author": {"@type": "Organization", "name": "Checkers <b>Inc</b>", "url": "https://checks.example.org/"},
    "itemReviewed": {
        "@type": "Claim",
        "author": {"@type": "Person", "name": "The Mayor"},
        "datePublished": "2024-01-02",
    },
    "datePublished": "2024-01-05",
    "reviewBody": "Police figures show a 12% rise, not a doubling.",
}


def _review(n: int, **changes: object) -> dict[str, object]:
    return {**REVIEW, "url": f"https://checks.example.org/{n}", **changes}


@pytest.fixture
def council(project, author):
    return articles.create(project=project, title="Council", text=TEXT, created_by=author)


def _mark(article, user, sentence: str, **fields) -> Claim:
    start = article.text.index(sentence)
    return claims.create(article=article, by=user, start=start, end=start + len(sentence), **fields)


def _approve(claim: Claim, author, editor) -> Claim:
    claims.add_source(claim=claim, by=author, url="https://example.org/police-report", title="Police report")
    claims.move(claim=claim, by=author, target=ClaimStatus.IN_REVIEW)
    return claims.move(claim=claim, by=editor, target=ClaimStatus.APPROVED)


@pytest.fixture
def earlier(council, author, editor):
    """An approved claim: what a later, differently worded claim repeats."""
    claim = _mark(
        council,
        author,
        "Crime rates doubled since 2015 according to police figures in Springfield",
        verdict="false",
        rationale="A 12% rise.",
    )
    return _approve(claim, author, editor)


@pytest.fixture
def later(project, author):
    article = articles.create(project=project, title="Radio", text=f"Tonight: {REPEAT}\n", created_by=author)
    return _mark(article, author, REPEAT)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def card_url(name: str, claim: Claim) -> str:
    return reverse(name, args=[claim.article.project.slug, claim.article_id, claim.pk])


# --- importing the library ----------------------------------------------------------------------------


def test_it_imports_claimreview_from_a_file_on_the_library_page(client_for, editor, project):
    data = json.dumps([REVIEW, _review(2, claimReviewed="Tourism brought 2 billion dollars")]).encode()
    response = client_for(editor).post(
        reverse("library", args=[project.slug]), {"file": SimpleUploadedFile("checks.json", data)}, follow=True
    )
    assert response.status_code == 200
    assert "Imported 2 new fact check(s); 0 updated." in response.content.decode()
    check = FactCheck.objects.get(url=REVIEW["url"])
    assert (check.verdict, check.rating_label, check.rating_value) == ("false", "False", 1.0)
    assert (check.publisher_name, check.publisher_url) == ("Checkers <b>Inc</b>", "https://checks.example.org/")
    assert (check.claimant, str(check.claim_date), str(check.published_at)) == ("The Mayor", "2024-01-02", "2024-01-05")
    # Untrusted text is escaped on the page.
    page = client_for(editor).get(reverse("library", args=[project.slug])).content.decode()
    assert "Checkers &lt;b&gt;Inc&lt;/b&gt;" in page and "<b>Inc</b>" not in page


def test_a_bad_item_names_its_number_and_field_and_nothing_is_written(client_for, editor, project):
    data = json.dumps([REVIEW, _review(2, claimReviewed="")]).encode()
    response = client_for(editor).post(
        reverse("library", args=[project.slug]), {"file": SimpleUploadedFile("checks.json", data)}
    )
    assert response.status_code == 400
    assert "checks.json: item 2: claimReviewed is missing" in response.content.decode()
    assert FactCheck.objects.count() == 0


def test_json_lines_errors_name_the_line(project):
    data = (json.dumps(REVIEW) + "\n" + json.dumps(_review(2, reviewRating={"ratingValue": "high"})) + "\n").encode()
    with pytest.raises(ImportProblem, match=r"feed.jsonl: line 2: reviewRating.ratingValue must be a number"):
        factchecks.import_data(project=project, by=None, data=data, source="feed.jsonl")
    with pytest.raises(ImportProblem, match=r"line 2 is not valid JSON"):
        factchecks.import_data(project=project, by=None, data=b'{"a": 1}\n{nope\n', source="feed.jsonl")
    with pytest.raises(ImportProblem, match=r"item 1: @type is not ClaimReview"):
        factchecks.import_data(project=project, by=None, data=b'[{"@type": "NewsArticle"}]', source="x.json")
    assert FactCheck.objects.count() == 0


def test_importing_again_updates_instead_of_doubling(project):
    factchecks.import_data(project=project, by=None, data=json.dumps(REVIEW).encode(), source="a")
    again = _review(0, url=REVIEW["url"], reviewRating={"alternateName": "Mostly false"})
    result = factchecks.import_data(project=project, by=None, data=json.dumps(again).encode(), source="b")
    assert (result.created, result.updated) == (0, 1)
    assert list(FactCheck.objects.values_list("verdict", "rating_label")) == [("mostly_false", "Mostly false")]


def test_it_imports_the_json_ld_of_a_page_fetched_from_a_url(project, editor, settings):
    settings.IMPORT_ALLOW_PRIVATE_URLS = True
    page = (
        "<html><head><script type='application/ld+json'>"
        + json.dumps({"@context": "https://schema.org", "@graph": [{"@type": "NewsArticle"}, REVIEW]})
        + "</script></head><body>A check</body></html>"
    ).encode()
    with serve({"/check": Route(body=page)}) as site:
        result = factchecks.import_url(project=project, by=editor, url=site.url("/check"))
    assert (result.created, FactCheck.objects.get().claim_reviewed) == (1, REVIEW["claimReviewed"])


def test_a_private_url_is_refused_when_private_urls_are_off(project, editor, settings):
    settings.IMPORT_ALLOW_PRIVATE_URLS = False
    with serve({"/check": Route(body=b"[]")}) as site:
        with pytest.raises(ImportProblem):
            factchecks.import_url(project=project, by=editor, url=site.url("/check"))
        assert site.hits == []


def test_the_api_imports_reviews_urls_and_files(project, editor, settings):
    api = api_for(editor)
    endpoint = reverse("api:fact-checks", args=[project.slug])
    response = api.post(endpoint, {"reviews": [REVIEW]}, format="json")
    assert response.status_code == 201 and response.json() == {"created": 1, "updated": 0, "notes": []}
    bad = api.post(endpoint, {"reviews": [REVIEW, {"@type": "ClaimReview", "claimReviewed": "x"}]}, format="json")
    assert bad.status_code == 400
    assert "item 2: reviewRating needs an alternateName" in json.dumps(bad.json())
    settings.IMPORT_ALLOW_PRIVATE_URLS = True
    with serve({"/feed": Route(body=json.dumps([_review(7)]).encode(), content_type="application/json")}) as site:
        assert api.post(endpoint, {"url": site.url("/feed")}, format="json").status_code == 201
    upload = SimpleUploadedFile("c.json", json.dumps(_review(8)).encode())
    assert api.post(endpoint, {"file": upload}, format="multipart").status_code == 201
    listed = api.get(endpoint).json()
    assert sorted(r["url"] for r in listed["results"]) == sorted(
        [REVIEW["url"], "https://checks.example.org/7", "https://checks.example.org/8"]
    )


def test_reviewers_may_not_import_and_outsiders_get_404(project, author, outsider):
    endpoint = reverse("api:fact-checks", args=[project.slug])
    assert api_for(author).post(endpoint, {"reviews": [REVIEW]}, format="json").status_code == 403
    assert api_for(outsider).post(endpoint, {"reviews": [REVIEW]}, format="json").status_code == 404
    assert api_for(outsider).get(endpoint).status_code == 404
    with pytest.raises(PermissionDenied):
        factchecks.import_records(project=project, by=author, records=[])
    assert FactCheck.objects.count() == 0


def test_the_command_imports_files_and_reports_bad_ones(project, tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps([REVIEW]))
    bad.write_text("[{")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 input"):
        call_command("import_factchecks", str(good), str(bad), project=project.slug, stdout=out, stderr=err)
    assert "1 new, 0 updated" in out.getvalue() and "bad.json" in err.getvalue()
    assert FactCheck.objects.count() == 1


def test_our_own_claimreview_export_imports_back_with_its_publisher(project, earlier):
    from annotations.exports.core import ExportStream
    from annotations.exports.params import ExportParams

    project.publisher_name, project.publisher_url = "Newsroom Checks", "https://newsroom.example/"
    project.review_url_template = "https://newsroom.example/checks/{claim_id}"
    project.save()
    params = ExportParams(format="claimreview")
    exported = "".join(ExportStream(project, params).iter_text()).encode()
    result = factchecks.import_data(project=project, by=None, data=exported, source="export.json")
    check = FactCheck.objects.get()
    assert result.created == 1
    assert (check.claim_reviewed, check.verdict, check.publisher_name, check.publisher_url) == (
        earlier.claim_text,
        "false",
        "Newsroom Checks",
        "https://newsroom.example/",
    )
    assert check.url == f"https://newsroom.example/checks/{earlier.pk}"


# --- the desk: matches, links and copies -------------------------------------------------------------


def test_marking_a_claim_that_repeats_a_check_shows_it(client_for, author, project, later, earlier):
    factchecks.import_data(project=project, by=None, data=json.dumps(REVIEW).encode(), source="x")
    html = client_for(author).get(card_url("claim-similar", later)).content.decode()
    assert f'data-match="claim:{earlier.pk}"' in html
    assert 'data-match="fact_check:' in html and "Checkers &lt;b&gt;Inc&lt;/b&gt;" in html
    assert "Same claim" in html and "Copy verdict" in html


def test_one_click_links_the_claim_and_both_cards_show_it(client_for, author, editor, later, earlier):
    client = client_for(author)
    response = client.post(card_url("claim-same-as", later), {"earlier_claim": earlier.pk})
    assert response.status_code == 200
    assert "Same claim as" in response.content.decode()
    link = ClaimLink.objects.get(claim=later)
    assert (link.earlier_claim_id, link.created_by) == (earlier.pk, author)
    page = client_for(editor).get(reverse("article-detail", args=[earlier.article.project.slug, earlier.article_id]))
    assert "Repeated by 1 later claim" in page.content.decode()
    # The API shows it on both too.
    api = api_for(editor)
    assert api.get(reverse("api:claim-same-as", args=[earlier.pk])).json()["repeated_by"] == [later.pk]
    assert api.get(reverse("api:claim-same-as", args=[later.pk])).json()["same_as"]["earlier_claim"] == earlier.pk
    # Unlinking removes it.
    assert client.post(card_url("claim-unlink", later)).status_code == 200
    assert not ClaimLink.objects.exists()


def test_only_approved_claims_of_ones_own_projects_can_be_linked(author, editor, outsider, later, earlier, council):
    draft = _mark(council, author, "Tax revenue from tourism reached 2 billion dollars")
    with pytest.raises(ValidationError, match="approved"):
        claims.link_same(claim=later, by=author, earlier_claim=draft.pk)
    with pytest.raises(ValidationError, match="No such claim"):
        claims.link_same(claim=later, by=author, earlier_claim=10**9)
    with pytest.raises(ValidationError, match="itself"):
        claims.link_same(claim=earlier, by=editor, earlier_claim=earlier.pk)
    with pytest.raises(PermissionDenied):
        claims.link_same(claim=later, by=outsider, earlier_claim=earlier.pk)
    api = api_for(outsider)
    assert api.post(reverse("api:claim-same-as", args=[later.pk]), {"earlier_claim": earlier.pk}).status_code == 404
    assert not ClaimLink.objects.exists()


def test_another_reviewer_may_not_link_my_claim(other_reviewer, later, earlier, client_for):
    response = client_for(other_reviewer).post(card_url("claim-same-as", later), {"earlier_claim": earlier.pk})
    assert response.status_code == 403
    assert not ClaimLink.objects.exists()


def test_copying_a_verdict_is_a_starting_point_never_an_approval(author, editor, later, earlier):
    fresh = claims.copy_verdict(claim=later, by=author, expected_version=later.version, earlier_claim=earlier.pk)
    assert (fresh.status, fresh.verdict) == (ClaimStatus.UNSTARTED, "false")
    assert fresh.rationale.startswith("Copied from an earlier check") and "A 12% rise." in fresh.rationale
    assert list(fresh.sources.values_list("url", flat=True)) == ["https://example.org/police-report"]
    assert fresh.version == later.version + 1
    # Submitted and approved only by the usual four-eyes step.
    claims.move(claim=fresh, by=author, target=ClaimStatus.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        claims.move(claim=fresh, by=author, target=ClaimStatus.APPROVED)


def test_copying_from_the_library_adds_the_review_as_a_source(project, author, later):
    factchecks.import_data(project=project, by=None, data=json.dumps(REVIEW).encode(), source="x")
    check = FactCheck.objects.get()
    fresh = claims.copy_verdict(claim=later, by=author, expected_version=None, fact_check=check.pk)
    source = Source.objects.get(claim=fresh)
    assert (fresh.verdict, source.url, source.stance, source.publisher) == (
        "false",
        REVIEW["url"],
        "refutes",
        "Checkers <b>Inc</b>",
    )


def test_a_published_claim_is_not_overwritten_by_a_copy_and_a_stale_copy_is_refused(author, editor, earlier, later):
    with pytest.raises(ValidationError, match="published"):
        claims.copy_verdict(claim=earlier, by=editor, expected_version=None, earlier_claim=earlier.pk)
    with pytest.raises(claims.StaleVersion):
        claims.copy_verdict(claim=later, by=author, expected_version=later.version + 5, earlier_claim=earlier.pk)
    response = api_for(author).post(
        reverse("api:claim-copy-verdict", args=[later.pk]),
        {"earlier_claim": earlier.pk, "version": later.version + 5},
        format="json",
    )
    assert response.status_code == 409
    assert Claim.objects.get(pk=later.pk).verdict == ""


def test_the_desk_copy_button_copies_through_the_card(client_for, author, later, earlier):
    response = client_for(author).post(
        card_url("claim-copy-verdict", later), {"earlier_claim": earlier.pk, "version": later.version}
    )
    assert response.status_code == 200
    assert Claim.objects.get(pk=later.pk).verdict == "false"


def test_a_link_to_a_project_the_reader_is_not_in_shows_no_text(client_for, author, later, outsider):
    from tests.factories import MembershipFactory

    other_article = articles.create(project=outsider.projects.get(), title="Elsewhere", text=TEXT, created_by=outsider)
    MembershipFactory(project=other_article.project, user=author, role="reviewer")
    editor_there = outsider
    elsewhere = _mark(other_article, author, "Tax revenue from tourism reached 2 billion dollars", verdict="true")
    elsewhere = _approve(elsewhere, author, editor_there)
    claims.link_same(claim=later, by=author, earlier_claim=elsewhere.pk)
    # A colleague of the later claim's project who is not in the other project sees no text.
    colleague = MembershipFactory(project=later.article.project, role="editor").user
    html = (
        client_for(colleague)
        .get(reverse("article-detail", args=[later.article.project.slug, later.article_id]))
        .content.decode()
    )
    assert "a check in a project you are not a member of" in html
    assert "tourism" not in html.split("Same claim as")[1][:300]


# --- the matching API ----------------------------------------------------------------------------------


def test_the_similar_api_matches_a_text_and_a_claim(project, author, outsider, earlier, later):
    factchecks.import_data(project=project, by=None, data=json.dumps(REVIEW).encode(), source="x")
    api = api_for(author)
    found = api.get(reverse("api:similar"), {"text": REPEAT}).json()
    assert {(m["kind"], m["publisher"]) for m in found} >= {
        ("claim", "Newsroom"),
        ("fact_check", "Checkers <b>Inc</b>"),
    }
    by_claim = api.get(reverse("api:claim-similar", args=[later.pk]), {"limit": 1}).json()
    assert len(by_claim) == 1
    assert api_for(outsider).get(reverse("api:similar"), {"text": REPEAT}).json() == []
    assert api_for(outsider).get(reverse("api:claim-similar", args=[later.pk])).status_code == 404
    assert api.get(reverse("api:similar"), {"text": "x", "limit": 99}).status_code == 400
    assert api.get(reverse("api:similar")).status_code == 400
    # A bad limit on a claim's matches names the field, as every 400 does (schemathesis found a bare list).
    for limit in ("254", "0", "many"):
        refused = api.get(reverse("api:claim-similar", args=[later.pk]), {"limit": limit})
        assert refused.status_code == 400 and list(refused.json()) == ["limit"], limit


# --- search and entity pages ---------------------------------------------------------------------------


@pytest.fixture
def searchable(council, author, editor):
    crime = _mark(
        council,
        author,
        "Crime rates doubled since 2015 according to police figures in Springfield",
        claimant="Chief <i>Wiggum</i>",
        verdict="false",
    )
    tax = _mark(council, author, "Tax revenue from tourism reached 2 billion dollars", claimant="Mayor Quimby")
    start = council.text.index("Springfield")
    EntityMention.objects.create(
        article=council, start=start, end=start + 11, text="Springfield", label="GPE", model="m"
    )
    return crime, tax


def _ids(response) -> list[int]:
    return sorted(r["id"] for r in response.json()["results"])


def test_the_search_api_filters_by_words_entity_claimant_verdict_status_and_date(author, outsider, searchable):
    crime, tax = searchable
    api, claims_url = api_for(author), reverse("api:claim-list")
    assert _ids(api.get(claims_url, {"q": "doubling crime"})) == [crime.pk]  # stems: doubling ~ doubled
    assert _ids(api.get(claims_url, {"q": "tourism revenue"})) == [tax.pk]
    assert _ids(api.get(claims_url, {"entity": "springfield"})) == [crime.pk]
    assert _ids(api.get(claims_url, {"entity": "Springfield", "entity_label": "PERSON"})) == []
    assert _ids(api.get(claims_url, {"claimant": "quimby"})) == [tax.pk]
    assert _ids(api.get(claims_url, {"verdict": "false"})) == [crime.pk]
    assert _ids(api.get(claims_url, {"status": "unstarted", "q": "tax"})) == [tax.pk]
    assert _ids(api.get(claims_url, {"created_at_before": "2000-01-01T00:00:00Z"})) == []
    assert _ids(api_for(outsider).get(claims_url, {"q": "crime"})) == []


def test_the_search_page_lists_matches_escaped(client_for, author, outsider, searchable):
    crime, _tax = searchable
    html = client_for(author).get(reverse("claim-search"), {"q": "crime", "verdict": "false"}).content.decode()
    assert f'data-claim="{crime.pk}"' in html and "Chief &lt;i&gt;Wiggum&lt;/i&gt;" in html
    assert 'data-claim="' not in client_for(outsider).get(reverse("claim-search"), {"q": "crime"}).content.decode()
    assert client_for(author).get(reverse("claim-search"), {"status": "nonsense"}).status_code == 400


def test_every_entity_has_a_page_with_the_claims_that_mention_it(client_for, author, outsider, searchable, council):
    crime, tax = searchable
    response = client_for(author).get(reverse("entity"), {"name": "springfield", "label": "GPE"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-claim="{crime.pk}"' in html and f'data-claim="{tax.pk}"' not in html
    # A person's correction counts too: an added mention gives its entity a page.
    from annotations import entities

    entities.add(article=council, start=TEXT.index("tourism"), end=TEXT.index("tourism") + 7, label="ORG", by=author)
    assert (
        f'data-claim="{tax.pk}"'
        in client_for(author).get(reverse("entity"), {"name": "Tourism", "label": "ORG"}).content.decode()
    )
    assert client_for(outsider).get(reverse("entity"), {"name": "Springfield", "label": "GPE"}).status_code == 404
    assert client_for(author).get(reverse("entity"), {"name": "Nowhere"}).status_code == 404


def test_the_desk_links_entity_chips_to_their_pages(client_for, author, searchable, council):
    html = client_for(author).get(reverse("article-detail", args=[council.project.slug, council.pk])).content.decode()
    assert f"{reverse('entity')}?name=Springfield&amp;label=GPE" in html


# --- links in the JSONL export and import -----------------------------------------------------------


def _jsonl_lines(project) -> list[str]:
    from annotations.exports.core import ExportStream
    from annotations.exports.params import parse_params

    params = parse_params({"format": "jsonl", "include_unreviewed": "1"}, project=project)
    return "".join(ExportStream(project, params).iter_text()).splitlines()


def _import_into(target, user, data: str):
    from annotations.imports.base import Metadata
    from annotations.imports.pipeline import ImportInput, import_all_or_nothing

    return import_all_or_nothing(
        project=target, user=user, items=[ImportInput.file("x.jsonl", data.encode())], metadata=Metadata()
    )


def test_the_jsonl_import_keeps_a_link_across_articles_and_names_one_it_cannot_keep(
    project, author, editor, earlier, later
):
    from tests.factories import MembershipFactory, ProjectFactory

    claims.link_same(claim=later, by=author, earlier_claim=earlier.pk)
    lines = _jsonl_lines(project)
    radio = next(line for line in lines if '"Radio"' in line)
    assert json.loads(radio)["claims"][0]["same_as"] == {"claim_id": earlier.pk}
    # Imported by the target's admin, with the claim's author and approver members there: the
    # earlier claim stays approved, so the link to it is kept.
    target = ProjectFactory(slug="copy")
    MembershipFactory(project=target, user=editor, role="admin")
    MembershipFactory(project=target, user=author, role="reviewer")
    _import_into(target, editor, "\n".join(lines) + "\n")
    copied = ClaimLink.objects.get(claim__article__project=target)
    assert copied.earlier_claim.claim_text == earlier.claim_text
    assert copied.earlier_claim.status == ClaimStatus.APPROVED
    # Imported by an editor, the earlier claim arrives in review: no link to an unpublished check.
    lowered = ProjectFactory(slug="lowered")
    MembershipFactory(project=lowered, user=editor, role="editor")
    report = _import_into(lowered, editor, "\n".join(lines) + "\n")
    assert not ClaimLink.objects.filter(claim__article__project=lowered).exists()
    assert any("that claim is not approved here" in o.message for o in report.created)
    alone = ProjectFactory(slug="alone")
    MembershipFactory(project=alone, user=editor, role="editor")
    report = _import_into(alone, editor, radio + "\n")
    assert "was not kept: that claim is not in this import" in report.created[0].message
    assert not ClaimLink.objects.filter(claim__article__project=alone).exists()


def test_a_malformed_link_in_jsonl_names_the_line_and_field(project, editor, later):
    line = json.loads(_jsonl_lines(project)[0])
    line["claims"][0]["same_as"] = {"claim_id": "seven"}
    with pytest.raises(Exception, match=r"line 1.*same_as.claim_id"):
        _import_into(project, editor, json.dumps(line) + "\n")


# --- the demo: make run's seed ---------------------------------------------------------------------


def test_the_seeded_demo_shows_a_checked_claim_when_one_of_the_seed_claims_is_marked(seed_text):
    from tests.factories import MembershipFactory, UserFactory

    call_command("load_seeds", stdout=StringIO())
    call_command("load_seeds", stdout=StringIO())  # twice: the same library rows
    assert FactCheck.objects.filter(project__slug="demo").count() == 3
    article = Article.objects.get(project__slug="demo")
    reviewer = MembershipFactory(project=article.project, user=UserFactory(username="demo-r"), role="reviewer").user
    sentence = "Russia had the upper hand in fighting in Ukraine’s eastern Luhansk region at present"
    claim = _mark(article, reviewer, sentence)
    best = similar.for_claim(claim, reviewer)[0]
    assert (best.kind, best.url, best.verdict) == (
        "fact_check",
        "https://factdesk.example/checks/luhansk-upper-hand",
        "mostly_true",
    )


def test_outsiders_get_404_on_every_page_and_partial(client_for, outsider, project, later, earlier, client):
    assert client.get(reverse("claim-search")).status_code == 302  # signed out: to the login page
    outside = client_for(outsider)
    assert outside.get(reverse("library", args=[project.slug])).status_code == 404
    assert outside.get(card_url("claim-similar", later)).status_code == 404
    assert outside.post(card_url("claim-same-as", later), {"earlier_claim": earlier.pk}).status_code == 404
    assert outside.post(card_url("claim-copy-verdict", later), {"earlier_claim": earlier.pk}).status_code == 404
    assert outside.post(card_url("claim-unlink", later)).status_code == 404
    assert not ClaimLink.objects.exists() and Claim.objects.get(pk=later.pk).verdict == ""


# --- on every suggestion -------------------------------------------------------------------------------


def test_a_suggested_sentence_shows_what_was_checked_before(council, project, author, editor, client_for, outsider):
    from annotations import extraction
    from annotations.models import Suggestion

    factchecks.import_data(project=project, by=editor, data=json.dumps([REVIEW]).encode(), source="reviews.json")
    assert extraction.run_extraction(article_id=council.pk, run_id=council.latest_run.pk) == extraction.Outcome.DONE
    crime = council.text.index("Crime rates doubled")
    suggestion = Suggestion.objects.get(article=council, start=crime)
    url = reverse("suggestion-similar", args=[project.slug, council.pk, suggestion.pk])
    html = client_for(author).get(url).content.decode()
    assert "Checked before" in html and "crime-doubled" in html and "Checkers &lt;b&gt;Inc&lt;/b&gt;" in html
    assert "Same claim" not in html  # no claim to link yet
    tax = Suggestion.objects.get(article=council, start=council.text.index("Tax revenue"))
    quiet = reverse("suggestion-similar", args=[project.slug, council.pk, tax.pk])
    assert client_for(author).get(quiet).content == b""  # nothing similar: nothing shown
    # The desk asks for it on every suggestion it lists.
    desk = client_for(author).get(reverse("article-detail", args=[project.slug, council.pk])).content.decode()
    assert url in desk
    assert client_for(outsider).get(url).status_code == 404
    other = articles.create(project=project, title="Other", text="Something else entirely.", created_by=author)
    wrong = reverse("suggestion-similar", args=[project.slug, other.pk, suggestion.pk])
    assert client_for(author).get(wrong).status_code == 404


def test_the_export_keeps_another_projects_library_to_itself(project, author, editor, later):
    # The author belongs to both projects and links a claim here to the other project's library;
    # a member of this project only must not read that library entry in this project's export.
    from tests.factories import MembershipFactory, ProjectFactory

    other = ProjectFactory(slug="other-desk")
    MembershipFactory(project=other, user=editor, role="editor")
    MembershipFactory(project=other, user=author, role="reviewer")
    factchecks.import_data(project=other, by=editor, data=json.dumps([REVIEW]).encode(), source="r.json")
    check = FactCheck.objects.get(project=other)
    claims.link_same(claim=later, by=author, fact_check=check.pk)
    radio = next(json.loads(line) for line in _jsonl_lines(project) if '"Radio"' in line)
    assert radio["claims"][0]["same_as"] is None
    assert "crime-doubled" not in json.dumps(radio)


def test_fact_check_links_in_an_import_cost_the_same_queries_for_three_or_twelve(project, editor, later):
    """The library entries an import's links name are found in one query, whatever their number."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MembershipFactory, ProjectFactory

    line = json.loads(next(line for line in _jsonl_lines(project) if '"Radio"' in line))
    template = line["claims"][0]

    def with_links(count: int, slug: str) -> tuple[str, object]:
        target = ProjectFactory(slug=slug)
        MembershipFactory(project=target, user=editor, role="editor")
        reviews = [{**REVIEW, "url": f"https://checks.example.org/{slug}-{n}"} for n in range(count)]
        factchecks.import_data(project=target, by=editor, data=json.dumps(reviews).encode(), source="r.json")
        line["claims"] = [
            {
                **template,
                "id": 10_000 + n,
                "same_as": {"fact_check": {"claim_reviewed": REVIEW["claimReviewed"], "url": review["url"]}},
            }
            for n, review in enumerate(reviews)
        ]
        line["title"] = f"Radio {slug}"
        return json.dumps(line) + "\n", target

    counts = []
    for count, slug in ((3, "three"), (12, "twelve")):
        data, target = with_links(count, slug)
        with CaptureQueriesContext(connection) as queries:
            _import_into(target, editor, data)
        assert ClaimLink.objects.filter(claim__article__project=target, fact_check__isnull=False).count() == count
        counts.append(len(queries))
    assert counts[0] == counts[1]
