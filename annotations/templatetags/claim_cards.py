"""A full claim card on the desk, and a source's capture state, written in Python.

The desk shows DESK_FULL_CARDS full cards on every page view, each with its "same claim as"
line, its sources with their capture states, the review form and the actions: as template
markup (four includes, a dozen tags a card) a card cost the template engine about 0.7 ms, a
third of the page. The same HTML written here with ``format_html`` costs a fraction of that.
Every value that comes from a row (quote, claim text, titles, excerpts, notes) goes through
``html_format``/``escaped`` (templatetags.desk): article text and what reviewers type are untrusted.

Each card's cost is counted in format calls; the markup follows the templates it replaced
(claim_card.html, claim_links.html, claim_review_form.html, capture_state.html) line by line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.template.defaulttags import CsrfTokenNode
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe

from .. import entities
from .desk import entity_query, escaped, html_format, options, router, safe_link, truncate

register = template.Library()

_CSRF = CsrfTokenNode()
# A reverse() by name and arguments, from templatetags.desk.router.
Url = Callable[..., str]


_truncate = truncate


def _date(value: Any, fmt: str, context: template.Context) -> str:
    """The ``date`` filter: the value in the current time zone, formatted (empty for none)."""
    if value in (None, ""):
        return ""
    # As the template's date filter: an aware time in the current time zone.
    return dateformat.format(timezone.localtime(value) if timezone.is_aware(value) else value, fmt)


def _username(user: Any, default: str) -> str:
    name = user.get_username() if user is not None else ""
    return name or default


@register.simple_tag(takes_context=True)
def capture_state(context: template.Context) -> SafeString:
    """A source's capture state and its "Capture again" button (``s``, ``claim``, ``project``)."""
    return _capture_state(context, router(), context["s"], context["claim"], context["project"])


def _capture_state(context: template.Context, url: Url, s: Any, claim: Any, project: Any) -> SafeString:
    state = s.capture_state
    status = state.status
    active = state.active
    stuck = state.stuck
    captured = state.captured
    parts: list[str] = [
        html_format('<span class="capture-state" id="capture-{}" data-capture="{}"\n  ', s.pk, status),
    ]
    if active:
        parts.append(
            html_format(
                'hx-get="{}" hx-trigger="load delay:1500ms" hx-swap="outerHTML"',
                url("capture-state", project.slug, claim.article_id, claim.pk, s.pk),
            )
        )
    parts.append(">\n  ")
    if captured:
        parts.append(
            html_format(
                '<a class="capture-link" href="{}" data-captured>Captured on <time datetime="{}">{}</time></a>',
                url("capture-detail", project.slug, captured.pk),
                _date(captured.fetched_at, "c", context),
                _date(captured.fetched_at, "j M Y, H:i", context),
            )
        )
    parts.append("\n  ")
    if active:
        parts.append(
            '<span class="muted capture-pending">'
            + ("Capturing…" if status == "running" else "Capture queued")
            + "</span>\n  "
        )
    elif status == "failed" or stuck:
        reason = "it never finished" if stuck else escaped(state.latest.error)
        parts.append(f'<span class="error capture-failed" role="status">Capture failed: {reason}</span>\n  ')
    elif status == "none":
        parts.append('<span class="muted">Not captured</span>\n  ')
    else:
        parts.append("\n  ")
    excerpt = state.excerpt_state
    if excerpt == "changed":
        parts.append(
            '<span class="badge excerpt-changed" data-excerpt="changed" title="A later capture no longer'
            ' contains the quoted excerpt">Changed since quoted</span>\n  '
        )
    elif excerpt == "not_found":
        parts.append(
            '<span class="badge excerpt-missing" data-excerpt="not_found" title="The excerpt does not occur'
            ' in the captured text">Excerpt not found in capture</span>\n  '
        )
    elif excerpt in ("selected", "found"):
        parts.append(html_format('<span class="muted" data-excerpt="{}">excerpt in capture</span>\n  ', excerpt))
    else:
        parts.append("\n  ")
    if not active:
        again = url("capture-again", project.slug, claim.article_id, claim.pk, s.pk)
        request = context.get("request")
        label = "Try again" if status == "failed" or stuck else "Capture again" if captured else "Capture"
        parts.append(
            html_format(
                '<form class="inline" method="post" action="{}"\n      hx-post="{}" hx-target="#capture-{}"'
                ' hx-swap="outerHTML">{}<input type="hidden" name="next" value="{}">\n'
                '    <button type="submit" class="link" data-capture-again>{}</button></form>',
                again,
                again,
                s.pk,
                _CSRF.render(context),
                request.get_full_path() if request is not None else "",
                label,
            )
        )
    parts.append("\n  ")
    error = context.get("capture_error")
    if error:
        parts.append(html_format('<span class="error" role="alert">{}</span>', error))
    parts.append("\n</span>")
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped or literal


