"""How the article page scales with claims, sources and mentions.

Renders the article page (the desk) through Django's test client for growing numbers of claims
(each with two sources and an entity mention inside) and prints one JSON line per size: median
render time, the ratio against the smallest size measured in the same process, and the number
of SQL queries (which must not grow); then the answer to a claim write (a verdict change from
the card) at the same size, against the page time (the write answered with the whole article
until now). Sizes: BENCH_DESK_SIZES="5,100,500" (default).
Uses a throwaway SQLite database under a temporary directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="bench-desk-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["WORKBENCH_VAR_DIR"] = TMP
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402


def main() -> None:
    from django.contrib.auth import get_user_model

    from annotations.models import Article, Claim, EntityMention, Membership, Project, Source
    from annotations.text import paragraphs

    call_command("migrate", verbosity=0)
    sizes = [int(n) for n in os.environ.get("BENCH_DESK_SIZES", "5,100,500").split(",")]
    user = get_user_model().objects.create_user("bench", password="bench-pw-1")
    project = Project.objects.create(name="Bench", slug="bench")
    Membership.objects.create(project=project, user=user, role="editor")
    sentence = "The minister said that 40 towns were shelled in the past 24 hours near Kharkiv. "
    client = Client()
    client.force_login(user)
    baseline = None
    for size in sizes:
        text = "\n".join(sentence * 3 for _ in range(size))  # three sentences a paragraph, a claim each
        article = Article.objects.create(project=project, title=f"Bench {size}", text=text)
        article.refresh_from_db()  # the stored text is normalised (trailing spaces go)
        text = article.text
        claims = []
        for start, _end in paragraphs(text)[:size]:
            end = start + len(sentence) - 1
            claims.append(Claim(article=article, start=start, end=end, quote=text[start:end], created_by=user))
        Claim.objects.bulk_create(claims)
        saved = list(article.claims.all())
        Source.objects.bulk_create(
            Source(claim=c, url=f"https://example.org/{c.pk}/{n}", title="Evidence") for c in saved for n in range(2)
        )
        kharkiv = sentence.index("Kharkiv")
        EntityMention.objects.bulk_create(
            EntityMention(
                article=article, start=c.start + kharkiv, end=c.start + kharkiv + 7, text="Kharkiv", label="GPE"
            )
            for c in saved
        )
        url = reverse("article-detail", args=[project.slug, article.pk])
        assert client.get(url).status_code == 200
        # Timed without capturing queries (capturing formats every statement for the log, a
        # third of a write's time); the queries are counted in one more request of each kind.
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - began)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        median = statistics.median(timings)
        baseline = baseline or median
        # A claim write (the verdict from the card's quick controls): until now it answered with
        # the whole article, so it cost about what the page costs; now the card and its paragraph.
        target = saved[len(saved) // 2]
        write_url = reverse("claim-review", args=[project.slug, article.pk, target.pk])
        write_timings = []
        write_queries = CaptureQueriesContext(connection)
        for n in range(8):
            target.refresh_from_db()
            data = {"verdict": "false" if n % 2 else "true", "status": target.status, "version": target.version}
            with write_queries if n == 7 else contextlib.nullcontext():
                began = time.perf_counter()
                written = client.post(write_url, data)
                if n < 7:
                    write_timings.append(time.perf_counter() - began)
            assert written.status_code == 200, (
                written.status_code,
                re.findall(r"role=.alert.[^<]*", written.content.decode()),
            )
        write_median = statistics.median(write_timings)
        print(
            json.dumps(
                {
                    "bench": "desk_article_page",
                    "claims": size,
                    "sources": 2 * size,
                    "mentions": size,
                    "median_ms": round(median * 1000, 1),
                    "ratio_vs_smallest": round(median / baseline, 2),
                    "queries": len(queries),
                    "html_kb": round(len(response.content) / 1024, 1),
                    "write_median_ms": round(write_median * 1000, 1),
                    "write_over_page": round(write_median / median, 3),
                    "write_queries": len(write_queries),
                    "write_kb": round(len(written.content) / 1024, 1),
                }
            )
        )


if __name__ == "__main__":
    main()
