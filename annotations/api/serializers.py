"""Request and response shapes. Validation that needs the article's text or a review rule lives in
the owner modules (claims.py, articles.py); api/errors.py turns their refusals into 400s and 403s."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.validators import URLValidator
from django.db.models import F, Model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.relations import ManyRelatedField

from ..compiled import CompiledQuery
from ..models import (
    Article,
    Capture,
    Claim,
    ClaimantType,
    ClaimStatus,
    DecisionKind,
    EntityMention,
    ExtractionRun,
    Invitation,
    Membership,
    Project,
    Role,
    Source,
    Stance,
    Verdict,
    max_length_of,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class HttpUrlField(serializers.URLField):
    """An http(s) URL, with one clear message (DRF's own URL check would add a second)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            *self.validators[:-1],
            URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL."),
        ]


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that builds its fields once per class, not once per request.

    DRF deep-copies the declared fields and builds the model fields on every instance: about
    0.4 ms of a 2 ms claim POST. The fields come out the same each time (none of ours depends
    on the request while being built), so the first set is kept as a template and each instance
    gets shallow copies, which ``bind`` then attaches to it alone. A serializer with nested
    serializers, many-related, list or dict fields is built the usual way: their children are
    bound to their own parent when made.
    """

    def get_fields(self) -> dict[str, Field]:
        template = _FIELD_TEMPLATES.get(type(self))
        if template is None:
            fields = super().get_fields()
            if any(_has_children(field) for field in fields.values()):
                return fields
            template = _FIELD_TEMPLATES.setdefault(type(self), fields)
        return {name: copy.copy(field) for name, field in template.items()}


def _has_children(field: Field) -> bool:
    """A field that binds inner fields to itself when made (nested serializers, lists, dicts)."""
    return isinstance(field, (serializers.BaseSerializer, ManyRelatedField)) or hasattr(field, "child")


_FIELD_TEMPLATES: dict[type[serializers.BaseSerializer[Any]], dict[str, Field]] = {}


def _limit(model: type[Model], name: str) -> int:
    """A field declared here keeps the model's limit (declared fields do not inherit it)."""
    return max_length_of(model, name)


def _user(request: Any) -> Any:
    return request.user


def _articles_with_role(user: Any) -> Any:
    # The role rides along so that permission checks on the article cost no extra query.
    return Article.objects.visible_to(user).annotate(my_role=F("project__memberships__role"))


# Every claim write looks its article up: compiled once (annotations/compiled.py).
_ARTICLE_WITH_ROLE = CompiledQuery(
    Article,
    # An unsaved user standing for the id: the scope stays visible_to's rule.
    lambda user, pk: _articles_with_role(get_user_model()(pk=user)).filter(pk=pk).order_by(),
    "user",
    "pk",
)


@extend_schema_field(OpenApiTypes.INT)
class VisibleArticleField(serializers.PrimaryKeyRelatedField):
    """An article id, looked up among the requesting user's projects only."""

    def get_queryset(self) -> Any:
        return _articles_with_role(_user(self.context["request"]))

    def to_internal_value(self, data: Any) -> Article:
        try:
            if isinstance(data, bool):
                raise TypeError
            pk = Article._meta.pk.get_prep_value(data)  # int(), as .get(pk=) does
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        article = _ARTICLE_WITH_ROLE.first(user=_user(self.context["request"]).pk, pk=pk)
        if article is None:
            self.fail("does_not_exist", pk_value=data)
        return article


class VisibleProjectField(serializers.SlugRelatedField):
    def get_queryset(self) -> Any:
        return Project.objects.visible_to(_user(self.context["request"])).only("id", "slug")


# --- projects and members -----------------------------------------------------------------------


class ProjectSerializer(ModelSerializer):
    my_role = serializers.ChoiceField(choices=Role.choices, read_only=True, help_text="Your role in the project.")

    class Meta:
        model = Project
        fields = ["id", "slug", "name", "description", "my_role", "created_at"]
        read_only_fields = fields


class MemberSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]
        read_only_fields = ["username", "created_at"]


class MemberCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="The person's username or e-mail address.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.REVIEWER)


class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Web address; made from the name if empty."
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class InvitationSerializer(ModelSerializer):
    state = serializers.CharField(read_only=True, help_text="open, accepted, revoked or expired.")
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "role", "note", "state", "created_by", "created_at", "expires_at", "accepted_at"]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.REVIEWER)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    days = serializers.IntegerField(required=False, min_value=1, max_value=90)


