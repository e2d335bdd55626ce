"""Query-string filters and pagination for the list endpoints."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField, RangeField
from django_filters.widgets import DateRangeWidget
from rest_framework.pagination import CursorPagination

from .. import search
from ..models import Article, Capture, Claim, ClaimStatus, EntityMention, ExtractionRun, RunStatus, Verdict


class ApiCursorPagination(CursorPagination):
    """Cursor pages: stable under concurrent inserts and as cheap on page 1,000 as on page 1."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"


class FilterSet(filters.FilterSet):
    """A FilterSet that copies its filters shallowly and builds its form class once per class.

    django-filter deep-copies every declared filter and creates a new form class for each
    request: a fifth of a claim list's time (16 deep copies of filters holding choices and
    querysets). The filters hold only their declaration; each request's copy gets its own
    ``parent`` and ``model`` (all ``__init__`` sets), and the form's fields are deep-copied by
    every form instance anyway. None of ours depends on the request when built.
    """

    def __init__(
        self, data: Any = None, queryset: Any = None, *, request: Any = None, prefix: str | None = None
    ) -> None:
        # What filters.FilterSet.__init__ does, with copy.copy for its deepcopy.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        model = queryset.model
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # a FilterMethod bound to this copy, not the declared filter

    def get_form_class(self) -> type[forms.Form]:
        form_class = _FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = _FORM_CLASSES.setdefault(type(self), super().get_form_class())
        return form_class


_FORM_CLASSES: dict[type[FilterSet], type[forms.Form]] = {}


class IdFilter(filters.NumberFilter):
    """A row id: a whole number in the database's range (anything else is a 400, not a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**53)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC: PostgreSQL refuses offsets beyond ±15:59, which
    Python accepts, and a conversion past year 9999 must be a 400, not a 500."""

    def to_python(self, value: object) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None or timezone.is_naive(parsed):
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date and time between the years 1 and 9999.", code="invalid") from None


class UtcIsoDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class DateTimeRangeFilter(filters.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before`` in ISO 8601."""

    field_class = UtcIsoDateTimeRangeField


class ArticleFilter(FilterSet):
    project = filters.CharFilter(field_name="project__slug", help_text="Project slug.")
    has_claims = filters.BooleanFilter(method="filter_has_claims", help_text="Only articles with (or without) claims.")
    created_at = DateTimeRangeFilter(help_text="created_at_after / created_at_before (ISO 8601).")
    published_at = DateTimeRangeFilter(help_text="published_at_after / published_at_before (ISO 8601).")
    publisher = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Article
        fields = ["project", "has_claims", "created_at", "published_at", "publisher", "language"]

    def filter_has_claims(self, queryset: QuerySet[Article], name: str, value: bool | None) -> QuerySet[Article]:
        if value is None:
            return queryset
        has = Exists(Claim.objects.filter(article=OuterRef("pk")))
        return queryset.filter(has if value else ~has)


class ClaimFilter(FilterSet):
    project = filters.CharFilter(field_name="article__project__slug", help_text="Project slug.")
    article = IdFilter(field_name="article_id")
    status = filters.MultipleChoiceFilter(choices=ClaimStatus.choices, help_text="Repeat for several.")
    verdict = filters.MultipleChoiceFilter(choices=Verdict.choices, help_text="Repeat for several.")
    claimant = filters.CharFilter(lookup_expr="icontains")
    created_by = filters.CharFilter(field_name="created_by__username", help_text="Username of the author.")
    created_at = DateTimeRangeFilter(help_text="created_at_after / created_at_before (ISO 8601).")
    updated_at = DateTimeRangeFilter(help_text="updated_at_after / updated_at_before (ISO 8601).")
    approved_at = DateTimeRangeFilter(help_text="approved_at_after / approved_at_before (ISO 8601).")
    # Search (annotations/search.py): words of the claim, and an entity mentioned inside its span.
    q = filters.CharFilter(method="filter_words", max_length=1000, help_text="Words the claim contains (all of them).")
    entity = filters.CharFilter(
        method="filter_entity", max_length=300, help_text="An entity mentioned in the claim (its text, any case)."
    )
    entity_label = filters.CharFilter(
        method="filter_entity", max_length=32, help_text="With entity: only mentions with this label (e.g. GPE)."
    )

    class Meta:
        model = Claim
        fields = ["project", "article", "status", "verdict", "claimant", "created_by", "created_at", "updated_at"]

    def filter_words(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return search.with_words(queryset, value) if value.strip() else queryset

    def filter_entity(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        # Both parameters arrive here; the filter runs once, when ``entity`` is seen.
        entity = (self.form.cleaned_data.get("entity") or "").strip()
        if name != "entity" or not entity:
            return queryset
        return search.mentioning(queryset, entity, (self.form.cleaned_data.get("entity_label") or "").strip())


class MentionFilter(FilterSet):
    article = IdFilter(field_name="article_id")
    run = IdFilter(field_name="run_id")
    label = filters.CharFilter()

    class Meta:
        model = EntityMention
        fields = ["article", "run", "label"]


class ExtractionRunFilter(FilterSet):
    article = IdFilter(field_name="article_id")
    status = filters.MultipleChoiceFilter(choices=RunStatus.choices)
    created_at = DateTimeRangeFilter()

    class Meta:
        model = ExtractionRun
        fields = ["article", "status", "created_at"]


class CaptureFilter(FilterSet):
    source = IdFilter(field_name="source_id")
    claim = IdFilter(field_name="source__claim_id")
    status = filters.MultipleChoiceFilter(choices=RunStatus.choices)
    created_at = DateTimeRangeFilter()

    class Meta:
        model = Capture
        fields = ["source", "claim", "status", "created_at"]
