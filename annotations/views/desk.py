"""The reviewer's desk: the article page and the htmx partials that mark, edit and source claims.

Thin: each view looks its object up through ``lookups`` (outsiders get 404), parses input with a
form and calls one function of ``annotations.claims``, which checks every rule. Partials answer
bad input with the form and status 400, a refusal with the reason and 403, a stale version with
409; the page's htmx config swaps those answers in so the reviewer sees the message where they
typed, and refused controls show the claim as the server has it.
"""

from __future__ import annotations

from copy import copy
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import captures, claims, forms, highlights, review, suggestions, workflow
from .. import text as textlib
from ..compiled import CompiledInQuery, CompiledQuery
from ..models import Article, Claim, ClaimStatus, EntityMention, MentionRow, Source, Suggestion, Verdict
from . import links, lookups
from .lookups import AuthedRequest
from .refusals import add_to_form, refusal_text

_REVIEW_CHOICES = {"verdict_choices": Verdict.choices, "status_choices": ClaimStatus.choices}
_STATUS_LABELS = dict(ClaimStatus.choices)


class ClaimStub(NamedTuple):
    """A claim past the desk's first full cards: what its stub shows until desk.js fills it in."""

    pk: int
    start: int
    end: int
    verdict: str
    status: str
    quote: str

    @property
    def stub(self) -> bool:
        return True

    def get_status_display(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))


def _dress(claim_list: list[Claim], user: Any, role: str | None, mentions: list[MentionRow]) -> None:
    """What full cards show beyond the row: sources (with their capture states), allowed moves,
    linked mentions, send-back reasons. A fixed number of queries whatever the number of claims."""
    # The sources as plain lists (``source_list``, which the card reads): a prefetch built
    # a queryset per claim around them.
    sources: dict[int, list[Source]] = {claim.pk: [] for claim in claim_list}
    for source in _SOURCES.all(list(sources)):
        sources[source.claim_id].append(source)
    for claim in claim_list:
        claim.source_list = sources[claim.pk]
        for source in claim.source_list:
            source.claim = claim
    claims.editable_claims(claim_list, user, role)
    captures.attach_states(s for found in sources.values() for s in found)
    # Why a claim needs changes, on its card (one query, only for claims sent back).
    reasons = review.send_back_reasons([c.pk for c in claim_list if c.status == ClaimStatus.NEEDS_CHANGES])
    for claim in claim_list:
        claim.stub = False
        claim.same_as_link = links.link_view(claim)
        claim.linked_mentions = claim.mentions_inside(mentions)
        claim.send_back = reasons.get(claim.pk)
        claim.status_options = [(value, _STATUS_LABELS[value]) for value in [claim.status, *claim.moves]]


class _UserId(NamedTuple):
    pk: int


# The full cards' sources, in the order claim.sources gives them (by claim, then id).
_SOURCES = CompiledInQuery(Source, lambda ids: Source.objects.filter(claim_id__in=ids).order_by("claim_id", "id"))

# Every claim of the article as a stub row, in text order.
_STUBS = CompiledQuery(
    Claim,
    lambda article: (
        Claim.objects.filter(article_id=article)
        .in_text_order()
        .values_list("pk", "start", "end", "verdict", "status", "quote")
    ),
    "article",
)

# The first full cards' claims with their "same claim as" links, per number of cards. Django
# took 2 ms to build and compile this query (five joins, two subqueries) and 0.5 ms to run it;
# compiled once, a page view only runs it.
_FULL_CARDS: dict[int, CompiledQuery[Claim]] = {}


def _full_cards(count: int) -> CompiledQuery[Claim]:
    try:
        return _FULL_CARDS[count]
    except KeyError:
        pass
    query = _FULL_CARDS[count] = CompiledQuery(
        Claim,
        lambda article, user: links.with_links(
            Claim.objects.filter(article_id=article).in_text_order(), _UserId(user)
        ).select_related("created_by")[:count],
        "article",
        "user",
        may_repeat=("user",),
    )
    return query


