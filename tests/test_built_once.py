"""What the API builds once and reuses: the compiled article lookup, serializer fields, filter sets."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from annotations.api.serializers import _ARTICLE_WITH_ROLE, ClaimSerializer, _articles_with_role
from annotations.compiled import CompiledQuery
from annotations.models import ApiToken, Article, Role
from tests.factories import ArticleFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_compiled_lookup_gives_what_the_orm_gives(project, author, editor):
    mine = ArticleFactory(project=project)
    elsewhere = ArticleFactory(project=ProjectFactory())
    for user in (author, editor):
        found = _ARTICLE_WITH_ROLE.first(user=user.pk, pk=mine.pk)
        expected = _articles_with_role(user).get(pk=mine.pk)
        assert found == expected
        assert found.my_role == expected.my_role == (Role.REVIEWER if user == author else Role.EDITOR)
        assert found.text == mine.text and found.project_id == project.pk
        # Another project's article is not there for them, as visible_to says.
        assert _ARTICLE_WITH_ROLE.first(user=user.pk, pk=elsewhere.pk) is None
    outsider = UserFactory()
    assert _ARTICLE_WITH_ROLE.first(user=outsider.pk, pk=mine.pk) is None


def test_ids_no_database_can_hold_find_nothing(project, author):
    ArticleFactory(project=project)
    assert _ARTICLE_WITH_ROLE.first(user=author.pk, pk=2**70) is None
    assert _ARTICLE_WITH_ROLE.first(user=author.pk, pk=-(2**70)) is None


def test_a_shape_that_uses_a_value_twice_or_not_at_all_is_refused(project):
    twice = CompiledQuery(Article, lambda pk: Article.objects.filter(pk=pk, project_id=pk), "pk")
    with pytest.raises(ValueError, match="exactly once"):
        twice.first(pk=1)
    unused = CompiledQuery(Article, lambda pk: Article.objects.all(), "pk")
    with pytest.raises(ValueError, match="exactly once"):
        unused.first(pk=1)


@pytest.mark.parametrize(
    ("article", "message"),
    [
        ("not-a-number", "Incorrect type. Expected pk value, received str."),
        (True, "Incorrect type. Expected pk value, received bool."),
        ([1], "Incorrect type. Expected pk value, received list."),
        (2**70, f'Invalid pk "{2**70}" - object does not exist.'),
    ],
)
def test_the_api_names_the_article_field_for_bad_ids(project, author, article, message):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(author, 't')[1]}")
    response = client.post("/api/v1/claims/", {"article": article, "start": 0, "end": 3}, format="json")
    assert response.status_code == 400
    assert response.json()["article"] == [message]


def test_an_article_of_another_project_is_not_found_through_the_api(project, author):
    theirs = ArticleFactory(project=MembershipFactory(role=Role.EDITOR).project)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(author, 't')[1]}")
    response = client.post("/api/v1/claims/", {"article": theirs.pk, "start": 0, "end": 3}, format="json")
    assert response.status_code == 400
    assert response.json()["article"] == [f'Invalid pk "{theirs.pk}" - object does not exist.']


def test_serializer_instances_get_their_own_bound_fields(rf, author):
    request = rf.post("/")
    request.user = author
    first = ClaimSerializer(context={"request": request})
    second = ClaimSerializer(context={"request": get_user_model()})
    assert first.fields.keys() == second.fields.keys()
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["article"].context["request"] is request


def test_filter_sets_get_their_own_filters_bound_to_them(rf, author):
    from annotations.api.filters import ArticleFilter, ClaimFilter

    first = ArticleFilter({"has_claims": "true"}, request=rf.get("/"))
    second = ArticleFilter({"has_claims": "false"}, request=rf.get("/"))
    for name in first.filters:
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name].parent is first and second.filters[name].parent is second
    # A method filter calls its own filter set's method, with its own data.
    assert first.filters["has_claims"].filter.method.__self__ is first
    assert first.get_form_class() is second.get_form_class()
    assert first.form is not second.form
    assert first.is_valid() and second.is_valid()
    assert first.form.cleaned_data["has_claims"] is True and second.form.cleaned_data["has_claims"] is False
    assert ClaimFilter({"q": "x"}).get_form_class() is not first.get_form_class()


def test_filters_still_filter(project, author):
    from annotations.api.filters import ArticleFilter
    from annotations.models import Article
    from tests.factories import ClaimFactory

    with_claim = ArticleFactory(project=project)
    ClaimFactory(article=with_claim, start=0, end=3)
    without = ArticleFactory(project=project)
    articles = Article.objects.filter(project=project)
    assert list(ArticleFilter({"has_claims": "true"}, articles).qs) == [with_claim]
    assert list(ArticleFilter({"has_claims": "false"}, articles).qs) == [without]


def test_a_shape_with_a_value_that_changes_between_builds_is_refused(project):
    from itertools import count

    calls = count()
    moving = CompiledQuery(Article, lambda pk: Article.objects.filter(pk=pk, title=str(next(calls))), "pk")
    with pytest.raises(ValueError, match="change between builds"):
        moving.first(pk=1)


def test_values_that_are_not_ids_find_nothing(project, author):
    ArticleFactory(project=project)
    assert _ARTICLE_WITH_ROLE.first(user=author.pk, pk=None) is None
    assert _ARTICLE_WITH_ROLE.first(user=None, pk=1) is None


def test_serializers_with_fields_that_have_children_are_built_each_time():
    from rest_framework import serializers as drf

    from annotations.api.serializers import _FIELD_TEMPLATES, ModelSerializer

    class Tagged(ModelSerializer):
        tags = drf.ListField(child=drf.CharField())

        class Meta:
            model = Article
            fields = ["id", "tags"]

    first, second = Tagged(context={"n": 1}), Tagged(context={"n": 2})
    assert first.fields["tags"].child.context == {"n": 1}
    assert second.fields["tags"].child.context == {"n": 2}
    assert Tagged not in _FIELD_TEMPLATES


def test_all_gives_what_the_orm_gives_with_related_objects_and_a_repeated_value(project, author):
    from types import SimpleNamespace

    from annotations.models import Claim
    from annotations.views import links
    from tests.factories import ClaimFactory

    article = ArticleFactory(project=project)
    made = [ClaimFactory(article=article, start=n, end=n + 3, created_by=author) for n in (9, 1, 5)]

    def build(article: int, user: int):
        # with_links tests the user's memberships twice: the user id reaches the SQL twice.
        in_order = Claim.objects.filter(article_id=article).order_by("start")
        return links.with_links(in_order, SimpleNamespace(pk=user)).select_related("created_by")[:2]

    shape = CompiledQuery(Claim, build, "article", "user", may_repeat=("user",))
    found = shape.all(article=article.pk, user=author.pk)
    expected = list(build(article.pk, author.pk))
    assert [c.pk for c in found] == [c.pk for c in expected] == [made[1].pk, made[2].pk]
    assert [(c.repeat_count, c.same_as_visible) for c in found] == [
        (c.repeat_count, c.same_as_visible) for c in expected
    ]
    assert "created_by" in found[0]._state.fields_cache  # selected with the row, not loaded later
    assert found[0].created_by.username == author.username
    assert shape.all(article=2**70, user=author.pk) == []


@pytest.mark.django_db(transaction=True)
def test_a_shape_compiled_in_one_thread_runs_in_another():
    # The server's threads share the compiled shape; each must run it on its own connection.
    import threading

    from django.db import connection

    from annotations.models import Claim

    article = ArticleFactory()
    shape = CompiledQuery(Claim, lambda article: Claim.objects.filter(article_id=article).values_list("pk"), "article")
    assert shape.all(article=article.pk) == []
    answers: list[object] = []

    def other() -> None:
        try:
            answers.append(shape.all(article=article.pk))
        except Exception as error:  # noqa: BLE001 - the assertion below reports it
            answers.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert answers == [[]]


def test_a_list_shape_gives_what_the_orm_gives_for_any_length(project, author, monkeypatch):
    from annotations.compiled import CompiledInQuery
    from annotations.models import Claim, Source
    from tests.factories import ClaimFactory

    article = ArticleFactory(project=project)
    made = [ClaimFactory(article=article, start=n, end=n + 3, created_by=author) for n in range(4)]
    for claim in made:
        Source.objects.bulk_create([Source(claim=claim, url=f"https://example.org/{claim.pk}/{n}") for n in range(2)])

    def build(ids: list[int]):
        return Source.objects.filter(claim_id__in=ids).order_by("claim_id", "id")

    shape = CompiledInQuery(Source, build)
    for ids in ([made[0].pk], [made[2].pk, made[0].pk], [c.pk for c in made], [made[1].pk, 2**40]):
        assert [s.pk for s in shape.all(ids)] == [s.pk for s in build(ids)]
    assert shape.all([]) == []
    monkeypatch.setattr(CompiledInQuery, "MAX_COMPILED", 2)  # longer lists: the ORM, same rows
    assert [s.url for s in shape.all([c.pk for c in made])] == [s.url for s in build([c.pk for c in made])]
    assert Claim.objects.filter(pk__in=[c.pk for c in made]).count() == 4


def test_span_shapes_give_what_the_orm_gives_from_the_first_character(project, author):
    # Spans are positive fields: the stand-ins must keep their conditions (a negative stand-in
    # made Django drop or empty them), and a span starting at 0 must still be bounded.
    from annotations.models import Claim, EntityMention
    from annotations.views.desk import _CLAIM_SPANS, _CLAIMS_WITHIN, _MENTIONS_WITHIN
    from tests.factories import ClaimFactory

    article = ArticleFactory(project=project, text="Alpha beta gamma delta epsilon zeta eta theta.")
    for start, end in ((0, 5), (6, 10), (17, 22), (30, 34)):
        ClaimFactory(article=article, start=start, end=end, quote=article.text[start:end], created_by=author)
        EntityMention.objects.create(article=article, start=start, end=end, text=article.text[start:end], label="X")
    for low, high in ((0, 11), (6, 23), (0, 0), (40, 46), (0, 2**40)):
        in_range = Claim.objects.filter(article=article, start__lt=high, end__gt=low).in_text_order()
        assert _CLAIMS_WITHIN.all(article=article.pk, low=low, high=high) == list(
            in_range.values_list("pk", "start", "end", "verdict")
        )
        mentions = EntityMention.objects.filter(article=article, start__lt=high, end__gt=low)
        assert _MENTIONS_WITHIN.all(article=article.pk, low=low, high=high) == list(
            mentions.values_list("start", "end", "label")
        )
    for start, end in ((0, 10), (6, 22), (0, 4), (1, 46), (0, -1)):
        expected = EntityMention.objects.filter(article=article, start__gte=start, end__lte=end).order_by("start")
        assert [row.pk for row in EntityMention.objects.rows(article.pk, start, end)] == [m.pk for m in expected]
    assert sorted(_CLAIM_SPANS.all(article=article.pk)) == [(0, 5), (6, 10), (17, 22), (30, 34)]


def test_the_compiled_claim_lookup_keeps_the_scope(project, author, outsider):
    from django.http import Http404

    from annotations.views.lookups import claim_for
    from tests.factories import ClaimFactory

    claim = ClaimFactory(article=ArticleFactory(project=project), created_by=author)

    class Request:
        def __init__(self, user):
            self.user = user

    assert claim_for(Request(author), project.slug, claim.pk, claim.article_id) == claim
    assert claim_for(Request(author), project.slug, claim.pk) == claim
    for user, slug, article_id in (
        (outsider, project.slug, claim.article_id),  # not a member
        (author, "another-project", claim.article_id),  # the URL's project is not the claim's
        (author, project.slug, claim.article_id + 1),  # nor its article
    ):
        with pytest.raises(Http404):
            claim_for(Request(user), slug, claim.pk, article_id)
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Http404):  # nor does an anonymous request
        claim_for(Request(AnonymousUser()), project.slug, claim.pk)
