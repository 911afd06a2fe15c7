"""Validators for answers that are bytes: a strong ETag from the bytes, and ``304`` when it matches.

Hashing the body makes the validator exact whatever produced it (a page, a saved query's rows, the
JSON-LD context) and whatever store it came from, the in-memory one included. The comparison with
``If-None-Match`` (weak, ``*``, lists) and the 304 itself are werkzeug's.
"""

from __future__ import annotations

import hashlib

from flask import Response, request


def respond(body: bytes, content_type: str, headers: dict[str, str], cache_control: str = "no-cache") -> Response:
    """``200`` with ``body`` and its ETag, or ``304`` without it when the client holds these bytes already.
    ``no-cache`` by default: keep it, but ask again, since a load may change it at any moment."""
    response = Response(body, status=200, content_type=content_type, headers=headers)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)