def _links(context: template.Context, url: Url, claim: Any, project: Any, article: Any) -> str:
    """ "Same claim as …", what repeats this claim, and the "Checked before?" button."""
    parts: list[str] = []
    link = getattr(claim, "same_as_link", None)
    if link:
        parts.append('\n  <p class="same-as" data-same-as><span class="muted">Same claim as</span>\n    ')
        if link.visible:
            text = _truncate(link.text, 140)
            if link.url:
                rel = "" if link.is_claim else ' rel="noopener noreferrer nofollow" target="_blank"'
                parts.append(html_format('<a href="{}"{}>{}</a>', link.url, mark_safe(rel), text))  # noqa: S308
            else:
                parts.append(escaped(text))
            parts.append("\n      ")
            if link.verdict_label:
                parts.append(html_format('<span class="badge">{}</span>', link.verdict_label))
            if link.publisher:
                parts.append(html_format(' <span class="muted">· {}</span>', link.publisher))
            parts.append("\n    ")
        else:
            parts.append('<span class="muted">a check in a project you are not a member of</span>')
        parts.append("\n    ")
        if getattr(claim, "editable", False):
            parts.append(
                html_format(
                    '<button type="button" class="link" hx-post="{}" hx-target="#claim-{}" hx-swap="outerHTML">'
                    "Unlink</button>",
                    url("claim-unlink", project.slug, article.pk, claim.pk),
                    claim.pk,
                )
            )
        parts.append("\n  </p>\n")
    parts.append("\n")
    repeats = getattr(claim, "repeat_count", None)
    if repeats:
        parts.append(
            html_format(
                '<p class="repeated-by muted" data-repeated-by>Repeated by {} later claim{}</p>',
                repeats,
                "" if repeats == 1 else "s",
            )
        )
    parts.append(
        html_format(
            '\n<div class="similar" id="similar-{}">\n  <button type="button" class="link" hx-get="{}"'
            ' hx-target="#similar-{}" hx-swap="innerHTML"{}>Checked before?</button>\n</div>\n',
            claim.pk,
            url("claim-similar", project.slug, article.pk, claim.pk),
            claim.pk,
            mark_safe(' hx-trigger="load, click"' if claim.pk == context.get("focus") else ""),  # noqa: S308
        )
    )
    return "".join(parts)


