"""Agreement statistics against hand-computed and textbook values."""

from __future__ import annotations

import math

import pytest

from annotations.agreement import cohen_kappa, krippendorff_alpha_nominal, span_agreement


def test_kappa_is_one_for_perfect_agreement():
    labels = ["true", "false", "mixed", "false"]
    assert cohen_kappa(labels, labels) == 1.0


def test_kappa_is_zero_at_chance_level():
    # Each rater says yes half the time and they agree on half the items: exactly chance.
    assert cohen_kappa(["y", "y", "n", "n"], ["y", "n", "y", "n"]) == 0.0


def test_kappa_textbook_example():
    # 50 proposals: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 -> po 0.7, pe 0.5, kappa 0.4.
    first = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_kappa_below_zero_for_systematic_disagreement():
    assert cohen_kappa(["a", "b", "a", "b"], ["b", "a", "b", "a"]) == pytest.approx(-1.0)


def test_kappa_needs_the_same_items():
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])
    assert math.isnan(cohen_kappa([], []))


def test_alpha_textbook_example_with_missing_ratings():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example: 0.743.
    rows = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    ratings = {
        unit: {rater: values[unit] for rater, values in rows.items() if values[unit] is not None} for unit in range(12)
    }
    assert krippendorff_alpha_nominal(ratings) == pytest.approx(0.743, abs=0.001)


def test_alpha_is_one_for_perfect_agreement_and_accepts_verdict_labels():
    ratings = {unit: {"ann": verdict, "bob": verdict} for unit, verdict in enumerate(["true", "false", "mixed"])}
    assert krippendorff_alpha_nominal(ratings) == pytest.approx(1.0)


def test_span_agreement_exact_and_overlap():
    first = [(0, 10), (20, 30), (40, 50)]
    second = [(0, 10), (22, 30), (60, 70)]
    result = span_agreement(first, second)
    assert result.exact_f1 == pytest.approx(1 / 3)
    assert result.overlap_f1 == pytest.approx(2 / 3)


def test_span_agreement_edge_cases():
    assert span_agreement([], []).exact_f1 == 1.0
    assert span_agreement([(0, 5)], []).overlap_f1 == 0.0
    # Touching spans share no character: no overlap (end is exclusive).
    assert span_agreement([(0, 5)], [(5, 9)]).overlap_f1 == 0.0
