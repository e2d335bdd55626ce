"""The domain: projects and their members, articles, claims with sources, entity mentions.

Every read starts from the projects a user belongs to (``visible_to``); a URL id is never
looked up globally.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator, URLValidator
from django.db import models
from django.db.models import F, Func, OuterRef, Q, Subquery
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from . import limits
from . import text as textlib
from .compiled import CompiledQuery

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from .captures import CaptureState

    AnyUser = AbstractBaseUser | AnonymousUser


# Every door stores only web links: a javascript: or data: URL rendered as a link runs script.
HTTP_URL = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")


class HttpURLField(models.URLField):
    """A URLField for web links only, checked by one validator.

    URLField's own validator (which also takes ftp://) would run beside HTTP_URL: twice the
    cost of the most expensive check of a bulk write of sources, for no stricter result.
    """

    # NUL too, as a CharField's form field refuses it: PostgreSQL cannot store it in text.
    default_validators = [HTTP_URL, ProhibitNullCharactersValidator()]


class Span(Protocol):
    """Anything with a start and an end offset in an article's text."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


SpanT = TypeVar("SpanT", bound=Span)


def spans_inside(outer: Span, spans: list[SpanT]) -> list[SpanT]:
    """The spans that lie within ``outer`` (the rule that links entity mentions to a claim)."""
    return [m for m in spans if m.start >= outer.start and m.end <= outer.end]


