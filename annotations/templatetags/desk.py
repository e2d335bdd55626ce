"""Template helpers of the reviewer's desk."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

register = template.Library()


def escaped(value: object) -> str:
    """``conditional_escape`` without its lazy-string wrapper: the same text (``html.escape`` of
    ``str(value)``, or the value's own ``__html__``). The wrapper checked every argument of every
    call for lazy strings and was a third of a full card's time."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def html_format(template_string: str, *args: object) -> SafeString:
    """``format_html`` for the desk's many small pieces: every argument escaped by ``escaped``."""
    return mark_safe(template_string.format(*[escaped(arg) for arg in args]))  # noqa: S308 - escaped above


def truncate(value: object, length: int) -> str:
    """The ``truncatechars`` filter; a text that fits comes back as is without asking Truncator
    (which looks up the translated ellipsis on every call)."""
    text = str(value)
    if len(text) <= length:  # combining characters only make the counted length shorter
        return text
    return Truncator(text).chars(length)


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


# A URL's arguments that reverse() puts in the path unchanged: ids and ASCII slugs.
_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
# (name, argument kinds, script prefix, urlconf) -> the reversed URL as a str.format pattern, or
# None when the name's URL does not take its arguments as plain path segments.
_ROUTE_PATTERNS: dict[tuple[Any, ...], str | None] = {}


def _plain(value: object) -> bool:
    if type(value) is int:
        return value >= 0
    return isinstance(value, str) and _PLAIN_SLUG.fullmatch(value) is not None


def _route_pattern(name: str, kinds: tuple[bool, ...]) -> str | None:
    # Sentinels that no URL pattern holds by itself: each must come back exactly once.
    sentinels = [f"{900000001 + n}" if is_int else f"zqroute{n}zq" for n, is_int in enumerate(kinds)]
    try:
        url = reverse(name, args=[int(s) if is_int else s for s, is_int in zip(sentinels, kinds, strict=True)])
    except NoReverseMatch:
        return None  # the pattern restricts its arguments (digits in a string, a converter): reverse() each time
    if any(url.count(sentinel) != 1 for sentinel in sentinels):
        return None
    pattern = url.replace("{", "{{").replace("}", "}}")
    for n, sentinel in enumerate(sentinels):
        pattern = pattern.replace(sentinel, f"{{{n}}}")
    return pattern


def router() -> Callable[..., str]:
    """``route`` with the script prefix and urlconf read once: for a card's dozen links."""
    prefix, urlconf = get_script_prefix(), get_urlconf()

    def url(name: str, *args: int | str) -> str:
        pattern = _ROUTE_PATTERNS.get((name, tuple(type(arg) is int for arg in args), prefix, urlconf))
        if pattern is None or not all(_plain(arg) for arg in args):
            return route(name, *args)
        return pattern.format(*args)

    return url


@register.simple_tag
def route(name: str, *args: int | str) -> str:
    """``{% url name arg ... %}`` for ids and slugs, at a fifth of the cost.

    A full claim card links to a dozen routes and each of its sources to four more: reverse()
    matched every one against its pattern, a fifth of the desk page's time. The URL of a name
    with id and slug arguments is the same string with other ids in it, so each name is
    reversed once (per script prefix) with sentinel arguments, and later calls fill that
    pattern in. Any other argument goes through reverse() as before.
    """
    if not all(_plain(arg) for arg in args):
        return reverse(name, args=args)
    key = (name, tuple(type(arg) is int for arg in args), get_script_prefix(), get_urlconf())
    try:
        pattern = _ROUTE_PATTERNS[key]
    except KeyError:
        pattern = _ROUTE_PATTERNS[key] = _route_pattern(name, key[1])
    if pattern is None:
        return reverse(name, args=args)
    return pattern.format(*args)


@register.simple_tag
def claim_stub(claim: Any) -> SafeString:
    """A claim's stub in the claim panel: quote and status until desk.js fills in the full card.

    A tag rather than template markup: a long debate has hundreds of stubs, and each cost the
    template engine as much as this whole function.
    """
    return html_format(
        '<li class="claim-card stub v-{}" id="claim-{}" tabindex="0" data-claim-id="{}" data-start="{}" data-end="{}"'
        ' aria-busy="true">\n      <div class="card-head"><span class="badge status-{}">{}</span></div>\n'
        '      <blockquote class="quote">{}</blockquote></li>',
        claim.verdict or "none",
        claim.pk,
        claim.pk,
        claim.start,
        claim.end,
        claim.status,
        claim.get_status_display(),
        truncate(claim.quote, 160),
    )


@register.simple_tag
def options(choices: Any, selected: Any) -> SafeString:
    """A select's ``<option>`` elements, the one equal to ``selected`` marked.

    A Python loop: every full card has two selects, and the template loop over the eight
    verdicts cost more than the rest of the review form.
    """
    return mark_safe(  # noqa: S308 - every value and label escaped
        "".join(
            f'<option value="{escaped(value)}"{" selected" if value == selected else ""}>{escaped(label)}</option>'
            for value, label in choices
        )
    )


@register.simple_tag
def safe_link(url: str, text: str = "", css_class: str = "") -> SafeString:
    """A link to an outside page, or just its text when the URL is not http(s).

    Every stored URL is checked on the way in (claims.py, articles.py); this is the second
    wall for rows written before that check existed: a ``javascript:`` URL never becomes a link.
    """
    label = text or url
    if not url.lower().startswith(("http://", "https://")):
        return html_format("<span>{}</span>", label)
    return html_format(
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
