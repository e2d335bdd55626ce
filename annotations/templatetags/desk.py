"""Template helpers of the reviewer's desk."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from annotations.text import Segment

register = template.Library()


@register.simple_tag
def article_paragraphs(paragraphs: list[list[tuple[Segment, str]]]) -> SafeString:
    """The article text as <p> of <span class="seg">, every piece of text escaped.

    Written in Python rather than as a template loop: an article has thousands of segments once
    entities are in, and the template engine spent most of the page's time on them.
    """
    out: list[str] = []
    for paragraph in paragraphs:
        out.append('<p class="para">')
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
            out.append(f'<span class="{classes}"{attrs}>{escape(seg.text)}</span>')
        out.append("</p>")
    return mark_safe("".join(out))  # noqa: S308 - built from escaped pieces above


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
