"""The only writer of a person's entity mentions: relabel, remove, add by selection.

The model's mentions are written by extraction (``extraction.py``), which replaces them on each
run; what a person did here is kept: a corrected or added mention survives re-extraction, a
removed one stays removed (a hidden row, so the model cannot bring the span back), and the
model's new mentions that overlap a person's correction are dropped. Any member of the
project may correct (reviewers see the mistakes first); the JSONL export marks corrections.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import text as textlib
from . import workflow
from .claims import role_of
from .models import Article, EntityMention

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# spaCy's English models label entities with the OntoNotes 5 scheme: these are its names in
# words a reviewer knows, shown as the desk's legend and on every label chip.
LABEL_NAMES: dict[str, str] = {
    "PERSON": "a person (real or fictional)",
    "NORP": "a nationality, religious or political group",
    "FAC": "a building, airport, road or bridge",
    "ORG": "an organisation: company, agency, institution",
    "GPE": "a country, city or state",
    "LOC": "another place: region, mountain range, body of water",
    "PRODUCT": "an object, vehicle, weapon or food",
    "EVENT": "a named event: war, battle, storm, sports event",
    "WORK_OF_ART": "the title of a book, song, film or work",
    "LAW": "a named law or legal document",
    "LANGUAGE": "a language",
    "DATE": "a date or period",
    "TIME": "a time of day",
    "PERCENT": "a percentage",
    "MONEY": "an amount of money",
    "QUANTITY": "a measurement: weight, distance, ...",
    "ORDINAL": "an ordinal: first, second, ...",
    "CARDINAL": "another number",
}


def label_name(label: str) -> str:
    return LABEL_NAMES.get(label, "a label of the model")


def _require_member(article: Article, user: User) -> None:
    if role_of(article.project_id, user) not in workflow.MEMBER_ROLES:
        raise PermissionDenied("Only members of the project can correct its entities.")


def check_label(label: str) -> str:
    label = label.strip().upper()
    if label not in LABEL_NAMES:
        raise ValidationError({"label": f"{label!r} is not a label; use one of: {', '.join(LABEL_NAMES)}."})
    return label


def _mentions(article: Article, mention_ids: Iterable[int]) -> QuerySet[EntityMention]:
    ids = [int(i) for i in mention_ids]
    if not ids:
        raise ValidationError({"mentions": "Choose at least one mention."})
    found = EntityMention.objects.filter(article=article, pk__in=ids).select_for_update()
    if len(ids_found := set(found.values_list("pk", flat=True))) != len(set(ids)):
        missing = sorted(set(ids) - ids_found)
        raise ValidationError({"mentions": f"No such mention in this article: {', '.join(map(str, missing))}."})
    return found


def relabel(*, article: Article, mention_ids: Iterable[int], label: str, by: User) -> int:
    """Give mentions another label; the model's own label is kept as ``original_label``."""
    _require_member(article, by)
    label = check_label(label)
    now = timezone.now()
    with transaction.atomic():
        mentions = list(_mentions(article, mention_ids))
        for mention in mentions:
            if mention.model and not mention.original_label and mention.corrected_at is None:
                mention.original_label = mention.label
            mention.label = label
            mention.corrected_at, mention.corrected_by = now, by
        EntityMention.objects.bulk_update(mentions, ["label", "original_label", "corrected_at", "corrected_by"])
    return len(mentions)


def remove(*, article: Article, mention_ids: Iterable[int], by: User) -> int:
    """Remove mentions: a person's are deleted; the model's are hidden, so re-extraction skips them."""
    _require_member(article, by)
    now = timezone.now()
    with transaction.atomic():
        mentions = _mentions(article, mention_ids)
        count = mentions.count()
        mentions.filter(model="").delete()
        EntityMention.objects.filter(article=article, pk__in=list(mention_ids)).exclude(model="").update(
            removed_at=now, corrected_at=now, corrected_by=by
        )
    return count


def add(*, article: Article, start: int, end: int, label: str, by: User, quote: str | None = None) -> EntityMention:
    """A mention a person marked by selecting text (offsets checked against the stored text)."""
    _require_member(article, by)
    label = check_label(label)
    try:
        span = textlib.check_span(article.text, start, end, quote)
    except textlib.SpanError as error:
        raise ValidationError({error.field: error.message}) from None
    with transaction.atomic():
        Article.objects.select_for_update().filter(pk=article.pk).first()
        same = EntityMention.objects.filter(article=article, start=span.start, end=span.end)
        if same.exists():
            raise ValidationError({"start": "This text is marked as an entity already: change its label instead."})
        return EntityMention.objects.create(
            article=article,
            start=span.start,
            end=span.end,
            text=span.quote,
            label=label,
            model="",
            corrected_at=timezone.now(),
            corrected_by=by,
        )


def corrected_spans(article_id: int) -> list[tuple[int, int]]:
    """Spans a person decided on (corrected, added, removed): extraction leaves them alone."""
    people = EntityMention.all_mentions.filter(article_id=article_id).filter(
        Q(corrected_at__isnull=False) | Q(model="")
    )
    return sorted(people.values_list("start", "end"))


def overlaps_any(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)
