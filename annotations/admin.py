from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ["user"]


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


@admin.register(models.Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "publisher", "published_at", "created_at"]
    list_filter = ["project", "language"]
    search_fields = ["title", "publisher", "url"]
    readonly_fields = ["text_sha256", "created_at", "updated_at"]


class SourceInline(admin.StackedInline):
    model = models.Source
    extra = 0


@admin.register(models.Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    list_display = ["quote", "article", "status", "verdict", "claimant", "created_by"]
    list_filter = ["status", "verdict", "article__project"]
    search_fields = ["quote", "claim_text", "claimant"]
    readonly_fields = ["prefix", "suffix", "version", "created_at", "updated_at"]
    raw_id_fields = ["article"]
    inlines = [SourceInline]


@admin.register(models.Source)
class SourceAdmin(SimpleHistoryAdmin):
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
