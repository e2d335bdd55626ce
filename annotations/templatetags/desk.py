"""Template helpers of the reviewer's desk."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from annotations.text import Segment

register = template.Library()


@register.simple_tag
def article_paragraphs(paragraphs: list[list[tuple[Segment, str]]]) -> SafeString:
    """The article text as <p> of <span class="seg">, every piece of text escaped.

    Written in Python rather than as a template loop: an article has thousands of segments once
    entities are in, and the template engine spent most of the page's time on them. Each
    paragraph has an id (``para-<n>``, its line number) so that a claim write can send back
    only the paragraphs it changed.
    """
    return mark_safe("".join(paragraph_html(n, paragraph) for n, paragraph in enumerate(paragraphs)))  # noqa: S308


@register.simple_tag
def changed_paragraphs(changed: list[tuple[int, list[tuple[Segment, str]]]]) -> SafeString:
    """Paragraphs swapped in out of band (htmx) after a claim write, each replacing its old self."""
    return mark_safe("".join(paragraph_html(n, paragraph, oob=True) for n, paragraph in changed))  # noqa: S308


def paragraph_html(number: int, paragraph: list[tuple[Segment, str]], *, oob: bool = False) -> str:
    swap = ' hx-swap-oob="true"' if oob else ""
    out = [f'<p class="para" id="para-{number}"{swap}>']
    for seg, verdict in paragraph:
        claims, labels = seg.claims, seg.labels
        classes = "seg"
        attrs = f' data-start="{seg.start}" data-end="{seg.end}"'
        if claims:
            classes += " claim multi" if " " in claims else " claim"
            attrs += f' data-claims="{claims}" data-verdict="{escape(verdict or "none")}"'
        if labels:
            classes += " ent"
            attrs += f' data-labels="{escape(labels)}"'
        suggested = " ".join(seg.values("sugg"))
        if suggested:
            classes += " suggested"
            attrs += f' data-suggestions="{suggested}"'
        out.append(f'<span class="{classes}"{attrs}>{escape(seg.text)}</span>')
    out.append("</p>")
    return "".join(out)


@register.simple_tag
def safe_link(url: str, text: str = "", css_class: str = "") -> SafeString:
    """A link to an outside page, or just its text when the URL is not http(s).

    Every stored URL is checked on the way in (claims.py, articles.py); this is the second
    wall for rows written before that check existed: a ``javascript:`` URL never becomes a link.
    """
    label = text or url
    if not url.lower().startswith(("http://", "https://")):
        return format_html("<span>{}</span>", label)
    return format_html(
        '<a href="{}" class="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>', url, css_class, label
    )


@register.filter
def export_filters(filters: dict[str, Any]) -> str:
    """An export job's filters in words."""
    from annotations.exports.params import describe_filters

    return describe_filters(filters or {})


@register.simple_tag
def entity_query(mention: Any) -> str:
    """The query string of an entity's page (views.checked.entity_page): its text and label."""
    return urlencode({"name": mention.text, "label": mention.label})