def _source(context: template.Context, url: Url, s: Any, claim: Any, project: Any, article: Any) -> str:
    parts: list[str] = [
        html_format(
            '\n    <li class="source" id="source-{}">\n      <span class="badge stance-{}">{}</span>\n      {}',
            s.pk,
            s.stance,
            s.get_stance_display(),
            safe_link(s.url, _truncate(s.title or s.url, 80)),
        )
    ]
    if s.publisher:
        parts.append(html_format(' <span class="muted">· {}</span>', s.publisher))
    parts.append("\n      ")
    if s.archived_url:
        parts.append(html_format(" {}", safe_link(s.archived_url, "archived", "muted")))
    parts.append("\n      ")
    if s.excerpt:
        parts.append(html_format('<q class="excerpt">{}</q>', _truncate(s.excerpt, 200)))
    parts.append("\n      ")
    parts.append(_capture_state(context, url, s, claim, project))
    parts.append("\n      ")
    if getattr(claim, "editable", False):
        parts.append(
            html_format(
                '<span class="source-actions">\n        <button type="button" class="link" hx-get="{}"'
                ' hx-target="#slot-{}">Edit</button>\n        <button type="button" class="link danger" hx-post="{}"'
                ' hx-confirm="Remove this source?" hx-target="#claim-{}" hx-swap="outerHTML">Remove</button>\n'
                "      </span>",
                url("source-edit", project.slug, article.pk, claim.pk, s.pk),
                claim.pk,
                url("source-delete", project.slug, article.pk, claim.pk, s.pk),
                claim.pk,
            )
        )
    parts.append("\n    </li>")
    return "".join(parts)


def _review_form(context: template.Context, url: Url, claim: Any) -> str:
    """The verdict and status selects that post on change (hand-rendered: on every card)."""
    stale = (
        '<p class="error stale" role="alert">Someone else changed this claim since you opened it.'
        ' <a href="">Reload the page</a> to see their change, then try again.</p>'
        if context.get("stale")
        else ""
    )
    verdict = claim.verdict
    return html_format(
        '\n<form class="quick" hx-post="{}" hx-trigger="change" hx-target="this" hx-swap="outerHTML">\n  {}\n'
        '  <input type="hidden" name="version" value="{}">\n'
        '  <label>Verdict <select name="verdict"><option value=""{}>No verdict</option>{}</select></label>\n'
        '  <label>Status <select name="status">{}</select></label>\n  \n  \n</form>\n',
        url("claim-review", claim.article.project.slug, claim.article_id, claim.pk),
        mark_safe(stale),  # noqa: S308 - literal
        claim.version,
        mark_safe("" if verdict else " selected"),  # noqa: S308 - literal
        options(context.get("verdict_choices") or (), verdict),
        options(getattr(claim, "status_options", None) or context.get("status_choices") or (), claim.status),
    )


