"""Template helpers of the reviewer's desk."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def article_paragraphs(paragraphs: list[str]) -> SafeString:
    """The article text: paragraphs written (and escaped) by ``annotations.highlights``.

    Written in Python rather than as a template loop: an article has thousands of segments once
    entities are in, and the template engine spent most of the page's time on them. Each
    paragraph has an id (``para-<n>``, its line number) so that a claim write can send back
    only the paragraphs it changed.
    """
    return mark_safe("".join(paragraphs))  # noqa: S308


@register.simple_tag
def changed_paragraphs(changed: list[str]) -> SafeString:
    """Paragraphs swapped in out of band (htmx) after a claim write, each replacing its old self."""
    return mark_safe("".join(changed))  # noqa: S308


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
