"""`manage.py import_articles --project P FILE|URL ...`: files and URLs, a progress bar, per-file atomicity."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Article
from tests.import_fixtures import seed_as_html, seed_paragraphs
from tests.local_http import Route, serve

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_articles", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_files_and_urls_with_a_progress_bar(project, author, tmp_path, seed_text, settings):
    settings.IMPORT_ALLOW_PRIVATE_URLS = True
    (tmp_path / "a.csv").write_text("title,text\nOne,First article.\nTwo,Second article.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Third\n\nThird article.\n", encoding="utf-8")
    with serve({"/seed": Route(seed_as_html(seed_text).encode())}) as site:
        out, err = run("--project", project.slug, "--user", "author", str(tmp_path / "a.csv"), str(tmp_path / "b.md"),
                       site.url("/seed"))  # fmt: skip
    assert "4 added, 0 already imported, 0 failed." in out
    assert "importing: 100%" in err and "4/4" in err
    titles = set(Article.objects.values_list("title", flat=True))
    assert titles == {"One", "Two", "Third", "Russia has the upper hand in Luhansk, Ukrainian general concedes"}
    seed = Article.objects.get(url=site.url("/seed"))
    assert seed.text == "\n".join(seed_paragraphs(seed_text)) and seed.fetched_at is not None
    assert set(Article.objects.values_list("created_by__username", flat=True)) == {"author"}


def test_a_bad_file_is_reported_with_its_line_and_skipped_whole_while_others_import(project, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A good article.", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "Would be fine."}) + "\n{not json}\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"1 added, 0 already imported, 2 failed\."):
        out, err = StringIO(), StringIO()
        call_command("import_articles", "--project", project.slug, "--no-progress", str(good), str(bad),
                     str(tmp_path / "missing.txt"), stdout=out, stderr=err)  # fmt: skip
    assert "bad.jsonl: line 2: not valid JSON" in err.getvalue()
    assert "missing.txt: no such file." in err.getvalue()
    assert list(Article.objects.values_list("text", flat=True)) == ["A good article."]


def test_a_second_run_reports_already_imported(project, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Only once.", encoding="utf-8")
    run("--project", project.slug, "--no-progress", str(path))
    out, _ = run("--project", project.slug, "--no-progress", str(path))
    assert "a.txt: already imported as article" in out
    assert Article.objects.count() == 1


def test_an_unknown_project_is_an_error(db, tmp_path):
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        run("--project", "nope", str(tmp_path))