def max_length_of(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of one of the model's fields (a field without one is a programming error)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return field.max_length


def bounded_text(limit: int, **options: Any) -> models.TextField:
    """A TextField with a length limit that every door enforces.

    A TextField's ``max_length`` alone only reaches forms and serializers; the validator makes
    ``full_clean`` enforce it too, and ``length_check`` below makes the database refuse longer
    text whatever path the write took.
    """
    return models.TextField(max_length=limit, validators=[MaxLengthValidator(limit)], **options)


def length_check(field: str, limit: int, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=name)


class Role(models.TextChoices):
    REVIEWER = "reviewer", "Reviewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


class ClaimStatus(models.TextChoices):
    UNSTARTED = "unstarted", "Unstarted"
    IN_PROGRESS = "in_progress", "In progress"
    IN_REVIEW = "in_review", "In review"
    NEEDS_CHANGES = "needs_changes", "Needs changes"
    APPROVED = "approved", "Approved"


class Verdict(models.TextChoices):
    TRUE = "true", "True"
    MOSTLY_TRUE = "mostly_true", "Mostly true"
    MIXED = "mixed", "Mixed"
    MISLEADING = "misleading", "Misleading"
    MOSTLY_FALSE = "mostly_false", "Mostly false"
    FALSE = "false", "False"
    UNVERIFIABLE = "unverifiable", "Unverifiable"
    NOT_CHECKABLE = "not_checkable", "Not checkable"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    REFUTES = "refutes", "Refutes"
    CONTEXT = "context", "Context"


class ClaimantType(models.TextChoices):
    """Who made the claim: ClaimReview types its author as a schema.org Person or Organization."""

    PERSON = "person", "Person"
    ORGANIZATION = "organization", "Organization"


class AnchorStatus(models.TextChoices):
    ANCHORED = "anchored", "Anchored"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# The error of a job whose task the broker would not take (annotations.queueing): it never ran,
# so it can simply be queued again.
QUEUE_FAILED = "could not be queued: broker unreachable"


def _is_anonymous(user: AnyUser) -> bool:
    return not getattr(user, "is_authenticated", False)


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, user: AnyUser) -> ProjectQuerySet:
        if _is_anonymous(user):
            return self.none()
        return self.filter(memberships__user=user)


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = bounded_text(limits.PROJECT_DESCRIPTION_CHARS, blank=True)
    double_review = models.BooleanField(
        default=False, help_text="Two reviewers give verdicts independently, blind to each other's."
    )
    # Who publishes the project's fact checks, and where: ClaimReview's author and url. An export
    # that needs one of these and finds it blank refuses, naming the setting, rather than writing
    # reviews that aggregators reject.
    publisher_name = models.CharField(max_length=200, blank=True, help_text="The organisation publishing the checks.")
    publisher_url = models.URLField(max_length=2000, blank=True, help_text="The organisation's home page.")
    publisher_logo_url = models.URLField(max_length=2000, blank=True, help_text="An image of its logo.")
    review_url_template = models.CharField(
        max_length=2000,
        blank=True,
        help_text="Where each published check lives, with {claim_id}: https://example.org/checks/{claim_id}",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [length_check("description", limits.PROJECT_DESCRIPTION_CHARS, "project_description_length")]

    def __str__(self) -> str:
        return self.name

    def role_of(self, user: AnyUser) -> str | None:
        pk = None if _is_anonymous(user) else user.pk
        if pk is None:
            return None
        # values_list: one query (an .only() instance would fetch its deferred fields again).
        return self.memberships.filter(user_id=pk).values_list("role", flat=True).first()


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REVIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"

    def is_last_admin(self) -> bool:
        """A project without an admin could never get new members again: the last one stays."""
        return self.role == Role.ADMIN and not (
            Membership.objects.filter(project_id=self.project_id, role=Role.ADMIN).exclude(pk=self.pk).exists()
        )


def claims_counted(**condition: Any) -> Subquery:
    """The number of the outer article's claims (those matching ``condition``), as a subquery:
    ``COUNT`` without ``GROUP BY``, so it is 0, not NULL, for an article without any."""
    claims = Claim.objects.filter(article=OuterRef("pk"), **condition).order_by()
    return Subquery(claims.annotate(n=Func(F("id"), function="COUNT")).values("n"))


class ArticleQuerySet(models.QuerySet["Article"]):
    def visible_to(self, user: AnyUser) -> ArticleQuerySet:
        if _is_anonymous(user):
            return self.none()
        return self.filter(project__memberships__user=user)

    def with_claim_count(self) -> ArticleQuerySet:
        """Each article's number of claims as ``claim_count``, by a subquery a row.

        A JOIN with GROUP BY counted every claim of every article in the project before the
        page was cut: the API's article list took 0.25–0.38 s a page at 17,000 articles and
        21,000 claims. Counted per row, a page counts its own articles' claims (from the
        claims' article index).
        """
        return self.annotate(claim_count=claims_counted())


class Article(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(max_length=limits.TITLE_CHARS)
    url = HttpURLField(max_length=limits.URL_CHARS, blank=True)
    publisher = models.CharField(max_length=limits.PUBLISHER_CHARS, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=limits.LANGUAGE_CHARS, default="en")
    fetched_at = models.DateTimeField(null=True, blank=True, help_text="When the text was fetched from its URL.")
    text = models.TextField(error_messages={"blank": "The article text is empty."})
    text_sha256 = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_articles",
        help_text="The reviewer whose queue this article is in.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    # Not columns: set on the rows of the article list (views.articles) for its template.
    status_counts: list[tuple[str, str, int]]
    run_label: str

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "text_sha256"], name="article_unique_text_in_project"),
            models.CheckConstraint(condition=~Q(text=""), name="article_text_not_empty"),
        ]
        # A project's articles newest first (the article list, the default order) read from the
        # index alone: sorting them read every row, texts included (70-100 ms a page at 17,000).
        indexes = [models.Index(fields=["project", "-created_at", "-id"], name="article_project_newest")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        self.text = textlib.normalise(self.text)
        if len(self.text) > settings.MAX_ARTICLE_CHARS:
            raise ValidationError(
                {"text": f"The text has {len(self.text)} characters; the limit is {settings.MAX_ARTICLE_CHARS}."}
            )

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The stored text is the frame of reference for every offset: normalise it and keep
        # its hash in step whichever way the row is saved.
        self.text = textlib.normalise(self.text)
        self.text_sha256 = textlib.sha256(self.text)
        update_fields = kwargs.get("update_fields")
        if isinstance(update_fields, Iterable) and "text" in (fields := set(update_fields)):
            kwargs["update_fields"] = {*fields, "text_sha256"}
        super().save(*args, **kwargs)

    @property
    def latest_run(self) -> ExtractionRun | None:
        if self.pk is None:
            return None
        runs = _LATEST_RUN.all(article=self.pk)
        for run in runs:
            run.article = self
        return runs[0] if runs else None


class ClaimQuerySet(models.QuerySet["Claim"]):
    def visible_to(self, user: AnyUser) -> ClaimQuerySet:
        if _is_anonymous(user):
            return self.none()
        return self.filter(article__project__memberships__user=user)

    def in_text_order(self) -> ClaimQuerySet:
        return self.order_by("start", "end", "id")

    def needs_review(self) -> ClaimQuerySet:
        return self.filter(status=ClaimStatus.IN_REVIEW)

    def approved(self) -> ClaimQuerySet:
        return self.filter(status=ClaimStatus.APPROVED)

    def needs_attention(self) -> ClaimQuerySet:
        return self.filter(anchor_status=AnchorStatus.NEEDS_ATTENTION)


class Claim(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = bounded_text(limits.QUOTE_CHARS)
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    claim_text = bounded_text(
        limits.CLAIM_TEXT_CHARS, blank=True, help_text="The claim as a checkable, normalised sentence."
    )
    claimant = models.CharField(max_length=limits.CLAIMANT_CHARS, blank=True)
    claimant_type = models.CharField(max_length=20, choices=ClaimantType.choices, default=ClaimantType.PERSON)
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.UNSTARTED)
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)
    rationale = bounded_text(limits.RATIONALE_CHARS, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="claims_created"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="claims_reviewed"
    )
    # Set when a revision of the article's text moved the claim somewhere it could not be placed
    # confidently: the span is then only a best guess and ``previous_quote`` keeps what it was.
    anchor_status = models.CharField(max_length=20, choices=AnchorStatus.choices, default=AnchorStatus.ANCHORED)
    anchor_confidence = models.FloatField(null=True, blank=True)
    previous_quote = bounded_text(limits.QUOTE_CHARS, blank=True)
    # Optimistic locking: every write bumps it; a write carrying an older value is refused.
    version = models.PositiveIntegerField(default=1)
    # Open corrections: a published (approved) claim that changes says so, and why.
    corrected_at = models.DateTimeField(null=True, blank=True)
    correction_note = bounded_text(limits.CORRECTION_NOTE_CHARS, blank=True)
    # The last time it was submitted for review: the four-eyes rule looks at changes since then.
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A published claim is never deleted: it is withdrawn openly, and stays in history and exports.
    retracted_at = models.DateTimeField(null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retraction_note = bounded_text(limits.CORRECTION_NOTE_CHARS, blank=True)
    # The first approval is when the check was published (ClaimReview's datePublished); a
    # correction or a later re-approval never moves it.
    approved_at = models.DateTimeField(null=True, blank=True, help_text="When the claim was first approved.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()
    history = HistoricalRecords()

    # Not columns: what the requesting user may do to the claim (claims.editable_claims), and
    # what the desk shows with it (views.desk.desk_context).
    editable: bool
    moves: list[str]
    linked_mentions: list[MentionRow]
    status_options: list[tuple[str, str]]
    # The latest send-back comment, for claims that need changes (review.send_back_reasons).
    send_back: ClaimComment | None
    # Shown as a light stub the page fills in later (views.desk.desk_context).
    stub: bool
    # The sources, read for many claims at once without a queryset per claim (views.desk._dress).
    source_list: list[Source]

    # "Same claim as …" as the card shows it, and how many later claims repeat this one (views.links).
    same_as_link: Any

    class Meta:
        ordering = ["article", "start", "end", "id"]
        indexes = [models.Index(fields=["article", "start"]), models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0) & Q(start__lt=F("end")), name="claim_span_ordered"),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            models.CheckConstraint(condition=Q(verdict__in=[*Verdict.values, ""]), name="claim_verdict_valid"),
            models.CheckConstraint(
                condition=Q(anchor_status__in=AnchorStatus.values), name="claim_anchor_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(claimant_type__in=ClaimantType.values), name="claim_claimant_type_valid"
            ),
            length_check("quote", limits.QUOTE_CHARS, "claim_quote_length"),
            length_check("claim_text", limits.CLAIM_TEXT_CHARS, "claim_claim_text_length"),
            length_check("rationale", limits.RATIONALE_CHARS, "claim_rationale_length"),
            length_check("previous_quote", limits.QUOTE_CHARS, "claim_previous_quote_length"),
            length_check("correction_note", limits.CORRECTION_NOTE_CHARS, "claim_correction_note_length"),
            length_check("retraction_note", limits.CORRECTION_NOTE_CHARS, "claim_retraction_note_length"),
        ]

    def __str__(self) -> str:
        return f"{self.quote[:60]} ({self.start}:{self.end})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Stamped here, not by each door that approves: whichever path moves a claim to
        # approved through the model, the first approval is recorded once.
        if self.status == ClaimStatus.APPROVED and self.approved_at is None:
            self.approved_at = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "approved_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            self.apply_span(self.start, self.end, self.quote or None)
        except textlib.SpanError as error:
            raise ValidationError({error.field: error.message}) from None

    def apply_span(self, start: int, end: int, quote: str | None = None) -> None:
        """Set the span from offsets over the article's text, with its quote and context."""
        span = textlib.check_span(self.article.text, start, end, quote)
        self.start, self.end, self.quote = span.start, span.end, span.quote
        self.prefix, self.suffix = span.prefix, span.suffix

    def mentions_inside(self, mentions: list[SpanT]) -> list[SpanT]:
        """The entity mentions (of this claim's article) that lie within the claim's span."""
        return spans_inside(self, mentions)


