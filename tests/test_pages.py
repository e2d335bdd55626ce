"""Login, the page flow project → articles → article, and scoping of every page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import EntityMention
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_every_page_requires_login(client, article):
    for url in [
        reverse("project-list"),
        reverse("article-list", args=[article.project.slug]),
        reverse("article-detail", args=[article.project.slug, article.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_login_page_logs_a_reviewer_in(client, author):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    response = client.post(reverse("login"), {"username": "author", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("project-list")


def test_a_wrong_password_shows_an_error(client, author):
    response = client.post(reverse("login"), {"username": "author", "password": "nope"})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_the_project_list_shows_only_my_projects(client_for, author, outsider, project):
    response = client_for(author).get(reverse("project-list"))
    assert response.status_code == 200
    assert list(response.context["projects"]) == [project]


def test_the_article_list_shows_the_projects_articles(client_for, author, article):
    response = client_for(author).get(reverse("article-list", args=[article.project.slug]))
    assert response.status_code == 200
    assert b"Seed article" in response.content


def test_an_outsider_gets_404_on_every_page_of_the_project(client_for, outsider, article):
    client = client_for(outsider)
    assert client.get(reverse("article-list", args=[article.project.slug])).status_code == 404
    assert client.get(reverse("article-detail", args=[article.project.slug, article.pk])).status_code == 404


def test_the_article_page_shows_text_claims_sources_and_entities(client_for, author, article):
    start = article.text.index("Russia has the advantage")
    claim = ClaimFactory(article=article, start=start, end=start + 24, claimant="Gen. Oleksiy Gromov")
    SourceFactory(claim=claim, title="Briefing transcript")
    gromov = article.text.index("Oleksiy Gromov")
    EntityMention.objects.create(article=article, start=gromov, end=gromov + 14, text="Oleksiy Gromov", label="PERSON")
    response = client_for(author).get(reverse("article-detail", args=[article.project.slug, article.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-claim-id="{claim.pk}"' in html
    assert "Briefing transcript" in html
    assert 'data-labels="PERSON"' in html
    assert "Gen. Oleksiy Gromov" in html


def test_article_text_is_escaped_never_rendered_as_html(client_for, author, project):
    from annotations import articles

    article = articles.create(project=project, title="<b>T</b>", text='Hello <script>alert("x")</script> & bye')
    response = client_for(author).get(reverse("article-detail", args=[project.slug, article.pk]))
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; bye" in html
    assert "<b>T</b>" not in html


def test_the_article_page_query_count_does_not_grow_with_claims(
    client_for, author, article, django_assert_max_num_queries
):
    client = client_for(author)
    url = reverse("article-detail", args=[article.project.slug, article.pk])
    for i in range(3):
        SourceFactory(claim=ClaimFactory(article=article, start=i, end=i + 5))
    client.get(url)  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(3, 40):
        SourceFactory(claim=ClaimFactory(article=article, start=i, end=i + 5))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
