"""Logging filters for the console."""

from __future__ import annotations

import logging


class ExpectedRefusalsWithoutTraceback(logging.Filter):
    """A 4xx answer (a refusal the app meant to give: 403, 404, 400) is logged as one line.

    Django attaches the exception to these records, so each expected 403 printed a full
    traceback in the console, which hid the real errors; a 5xx keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
