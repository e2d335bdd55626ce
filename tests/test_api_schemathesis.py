"""Property-based fuzzing of every operation in the live OpenAPI schema: no input makes a 5xx,
and every response matches what the schema documents.

Schemathesis drives the Django WSGI application in-process (same database transaction as the
test), authenticated as an editor with a real token; examples per operation are bounded so the
whole run takes a few minutes at most.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from annotations.models import ApiToken, Claim, Suggestion
from tests.factories import SourceFactory

# No 5xx, and every answer is one the schema documents (status, content type, body shape).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Every operation, valid and invalid input, on every `make test`; `make fuzz` digs deeper (200).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))


@pytest.fixture
def api_token(db, settings, project, article, author, editor, project_admin) -> str:
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Something to find at small ids, so generated ids reach real objects as well as 404s.
    claim = Claim.objects.create(article=article, start=0, end=5, quote=article.text[:5], created_by=author)
    SourceFactory(claim=claim)
    # Scored sentences, so the suggestion endpoints (list, accept, dismiss) reach real rows too.
    for start in range(0, 60, 20):
        Suggestion.objects.create(article=article, start=start, end=start + 15, score=start / 100, model_version="t")
    return ApiToken.issue(editor, "schemathesis")[1]


@pytest.fixture
def wsgi_app(api_token):
    """The real WSGI application, minus the per-request connection closing (as Django's test
    client does): the requests run inside this test's transaction."""
    from django.core import signals
    from django.db import close_old_connections

    from workbench.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app, api_token):
    auth = {"Authorization": f"Token {api_token}"}
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=auth)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_input_makes_the_api_fail_with_a_5xx(api_schema, api_token, mode):
    # Each operation gets its own bounded Hypothesis run (schemathesis' pytest plugin does the
    # same; driving it by hand keeps it independent of the plugin's pytest internals).
    headers = {"Authorization": f"Token {api_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    server_errors: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r}")
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            # Nothing to make invalid (e.g. a GET without parameters): the valid run covers it.
            assert mode == GenerationMode.NEGATIVE
    assert server_errors == []
