"""Management commands: seeds load idempotently, reviewers are created with a role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from annotations.models import Article, Membership, Project, Role

pytestmark = pytest.mark.django_db


def test_load_seeds_imports_the_sample_article_with_its_metadata(seed_text):
    call_command("load_seeds", stdout=StringIO())
    article = Article.objects.get(project__slug="demo")
    assert article.text == seed_text.strip("\n")
    assert article.publisher == "CBC News"
    assert article.published_at.date().isoformat() == "2022-05-26"
    assert article.url == ""
    assert "Oleksiy Gromov" in article.text


def test_load_seeds_twice_gives_the_same_rows():
    call_command("load_seeds", stdout=StringIO())
    first = list(Article.objects.values_list("pk", "text_sha256"))
    out = StringIO()
    call_command("load_seeds", stdout=out)
    assert list(Article.objects.values_list("pk", "text_sha256")) == first
    assert Project.objects.filter(slug="demo").count() == 1
    assert "already loaded" in out.getvalue()


def test_load_seeds_refuses_an_empty_folder(tmp_path):
    with pytest.raises(CommandError, match="No seed articles"):
        call_command("load_seeds", "--dir", str(tmp_path))


def test_load_seeds_names_the_line_of_broken_metadata(tmp_path):
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")
    (tmp_path / "a.json").write_text('{\n"title": "x",\n}', encoding="utf-8")
    with pytest.raises(CommandError, match=r"a.json: line 3"):
        call_command("load_seeds", "--dir", str(tmp_path))
    assert not Article.objects.exists()


def test_create_reviewer_creates_a_member_with_a_role_and_prints_a_password():
    call_command("load_seeds", stdout=StringIO())
    out = StringIO()
    call_command("create_reviewer", "maria", "--project", "demo", "--role", "editor", stdout=out)
    user = get_user_model().objects.get(username="maria")
    password = out.getvalue().split("password: ")[1].strip()
    assert user.check_password(password)
    assert Membership.objects.get(user=user).role == Role.EDITOR


def test_create_reviewer_refuses_an_unknown_project():
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        call_command("create_reviewer", "maria", "--project", "nope")
