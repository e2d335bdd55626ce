"""Constraints and validation of the data model: every failing case has a clear message."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotations import articles
from annotations.models import Article, Claim, ClaimStatus, EntityMention, Membership, Project, Role, Source
from tests.factories import ArticleFactory, ClaimFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_normalises_and_hashes_the_text_on_save():
    article = ArticleFactory(text="Cafe\u0301\r\nline two  ")
    article.refresh_from_db()
    assert article.text == "Café\nline two"
    assert article.text_sha256 == hashlib.sha256("Café\nline two".encode()).hexdigest()


def test_the_same_text_twice_in_a_project_is_refused_by_the_database():
    article = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(project=article.project, text=article.text)


def test_the_same_text_in_another_project_is_fine():
    article = ArticleFactory()
    ArticleFactory(text=article.text)
    assert Article.objects.filter(text_sha256=article.text_sha256).count() == 2


def test_article_create_reports_a_duplicate_by_normalised_text():
    project = ProjectFactory()
    first = articles.create(project=project, title="One", text="Same text.\n")
    with pytest.raises(articles.DuplicateArticle) as caught:
        articles.create(project=project, title="Two", text="Same text.\r\n\r\n")
    assert caught.value.existing == first
    assert "already imported" in str(caught.value)


def test_article_create_refuses_empty_text():
    with pytest.raises(ValidationError) as caught:
        articles.create(project=ProjectFactory(), title="Empty", text=" \n \r\n")
    assert caught.value.message_dict["text"] == ["The article text is empty."]
    assert not Article.objects.exists()


def test_article_create_refuses_oversized_text(settings):
    settings.MAX_ARTICLE_CHARS = 10
    with pytest.raises(ValidationError) as caught:
        articles.create(project=ProjectFactory(), title="Big", text="x" * 11)
    assert caught.value.message_dict["text"] == ["The text has 11 characters; the limit is 10."]


def test_the_database_refuses_an_empty_text():
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.bulk_create([Article(project=ProjectFactory(), title="x", text="", text_sha256="0")])


@pytest.mark.parametrize(("start", "end"), [(5, 5), (6, 2)])
def test_the_database_refuses_a_claim_whose_start_is_not_before_end(start, end):
    article = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(article=article, start=start, end=end, quote="x")


def test_the_database_refuses_an_unknown_verdict_or_status():
    article = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(article=article, start=0, end=3, quote="Art", verdict="pants_on_fire")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(article=article, start=0, end=3, quote="Art", status="published")


def test_the_database_refuses_an_unknown_role_or_stance():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(role="owner")
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(claim=ClaimFactory(), url="https://example.org", stance="maybe")


def test_a_user_is_a_member_of_a_project_once():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(project=membership.project, user=membership.user, role=Role.EDITOR)


def test_claim_clean_accepts_a_matching_span_and_fills_context():
    article = ArticleFactory(text="Ministers said 40 towns were shelled overnight.")
    start = article.text.index("40 towns")
    claim = Claim(article=article, start=start, end=start + 8, quote="40 towns")
    claim.full_clean()
    assert (claim.prefix, claim.suffix) == ("Ministers said ", " were shelled overnight.")


@pytest.mark.parametrize(
    ("start", "end", "quote", "field", "message"),
    [
        (0, 500, "", "end", "end must be at most the text length (47)."),
        (0, 9, "Ministerz", "quote", "quote does not match the text at 0:9 (the text there is 'Ministers')."),
        (9, 3, "", "end", "end must be greater than start."),
    ],
)
def test_claim_clean_rejects_bad_spans_with_the_field(start, end, quote, field, message):
    article = ArticleFactory(text="Ministers said 40 towns were shelled overnight.")
    claim = Claim(article=article, start=start, end=end, quote=quote)
    with pytest.raises(ValidationError) as caught:
        claim.full_clean()
    assert caught.value.message_dict[field] == [message]


def test_a_new_claim_starts_unstarted_at_version_one():
    claim = ClaimFactory()
    assert claim.status == ClaimStatus.UNSTARTED
    assert claim.version == 1
    assert claim.verdict == ""


def test_mentions_inside_a_claim_are_those_within_its_span():
    article = ArticleFactory(text="Gen. Oleksiy Gromov said Reuters lied about Luhansk.")
    claim = ClaimFactory(article=article, start=0, end=32)
    mentions = [
        EntityMention(article=article, start=5, end=19, text="Oleksiy Gromov", label="PERSON"),
        EntityMention(article=article, start=25, end=32, text="Reuters", label="ORG"),
        EntityMention(article=article, start=44, end=51, text="Luhansk", label="GPE"),
    ]
    assert [m.text for m in claim.mentions_inside(mentions)] == ["Oleksiy Gromov", "Reuters"]


def test_visible_to_scopes_every_read_to_the_users_projects():
    member = UserFactory()
    mine = MembershipFactory(user=member).project
    theirs = ProjectFactory()
    my_claim = ClaimFactory(article=ArticleFactory(project=mine))
    ClaimFactory(article=ArticleFactory(project=theirs))
    assert list(Project.objects.visible_to(member)) == [mine]
    assert list(Article.objects.visible_to(member)) == [my_claim.article]
    assert list(Claim.objects.visible_to(member)) == [my_claim]


def test_role_of_tells_a_members_role_and_none_for_others():
    membership = MembershipFactory(role=Role.EDITOR)
    assert membership.project.role_of(membership.user) == Role.EDITOR
    assert membership.project.role_of(UserFactory()) is None


def test_an_api_token_is_stored_only_as_a_hash():
    from annotations.models import ApiToken

    token, key = ApiToken.issue(UserFactory(), "script")
    assert key not in (token.key_hash, token.key_prefix)
    assert token.key_hash == ApiToken.hash_key(key)
    assert key.startswith(token.key_prefix)
