"""Validators for answers that are bytes: a strong ETag from the bytes, and ``304`` when it matches.

Hashing the body makes the validator exact whatever produced it (a page, a saved query's rows, the
JSON-LD context) and whatever store it came from, the in-memory one included.
"""

from __future__ import annotations

import hashlib

from flask import Response, request


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(header: str | None, etag: str) -> bool:
    """``If-None-Match`` compares weakly (RFC 9110 §13.1.2): ``W/`` prefixes do not matter."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def respond(body: bytes, content_type: str, headers: dict[str, str], cache_control: str = "no-cache") -> Response:
    """``200`` with ``body`` and its ETag, or ``304`` without it when the client holds these bytes already.
    ``no-cache`` by default: keep it, but ask again, since a load may change it at any moment."""
    etag = etag_of(body)
    headers = {**headers, "ETag": etag, "Cache-Control": cache_control}
    if request.method in ("GET", "HEAD") and matches(request.headers.get("If-None-Match"), etag):
        return Response(status=304, headers=headers)
    return Response(body, status=200, content_type=content_type, headers=headers)