class InvitationCreatedSerializer(InvitationSerializer):
    url = serializers.CharField(read_only=True, help_text="The link to send; shown only in this response.")
    token = serializers.CharField(read_only=True, help_text="The token in the link; shown only in this response.")

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "url", "token"]
        read_only_fields = fields


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=100)


# --- articles, mentions, runs ----------------------------------------------------------------------


class ExtractionRunSerializer(ModelSerializer):
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = ExtractionRun
        fields = [
            "id",
            "article",
            "status",
            "model_name",
            "model_version",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "error",
            "attempts",
            "char_count",
            "mention_count",
        ]
        read_only_fields = fields


class ExtractionRunCreateSerializer(serializers.Serializer):
    article = VisibleArticleField(help_text="The article to run entity extraction on again.")


class EntityMentionSerializer(ModelSerializer):
    class Meta:
        model = EntityMention
        fields = ["id", "article", "run", "start", "end", "text", "label", "model"]
        read_only_fields = fields


class ArticleSerializer(ModelSerializer):
    project = VisibleProjectField(slug_field="slug", help_text="Project slug.")
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    claim_count: serializers.Field = serializers.IntegerField(read_only=True)
    text = serializers.CharField(write_only=True, trim_whitespace=False, help_text="Plain text; stored normalised.")
    url = HttpUrlField(max_length=_limit(Article, "url"), required=False, allow_blank=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "project",
            "title",
            "url",
            "publisher",
            "published_at",
            "language",
            "text",
            "text_sha256",
            "created_by",
            "created_at",
            "updated_at",
            "claim_count",
        ]
        read_only_fields = ["id", "text_sha256", "created_by", "created_at", "updated_at", "claim_count"]


# --- claims and sources ------------------------------------------------------------------------


class SourceSerializer(ModelSerializer):
    url = HttpUrlField(max_length=_limit(Source, "url"))
    archived_url = HttpUrlField(max_length=_limit(Source, "archived_url"), required=False, allow_blank=True)
    stance = serializers.ChoiceField(choices=Stance.choices, default=Stance.CONTEXT)
    added_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    correction_note = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Required when the claim is approved: what was corrected and why (shown openly).",
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "claim",
            "url",
            "title",
            "publisher",
            "excerpt",
            "stance",
            "archived_url",
            "accessed_at",
            "added_by",
            "created_at",
            "correction_note",
        ]
        read_only_fields = ["id", "claim", "added_by", "created_at"]


class ClaimSerializer(ModelSerializer):
    """A claim. ``start``/``end`` are code-point offsets into the article's stored text."""

    article = VisibleArticleField()
    start = serializers.IntegerField(min_value=0, max_value=2_000_000_000)
    end = serializers.IntegerField(min_value=1, max_value=2_000_000_000)
    quote = serializers.CharField(
        required=False,
        trim_whitespace=False,
        max_length=_limit(Claim, "quote"),
        help_text="Optional on write; must equal text[start:end] when given.",
    )
    status = serializers.ChoiceField(choices=ClaimStatus.choices, required=False)
    verdict = serializers.ChoiceField(choices=[*Verdict.choices], required=False, allow_blank=True)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2_000_000_000,
        help_text="On update: the version you read (or send If-Match); a stale one gets 409.",
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reviewed_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    correction_note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=_limit(Claim, "correction_note"),
        help_text="Required when changing an approved claim: what was corrected and why (shown openly).",
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "article",
            "start",
            "end",
            "quote",
            "prefix",
            "suffix",
            "claim_text",
            "claimant",
            "claimant_type",
            "status",
            "verdict",
            "rationale",
            "created_by",
            "reviewed_by",
            "version",
            "approved_at",
            "corrected_at",
            "correction_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "prefix",
            "suffix",
            "created_by",
            "reviewed_by",
            "approved_at",
            "corrected_at",
            "created_at",
            "updated_at",
        ]

    def validate_article(self, article: Article) -> Article:
        if self.instance is not None and article.pk != self.instance.article_id:
            raise serializers.ValidationError("A claim cannot move to another article.")
        return article


class BulkSourceSerializer(SourceSerializer):
    class Meta(SourceSerializer.Meta):
        fields = ["url", "title", "publisher", "excerpt", "stance", "archived_url", "accessed_at"]


class BulkClaimSerializer(ClaimSerializer):
    """One item of a bulk write (documentation only: claims.create_many checks the items)."""

    sources = BulkSourceSerializer(many=True, required=False)

    class Meta(ClaimSerializer.Meta):
        fields = ["start", "end", "quote", "claim_text", "claimant", "claimant_type", "verdict", "rationale"]
        fields += ["status", "sources"]


