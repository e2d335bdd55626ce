"""The permission matrix: every endpoint and method, for the author reviewer, another reviewer,
an editor, an admin and an outsider. Nothing of another project is ever visible."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from annotations.models import Claim, EntityMention, ExtractionRun, Membership, Role, Source
from tests.factories import ArticleFactory, ClaimFactory, MembershipFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Six users per test: the production hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ROLES = ["author", "other_reviewer", "editor", "project_admin", "outsider"]


@dataclass
class World:
    article: Any
    claim: Any
    source: Any
    mention: Any
    run: Any
    foreign_article: Any
    foreign_claim: Any
    users: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(project, article, author, other_reviewer, editor, project_admin, outsider) -> World:
    start = article.text.index("Russia has the advantage")
    # In review, with a verdict and (below) a source: ready for an editor's approval.
    claim = Claim.objects.create(
        article=article,
        start=start,
        end=start + 24,
        quote=article.text[start : start + 24],
        created_by=author,
        status="in_review",
        verdict="false",
    )
    source = SourceFactory(claim=claim, added_by=author)
    run = ExtractionRun.objects.filter(article=article).get()
    mention = EntityMention.objects.create(
        article=article, run=run, start=start, end=start + 6, text="Russia", label="GPE"
    )
    # The outsider's own project, with data nobody in ``project`` may see.
    foreign_project = Membership.objects.get(user=outsider).project
    foreign_article = ArticleFactory(project=foreign_project)
    foreign_claim = ClaimFactory(article=foreign_article, created_by=outsider)
    MembershipFactory(project=project, user=UserFactory(username="newbie"), role=Role.REVIEWER).delete()
    users = {
        "author": author,
        "other_reviewer": other_reviewer,
        "editor": editor,
        "project_admin": project_admin,
        "outsider": outsider,
    }
    return World(article, claim, source, mention, run, foreign_article, foreign_claim, users)


def _everyone(member: int, outsider: int) -> dict[str, int]:
    return {"author": member, "other_reviewer": member, "editor": member, "project_admin": member, "outsider": outsider}


def _claim_editors(ok: int) -> dict[str, int]:
    return {"author": ok, "other_reviewer": 403, "editor": ok, "project_admin": ok, "outsider": 404}


def _admins_only(ok: int) -> dict[str, int]:
    return {"author": 403, "other_reviewer": 403, "editor": 403, "project_admin": ok, "outsider": 404}


def _editors_only(ok: int, outsider: int) -> dict[str, int]:
    return {"author": 403, "other_reviewer": 403, "editor": ok, "project_admin": ok, "outsider": outsider}


# (name, method, url, body, expected status per role)
CASES: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("projects-list", "get", "/api/v1/projects/", None, _everyone(200, 200)),
    ("project-detail", "get", "/api/v1/projects/newsroom/", None, _everyone(200, 404)),
    ("members-list", "get", "/api/v1/projects/newsroom/members/", None, _everyone(200, 404)),
    ("member-detail", "get", "/api/v1/projects/newsroom/members/author/", None, _everyone(200, 404)),
    (
        "member-add",
        "post",
        "/api/v1/projects/newsroom/members/",
        {"username": "newbie", "role": "reviewer"},
        _admins_only(201),
    ),
    (
        "member-change",
        "patch",
        "/api/v1/projects/newsroom/members/other-reviewer/",
        {"role": "editor"},
        _admins_only(200),
    ),
    (
        "member-replace",
        "put",
        "/api/v1/projects/newsroom/members/other-reviewer/",
        {"role": "editor"},
        _admins_only(200),
    ),
    ("member-remove", "delete", "/api/v1/projects/newsroom/members/other-reviewer/", None, _admins_only(204)),
    ("articles-list", "get", "/api/v1/articles/", None, _everyone(200, 200)),
    ("article-detail", "get", "/api/v1/articles/{article}/", None, _everyone(200, 404)),
    (
        "article-create",
        "post",
        "/api/v1/articles/",
        {"project": "newsroom", "title": "T", "text": "New text."},
        _everyone(201, 400),
    ),
    ("claims-list", "get", "/api/v1/claims/", None, _everyone(200, 200)),
    ("claim-detail", "get", "/api/v1/claims/{claim}/", None, _everyone(200, 404)),
    ("claim-create", "post", "/api/v1/claims/", {"article": "{article}", "start": 0, "end": 5}, _everyone(201, 400)),
    ("claim-patch", "patch", "/api/v1/claims/{claim}/", {"verdict": "false", "version": 1}, _claim_editors(200)),
    (
        "claim-put",
        "put",
        "/api/v1/claims/{claim}/",
        {"article": "{article}", "start": 0, "end": 5, "verdict": "mixed", "version": 1},
        _claim_editors(200),
    ),
    (
        "claim-approve",
        "patch",
        "/api/v1/claims/{claim}/",
        {"status": "approved", "version": 1},
        _editors_only(200, 404),
    ),
    ("claim-delete", "delete", "/api/v1/claims/{claim}/", None, _claim_editors(204)),
    ("sources-list", "get", "/api/v1/claims/{claim}/sources/", None, _everyone(200, 404)),
    ("source-detail", "get", "/api/v1/claims/{claim}/sources/{source}/", None, _everyone(200, 404)),
    (
        "source-create",
        "post",
        "/api/v1/claims/{claim}/sources/",
        {"url": "https://example.org/a", "stance": "refutes"},
        _claim_editors(201),
    ),
    ("source-patch", "patch", "/api/v1/claims/{claim}/sources/{source}/", {"stance": "refutes"}, _claim_editors(200)),
    (
        "source-put",
        "put",
        "/api/v1/claims/{claim}/sources/{source}/",
        {"url": "https://example.org/b"},
        _claim_editors(200),
    ),
    ("source-delete", "delete", "/api/v1/claims/{claim}/sources/{source}/", None, _claim_editors(204)),
    ("mentions-list", "get", "/api/v1/mentions/", None, _everyone(200, 200)),
    ("mention-detail", "get", "/api/v1/mentions/{mention}/", None, _everyone(200, 404)),
    ("runs-list", "get", "/api/v1/extraction-runs/", None, _everyone(200, 200)),
    ("run-detail", "get", "/api/v1/extraction-runs/{run}/", None, _everyone(200, 404)),
    ("run-rerun", "post", "/api/v1/extraction-runs/", {"article": "{article}"}, _editors_only(201, 400)),
    ("schema", "get", "/api/schema/", None, _everyone(200, 200)),
]


def _fill(value: Any, world: World) -> Any:
    ids = {
        "article": world.article.pk,
        "claim": world.claim.pk,
        "source": world.source.pk,
        "mention": world.mention.pk,
        "run": world.run.pk,
    }
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def _rows() -> dict[str, int]:
    from annotations.models import Article

    return {
        "articles": Article.objects.count(),
        "claims": Claim.objects.count(),
        "sources": Source.objects.count(),
        "members": Membership.objects.count(),
        "runs": ExtractionRun.objects.count(),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_it_answers_each_role_as_the_matrix_says(world, api_client_for, role, name, method, url, body, expected):
    api = api_client_for(world.users[role])
    before = _rows()
    claim_before = Claim.objects.values().get(pk=world.claim.pk)
    response = getattr(api, method)(_fill(url, world), _fill(body, world), format="json")
    assert response.status_code == expected[role], (name, role, response.content[:300])
    if response.status_code >= 400:
        # A refused request writes nothing.
        assert _rows() == before
        assert Claim.objects.values().get(pk=world.claim.pk) == claim_before
        assert "detail" in response.json() or response.status_code == 400


@pytest.mark.parametrize("role", ROLES)
def test_it_never_shows_another_projects_data(world, api_client_for, role):
    api = api_client_for(world.users[role])
    own = role != "outsider"
    visible_articles = {a["id"] for a in api.get("/api/v1/articles/").json()["results"]}
    visible_claims = {c["id"] for c in api.get("/api/v1/claims/").json()["results"]}
    visible_mentions = {m["id"] for m in api.get("/api/v1/mentions/").json()["results"]}
    visible_runs = {r["id"] for r in api.get("/api/v1/extraction-runs/").json()["results"]}
    visible_projects = {p["slug"] for p in api.get("/api/v1/projects/").json()}
    assert (world.article.pk in visible_articles) is own
    assert (world.foreign_article.pk in visible_articles) is not own
    assert (world.claim.pk in visible_claims) is own
    assert (world.foreign_claim.pk in visible_claims) is not own
    assert (world.mention.pk in visible_mentions) is own
    assert (world.run.pk in visible_runs) is own
    assert ("newsroom" in visible_projects) is own
    if own:
        assert api.get(f"/api/v1/claims/{world.foreign_claim.pk}/").status_code == 404
        assert api.get(f"/api/v1/articles/{world.foreign_article.pk}/").status_code == 404
        assert api.get(f"/api/v1/claims/{world.foreign_claim.pk}/sources/").status_code == 404


def test_it_answers_anonymous_requests_with_401_json_not_a_login_redirect(world, client):
    for _, method, url, body, _ in CASES:
        response = getattr(client, method)(_fill(url, world), _fill(body, world), content_type="application/json")
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
        if url.startswith("/api/schema/"):
            continue  # rendered in the schema's own format; the status is what matters
        assert response["Content-Type"].startswith("application/json")
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_it_lets_a_logged_in_browser_use_the_api_with_its_session(client_for, author, world):
    response = client_for(author).get(f"/api/v1/claims/{world.claim.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == world.claim.pk


def test_it_enforces_csrf_on_session_writes(author, world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(author)
    response = browser.patch(
        f"/api/v1/claims/{world.claim.pk}/", {"verdict": "mixed", "version": 1}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Claim.objects.get(pk=world.claim.pk).verdict == "false"
