"""Forms of the reviewer's desk. They only parse input; the writes go through the owner modules
(claims.py, articles.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from .models import Claim, ClaimantType, ClaimStatus, Source, Stance, Verdict, max_length_of

LIST_PAGE_SIZE = 25


def _claim_limit(name: str) -> int:
    """The model's limit for a claim field: the desk refuses exactly what the database would."""
    return max_length_of(Claim, name)


class DeskForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels sit above their fields: no colon
        super().__init__(*args, **kwargs)


class SpanForm(DeskForm):
    """Code-point offsets chosen in the browser, with the quote the browser saw there."""

    start = forms.IntegerField(min_value=0, error_messages={"required": "start is required (a selection's offset)."})
    end = forms.IntegerField(min_value=1, error_messages={"required": "end is required (a selection's offset)."})
    quote = forms.CharField(
        strip=False,
        max_length=_claim_limit("quote"),
        error_messages={"required": "quote is required (the selected text)."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") is not None and data.get("end") is not None and data["end"] <= data["start"]:
            self.add_error("end", "end must be greater than start.")
        return data


class ClaimFieldsForm(DeskForm):
    claim_text = forms.CharField(
        label="Claim",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=_claim_limit("claim_text"),
        help_text="The claim as a checkable sentence; the quote when left empty.",
    )
    claimant = forms.CharField(max_length=_claim_limit("claimant"), required=False)
    verdict = forms.ChoiceField(choices=[("", "No verdict yet"), *Verdict.choices], required=False)
    status = forms.ChoiceField(choices=ClaimStatus.choices, initial=ClaimStatus.UNSTARTED)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=_claim_limit("rationale")
    )


class ClaimCreateForm(SpanForm, ClaimFieldsForm):
    """A new claim: the span plus its fields. Review and approval come later, through the workflow."""

    status = forms.ChoiceField(
        choices=[(s, ClaimStatus(s).label) for s in (ClaimStatus.UNSTARTED, ClaimStatus.IN_PROGRESS)],
        initial=ClaimStatus.UNSTARTED,
    )
    # Set when the claim accepts a suggested sentence: the claim then takes the sentence's span.
    suggestion = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class VersionedForm(DeskForm):
    # The claim version the form was rendered with: a write based on an older one is refused.
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class CorrectionForm(DeskForm):
    # Changing an approved (published) claim is an open correction and must say why.
    correction_note = forms.CharField(
        label="Correction note",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=_claim_limit("correction_note"),
        help_text="Needed when you change an approved claim: what changed and why.",
    )


class ClaimEditForm(ClaimFieldsForm, VersionedForm, CorrectionForm):
    # ClaimReview types the claimant as a schema.org Person or Organization.
    claimant_type = forms.ChoiceField(
        label="The claimant is", choices=ClaimantType.choices, initial=ClaimantType.PERSON, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A client that does not send the field leaves the claimant type as it is.
        if not data.get("claimant_type"):
            data.pop("claimant_type", None)
        return data


class ClaimReviewForm(VersionedForm):
    """The quick controls on a claim card: verdict and status."""

    verdict = forms.ChoiceField(choices=[("", "No verdict"), *Verdict.choices], required=False)
    status = forms.ChoiceField(choices=ClaimStatus.choices)
    correction_note = forms.CharField(required=False, max_length=_claim_limit("correction_note"))


class ClaimSpanForm(SpanForm, VersionedForm):
    pass


class SourceForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    # Typed without a scheme, a link is taken to be https.
    url = forms.URLField(label="URL", max_length=Source._meta.get_field("url").max_length, assume_scheme="https")
    archived_url = forms.URLField(
        label="Archived copy (URL)",
        max_length=Source._meta.get_field("archived_url").max_length,
        required=False,
        assume_scheme="https",
    )

    # No default: a source that "supports" by accident turns a check around. The reviewer picks.
    stance = forms.ChoiceField(
        label="Stance",
        choices=[("", "— choose —"), *Stance.choices],
        error_messages={"required": "Choose whether the source supports or refutes the claim, or gives context."},
    )

    correction_note = forms.CharField(
        label="Correction note",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=_claim_limit("correction_note"),
        help_text="Needed when the claim is approved: what changed and why.",
    )

    class Meta:
        model = Source
        fields = ["url", "title", "publisher", "excerpt", "stance", "archived_url"]
        widgets = {"excerpt": forms.Textarea(attrs={"rows": 3})}

    def write_args(self) -> dict[str, Any]:
        """What ``claims.add_source`` / ``claims.edit_source`` take: the fields and the correction note."""
        return {name: self.cleaned_data[name] for name in [*self.Meta.fields, "correction_note"]}


class ArticleFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(choices=[("", "Any status"), *ClaimStatus.choices], required=False)
    verdict = forms.ChoiceField(choices=[("", "Any verdict"), *Verdict.choices], required=False)
    unreviewed = forms.BooleanField(required=False, label="Has unreviewed claims")

    def claim_filter(self) -> Q | None:
        """The condition an article's claims must meet, or None when no claim filter is set."""
        data = self.cleaned_data
        condition = Q()
        if data.get("status"):
            condition &= Q(status=data["status"])
        if data.get("verdict"):
            condition &= Q(verdict=data["verdict"])
        return condition if condition else None


class CaptureQuoteForm(SpanForm):
    """A passage selected in a capture's text, to become its source's excerpt."""

    correction_note = forms.CharField(
        label="Correction note",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=_claim_limit("correction_note"),
        help_text="Needed when the claim is approved: what changed and why.",
    )
