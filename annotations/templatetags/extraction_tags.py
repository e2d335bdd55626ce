"""Template tags for entity extraction: the run state, the legend and entity list, project progress.

Inclusion tags rather than view context, so the article and project pages only need one
include each and keep working whichever view renders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from annotations import entities, workflow
from annotations.extraction import is_stuck, project_progress
from annotations.models import Article, EntityMention, ExtractionRun, MentionRow, Project

register = template.Library()


@dataclass
class EntityGroup:
    """One entity (same text, same label) with all its mentions in the article."""

    text: str
    label: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    corrected: bool = False

    @property
    def count(self) -> int:
        return len(self.spans)

    @property
    def spans_attr(self) -> str:
        return " ".join(f"{start}-{end}" for start, end in self.spans)

    @property
    def id_inputs(self) -> SafeString:
        """A hidden ``mention`` input per mention id, for the correction form.

        Written here rather than as a template loop: an entity named on every line of a long
        article has hundreds of mentions, and the loop was a tenth of the desk page's time.
        The ids are integers.
        """
        return mark_safe("".join(f'<input type="hidden" name="mention" value="{int(pk)}">' for pk in self.ids))  # noqa: S308


Mention = EntityMention | MentionRow


def group_mentions(mentions: Sequence[Mention]) -> list[EntityGroup]:
    """Mentions grouped by (text, label), most mentioned first, then alphabetically."""
    groups: dict[tuple[str, str], EntityGroup] = {}
    for mention in mentions:
        key = (mention.text, mention.label)
        group = groups.setdefault(key, EntityGroup(text=mention.text, label=mention.label))
        group.spans.append((mention.start, mention.end))
        group.ids.append(mention.pk)
        group.corrected = group.corrected or mention.is_correction
    return sorted(groups.values(), key=lambda g: (-g.count, g.text.casefold(), g.label))


def label_counts(mentions: Sequence[Mention]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for mention in mentions:
        counts[mention.label] = counts.get(mention.label, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@register.inclusion_tag("annotations/partials/extraction_state.html", takes_context=True)
def extraction_state(context: template.Context, article: Article, run: ExtractionRun | None = None) -> dict[str, Any]:
    """The latest run's state, with a Run again button; polls itself while the run is active."""
    if run is None and "run" not in context:  # the desk reads it already, with or without a run
        run = article.latest_run
    return {
        "article": article,
        "project": article.project,
        "run": run,
        "stuck": is_stuck(run),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("annotations/partials/entities.html", takes_context=True)
def entity_panel(
    context: template.Context, article: Article, mentions: Sequence[Mention] | None = None
) -> dict[str, Any]:
    """The label legend (toggles), the entity list (click to highlight the mentions) and, for
    members, the forms that correct an entity's label or remove it."""
    if mentions is None:
        mentions = EntityMention.objects.rows(article.pk)
    labels = [(label, count, entities.label_name(label)) for label, count in label_counts(mentions)]
    return {
        "article": article,
        "project": article.project,
        "labels": labels,
        "groups": group_mentions(mentions),
        "count": len(mentions),
        "all_labels": list(entities.LABEL_NAMES),
        "can_correct": context.get("role") in workflow.MEMBER_ROLES,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def label_name(label: str) -> str:
    """What an entity label means, in words (for titles and the legend)."""
    return entities.label_name(label)


@register.inclusion_tag("annotations/partials/project_extraction_panel.html", takes_context=True)
def project_extraction(context: template.Context, project: Project) -> dict[str, Any]:
    """Progress of the project's extraction, and for editors the button that starts it."""
    user = context["request"].user
    return {
        "project": project,
        "progress": project_progress(project),
        "can_start": workflow.is_editor(project.role_of(user)),
        "csrf_token": context.get("csrf_token"),
    }