class BulkClaimsSerializer(serializers.Serializer):
    claims = BulkClaimSerializer(many=True)


class BulkClaimsCreatedSerializer(serializers.Serializer):
    article = serializers.IntegerField()
    count = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="In the order the claims were sent.")


class BulkItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True, help_text="The item's position in `claims`.")
    field = serializers.CharField(help_text="e.g. `end` or `sources[0].url`.")
    message = serializers.CharField()


class BulkErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    # Absent when the body itself is refused (not JSON, too deep): then `detail` says why.
    errors = BulkItemErrorSerializer(many=True, required=False)  # type: ignore[assignment]  # a field named like Serializer.errors


class StaleClaimSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = ClaimSerializer()


class ArticleDetailSerializer(ArticleSerializer):
    text = serializers.CharField(trim_whitespace=False)
    claims = ClaimSerializer(many=True, read_only=True)
    mentions = EntityMentionSerializer(many=True, read_only=True)
    latest_run = ExtractionRunSerializer(read_only=True, allow_null=True)
    claim_count = serializers.SerializerMethodField()

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "claims", "mentions", "latest_run"]

    def get_claim_count(self, article: Article) -> int:
        return len(article.claims.all())  # prefetched with the claims themselves


class CorrectionNoteSerializer(serializers.Serializer):
    correction_note = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Required when the claim is approved: what was corrected and why (shown openly).",
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class DuplicateArticleSerializer(serializers.Serializer):
    detail = serializers.CharField()
    text = serializers.ListField(child=serializers.CharField())
    existing = serializers.IntegerField(help_text="The id of the article already holding this text.")


class CaptureSerializer(ModelSerializer):
    """One capture of a source's page (read-only: captures are made by the server, never sent)."""

    requested_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    has_body = serializers.SerializerMethodField(help_text="Whether the raw body is stored (gzip, in media storage).")

    class Meta:
        model = Capture
        fields = [
            "id",
            "source",
            "url",
            "status",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "fetched_at",
            "final_url",
            "http_status",
            "content_type",
            "title",
            "text",
            "sha256",
            "body_bytes",
            "has_body",
            "excerpt",
            "excerpt_state",
            "excerpt_start",
            "excerpt_end",
        ]
        read_only_fields = fields

    def get_has_body(self, capture: Capture) -> bool:
        return bool(capture.body)


class CaptureListSerializer(CaptureSerializer):
    """A capture in a list: without its text (a page of 500 captures of long pages would be huge)."""

    class Meta(CaptureSerializer.Meta):
        fields = [name for name in CaptureSerializer.Meta.fields if name != "text"]
        read_only_fields = fields


# --- check-worthiness suggestions ------------------------------------------------------------------


class SuggestionSerializer(serializers.Serializer):
    """A sentence with its check-worthiness score; ``text`` is the article's text at the span."""

    id = serializers.IntegerField(read_only=True)
    start = serializers.IntegerField(read_only=True, help_text="Code-point offset, inclusive.")
    end = serializers.IntegerField(read_only=True, help_text="Code-point offset, exclusive.")
    text = serializers.SerializerMethodField()
    score = serializers.FloatField(read_only=True, help_text="0..1; higher is more worth checking.")
    model = serializers.CharField(source="model_version", read_only=True, help_text="The scorer that gave it.")
    decision = serializers.ChoiceField(
        choices=DecisionKind.choices, read_only=True, allow_null=True, help_text="accepted, dismissed or null."
    )

    def get_text(self, suggestion: Any) -> str:
        return self.context["text"][suggestion.start : suggestion.end]


class SuggestionListSerializer(serializers.Serializer):
    article = serializers.IntegerField()
    count = serializers.IntegerField()
    results = SuggestionSerializer(many=True)


class SuggestionAcceptSerializer(serializers.Serializer):
    """The new claim's fields; its span is the sentence's."""

    claim_text = serializers.CharField(required=False, allow_blank=True, max_length=_limit(Claim, "claim_text"))
    claimant = serializers.CharField(required=False, allow_blank=True, max_length=_limit(Claim, "claimant"))
    claimant_type = serializers.ChoiceField(choices=ClaimantType.choices, required=False)
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False, allow_blank=True)
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=_limit(Claim, "rationale"))
    status = serializers.ChoiceField(
        choices=[(ClaimStatus.UNSTARTED, "Unstarted"), (ClaimStatus.IN_PROGRESS, "In progress")], required=False
    )