class Source(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="sources")
    url = HttpURLField(max_length=limits.URL_CHARS)
    title = models.CharField(max_length=limits.TITLE_CHARS, blank=True)
    publisher = models.CharField(max_length=limits.PUBLISHER_CHARS, blank=True)
    excerpt = bounded_text(limits.EXCERPT_CHARS, blank=True)
    stance = models.CharField(max_length=20, choices=Stance.choices, default=Stance.CONTEXT)
    archived_url = HttpURLField(max_length=limits.URL_CHARS, blank=True)
    accessed_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    # Not a column: the source's captures as pages show them (captures.attach_states).
    capture_state: CaptureState

    class Meta:
        ordering = ["claim", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="source_stance_valid"),
            length_check("excerpt", limits.EXCERPT_CHARS, "source_excerpt_length"),
        ]

    def __str__(self) -> str:
        return self.title or self.url


class Job(models.Model):
    """What every background job row shares: its state, its task, its times and why it failed.

    ``annotations/jobs.py`` holds the one policy that moves it (claim, finish, fail, stuck);
    ``time_limit_setting`` names the setting of the task's hard time limit, after which a job
    still marked running is abandoned.
    """

    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    time_limit_setting = ""

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)

    @property
    def never_queued(self) -> bool:
        """Failed because its task never reached the broker: "Run again" queues it."""
        return self.status == RunStatus.FAILED and self.error == QUEUE_FAILED


