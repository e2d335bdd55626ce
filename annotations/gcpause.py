"""Hold off Python's cyclic garbage collector while a burst of short-lived rows is built.

A bulk write or an export chunk allocates tens of thousands of dicts and lists that stay alive
until the burst is written; every collection their allocations trigger walks them again, and a
full one walks the whole process too: a fifth of a 7,000-claim bulk write and a third of a
7,000-claim export. None of those rows is cyclic (reference counting frees them all), so
collecting resumes once the burst is done. Never hold a pause across a ``yield``.

The collector is process-wide: threads of one worker share the switch, so the first pause
turns it off and the last one turns it back on (as it was before the first).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
