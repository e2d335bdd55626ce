"""The production server (workbench/serve.py): its settings, and what it puts in a request."""

from __future__ import annotations

import http.client
import os
from typing import Any

import pytest
from granian.wsgi import _callback_wrapper

from workbench import serve
from workbench.environ import without_process_environment


class Sink:
    """What granian's Rust side would send: the status and body handed over by its WSGI runner."""

    def __init__(self) -> None:
        self.status = 0

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status

    def response_iter(self, status: int, headers: list[tuple[str, str]], body: Any) -> None:
        self.status = status


def serve_through_granian(app: Any, scope: dict[str, str]) -> dict[str, Any]:
    """One request through granian's own environ builder (the code its workers run), to ``app``."""
    seen: dict[str, Any] = {}

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    sink = Sink()
    _callback_wrapper(app(inner), {})(sink, scope)
    assert sink.status == 200
    return seen


SCOPE = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "HTTP_HOST": "127.0.0.1"}


def test_the_process_environment_does_not_reach_the_request(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "process-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:password@db/workbench")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    # Without the wrapper granian hands every request a copy of the process environment: this
    # is what the test guards against (and shows it can fail).
    leaked = serve_through_granian(lambda inner: inner, SCOPE)
    assert leaked["SECRET_KEY"] == "process-secret"

    seen = serve_through_granian(without_process_environment, SCOPE)
    assert "SECRET_KEY" not in seen
    assert "DATABASE_URL" not in seen
    # A variable named like a header must not pass for one the client sent.
    assert "HTTP_PROXY" not in seen
    assert seen["REQUEST_METHOD"] == "GET" and seen["HTTP_HOST"] == "127.0.0.1"
    assert seen["wsgi.input_terminated"] is True  # granian's own keys stay


def test_what_the_request_sets_wins_over_a_process_variable_of_the_same_name(monkeypatch):
    monkeypatch.setenv("HTTP_X_TRACE", "from the process")
    seen = serve_through_granian(without_process_environment, {**SCOPE, "HTTP_X_TRACE": "from the client"})
    assert seen["HTTP_X_TRACE"] == "from the client"


def test_a_variable_with_the_value_the_server_sets_does_not_take_it_away(monkeypatch):
    # A container's SERVER_PORT=8000, or SCRIPT_NAME, must not remove what the server set.
    monkeypatch.setenv("SERVER_PORT", "8000")
    monkeypatch.setenv("REMOTE_ADDR", "127.0.0.1")
    scope = {**SCOPE, "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1"}
    seen = serve_through_granian(without_process_environment, scope)
    assert seen["SERVER_PORT"] == "8000" and seen["REMOTE_ADDR"] == "127.0.0.1"
    assert "SCRIPT_NAME" in seen


def clear_web_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WEB_BIND", "WEB_CONCURRENCY", "WEB_THREADS", *serve.RETIRED):
        monkeypatch.delenv(name, raising=False)


def test_the_settings_come_from_the_environment_and_flags_win(monkeypatch):
    clear_web_settings(monkeypatch)
    monkeypatch.setenv("WEB_BIND", "0.0.0.0:9000")
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("WEB_THREADS", "2")
    options = serve.parse_args([])
    assert (options.host, options.port, options.workers, options.threads) == ("0.0.0.0", 9000, 5, 2)
    options = serve.parse_args(["--bind", "[::1]:8001", "--workers", "2"])
    assert (options.host, options.port, options.workers, options.threads) == ("::1", 8001, 2, 2)


def test_the_defaults_are_one_process_per_core_plus_one_and_four_threads(monkeypatch):
    clear_web_settings(monkeypatch)
    monkeypatch.setenv("WEB_CONCURRENCY", "")  # empty is unset, as for every other setting
    options = serve.parse_args([])
    assert (options.host, options.port) == ("127.0.0.1", 8000)
    assert options.workers == serve.default_workers() == (os.cpu_count() or 1) + 1
    assert options.threads == 4


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--bind", "8000"], {}, "--bind must be an IP address and a port"),
        (["--bind", "127.0.0.1:http"], {}, "--bind must be an IP address and a port"),
        (["--bind", "127.0.0.1:99999"], {}, "--bind must be an IP address and a port"),
        ([], {"WEB_BIND": "localhost:8000"}, "WEB_BIND must be an IP address and a port"),
        (["--workers", "0"], {}, "--workers must be a whole number of at least 1, not '0'"),
        ([], {"WEB_THREADS": "0"}, "WEB_THREADS must be a whole number of at least 1, not '0'"),
        ([], {"WEB_CONCURRENCY": "many"}, "WEB_CONCURRENCY must be a whole number of at least 1, not 'many'"),
        (
            [],
            {"GUNICORN_BIND": "0.0.0.0:8000"},
            "GUNICORN_BIND is no longer read since the server is granian: set WEB_BIND",
        ),
        ([], {"GUNICORN_TIMEOUT": "60"}, "GUNICORN_TIMEOUT is no longer read"),
    ],
)
def test_a_bad_setting_stops_the_server_with_its_name(monkeypatch, capsys, argv, env, message):
    clear_web_settings(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        serve.parse_args(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_the_server_keeps_a_client_connection_alive_across_requests(tmp_path):
    from tests.app_server import app_server

    with app_server(tmp_path / "server.log") as base:
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        statuses, sockets = [], set()
        for _ in range(3):
            connection.request("GET", "/login/")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
            assert connection.sock is not None, "the server closed the connection"
            sockets.add(connection.sock.getsockname())
        connection.close()
    assert statuses == [200, 200, 200]
    # One TCP connection carried all three: the client never opened another.
    assert len(sockets) == 1