class ExtractionRun(Job):
    time_limit_setting = "NER_TASK_TIME_LIMIT"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="extraction_runs")
    model_name = models.CharField(max_length=200, blank=True)
    model_version = models.CharField(max_length=50, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    char_count = models.PositiveIntegerField(default=0)
    mention_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"])]
        constraints = [models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="run_status_valid")]

    def __str__(self) -> str:
        return f"run {self.pk} of article {self.article_id}: {self.status}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ShownMentionManager(models.Manager["EntityMention"]):
    """Mentions as everyone sees them: those a person removed are left out.

    The default manager, so the desk, the API, exports and ``article.mentions`` all agree; a
    removed machine mention stays in the table (``all_mentions``) only so that the next
    extraction knows a person rejected that span and does not bring it back.
    """

    def get_queryset(self) -> models.QuerySet[EntityMention]:
        return super().get_queryset().filter(removed_at__isnull=True)

    def rows(self, article_id: int, start: int = 0, end: int | None = None) -> list[MentionRow]:
        """An article's mentions (those inside ``start:end``, when given) in text order, as light
        rows: the desk reads hundreds per page, and model instances cost five times as much."""
        if not start and end is None:  # the desk's whole article: the query is compiled once
            found: Iterable[tuple[Any, ...]] = _ARTICLE_MENTIONS.all(article=article_id)
            return [
                MentionRow(pk, begin, finish, text, label, corrected_at is not None or not model)
                for pk, begin, finish, text, label, model, corrected_at in found
            ]
        if end is not None:  # a claim's card: compiled once too
            found = _SPAN_MENTIONS.all(article=article_id, start=start, end=end)
        else:
            found = (
                self.get_queryset()
                .filter(article_id=article_id, start__gte=start)
                .order_by("start", "end")
                .values_list("pk", "start", "end", "text", "label", "model", "corrected_at")
            )
        return [
            MentionRow(pk, begin, finish, text, label, corrected_at is not None or not model)
            for pk, begin, finish, text, label, model, corrected_at in found
        ]


