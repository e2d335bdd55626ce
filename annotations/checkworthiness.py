"""Check-worthiness: which sentences of a text are worth checking. Pure: no Django, no database.

Three parts, each usable alone (the worker, the bench and the unit tests call them directly):

- ``sentences(doc, offset)``: the sentences of a spaCy doc with code-point offsets and a few
  features that need no training data (numbers, percentages, money, dates, people and
  organisations from the entity recogniser, comparatives and superlatives from the POS tags,
  attribution and causal words; hedges, questions and very short sentences count against).
- ``feature_score``: a fixed, hand-set weighting of those features, the start before any
  decision was made.
- ``train`` / ``Model``: logistic regression (scikit-learn) over the same features plus hashed
  word n-grams, learned from a team's decisions. A model is stored as plain JSON numbers (its
  coefficients), never as a pickle: loading one runs no code.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

# Bump when the features or the n-gram hashing change: a stored model of another version no
# longer fits and is ignored (the feature scorer takes over until the next training).
FEATURE_VERSION = "cw1"
FEATURE_MODEL = f"features-{FEATURE_VERSION}"

FEATURES = (
    "number",
    "percent",
    "money",
    "quantity",
    "date",
    "person",
    "organisation",
    "place",
    "comparative",
    "superlative",
    "attribution",
    "causal",
    "hedge",
    "question",
    "first_person",
    "short",
    "length",
)

# The start, set by hand from what fact-checkers look for (ClaimBuster's and the CheckThat!
# papers' findings): figures, comparisons and named actors raise a sentence; opinions, questions
# and fragments lower it. Not fitted to any data set, so the bench's figure for it is honest.
WEIGHTS: dict[str, float] = {
    "number": 1.2,
    "percent": 1.0,
    "money": 0.8,
    "quantity": 0.5,
    "date": 0.4,
    "person": 0.3,
    "organisation": 0.5,
    "place": 0.4,
    "comparative": 0.6,
    "superlative": 0.7,
    "attribution": 0.4,
    "causal": 0.5,
    "hedge": -0.8,
    "question": -1.5,
    "first_person": -0.3,
    "short": -1.5,
    "length": 0.8,
}
BIAS = -2.0

_ATTRIBUTION = frozenset(
    [
        "said",
        "says",
        "say",
        "saying",
        "according",
        "claimed",
        "claims",
        "claim",
        "stated",
        "states",
        "reported",
        "reports",
        "told",
        "announced",
        "announces",
        "insisted",
        "admitted",
        "denied",
        "denies",
        "argued",
        "confirmed",
        "revealed",
        "showed",
        "shows",
    ]
)
_CAUSAL = frozenset(
    [
        "because",
        "caused",
        "causes",
        "causing",
        "due",
        "led",
        "leads",
        "result",
        "resulted",
        "therefore",
        "thanks",
        "since",
    ]
)
_HEDGE = frozenset(
    [
        "maybe",
        "perhaps",
        "might",
        "possibly",
        "probably",
        "think",
        "believe",
        "guess",
        "seems",
        "seem",
        "hope",
        "feel",
        "wish",
        "would",
    ]
)
_FIRST_PERSON = frozenset(["i", "me", "my", "we", "our", "us"])
_COMPARATIVE_TAGS = frozenset({"JJR", "RBR"})
_SUPERLATIVE_TAGS = frozenset({"JJS", "RBS"})
# Without a tagger (a pipeline that lacks one), the words that most often carry a comparison.
_COMPARATIVE_WORDS = frozenset(
    ["more", "less", "fewer", "higher", "lower", "bigger", "smaller", "larger", "better", "worse", "greater"]
)
_SUPERLATIVE_WORDS = frozenset(
    ["most", "least", "highest", "lowest", "biggest", "smallest", "largest", "best", "worst", "greatest"]
)
_NUMBER_LABELS = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"})
_ORG_LABELS = frozenset({"ORG", "NORP"})
_PLACE_LABELS = frozenset({"GPE", "LOC"})
SHORT_TOKENS = 5
LONG_TOKENS = 40


@dataclass(frozen=True)
class Sentence:
    """A sentence: code-point offsets into the whole text and its feature values (0..1)."""

    start: int
    end: int
    features: dict[str, float]


def _features(tokens: Sequence[Token], tagged: bool) -> dict[str, float]:
    values = dict.fromkeys(FEATURES, 0.0)
    words = 0
    for token in tokens:
        if token.is_punct:
            continue
        words += 1
        lower = token.lower_
        label = token.ent_type_
        if label:
            if label in _NUMBER_LABELS:
                values["number"] = 1.0
            if label == "PERCENT":
                values["percent"] = 1.0
            elif label == "MONEY":
                values["money"] = 1.0
            elif label == "QUANTITY":
                values["quantity"] = 1.0
            elif label in ("DATE", "TIME"):
                values["date"] = 1.0
            elif label == "PERSON":
                values["person"] = 1.0
            elif label in _ORG_LABELS:
                values["organisation"] = 1.0
            elif label in _PLACE_LABELS:
                values["place"] = 1.0
        if token.like_num:
            values["number"] = 1.0
        if lower in ("%", "percent"):
            values["percent"] = 1.0
        if tagged:
            tag = token.tag_
            if tag in _COMPARATIVE_TAGS:
                values["comparative"] = 1.0
            elif tag in _SUPERLATIVE_TAGS:
                values["superlative"] = 1.0
        elif lower in _COMPARATIVE_WORDS:
            values["comparative"] = 1.0
        elif lower in _SUPERLATIVE_WORDS:
            values["superlative"] = 1.0
        if lower in _ATTRIBUTION:
            values["attribution"] = 1.0
        elif lower in _CAUSAL:
            values["causal"] = 1.0
        elif lower in _HEDGE:
            values["hedge"] = 1.0
        elif lower in _FIRST_PERSON:
            values["first_person"] = 1.0
    last = tokens[-1].text if tokens else ""
    values["question"] = 1.0 if last.endswith("?") else 0.0
    values["short"] = 1.0 if words < SHORT_TOKENS else 0.0
    values["length"] = min(words, LONG_TOKENS) / LONG_TOKENS
    return values


def sentences(doc: Doc, offset: int = 0) -> Iterator[Sentence]:
    """The sentences of ``doc`` (its text starting at ``offset`` in the whole text), in order.

    A line break always ends a sentence: paragraphs, headings and transcript lines stand alone
    even where the sentence splitter would join them. Needs sentence boundaries on the doc (the
    ``sentencizer`` that ``ner.load(..., sentences=True)`` adds).
    """
    tagged = doc.has_annotation("TAG")
    for sent in doc.sents:
        group: list[Token] = []
        for token in sent:
            if token.is_space:
                if "\n" in token.text and group:
                    yield _sentence(group, offset, tagged)
                    group = []
                continue
            group.append(token)
            # A token may carry a trailing newline inside its whitespace (spaCy attaches one
            # space to the token): that ends the line too.
            if "\n" in token.whitespace_:
                yield _sentence(group, offset, tagged)
                group = []
        if group:
            yield _sentence(group, offset, tagged)


def _sentence(tokens: list[Token], offset: int, tagged: bool) -> Sentence:
    start = tokens[0].idx
    end = tokens[-1].idx + len(tokens[-1].text)
    return Sentence(offset + start, offset + end, _features(tokens, tagged))


def _sigmoid(value: float) -> float:
    if value < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-value))


def feature_score(features: dict[str, float]) -> float:
    """The start: a fixed weighting of the features, 0..1 (no training data needed)."""
    return _sigmoid(BIAS + sum(WEIGHTS[name] * features.get(name, 0.0) for name in FEATURES))


# --- learning from decisions ----------------------------------------------------------------------

N_FEATURES = 2**18
NGRAM_RANGE = (1, 2)
# Only the largest coefficients are kept: a stored model stays small (a few hundred kB of JSON)
# and the n-grams seen once or twice carry little.
KEEP_HASHED = 20_000
_DIGITS = re.compile(r"\d")


def _preprocess(text: str) -> str:
    # Every figure looks alike to the n-grams ("0.0 percent"): the features carry the figures.
    return _DIGITS.sub("0", text.lower())


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    # Stateless: the same hashing at training and at scoring, with nothing to store.
    return HashingVectorizer(
        n_features=N_FEATURES, ngram_range=NGRAM_RANGE, alternate_sign=False, preprocessor=_preprocess
    )


def _dense(rows: Sequence[dict[str, float]]) -> Any:
    import numpy as np

    return np.array([[row.get(name, 0.0) for name in FEATURES] for row in rows], dtype=float)


@dataclass(frozen=True)
class Example:
    text: str
    features: dict[str, float]
    label: bool


class NotEnoughDecisions(ValueError):
    """Training needs both kinds of example; the message says how many of each there are."""


@dataclass(frozen=True)
class Model:
    """A learned model as plain numbers: intercept, one weight per feature, hashed n-gram weights."""

    intercept: float
    dense: dict[str, float]
    hashed: dict[int, float]
    feature_version: str = FEATURE_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "feature_version": self.feature_version,
            "intercept": self.intercept,
            "dense": self.dense,
            "hashed": [[index, weight] for index, weight in sorted(self.hashed.items())],
            "n_features": N_FEATURES,
            "ngram_range": list(NGRAM_RANGE),
        }

    @classmethod
    def from_json(cls, data: Any) -> Model | None:
        """The model stored as ``to_json`` made it, or None when it does not fit this code."""
        if not isinstance(data, dict) or data.get("feature_version") != FEATURE_VERSION:
            return None
        if data.get("n_features") != N_FEATURES or list(data.get("ngram_range", [])) != list(NGRAM_RANGE):
            return None
        try:
            return cls(
                intercept=float(data["intercept"]),
                dense={name: float(data["dense"].get(name, 0.0)) for name in FEATURES},
                hashed={int(index): float(weight) for index, weight in data["hashed"]},
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def scores(self, texts: Sequence[str], features: Sequence[dict[str, float]]) -> list[float]:
        import numpy as np

        if not texts:
            return []
        hashed = np.zeros(N_FEATURES)
        for index, weight in self.hashed.items():
            hashed[index] = weight
        dense = np.array([self.dense[name] for name in FEATURES])
        logits = _vectorizer().transform(texts) @ hashed + _dense(features) @ dense + self.intercept
        return [float(v) for v in 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))]


@dataclass(frozen=True)
class Trained:
    model: Model
    size: int
    positives: int
    seconds: float


MIN_EACH = 5


def train(examples: Sequence[Example], *, c: float = 1.0) -> Trained:
    """Fit logistic regression on the examples (scikit-learn's solver; classes balanced)."""
    import numpy as np
    import scipy.sparse
    from sklearn.linear_model import LogisticRegression

    positives = sum(1 for e in examples if e.label)
    negatives = len(examples) - positives
    if positives < MIN_EACH or negatives < MIN_EACH:
        raise NotEnoughDecisions(
            f"Training needs at least {MIN_EACH} sentences marked as claims and {MIN_EACH} left out; "
            f"there are {positives} and {negatives}."
        )
    began = time.perf_counter()
    matrix = scipy.sparse.hstack(
        [
            _vectorizer().transform([e.text for e in examples]),
            scipy.sparse.csr_matrix(_dense([e.features for e in examples])),
        ]
    ).tocsr()
    labels = np.array([1 if e.label else 0 for e in examples])
    learner = LogisticRegression(C=c, class_weight="balanced", max_iter=1000, solver="liblinear")
    learner.fit(matrix, labels)
    weights = learner.coef_[0]
    hashed_weights = weights[:N_FEATURES]
    nonzero = np.flatnonzero(hashed_weights)
    if len(nonzero) > KEEP_HASHED:
        nonzero = nonzero[np.argsort(-np.abs(hashed_weights[nonzero]))[:KEEP_HASHED]]
    model = Model(
        intercept=float(learner.intercept_[0]),
        dense={name: float(weights[N_FEATURES + i]) for i, name in enumerate(FEATURES)},
        hashed={int(i): float(hashed_weights[i]) for i in nonzero},
    )
    return Trained(model=model, size=len(examples), positives=positives, seconds=time.perf_counter() - began)