def desk_context(request: AuthedRequest, article: Article, role: str | None = None) -> dict[str, Any]:
    """Everything the text and the claim panel show, in a fixed number of queries.

    Every claim is highlighted in the text, but only the first DESK_FULL_CARDS get a full card;
    the others are stubs (quote, status) that desk.js fills in through ``claim_cards``.
    """
    if role is None:
        role = claims.role_of(article.project_id, request.user)
    # Every claim as a light row (highlights and stubs); only the full cards as model instances
    # with their links: a stub read as a model cost ten times as much, links and all.
    stubs = [ClaimStub(*row) for row in _STUBS.all(article=article.pk)]
    full = {}
    for claim in _full_cards(settings.DESK_FULL_CARDS).all(article=article.pk, user=request.user.pk):
        claim.article = article
        full[claim.pk] = claim
    # A claim deleted (or one written before the first ones) between the two reads leaves a stub
    # without its full card: it stays a stub, and desk.js fills it in.
    claim_list: list[Claim | ClaimStub] = [full.get(stub.pk, stub) for stub in stubs]
    mentions = EntityMention.objects.rows(article.pk)
    # The top sentences worth checking that no claim covers yet: one query at any article size.
    suggested = suggestions.for_desk(article, [(c.start, c.end) for c in stubs])
    spans: list[highlights.HighlightSpan] = [(c.start, c.end, highlights.CLAIM, c.pk) for c in stubs]
    spans += [(m.start, m.end, highlights.ENTITY, m.label) for m in mentions]
    spans += [(s.start, s.end, highlights.SUGGESTION, s.pk) for s in suggested]
    _dress(list(full.values()), request.user, role, mentions)
    paragraphs = highlights.paragraphs_html(article.text, spans, [(c.pk, c.verdict) for c in stubs])
    return {
        "project": article.project,
        "article": article,
        "role": role,
        "is_editor": workflow.is_editor(role),
        "paragraphs": paragraphs,
        "claims": claim_list,
        "mentions": mentions,
        "suggested": [(s, article.text[s.start : s.end]) for s in suggested],
        "mention_labels": sorted({m.label for m in mentions}),
        "verdicts": Verdict.choices,
        **_REVIEW_CHOICES,
    }


@require_GET
def claim_cards(request: AuthedRequest, project_slug: str, article_id: int) -> HttpResponse:
    """Full cards for stubs (``?ids=3,4,5``): the first replaces the stub that asked, the rest
    arrive out of band. desk.js names only stubs, so no card being edited is replaced."""
    article = lookups.article_for(request, project_slug, article_id)
    try:
        ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.strip()]
    except ValueError:
        return HttpResponse("ids: a comma-separated list of claim ids.", status=400, content_type="text/plain")
    ids = ids[: settings.DESK_CARD_CHUNK]
    if not ids:
        return HttpResponse("ids: name at least one claim.", status=400, content_type="text/plain")
    claim_list = list(
        links.with_links(article.claims.in_text_order(), request.user).select_related("created_by").filter(pk__in=ids)
    )
    role = claims.role_of(article.project_id, request.user)
    mentions: list[MentionRow] = []
    if claim_list:
        low, high = min(c.start for c in claim_list), max(c.end for c in claim_list)
        mentions = EntityMention.objects.rows(article.pk, low, high)
    _dress(claim_list, request.user, role, mentions)
    context = {
        "project": article.project,
        "article": article,
        "role": role,
        "is_editor": workflow.is_editor(role),
        "cards": claim_list,
        "asked": ids[0],
        **_REVIEW_CHOICES,
    }
    return render(request, "annotations/partials/claim_cards.html", context)


def article_detail(request: AuthedRequest, project_slug: str, article_id: int) -> HttpResponse:
    article = lookups.article_for(request, project_slug, article_id)
    context = desk_context(request, article)
    context["run"] = article.latest_run
    context["card_chunk"] = settings.DESK_CARD_CHUNK
    return render(request, "annotations/article_detail.html", context)


def _desk_update(request: AuthedRequest, article: Article, *, focus: int | None = None) -> HttpResponse:
    """The claim panel, with the text swapped out of band: what changes when claims change."""
    context = desk_context(request, article)
    context["focus"] = focus
    return render(request, "annotations/partials/desk_update.html", context)


def _retarget(response: HttpResponse, selector: str, swap: str = "outerHTML") -> HttpResponse:
    # The form posted targets itself (so a 400 re-renders it in place); a success replaces
    # something larger instead.
    response["HX-Retarget"] = selector
    response["HX-Reswap"] = swap
    return response