class MentionRow(NamedTuple):
    """What pages show of an entity mention (``EntityMention.objects.rows``)."""

    pk: int
    start: int
    end: int
    text: str
    label: str
    is_correction: bool


class EntityMention(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="mentions")
    run = models.ForeignKey(ExtractionRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="mentions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = bounded_text(limits.QUOTE_CHARS)
    label = models.CharField(max_length=limits.MENTION_LABEL_CHARS)
    model = models.CharField(max_length=200, blank=True, help_text="The model that found it; empty for a person.")
    # A person's correction (annotations/entities.py): a new label, a removal or an added mention.
    # Corrected mentions survive re-extraction, and the model's mentions overlapping them are dropped.
    corrected_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    original_label = models.CharField(
        max_length=limits.MENTION_LABEL_CHARS, blank=True, help_text="The model's label, when a person changed it."
    )
    removed_at = models.DateTimeField(null=True, blank=True, help_text="A person removed it: hidden everywhere.")

    objects = ShownMentionManager()
    all_mentions = models.Manager()

    @property
    def is_correction(self) -> bool:
        return self.corrected_at is not None or not self.model

    class Meta:
        ordering = ["article", "start", "end", "id"]
        indexes = [models.Index(fields=["article", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0) & Q(start__lt=F("end")), name="mention_span_ordered"),
            length_check("text", limits.QUOTE_CHARS, "mention_text_length"),
        ]

    def __str__(self) -> str:
        return f"{self.text} ({self.label})"


class ExportJob(Job):
    """A large export produced by a worker into a stored file with a manifest."""

    time_limit_setting = "EXPORT_TASK_TIME_LIMIT"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="export_jobs")
    format = models.CharField(max_length=40)
    filters = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    row_count = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_percent")]

    def __str__(self) -> str:
        return f"{self.format} export of {self.project} ({self.status})"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=limits.TOKEN_NAME_CHARS)
    key_prefix = models.CharField(max_length=8, help_text="The first characters, to tell tokens apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_prefix=key[:8], key_hash=cls.hash_key(key))
        return token, key


class ClaimComment(models.Model):
    """Reviewer/editor discussion on a claim (send-back reasons land here too)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = bounded_text(limits.COMMENT_CHARS)
    # The reason given when an editor sent the claim back: shown on the card and in the queue.
    sends_back = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "created_at", "id"]
        constraints = [length_check("body", limits.COMMENT_CHARS, "comment_body_length")]

    def __str__(self) -> str:
        return f"comment {self.pk} on claim {self.claim_id}"


class BlindVerdict(models.Model):
    """One reviewer's independent verdict in a double-review project; hidden from the other reviewer."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="blind_verdicts")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    rationale = bounded_text(limits.RATIONALE_CHARS, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "reviewer"], name="blind_verdict_once_per_reviewer"),
            models.CheckConstraint(condition=Q(verdict__in=Verdict.values), name="blind_verdict_valid"),
            length_check("rationale", limits.RATIONALE_CHARS, "blind_verdict_rationale_length"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} says {self.verdict} on claim {self.claim_id}"


class AgreementReport(Job):
    """Agreement statistics of a project at one point in time (kept, to chart them over time)."""

    time_limit_setting = "AGREEMENT_TASK_TIME_LIMIT"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="agreement_reports")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"agreement of {self.project} at {self.created_at:%Y-%m-%d %H:%M} ({self.status})"


