"""One error type for every HTTP answer that is not a success, and the one place that renders it.

Routes raise :class:`HttpError` with a status, a title and a detail; the app's handler answers it in
the form the route's clients expect: RFC 9457 problem documents where the API documents them (the
saved queries), plain text elsewhere (the SPARQL protocol and Linked Data paths answer errors as
text, which every SPARQL client shows as it is). Pages that show an error inside a form (the SPARQL
editor, a saved query's form) catch it and render the page themselves.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response, request

#: blueprints whose errors are problem documents (application/problem+json)
PROBLEM_BLUEPRINTS = frozenset({"saved"})


class HttpError(Exception):
    """An answer with an error status: what went wrong (``title``), why and what to do (``detail``)."""

    def __init__(self, status: int, detail: str, *, title: str | None = None,
                 headers: dict[str, str] | None = None, invalid: list[dict] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        #: for bad parameters: each one and why, as RFC 9457's ``invalid-params``
        self.invalid = list(invalid or [])


def text_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A plain-text answer of one message (errors of the SPARQL protocol and Linked Data paths)."""
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


def problem_response(e: HttpError) -> Response:
    """An RFC 9457 problem document."""
    body: dict = {"type": "about:blank", "title": e.title, "status": e.status, "detail": e.detail}
    if e.invalid:
        body["invalid-params"] = e.invalid
    return Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n", status=e.status,
                    content_type="application/problem+json", headers=e.headers)


def error_response(e: HttpError) -> Response:
    """The app-level handler: the form the current route documents."""
    if request.blueprint in PROBLEM_BLUEPRINTS:
        return problem_response(e)
    return text_response(e.status, e.detail, e.headers)
