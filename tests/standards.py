"""The standards' own artefacts, read from ../shared/thirdparty (never copied into this repository).

- W3C Web Annotation: the test suite's JSON Schemas; a ``*Musts.test`` file lists the MUST
  assertions, each a draft-04 schema that refers to the shared ``definitions/*.json``.
- JSON-LD: contexts served from the local copies (anno.jsonld, the schema.org context), so
  expansion never touches the network.
- schema.org: the vocabulary extract (classes with superclasses, properties with domain and range)
  to check that every term of an expanded document is real and used where it belongs.

Tests that need an artefact skip, naming it, when the folder is absent (it is present in CI).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
THIRDPARTY = Path(os.environ.get("WORKBENCH_THIRDPARTY", ROOT.parent / "shared" / "thirdparty"))
W3C_TESTS = THIRDPARTY / "w3c-web-annotation-tests"
ANNO_CONTEXT_FILE = THIRDPARTY / "w3c-web-annotation" / "anno.jsonld"
SCHEMAORG_CONTEXT_FILE = THIRDPARTY / "schemaorg" / "schemaorgcontext-30.0.jsonld"
SCHEMAORG_VOCAB_FILE = THIRDPARTY / "schemaorg" / "schemaorg-vocab-extract-30.0.json"
SCHEMA = "http://schema.org/"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the standards' artefacts live in ../shared/thirdparty (see its README.md)")
    return path


def _json(path: Path) -> Any:
    return json.loads(require(path).read_text(encoding="utf-8"))


# --- W3C Web Annotation test suite ------------------------------------------------------------


@cache
def _w3c_registry() -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    definitions = sorted(require(W3C_TESTS / "definitions").glob("*.json"))
    # Each definitions file names itself by a relative id ("annotations.json"); the assertions
    # refer to them relative to their own relative ids, so the bare names are the registry's keys.
    return Registry().with_resources(
        (path.name, Resource.from_contents(_json(path), default_specification=DRAFT4)) for path in definitions
    )


@cache
def w3c_must_assertions(test_file: str) -> list[tuple[str, Any]]:
    """(assertion file, validator) for each MUST assertion a ``*Musts.test`` file lists."""
    import jsonschema

    test = _json(W3C_TESTS / test_file)
    found = []
    for name in test["assertions"]:
        schema = _json(W3C_TESTS / name)
        assert schema["assertionType"] == "must" and schema["expectedResult"] == "valid", name
        validator = jsonschema.Draft4Validator(
            schema, registry=_w3c_registry(), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
        )
        found.append((name, validator))
    return found


def w3c_must_failures(instance: Any, test_file: str) -> list[str]:
    """The MUST assertions of ``test_file`` the instance fails, each with the suite's error message."""
    failures = []
    for name, validator in w3c_must_assertions(test_file):
        errors = list(validator.iter_errors(instance))
        if errors:
            failures.append(f"{name}: {validator.schema.get('errorMessage', '')} ({errors[0].message[:300]})")
    return failures


# --- JSON-LD ----------------------------------------------------------------------------------


@cache
def _contexts() -> dict[str, Any]:
    anno = _json(ANNO_CONTEXT_FILE)
    schemaorg = _json(SCHEMAORG_CONTEXT_FILE)
    return {
        "http://www.w3.org/ns/anno.jsonld": anno,
        "https://www.w3.org/ns/anno.jsonld": anno,
        "https://schema.org": schemaorg,
        "https://schema.org/": schemaorg,
        "http://schema.org": schemaorg,
        "http://schema.org/": schemaorg,
    }


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    from pyld.jsonld import JsonLdError

    contexts = _contexts()
    if url not in contexts:
        raise JsonLdError(f"no local copy of {url}: tests never fetch contexts", "loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": contexts[url]}


def expand(document: Any) -> list[dict[str, Any]]:
    from pyld import jsonld

    return jsonld.expand(document, {"documentLoader": document_loader})


UNDEFINED = "urn:x-undefined-term:"


def undefined_terms(document: dict[str, Any]) -> list[str]:
    """Terms of the document that its contexts do not define (JSON-LD expansion would drop them).

    For the check only, a last context entry sets ``@vocab``: an undefined key, type or
    vocabulary value (a motivation) then expands to an IRI under UNDEFINED instead of vanishing.
    """
    context = document.get("@context", [])
    probe = {**document, "@context": [*(context if isinstance(context, list) else [context]), {"@vocab": UNDEFINED}]}
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key.startswith(UNDEFINED):
                    found.add(key.removeprefix(UNDEFINED))
                if key in ("@type", "@id") or key.startswith(UNDEFINED) or not key.startswith("@"):
                    walk(item)
        elif isinstance(value, str) and value.startswith(UNDEFINED):
            found.add(value.removeprefix(UNDEFINED))

    walk(expand(probe))
    return sorted(found)


# --- schema.org vocabulary ---------------------------------------------------------------------


@cache
def schemaorg_vocabulary() -> dict[str, Any]:
    return _json(SCHEMAORG_VOCAB_FILE)


def _ancestors(name: str) -> set[str]:
    classes = schemaorg_vocabulary()["classes"]
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending.extend(classes.get(current, []))
    return seen


def _nodes(expanded: Any) -> Iterator[dict[str, Any]]:
    if isinstance(expanded, list):
        for item in expanded:
            yield from _nodes(item)
    elif isinstance(expanded, dict) and "@value" not in expanded:
        yield expanded
        for key, value in expanded.items():
            if not key.startswith("@"):
                yield from _nodes(value)


def schemaorg_problems(document: Any) -> list[str]:
    """Terms of the expanded document that are not schema.org's, or used outside their domain or range."""
    vocabulary = schemaorg_vocabulary()
    classes, properties = vocabulary["classes"], vocabulary["properties"]
    problems: list[str] = []
    for node in _nodes(expand(document)):
        types = [t.removeprefix(SCHEMA) for t in node.get("@type", [])]
        for name in types:
            if name not in classes:
                problems.append(f"type {name} is not a schema.org class")
        node_classes = set().union(*(_ancestors(t) for t in types)) if types else set()
        for key, values in node.items():
            if key.startswith("@"):
                continue
            if not key.startswith(SCHEMA):
                problems.append(f"{key} is not a schema.org term")
                continue
            term = properties.get(key.removeprefix(SCHEMA))
            if term is None:
                problems.append(f"{key} is not a schema.org property")
                continue
            if term["supersededBy"]:
                problems.append(f"{key} is superseded by {term['supersededBy']}")
            if node_classes and not node_classes & set(term["domain"]):
                problems.append(f"{key} is not a property of {types} (its domain: {term['domain']})")
            for value in values:
                value_types = [t.removeprefix(SCHEMA) for t in value.get("@type", [])] if "@value" not in value else []
                if value_types and not any(_ancestors(t) & set(term["range"]) for t in value_types):
                    problems.append(f"{key} expects {term['range']}, not {value_types}")
    return problems