class ArticleRevision(models.Model):
    """A text an article had before an editor corrected it: kept, never overwritten."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"])]

    def __str__(self) -> str:
        return f"revision {self.pk} of article {self.article_id}"


class ImportJob(Job):
    """A large import run by a worker: the inputs it was given, its progress and its report."""

    time_limit_setting = "IMPORT_TASK_TIME_LIMIT"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_jobs")
    # Each input: {"kind": "file", "name": shown name, "path": storage name} or {"kind": "url", "url": ...}.
    inputs = models.JSONField(default=list, blank=True)
    options = models.JSONField(default=dict, blank=True, help_text="Parser name and default metadata.")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="import_progress_percent"),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="import_status_valid"),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} into {self.project} ({self.status})"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Invitations that can still be accepted: not used, not revoked, not expired."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A link that makes whoever signs in with it a member of a project, with a role, until it expires.

    Like ``ApiToken``, only the SHA-256 of the token is stored: the link is shown once, to the
    admin who made it, and a copy of the database cannot be used to join projects.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REVIEWER)
    note = models.CharField(max_length=200, blank=True, help_text="Who it is for, as the admin put it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid")]

    def __str__(self) -> str:
        return f"invitation {self.pk} to {self.project} as {self.role}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


# --- evidence captures (issue 17) ---------------------------------------------------------------


class ExcerptState(models.TextChoices):
    """How a source's excerpt relates to one capture of its page (annotations/captures.py)."""

    NONE = "", "No excerpt"
    FOUND = "found", "Found in capture"
    SELECTED = "selected", "Selected from capture"
    NOT_FOUND = "not_found", "Not found in capture"
    CHANGED = "changed", "Changed since quoted"


class CaptureQuerySet(models.QuerySet["Capture"]):
    def visible_to(self, user: AnyUser) -> CaptureQuerySet:
        if _is_anonymous(user):
            return self.none()
        return self.filter(source__claim__article__project__memberships__user=user)

    def done(self) -> CaptureQuerySet:
        return self.filter(status=RunStatus.DONE)