def _stale(request: AuthedRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context["stale"] = True
    return render(request, template, context, status=409)


# What a claim write answers with, compiled once per database (annotations.compiled): building
# and compiling these querysets was a third of a write's time.
_CLAIMS_WITHIN = CompiledQuery(
    Claim,
    lambda article, low, high: (
        Claim.objects.filter(article_id=article, start__lt=high, end__gt=low)
        .in_text_order()
        .values_list("pk", "start", "end", "verdict")
    ),
    "article",
    "low",
    "high",
)
_MENTIONS_WITHIN = CompiledQuery(
    EntityMention,
    lambda article, low, high: EntityMention.objects.filter(
        article_id=article, start__lt=high, end__gt=low
    ).values_list("start", "end", "label"),
    "article",
    "low",
    "high",
)
_CLAIMS_IN_ORDER = CompiledQuery(
    Claim,
    lambda article: Claim.objects.filter(article_id=article).in_text_order().values_list("pk", "start", "end"),
    "article",
)
_CLAIM_SPANS = CompiledQuery(
    Claim, lambda article: Claim.objects.filter(article_id=article).values_list("start", "end"), "article"
)
# One claim as its card shows it, with its "same claim as" link (the user's id is in both of
# the link's visibility tests).
_CARD_CLAIM = CompiledQuery(
    Claim,
    lambda pk, article, user: (
        links.with_links(Claim.objects.all(), get_user_model()(pk=user))
        .select_related("created_by", "article__project")
        .filter(pk=pk, article_id=article)
    ),
    "pk",
    "article",
    "user",
    may_repeat=("user",),
)


def _changed_paragraphs(article: Article, spans: list[tuple[int, int]]) -> list[str]:
    """The paragraphs the given spans touch, highlighted from the claims and mentions inside them.

    What a claim write changes in the text: a write answers with these (out of band) instead of
    the whole article, so its cost does not grow with the article or its number of claims.
    """
    lines = textlib.paragraphs(article.text)
    touched = [(n, line) for n, line in enumerate(lines) if any(s < line[1] and e > line[0] for s, e in spans)]
    if not touched:
        return []
    low, high = touched[0][1][0], touched[-1][1][1]
    in_text = _CLAIMS_WITHIN.all(article=article.pk, low=low, high=high)
    mentions = _MENTIONS_WITHIN.all(article=article.pk, low=low, high=high)
    keyed: list[highlights.HighlightSpan] = [(start, end, highlights.CLAIM, pk) for pk, start, end, _v in in_text]
    keyed += [(start, end, highlights.ENTITY, label) for start, end, label in mentions]
    # The suggestion highlights stay as the whole page shows them: the top ones no claim covers.
    claim_spans = _CLAIM_SPANS.all(article=article.pk)
    keyed += [
        (s.start, s.end, highlights.SUGGESTION, s.pk)
        for s in suggestions.for_desk(article, claim_spans)
        if s.start < high and s.end > low
    ]
    verdicts = [(pk, verdict) for pk, _start, _end, verdict in in_text]
    return highlights.paragraphs_html(article.text, keyed, verdicts, [n for n, _line in touched], oob=True)


def _one_card(request: AuthedRequest, claim_id: int, article_id: int) -> tuple[Claim | None, dict[str, Any]]:
    """One claim as its card shows it (sources, linked mentions, allowed moves): a fixed few queries."""
    claim = _CARD_CLAIM.first(pk=claim_id, article=article_id, user=request.user.pk)
    if claim is None:
        return None, {}
    prefetch_related_objects([claim], "sources")
    claim.same_as_link = links.link_view(claim)
    article = claim.article
    role = claims.role_of(article.project_id, request.user)
    claims.editable_claims([claim], request.user, role)
    captures.attach_states(claim.sources.all())
    claim.linked_mentions = EntityMention.objects.rows(article.pk, claim.start, claim.end)
    claim.status_options = [(value, _STATUS_LABELS[value]) for value in [claim.status, *claim.moves]]
    context = {
        "project": article.project,
        "article": article,
        "role": role,
        "is_editor": workflow.is_editor(role),
        "claim": claim,
        **_REVIEW_CHOICES,
    }
    return claim, context


def _card(
    request: AuthedRequest,
    claim: Claim,
    *,
    status: int = 200,
    error: str = "",
    moved_from: tuple[int, int] | None = None,
) -> HttpResponse:
    """The claim's card and the paragraphs it highlights, nothing else of the article.

    ``moved_from`` is the claim's span before the write, when the write moved it: those
    paragraphs lose its highlight.
    """
    card, context = _one_card(request, claim.pk, claim.article_id)
    if card is None:  # deleted meanwhile
        article = Article.objects.select_related("project").get(pk=claim.article_id)
        return _retarget(_desk_update(request, article), "#claims")
    spans = [(card.start, card.end), *([moved_from] if moved_from else [])]
    context.update(card_error=error, changed=_changed_paragraphs(card.article, spans))
    response = render(request, "annotations/partials/claim_card_update.html", context, status=status)
    return _retarget(response, f"#claim-{card.pk}")


def _created(request: AuthedRequest, article: Article, claim: Claim) -> HttpResponse:
    """A new claim: its card inserted in text order, the count, and its paragraphs (out of band)."""
    spans = {pk: (start, end) for pk, start, end in _CLAIMS_IN_ORDER.all(article=article.pk)}
    order = list(spans)
    if len(order) == 1:  # the first claim: the panel's "no claims yet" line goes too
        return _retarget(_desk_update(request, article, focus=claim.pk), "#claims")
    card, context = _one_card(request, claim.pk, article.pk)
    if card is None:  # deleted meanwhile
        return _retarget(_desk_update(request, article), "#claims")
    position = order.index(card.pk)
    following = order[position + 1] if position + 1 < len(order) else None
    context.update(
        placement=f"beforebegin:#claim-{following}" if following else "beforeend:#claims ol.claims",
        count=len(order),
        focus=card.pk,  # desk.js moves the focus to it
        changed=_changed_paragraphs(card.article, [(card.start, card.end)]),
        suggested=_suggested(article, list(spans.values())),
    )
    response = render(request, "annotations/partials/claim_created.html", context)
    # The main answer empties the composer; the card, count and text arrive out of band.
    return _retarget(response, "#composer", "innerHTML")


def _removed(request: AuthedRequest, article: Article, claim: Claim) -> HttpResponse:
    """A deleted claim: its card goes, the count and its paragraphs are updated (out of band)."""
    count = article.claims.count()
    if count == 0:
        return _retarget(_desk_update(request, article), "#claims")
    context = {
        "claim_pk": claim.pk,
        "count": count,
        "changed": _changed_paragraphs(article, [(claim.start, claim.end)]),
    }
    response = render(request, "annotations/partials/claim_removed.html", context)
    return _retarget(response, f"#claim-{claim.pk}", "delete")


@require_http_methods(["GET", "POST"])
def claim_create(request: AuthedRequest, project_slug: str, article_id: int) -> HttpResponse:
    article = lookups.article_for(request, project_slug, article_id)
    template = "annotations/partials/claim_form.html"
    context: dict[str, Any] = {"article": article, "project": article.project}
    if request.method == "GET":
        # The form opens on a selection: check it now so a bad one is reported before typing.
        initial = {"status": ClaimStatus.UNSTARTED, "claim_text": request.GET.get("quote", ""), **request.GET.dict()}
        form = forms.ClaimCreateForm(initial)
        if form.is_valid():
            try:
                textlib.check_span(
                    article.text, form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["quote"]
                )
            except textlib.SpanError as error:
                form.add_error(error.field, error.message)
        status = 200 if form.is_valid() else 400
        return render(request, template, {**context, "form": form, "fresh": True}, status=status)
    form = forms.ClaimCreateForm(request.POST)
    if form.is_valid() and form.cleaned_data.get("suggestion"):
        return _accept_suggestion(request, article, form)
    if form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        try:
            claim = claims.create(
                article=article,
                by=request.user,
                start=data["start"],
                end=data["end"],
                quote=data["quote"],
                claim_text=data["claim_text"],
                claimant=data["claimant"],
                status=data["status"],
                verdict=data["verdict"],
                rationale=data["rationale"],
            )
        except (ValidationError, PermissionDenied) as error:
            return _form_refused(request, article, form, error)
        return _created(request, article, claim)
    return render(request, template, {**context, "form": form}, status=400)


def _form_refused(
    request: AuthedRequest, article: Article, form: forms.ClaimCreateForm, error: ValidationError | PermissionDenied
) -> HttpResponse:
    """The claim form again with the owner module's reason: 400 for bad input, 403 for a refusal."""
    add_to_form(form, error if isinstance(error, ValidationError) else ValidationError(str(error)))
    context = {"article": article, "project": article.project, "form": form}
    status = 403 if isinstance(error, PermissionDenied) else 400
    return render(request, "annotations/partials/claim_form.html", context, status=status)


def _accept_suggestion(request: AuthedRequest, article: Article, form: forms.ClaimCreateForm) -> HttpResponse:
    """The claim form of a suggested sentence: ``suggestions.accept`` makes the claim at its exact span."""
    data: dict[str, Any] = form.cleaned_data
    suggestion = get_object_or_404(
        Suggestion.objects.select_related("article__project"), pk=data["suggestion"], article=article
    )
    try:
        claim = suggestions.accept(
            suggestion=suggestion,
            by=request.user,
            claim_text=data["claim_text"],
            claimant=data["claimant"],
            status=data["status"],
            verdict=data["verdict"],
            rationale=data["rationale"],
        )
    except (ValidationError, PermissionDenied) as error:
        return _form_refused(request, article, form, error)
    return _created(request, article, claim)


@require_POST
def suggestion_dismiss(request: AuthedRequest, project_slug: str, article_id: int, suggestion_id: int) -> HttpResponse:
    """``x`` on a suggestion: recorded as a decision; the panel and the sentence's paragraph are sent back."""
    article = lookups.article_for(request, project_slug, article_id)
    suggestion = get_object_or_404(Suggestion, pk=suggestion_id, article=article)
    suggestion.article = article
    suggestions.dismiss(suggestion=suggestion, by=request.user)
    spans = list(article.claims.values_list("start", "end"))
    context = {
        "project": article.project,
        "article": article,
        "suggested": _suggested(article, spans),
        "changed": _changed_paragraphs(article, [(suggestion.start, suggestion.end)]),
    }
    return render(request, "annotations/partials/suggestion_dismissed.html", context)


def _suggested(article: Article, claim_spans: list[tuple[int, int]]) -> list[tuple[Suggestion, str]]:
    return [(s, article.text[s.start : s.end]) for s in suggestions.for_desk(article, claim_spans)]


@require_GET
def claim_card(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    return _card(request, lookups.claim_for(request, project_slug, claim_id, article_id))


def _editable(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> Claim:
    """The claim, if this person may change it at all (the owner module checks the details)."""
    claim = lookups.claim_for(request, project_slug, claim_id, article_id)
    role = claims.role_of(claim.article.project_id, request.user)
    if not workflow.can_edit(role, is_author=claim.created_by_id == request.user.pk):
        raise PermissionDenied(workflow.EDIT_REFUSED)
    return claim


@require_http_methods(["GET", "POST"])
def claim_edit(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable(request, project_slug, article_id, claim_id)
    template = "annotations/partials/claim_edit_form.html"
    if request.method == "GET":
        initial = {f: getattr(claim, f) for f in claims.CLAIM_FIELDS} | {"version": claim.version}
        form = forms.ClaimEditForm(initial=initial, auto_id=f"edit-{claim.pk}-%s")
        return render(request, template, {"claim": claim, "form": form})
    form = forms.ClaimEditForm(request.POST, auto_id=f"edit-{claim.pk}-%s")
    status = 400
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            fresh = claims.update(claim=claim, by=request.user, expected_version=version, **data)
        except claims.StaleVersion as stale:
            return _stale(request, template, {"claim": stale.current, "form": form})
        except ValidationError as error:
            add_to_form(form, error)
        except PermissionDenied as refused:
            form.add_error(None, str(refused))
            status = 403
        else:
            return _card(request, fresh)
    return render(request, template, {"claim": claim, "form": form}, status=status)


@require_POST
def claim_review(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    """Verdict and status from the card's quick controls (or the 1-8 keys).

    A refused change answers with the whole card as the server has it, the reason on top: the
    controls never keep showing a value that was not saved.
    """
    claim = _editable(request, project_slug, article_id, claim_id)
    form = forms.ClaimReviewForm(request.POST)
    if not form.is_valid():
        return _card(request, claim, status=400, error=refusal_text(ValidationError(form.errors.get_json_data())))
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        fresh = claims.update(claim=claim, by=request.user, expected_version=version, **data)
    except claims.StaleVersion as stale:
        return _card(
            request,
            stale.current,
            status=409,
            error="Someone else changed this claim meanwhile: this is the claim as it is now.",
        )
    except PermissionDenied as refused:
        return _card(request, claim, status=403, error=str(refused))
    except ValidationError as error:
        return _card(request, claim, status=400, error=refusal_text(error, fields=False))
    return _card(request, fresh)


@require_POST
def claim_span(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    """Move a claim to a new selection."""
    claim = _editable(request, project_slug, article_id, claim_id)
    form = forms.ClaimSpanForm(request.POST)
    template = "annotations/partials/span_errors.html"
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = claims.update(
                claim=claim,
                by=request.user,
                expected_version=data["version"],
                start=data["start"],
                end=data["end"],
                quote=data["quote"],
                correction_note=request.POST.get("correction_note", ""),
            )
        except claims.StaleVersion as stale:
            return _stale(request, template, {"claim": stale.current, "form": form})
        except ValidationError as error:
            add_to_form(form, error)
        except PermissionDenied as refused:
            form.add_error(None, str(refused))
            status = 403
        else:
            return _card(request, moved, moved_from=(claim.start, claim.end))
    return render(request, template, {"claim": claim, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def claim_delete(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable(request, project_slug, article_id, claim_id)
    template = "annotations/partials/claim_delete_confirm.html"
    if request.method == "GET":
        return render(request, template, {"claim": claim})
    try:
        claims.delete(claim=claim, by=request.user)
    except ValidationError as error:
        return render(request, template, {"claim": claim, "error": refusal_text(error)}, status=400)
    return _removed(request, claim.article, claim)


# --- sources -------------------------------------------------------------------------------------


def _source_form_response(
    request: AuthedRequest, form: forms.SourceForm, context: dict[str, Any], error: Exception
) -> HttpResponse:
    if isinstance(error, ValidationError):
        add_to_form(form, error)
        status = 400
    else:
        form.add_error(None, str(error))
        status = 403
    return render(request, "annotations/partials/source_form.html", {**context, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def source_create(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable(request, project_slug, article_id, claim_id)
    template = "annotations/partials/source_form.html"
    context = {"claim": claim, "action": reverse("source-create", args=[project_slug, article_id, claim.pk])}
    if request.method == "GET":
        return render(request, template, {**context, "form": forms.SourceForm()})
    form = forms.SourceForm(request.POST)
    if not form.is_valid():
        return render(request, template, {**context, "form": form}, status=400)
    try:
        claims.add_source(claim=claim, by=request.user, **form.write_args())
    except (ValidationError, PermissionDenied) as error:
        return _source_form_response(request, form, context, error)
    return _card(request, claim)


@require_http_methods(["GET", "POST"])
def source_edit(
    request: AuthedRequest, project_slug: str, article_id: int, claim_id: int, source_id: int
) -> HttpResponse:
    source = lookups.source_for(request, project_slug, article_id, claim_id, source_id)
    _editable(request, project_slug, article_id, claim_id)
    template = "annotations/partials/source_form.html"
    action = reverse("source-edit", args=[project_slug, article_id, claim_id, source.pk])
    context: dict[str, Any] = {"claim": source.claim, "source": source, "action": action}
    if request.method == "GET":
        return render(request, template, {**context, "form": forms.SourceForm(instance=source)})
    # The form validates a copy: the owner module, not the form, writes the row.
    form = forms.SourceForm(request.POST, instance=copy(source))
    if not form.is_valid():
        return render(request, template, {**context, "form": form}, status=400)
    try:
        claims.edit_source(source=source, by=request.user, **form.write_args())
    except (ValidationError, PermissionDenied) as error:
        return _source_form_response(request, form, context, error)
    return _card(request, source.claim)


@require_POST
def source_delete(
    request: AuthedRequest, project_slug: str, article_id: int, claim_id: int, source_id: int
) -> HttpResponse:
    source = lookups.source_for(request, project_slug, article_id, claim_id, source_id)
    _editable(request, project_slug, article_id, claim_id)
    try:
        claims.remove_source(source=source, by=request.user, correction_note=request.POST.get("correction_note", ""))
    except (ValidationError, PermissionDenied) as error:
        return _card(
            request, source.claim, status=403 if isinstance(error, PermissionDenied) else 400, error=refusal_text(error)
        )
    return _card(request, source.claim)
