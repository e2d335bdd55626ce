"""The API's JSON parser, with the limits every body must meet.

The body size is checked by RequestSizeLimitMiddleware before anything reads it; this parser
checks it again (it may be used where the middleware is not) and adds the nesting limit:
Python's JSON parser recurses once per level, so a body nested 100,000 deep raised
RecursionError (a 500) before this parser turned it into a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

from .. import limits
from ..imports.base import human_bytes


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class LimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = settings.REQUEST_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if declared > limit:
            raise RequestTooLarge(
                f"The request body is {human_bytes(declared)}; the limit is {human_bytes(limit)} "
                "(REQUEST_MAX_BODY_BYTES)."
            )
        data: object
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = _TOO_DEEP
        if data is _TOO_DEEP or limits.json_depth_exceeds(data):
            raise exceptions.ParseError(
                f"JSON parse error - the body nests deeper than {limits.JSON_MAX_DEPTH} levels."
            )
        return data


_TOO_DEEP = object()