@register.simple_tag(takes_context=True)
def claim_card(context: template.Context) -> SafeString:
    """The full card of ``claim`` (with ``project``, ``article``, ``focus``, ``oob``, ``card_error``)."""
    url = router()
    claim = context["claim"]
    project = context["project"]
    article = context["article"]
    editable = getattr(claim, "editable", False)
    pk = claim.pk
    forloop = context.get("forloop")
    counter = forloop["counter"] if forloop else ""
    parts: list[str] = [
        html_format(
            '<li class="claim-card v-{}{}" id="claim-{}" tabindex="0"{}\n    data-claim-id="{}" data-start="{}"'
            ' data-end="{}" data-version="{}"\n    {}\n    aria-label="Claim {}: {}">\n  <div class="card-head">\n'
            '    <span class="badge status-{}">{}</span>\n    {}\n'
            '    <span class="offsets muted" title="Code-point offsets in the stored text">{}–{}</span>\n  </div>\n  ',
            claim.verdict or "none",
            mark_safe(" focus-me" if pk == context.get("focus") else ""),  # noqa: S308 - literal
            pk,
            mark_safe(' hx-swap-oob="true"' if context.get("oob") else ""),  # noqa: S308 - literal
            pk,
            claim.start,
            claim.end,
            claim.version,
            html_format('data-editable="1" data-span-url="{}"', url("claim-span", project.slug, article.pk, pk))
            if editable
            else "",
            counter,
            _truncate(claim.quote, 80),
            claim.status,
            claim.get_status_display(),
            html_format('<span class="badge verdict-{}">{}</span>', claim.verdict, claim.get_verdict_display())
            if claim.verdict
            else mark_safe('<span class="badge verdict-none">No verdict</span>'),  # noqa: S308 - literal
            claim.start,
            claim.end,
        )
    ]
    send_back = getattr(claim, "send_back", None)
    if send_back:
        parts.append(
            html_format(
                '<p class="send-back-reason" role="note"><strong>Sent back</strong> by {}: {}</p>',
                _username(send_back.author, "a former member"),
                linebreaksbr(send_back.body, autoescape=True),
            )
        )
    parts.append(html_format('\n  <blockquote class="quote">{}</blockquote>\n  ', claim.quote))
    if claim.claim_text and claim.claim_text != claim.quote:
        parts.append(html_format('<p class="claim-text">{}</p>', claim.claim_text))
    parts.append("\n  ")
    if claim.claimant:
        parts.append(html_format('<p class="claimant"><span class="muted">Claimant</span> {}</p>', claim.claimant))
    parts.append("\n  ")
    parts.append(_links(context, url, claim, project, article))
    parts.append("\n  ")
    if claim.rationale:
        parts.append(html_format('<p class="rationale">{}</p>', linebreaksbr(claim.rationale, autoescape=True)))
    parts.append("\n  ")
    mentions = getattr(claim, "linked_mentions", None)
    if mentions:
        entity_url = url("entity")
        chips = "".join(
            html_format(
                '<a class="entity-link" href="{}?{}" aria-label="{}: the claims that mention it"><span class="chip'
                ' ent-{}" title="{}">{} <small>{}</small></span></a> ',
                entity_url,
                entity_query(m),
                m.text,
                m.label,
                entities.label_name(m.label),
                m.text,
                m.label,
            )
            for m in mentions
        )
        parts.append(f'<p class="entities">{chips}</p>')
    parts.append("\n  ")
    sources = getattr(claim, "source_list", None)  # the desk's cards (views.desk._dress)
    if sources is None:
        sources = claim.sources.all()
    if sources:
        parts.append('\n  <ul class="sources">')
        parts.extend(_source(context, url, s, claim, project, article) for s in sources)
        parts.append("\n  </ul>")
    parts.append("\n  ")
    card_error = context.get("card_error")
    if card_error:
        parts.append(html_format('<p class="error" role="alert" data-refusal>{}</p>', card_error))
    parts.append("\n  ")
    if editable:
        parts.append("\n    ")
        parts.append(_review_form(context, url, claim))
        parts.append(
            html_format(
                '\n    <div class="actions">\n      <button type="button" class="link" data-action="edit" hx-get="{}"'
                ' hx-target="#slot-{}">Edit <kbd>e</kbd></button>\n      <button type="button" class="link"'
                ' hx-get="{}" hx-target="#slot-{}">Add source</button>\n      <button type="button" class="link"'
                ' data-action="reselect">Move span</button>\n      <button type="button" class="link danger"'
                ' hx-get="{}" hx-target="#slot-{}">Delete</button>\n    </div>\n'
                '    <div class="slot" id="slot-{}"></div>\n  ',
                url("claim-edit", project.slug, article.pk, pk),
                pk,
                url("source-create", project.slug, article.pk, pk),
                pk,
                url("claim-delete", project.slug, article.pk, pk),
                pk,
                pk,
            )
        )
    parts.append("\n  ")
    if claim.retracted_at:
        parts.append(
            html_format(
                '<p class="correction"><span class="badge retracted">Retracted</span> {}</p>', claim.retraction_note
            )
        )
    parts.append("\n  ")
    if claim.corrected_at:
        parts.append(
            html_format(
                '<p class="correction"><span class="badge corrected">Corrected</span> {}</p>', claim.correction_note
            )
        )
    parts.append(
        html_format(
            '\n  <p class="byline muted">Marked by {} · <a href="{}">Review &amp; history</a></p>\n</li>\n',
            _username(claim.created_by, "someone"),
            url("claim-workflow", project.slug, pk),
        )
    )
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped or literal
