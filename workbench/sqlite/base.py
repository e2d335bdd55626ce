"""Django's SQLite backend, with writers queued on a file lock instead of SQLite's sleeps.

SQLite lets one transaction write at a time. When the web server's processes (and a Celery worker) write
at once, the others wait in SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms between
tries instead of being woken when the lock is free: with 8 API clients creating claims the rate
swung by a quarter between runs and the p99 was that sleep (104–138 ms). Here every write
transaction first takes an exclusive ``flock`` on ``<database>.writer-lock``, held until its
commit or rollback, and waiters poll it at most a millisecond apart, so the next writer starts
within about a millisecond of the last one's commit.

The wait is bounded by the database's ``timeout`` option (as SQLite's own): past it the
transaction goes ahead and SQLite's lock decides, as without this backend. Reads (WAL) take no
lock. An in-memory database has nothing to lock.
"""

from __future__ import annotations

import fcntl
import os
import time
import weakref
from typing import Any

from django.db.backends.sqlite3 import base

_POLL_SECONDS = (0.0001, 0.0002, 0.0005, 0.001)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_fd: int | None = None
        self._writer_fd_closer: weakref.finalize[Any, Any] | None = None
        self._writer_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._release_writer_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._release_writer_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._release_writer_lock()
            if self._writer_fd_closer is not None:
                self._writer_fd_closer()  # closes the file, once
            self._writer_fd = self._writer_fd_closer = None

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}.writer-lock"

    def _take_writer_lock(self) -> None:
        if self._writer_held:
            return
        path = self._lock_path()
        if path is None:
            return
        if self._writer_fd is None:
            # One open file per connection: flock excludes other open files, so threads with
            # their own connections queue as processes do.
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            # A connection is not always closed: the server ends threads that sat idle (granian
            # after 30 s) and their connections are simply dropped. The file goes with it then.
            self._writer_fd_closer = weakref.finalize(self, os.close, self._writer_fd)
        deadline = time.monotonic() + float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        tries = 0
        while True:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's own lock decides from here (and its timeout applies)
                time.sleep(_POLL_SECONDS[min(tries, len(_POLL_SECONDS) - 1)])
                tries += 1
                continue
            self._writer_held = True
            return

    def _release_writer_lock(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        self._writer_held = False
