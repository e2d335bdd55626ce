from __future__ import annotations

from copy import copy
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from simple_history.admin import SimpleHistoryAdmin

from . import members, models


class MembershipInline(admin.TabularInline):
    """Members shown on the project; changed on the Membership admin, which goes through members.py."""

    model = models.Membership
    extra = 0
    fields = ["user", "role"]
    readonly_fields = ["user", "role"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(models.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role"]
    list_filter = ["role", "project"]
    autocomplete_fields = ["user", "project"]

    # The admin writes memberships through members.py, so the last-admin rule holds here too.
    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # The last admin of a project is never removed (members.check_role_change says why).
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_last_admin())

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)

        class MembershipForm(form):  # type: ignore[misc, valid-type]  # a base class the admin builds at runtime
            def clean(self) -> dict[str, Any]:
                data = super().clean()
                if self.instance.pk is not None:
                    members.check_role_change(self.instance_before, data.get("role"))
                return data

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                # The row as stored: the form writes the new role onto the instance while cleaning.
                self.instance_before = copy(self.instance)

        return MembershipForm

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return ["project", "user"] if obj is not None else []

    def save_model(self, request: Any, obj: models.Membership, form: Any, change: bool) -> None:
        saved = members.set_member(project=obj.project, username=obj.user.get_username(), role=obj.role, by=None)
        obj.pk = saved.pk

    def delete_model(self, request: Any, obj: models.Membership) -> None:
        members.remove_member(project=obj.project, username=obj.user.get_username(), by=None)

    def delete_queryset(self, request: Any, queryset: QuerySet[models.Membership]) -> None:
        for membership in queryset.select_related("project", "user"):
            try:
                self.delete_model(request, membership)
            except ValidationError as refused:
                self.message_user(request, f"{membership}: {' '.join(refused.messages)}", level=messages.ERROR)


@admin.register(models.Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "publisher", "published_at", "created_at"]
    list_filter = ["project", "language"]
    search_fields = ["title", "publisher", "url"]
    readonly_fields = ["text_sha256", "created_at", "updated_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A window onto rows that only their owner module writes (every review rule lives there).

    The admin site is a door too: editing a claim or source here would skip the four-eyes rule,
    the correction notes and the URL checks, so it shows these rows and changes none.
    """

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class SourceInline(admin.StackedInline):
    model = models.Source
    extra = 0

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(models.Claim)
class ClaimAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["quote", "article", "status", "verdict", "claimant", "created_by"]
    list_filter = ["status", "verdict", "article__project"]
    search_fields = ["quote", "claim_text", "claimant"]
    readonly_fields = ["prefix", "suffix", "version", "created_at", "updated_at"]
    raw_id_fields = ["article"]
    inlines = [SourceInline]


@admin.register(models.Source)
class SourceAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["url", "title", "stance", "claim"]
    list_filter = ["stance"]
    raw_id_fields = ["claim"]


@admin.register(models.EntityMention)
class EntityMentionAdmin(admin.ModelAdmin):
    list_display = ["text", "label", "start", "end", "article", "model"]
    list_filter = ["label", "model"]
    raw_id_fields = ["article", "run"]


@admin.register(models.ExtractionRun)
class ExtractionRunAdmin(admin.ModelAdmin):
    list_display = ["article", "status", "model_name", "model_version", "mention_count", "created_at", "finished_at"]
    list_filter = ["status", "model_name"]
    raw_id_fields = ["article"]


@admin.register(models.ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["project", "format", "status", "progress", "row_count", "created_at"]
    list_filter = ["status", "format"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_prefix", "key_hash"]


@admin.register(models.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are made on the project's members page, where the link is shown once."""

    list_display = ["project", "role", "note", "created_by", "created_at", "expires_at", "accepted_by", "revoked_at"]
    list_filter = ["role", "project"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(models.ClaimComment)
class ClaimCommentAdmin(admin.ModelAdmin):
    list_display = ["claim", "author", "created_at"]
    raw_id_fields = ["claim"]


@admin.register(models.BlindVerdict)
class BlindVerdictAdmin(admin.ModelAdmin):
    list_display = ["claim", "reviewer", "verdict", "created_at"]
    raw_id_fields = ["claim"]


@admin.register(models.AgreementReport)
class AgreementReportAdmin(admin.ModelAdmin):
    list_display = ["project", "status", "created_at", "finished_at"]
    list_filter = ["status"]


@admin.register(models.ArticleRevision)
class ArticleRevisionAdmin(admin.ModelAdmin):
    list_display = ["article", "created_by", "created_at"]
    raw_id_fields = ["article"]
    readonly_fields = ["text_sha256"]


@admin.register(models.ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["project", "status", "progress", "created_count", "duplicate_count", "created_at"]
    list_filter = ["status"]


@admin.register(models.Capture)
class CaptureAdmin(ReadOnlyAdmin):
    """Captures are evidence: only annotations/captures.py writes them, and nobody edits one."""

    list_display = ["id", "url", "status", "fetched_at", "http_status", "sha256", "excerpt_state"]
    list_filter = ["status", "excerpt_state"]
    search_fields = ["url", "final_url", "sha256"]
    raw_id_fields = ["source", "requested_by"]


# What was checked before: shown, never written here (factchecks.py and claims.py own them).
@admin.register(models.FactCheck)
class FactCheckAdmin(ReadOnlyAdmin):
    list_display = ["claim_reviewed", "rating_label", "publisher_name", "published_at", "project"]
    list_filter = ["project", "verdict"]
    search_fields = ["claim_reviewed", "publisher_name", "url"]


@admin.register(models.ClaimLink)
class ClaimLinkAdmin(ReadOnlyAdmin):
    list_display = ["claim", "earlier_claim", "fact_check", "created_by", "created_at"]


# --- check-worthiness suggestions: written only by annotations/suggestions.py, shown here ----------


@admin.register(models.Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ["article", "start", "end", "score", "model_version"]
    list_filter = ["model_version"]
    raw_id_fields = ["article"]


@admin.register(models.SuggestionDecision)
class SuggestionDecisionAdmin(ReadOnlyAdmin):
    list_display = ["article", "start", "end", "kind", "decided_by", "decided_at"]
    list_filter = ["kind"]


@admin.register(models.CheckworthinessRun)
class CheckworthinessRunAdmin(ReadOnlyAdmin):
    list_display = ["project", "status", "model_version", "training_size", "positives", "train_seconds", "created_at"]
    list_filter = ["status"]
    exclude = ["coefficients"]  # tens of thousands of numbers: no use on a page
