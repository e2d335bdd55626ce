"""Keep the server process's own environment out of each request's WSGI environ.

granian, like CGI servers, starts every environ from a copy of ``os.environ``: without this,
SECRET_KEY and DATABASE_URL (password included) sat in every ``request.META``, where an error
report (Django's filter hides names with KEY or PASS, not DATABASE_URL) or a debugging print
would show them. No side effects on import: tests and the server both use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# What the server sets for every request, from the request or its own settings: a variable of the
# same name in the process environment never reaches these, so they are never dropped (a
# container's SERVER_PORT=8000 must not take the request's port away).
SERVER_KEYS = frozenset(
    {
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "GATEWAY_INTERFACE",
        "SERVER_SOFTWARE",
    }
)


def without_process_environment(app: WSGIApp) -> WSGIApp:
    """``app``, with the process's variables dropped from each environ it is called with.

    The snapshot is taken now: call this once the process has loaded what it loads at start, as
    the server copies the environment after loading the application. What the request itself
    set (a header the client sent) wins over the copy, so a value is dropped only where it still
    equals the process's own. Costs a few microseconds a request.
    """
    process = tuple(
        (key, value) for key, value in os.environ.items() if key not in SERVER_KEYS and not key.startswith("wsgi.")
    )

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for key, value in process:
            if environ.get(key) == value:
                del environ[key]
        return app(environ, start_response)

    return application
