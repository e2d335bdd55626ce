"""SQLite writers queue on a file lock (workbench/sqlite): the next starts when the last commits."""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writer lock only")


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_to_commit_then_goes_at_once():
    from annotations.models import Project

    order: list[str] = []
    first_in = threading.Event()

    def second() -> None:
        first_in.wait(5)
        try:
            with transaction.atomic():
                order.append("second began")
                Project.objects.create(name="Second", slug="second")
            order.append("second committed")
        finally:
            connections.close_all()

    thread = threading.Thread(target=second)
    thread.start()
    with transaction.atomic():
        Project.objects.create(name="First", slug="first")
        first_in.set()
        time.sleep(0.3)  # the other thread is waiting on the lock meanwhile
        order.append("first committing")
    began = time.monotonic()
    thread.join(10)
    assert order == ["first committing", "second began", "second committed"]
    assert time.monotonic() - began < 2  # woken within the poll interval, not SQLite's sleeps
    assert set(Project.objects.values_list("slug", flat=True)) >= {"first", "second"}


@pytest.mark.django_db(transaction=True)
def test_a_rollback_or_an_error_lets_the_next_writer_in():
    from annotations.models import Project

    with pytest.raises(RuntimeError), transaction.atomic():
        Project.objects.create(name="Gone", slug="gone")
        raise RuntimeError
    assert not connection._writer_held
    done: list[bool] = []

    def other() -> None:
        try:
            with transaction.atomic():
                Project.objects.create(name="Next", slug="next")
            done.append(True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(5)
    assert done == [True]
    assert not Project.objects.filter(slug="gone").exists()


@pytest.mark.django_db(transaction=True)
def test_past_the_timeout_the_writer_goes_ahead_and_sqlite_decides(settings):
    import fcntl
    import os

    from annotations.models import Project

    path = connection._lock_path()
    holder = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # a writer elsewhere that never lets go of the file lock
    try:
        connection.settings_dict["OPTIONS"]["timeout"] = 0.2
        began = time.monotonic()
        with transaction.atomic():
            Project.objects.create(name="Anyway", slug="anyway")
        assert 0.2 <= time.monotonic() - began < 2
        assert not connection._writer_held
    finally:
        connection.settings_dict["OPTIONS"]["timeout"] = 20
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
    assert Project.objects.filter(slug="anyway").exists()


def open_lock_files() -> int:
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            count += os.readlink(fd).endswith(".writer-lock")
        except OSError:
            continue  # closed meanwhile
    return count


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_ends_without_closing_its_connection_leaves_no_lock_file_open():
    """granian ends server threads that sat idle; their connections are dropped, never closed."""
    from annotations.models import Project

    gc.collect()  # files of connections dropped earlier in this process go now, not mid-test
    before = open_lock_files()
    opened: list[int] = []

    def write() -> None:
        with transaction.atomic():
            Project.objects.create(name="Threaded", slug="threaded")
        opened.append(open_lock_files())

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(10)
    assert opened == [before + 1]  # the thread's own connection opened the file
    gc.collect()
    assert open_lock_files() == before
