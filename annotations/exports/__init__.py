"""Dataset exports: formats in a registry, a streaming core, and background jobs for big ones.

Importing the package registers every format.
"""

from __future__ import annotations

from . import claimreview, csv_format, fever, jsonl, web_annotation  # noqa: F401 - register the formats
from .core import ExportStream, WriteResult, write_export
from .params import ExportParams, ExportParamsError, parse_params
from .registry import FORMATS, ExportFormat, format_choices, get_format

__all__ = [
    "FORMATS",
    "ExportFormat",
    "ExportParams",
    "ExportParamsError",
    "ExportStream",
    "WriteResult",
    "format_choices",
    "get_format",
    "parse_params",
    "write_export",
]
