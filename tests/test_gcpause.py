"""The collector pause shared by bulk writes and exports: nested and threaded pauses end as they began."""

from __future__ import annotations

import gc
import threading

from annotations import gcpause


def test_the_last_pause_to_end_turns_the_collector_back_on():
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads():
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gcpause.paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with gcpause.paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # this thread's pause ended first; the other's still holds
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_inside_still_ends_the_pause():
    try:
        with gcpause.paused():
            raise RuntimeError
    except RuntimeError:
        pass
    assert gc.isenabled()
