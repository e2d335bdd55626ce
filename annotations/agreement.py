"""Inter-annotator agreement: pure functions over plain values, no Django.

Verdict agreement uses Cohen's kappa for two reviewers and Krippendorff's alpha (nominal, from the
`krippendorff` package) for any number with missing ratings. Span agreement compares the claim
spans two reviewers marked in the same article, exactly and by overlap.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import krippendorff
import numpy as np


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float:
    """Cohen's kappa for two raters who labelled the same items, in the same order.

    When both raters used one and the same category throughout, chance agreement is 1 and kappa
    is undefined; we return 1.0 for that (they agree perfectly) rather than dividing by zero.
    """
    if len(first) != len(second):
        raise ValueError("both raters must label the same items")
    if not first:
        return math.nan
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    if expected == 1:
        return 1.0
    return (observed - expected) / (1 - expected)


def krippendorff_alpha_nominal(ratings: Mapping[Any, Mapping[Any, Hashable]]) -> float:
    """Krippendorff's alpha (nominal) from ``{unit: {rater: label}}``; raters may skip units."""
    raters = sorted({rater for by_rater in ratings.values() for rater in by_rater}, key=str)
    labels = sorted({label for by_rater in ratings.values() for label in by_rater.values()}, key=str)
    if len(labels) < 2:
        # One category used by everyone: no disagreement is possible, alpha is undefined.
        return 1.0 if labels else math.nan
    code = {label: index for index, label in enumerate(labels)}
    units = list(ratings)
    data = np.full((len(raters), len(units)), np.nan)
    for column, unit in enumerate(units):
        for row, rater in enumerate(raters):
            if rater in ratings[unit]:
                data[row, column] = code[ratings[unit][rater]]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


@dataclass(frozen=True)
class SpanAgreement:
    exact_f1: float
    overlap_f1: float


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def span_agreement(first: Sequence[tuple[int, int]], second: Sequence[tuple[int, int]]) -> SpanAgreement:
    """F1 of one reviewer's spans against another's: exact (same start and end) and overlap.

    Overlap counts a span as matched when it shares at least one character with any span of the
    other reviewer; it is symmetric, so precision uses the first set and recall the second.
    """
    if not first and not second:
        return SpanAgreement(1.0, 1.0)
    if not first or not second:
        return SpanAgreement(0.0, 0.0)
    exact = len(set(first) & set(second))
    exact_f1 = _f1(exact / len(set(first)), exact / len(set(second)))

    def overlaps(span: tuple[int, int], others: Sequence[tuple[int, int]]) -> bool:
        return any(span[0] < other[1] and other[0] < span[1] for other in others)

    precision = sum(overlaps(span, second) for span in first) / len(first)
    recall = sum(overlaps(span, first) for span in second) / len(second)
    return SpanAgreement(exact_f1, _f1(precision, recall))
