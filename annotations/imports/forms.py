"""The forms of the "Add articles" page: paste, upload, URL. Each turns into ImportInputs + Metadata."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from ..models import Article, max_length_of
from .base import ImportProblem, Metadata, human_bytes, parse_when
from .pipeline import ImportInput
from .registry import FILE_FORMATS, PARSERS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            raise forms.ValidationError("Choose at least one file.", code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def _limit(name: str) -> int:
    """The Article model's limit for a metadata field."""
    return max_length_of(Article, name)


class _MetadataFields(forms.Form):
    """Metadata typed beside the input; blank fields leave the input's own values."""

    title = forms.CharField(required=False, max_length=_limit("title"))
    url = forms.URLField(required=False, max_length=_limit("url"), assume_scheme="https", label="URL")
    publisher = forms.CharField(required=False, max_length=_limit("publisher"))
    published_at = forms.CharField(
        required=False, max_length=40, label="Published", help_text="An ISO date, e.g. 2022-05-26."
    )
    language = forms.CharField(required=False, max_length=_limit("language"), help_text="e.g. en, fr; default en.")

    # problem.field (from the parsers) -> the form field it belongs to
    problem_fields: dict[str, str] = {}

    def clean_published_at(self) -> str:
        value = self.cleaned_data.get("published_at", "").strip()
        try:
            parse_when(value, source="", line=None, field_name="published_at")
        except ImportProblem as problem:
            raise forms.ValidationError(problem.message) from None
        return value

    def inputs(self) -> list[ImportInput]:
        """What to import (each kind of form says)."""
        raise NotImplementedError

    def metadata(self) -> Metadata:
        data = self.cleaned_data
        return Metadata(**{name: data.get(name) or "" for name in Metadata.__dataclass_fields__})

    def add_problems(self, problems: list[ImportProblem]) -> None:
        for problem in problems:
            field = self.problem_fields.get(problem.field or "", problem.field)
            self.add_error(field if field in self.fields else None, str(problem))


class PasteForm(_MetadataFields):
    source = "paste"
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), strip=False)
    problem_fields = {"file": "text"}
    field_order = ["title", "text", "url", "publisher", "published_at", "language"]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("The text is empty.")
        return text

    def inputs(self) -> list[ImportInput]:
        return [ImportInput.paste(self.cleaned_data["text"])]


class UploadForm(_MetadataFields):
    source = "upload"
    files = MultipleFileField(  # type: ignore[assignment]  # Django's form metaclass moves fields to base_fields
        help_text=f"Up to {human_bytes(settings.IMPORT_MAX_FILE_BYTES)} each."
    )
    format = forms.ChoiceField(
        required=False,
        choices=[("", "By file extension"), *[(name, PARSERS[name].label) for name in FILE_FORMATS]],
    )
    problem_fields = {"file": "files", "text": "files", "format": "format"}
    field_order = ["files", "format", "publisher", "published_at", "language", "title", "url"]

    def clean_files(self) -> list[Any]:
        files = self.cleaned_data["files"]
        limit = settings.IMPORT_MAX_FILE_BYTES
        for upload in files:
            if upload.size > limit:
                # Refused before reading: an oversized upload is never held in memory.
                raise forms.ValidationError(
                    f"{upload.name}: the file is {human_bytes(upload.size)}; the limit is {human_bytes(limit)} "
                    "(IMPORT_MAX_FILE_BYTES)."
                )
        return files

    def inputs(self) -> list[ImportInput]:
        fmt = self.cleaned_data.get("format") or None
        return [ImportInput.file(upload.name, upload.read(), fmt) for upload in self.cleaned_data["files"]]


class UrlForm(_MetadataFields):
    source = "url"
    urls = forms.CharField(
        label="URLs", widget=forms.Textarea(attrs={"rows": 4}), help_text="One http(s) address per line."
    )
    problem_fields = {"url": "urls", "file": "urls", "text": "urls"}
    field_order = ["urls", "title", "publisher", "published_at", "language"]

    def clean_urls(self) -> list[str]:
        urls = [line.strip() for line in self.cleaned_data["urls"].splitlines() if line.strip()]
        if not urls:
            raise forms.ValidationError("Give at least one URL.")
        limit = _limit("url")
        for number, url in enumerate(urls, start=1):
            if len(url) > limit:
                raise forms.ValidationError(f"URL {number} has {len(url)} characters; the limit is {limit}.")
        return urls

    def inputs(self) -> list[ImportInput]:
        return [ImportInput.from_url(url) for url in self.cleaned_data["urls"]]

    def metadata(self) -> Metadata:
        # One page's URL field makes no sense for many pages: each keeps its own address.
        meta = super().metadata()
        return Metadata(**{**meta.__dict__, "url": ""})


IMPORT_FORMS: dict[str, type[_MetadataFields]] = {form.source: form for form in (PasteForm, UploadForm, UrlForm)}