class Capture(Job):
    """One fetch of a source's page: what it said at ``fetched_at``, kept for good.

    Never overwritten: capturing again adds a row, so a source's captures are the history of its
    page. ``annotations/captures.py`` is the only writer; the raw body is stored compressed in
    media storage and ``sha256`` is the digest of the raw (uncompressed) body.
    """

    time_limit_setting = "CAPTURE_TASK_TIME_LIMIT"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="captures")
    url = models.URLField(max_length=limits.URL_CHARS, help_text="The source's URL when the capture was asked for.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField(null=True, blank=True)
    # A redirect target is whatever the server says: a TextField so a long one is kept whole.
    final_url = models.TextField(blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=limits.TITLE_CHARS, blank=True)
    text = models.TextField(blank=True, help_text="The page's main text (normalised: NFC, \\n).")
    sha256 = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the raw body as received.")
    body = models.FileField(upload_to="captures/", blank=True, help_text="The raw body, gzip-compressed.")
    body_bytes = models.PositiveIntegerField(default=0, help_text="Size of the raw body.")
    # The source's excerpt as it was checked against this capture, and where it is in ``text``
    # (code points, end exclusive, like a claim's span).
    excerpt = models.TextField(blank=True)
    excerpt_state = models.CharField(max_length=20, choices=ExcerptState.choices, blank=True)
    excerpt_start = models.PositiveIntegerField(null=True, blank=True)
    excerpt_end = models.PositiveIntegerField(null=True, blank=True)

    objects = CaptureQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["source", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="capture_status_valid"),
            models.CheckConstraint(
                condition=Q(excerpt_start__isnull=True, excerpt_end__isnull=True)
                | Q(excerpt_start__lt=F("excerpt_end")),
                name="capture_excerpt_span_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"capture {self.pk} of source {self.source_id} ({self.status})"

    @property
    def excerpt_changed(self) -> bool:
        return self.excerpt_state == ExcerptState.CHANGED


# --- What was checked before (issue 16): the fact-check library and "same claim as" links ------
# Written only by annotations/factchecks.py (the library) and annotations/claims.py (the links);
# matched by annotations/similar.py, whose full-text indexes over these tables are kept by the
# database itself (migration 0011: SQLite FTS5 tables with triggers, PostgreSQL expression indexes).


class FactCheckQuerySet(models.QuerySet["FactCheck"]):
    def visible_to(self, user: AnyUser) -> FactCheckQuerySet:
        if _is_anonymous(user):
            return self.none()
        return self.filter(project__memberships__user=user)


class FactCheck(models.Model):
    """A fact check published somewhere (ours or another organisation's), imported as ClaimReview.

    The library is per project: its editors import into it, its members match against it (and
    against the libraries of every other project they belong to). Only the properties our own
    ClaimReview export writes are kept, so an export of ours imports back field for field.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="fact_checks")
    claim_reviewed = bounded_text(limits.CLAIM_TEXT_CHARS)
    url = models.URLField(max_length=limits.URL_CHARS, blank=True, validators=[HTTP_URL], help_text="The review.")
    # Our verdict when the rating maps onto one (its label, or its value on the 1-5 scale).
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)
    rating_label = models.CharField(max_length=200, blank=True, help_text="The rating as published (alternateName).")
    rating_value = models.FloatField(null=True, blank=True)
    best_rating = models.FloatField(null=True, blank=True)
    worst_rating = models.FloatField(null=True, blank=True)
    publisher_name = models.CharField(max_length=200, blank=True)
    publisher_url = models.URLField(max_length=2000, blank=True, validators=[HTTP_URL])
    claimant = models.CharField(max_length=limits.CLAIMANT_CHARS, blank=True)
    appearance_url = models.URLField(max_length=limits.URL_CHARS, blank=True, validators=[HTTP_URL])
    claim_date = models.DateField(null=True, blank=True, help_text="When the claim was made (itemReviewed).")
    published_at = models.DateField(null=True, blank=True, help_text="When the review was published.")
    review_body = bounded_text(limits.RATIONALE_CHARS, blank=True)
    identifier = models.CharField(max_length=200, blank=True)
    # One row per review in a library: sha256 of its URL, or of publisher and claim text when it
    # has none. Importing a feed again updates its rows instead of doubling them.
    key = models.CharField(max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FactCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="factcheck_unique_key_in_project"),
            models.CheckConstraint(condition=Q(verdict__in=[*Verdict.values, ""]), name="factcheck_verdict_valid"),
            models.CheckConstraint(condition=~Q(claim_reviewed=""), name="factcheck_claim_not_empty"),
            length_check("claim_reviewed", limits.CLAIM_TEXT_CHARS, "factcheck_claim_reviewed_length"),
            length_check("review_body", limits.RATIONALE_CHARS, "factcheck_review_body_length"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_reviewed[:60]} ({self.publisher_name or 'unknown publisher'})"


class ClaimLink(models.Model):
    """ "Same claim as": a claim repeats an earlier approved claim or a published fact check.

    One per claim (the latest decision wins); written only by ``claims.link_same`` and
    ``claims.unlink_same``. It goes with its target: a deleted claim or fact check takes the links
    to it along.
    """

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="same_as")
    earlier_claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, null=True, blank=True, related_name="repeated_by"
    )
    fact_check = models.ForeignKey(
        FactCheck, on_delete=models.CASCADE, null=True, blank=True, related_name="repeated_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(earlier_claim__isnull=False) & Q(fact_check__isnull=True))
                | (Q(earlier_claim__isnull=True) & Q(fact_check__isnull=False)),
                name="claimlink_one_target",
            ),
            models.CheckConstraint(condition=~Q(earlier_claim=F("claim")), name="claimlink_not_itself"),
        ]

    def __str__(self) -> str:
        target = f"claim {self.earlier_claim_id}" if self.earlier_claim_id else f"fact check {self.fact_check_id}"
        return f"claim {self.claim_id} is the same as {target}"


# --- check-worthiness suggestions (issue 16; annotations/suggestions.py is their only writer) ------


class SuggestionQuerySet(models.QuerySet["Suggestion"]):
    def visible_to(self, user: AnyUser) -> SuggestionQuerySet:
        if _is_anonymous(user):
            return self.none()
        return self.filter(article__project__memberships__user=user)


class Suggestion(models.Model):
    """One sentence of an article with its check-worthiness score, as the last scoring left it.

    Every sentence has a row (the API ranks them all); extraction replaces an article's rows,
    and a newly trained model rescores them. A suggestion never becomes a claim on its own: a
    person accepts it (``suggestions.accept``), which goes through ``claims.create``.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    score = models.FloatField()
    # The scorer's inputs, kept so that retraining and rescoring need no second spaCy pass.
    features = models.JSONField(default=dict, blank=True)
    model_version = models.CharField(max_length=50, help_text="The scorer: the feature weights or a trained model.")

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["article", "-score", "start", "id"]
        indexes = [models.Index(fields=["article", "-score"], name="suggestion_article_score")]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0) & Q(start__lt=F("end")), name="suggestion_span_ordered"),
        ]

    def __str__(self) -> str:
        return f"sentence {self.start}-{self.end} of article {self.article_id}: {self.score:.2f}"


class DecisionKind(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class SuggestionDecision(models.Model):
    """What a person did with a suggested sentence: what the learner learns from.

    Keyed by the sentence's span rather than the suggestion row, so that a decision outlives
    rescoring (which replaces the rows) and the same sentence is not suggested again.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestion_decisions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=DecisionKind.choices)
    score = models.FloatField(null=True, blank=True, help_text="The score the sentence had when decided.")
    claim = models.ForeignKey(Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "start", "end"]
        constraints = [
            models.UniqueConstraint(fields=["article", "start", "end"], name="suggestion_decision_once_per_sentence"),
            models.CheckConstraint(condition=Q(kind__in=DecisionKind.values), name="suggestion_decision_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} sentence {self.start}-{self.end} of article {self.article_id}"


class CheckworthinessRun(Job):
    """Training a project's check-worthiness model on its decisions, in a worker.

    The learned coefficients are stored here as JSON numbers (``checkworthiness.Model``), never
    as a pickle; the latest done run of a project is the model that scores its articles.
    """

    time_limit_setting = "CHECKWORTHINESS_TASK_TIME_LIMIT"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="checkworthiness_runs")
    model_version = models.CharField(max_length=50, blank=True)
    decision_count = models.PositiveIntegerField(
        default=0, help_text="Decisions (claims, accepts, dismissals) the project had when the run was queued."
    )
    training_size = models.PositiveIntegerField(default=0)
    positives = models.PositiveIntegerField(default=0)
    train_seconds = models.FloatField(null=True, blank=True)
    rescored = models.PositiveIntegerField(default=0, help_text="Sentences scored again with the new model.")
    coefficients = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="cw_run_project_created")]
        constraints = [models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="cw_run_status_valid")]

    def __str__(self) -> str:
        return f"check-worthiness training {self.pk} of {self.project} ({self.status})"


# Queries every desk page makes, compiled once (annotations.compiled): Django took longer to
# build their SQL than the database took to answer.
_LATEST_RUN = CompiledQuery(
    ExtractionRun,
    lambda article: ExtractionRun.objects.filter(article_id=article).order_by("-created_at", "-id")[:1],
    "article",
)
_SPAN_MENTIONS = CompiledQuery(
    EntityMention,
    lambda article, start, end: (
        EntityMention.objects.filter(article_id=article, start__gte=start, end__lte=end)
        .order_by("start", "end")
        .values_list("pk", "start", "end", "text", "label", "model", "corrected_at")
    ),
    "article",
    "start",
    "end",
)
_ARTICLE_MENTIONS = CompiledQuery(
    EntityMention,
    lambda article: (
        EntityMention.objects.filter(article_id=article)
        .order_by("start", "end")
        .values_list("pk", "start", "end", "text", "label", "model", "corrected_at")
    ),
    "article",
)
