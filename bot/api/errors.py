"""Errors of the REST API as JSON problem details (RFC 9457, ``application/problem+json``).

    {"type": "https://munshi.dev/problems/not-found", "title": "Not Found", "status": 404,
     "detail": "no such flow", "instance": "/api/workflows/abc"}

`Problem` is raised by the API's own code; `init_app` turns every error under
``/api`` (a Flask 404 or 405, a validation error, a `MunshiError`, anything
unexpected) into this shape, and leaves the HTML pages' errors alone.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, json, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from bot.errors import BlueprintInvalid, FlowError, MunshiError, NotFound, UnderstandingError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://munshi.dev/problems/"

_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}
_TITLES = {422: "Validation failed", 429: "Too many requests"}


class Problem(Exception):
    """An API error with its HTTP status; ``extra`` members are added to the body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.slug = slug
        self.headers = headers or {}
        self.extra = extra


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem-details response."""
    from http import HTTPStatus

    try:
        default_title = HTTPStatus(status).phrase
    except ValueError:
        default_title = "Error"
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or _SLUGS.get(status, "error")),
        "title": title or _TITLES.get(status, default_title),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path if request else None
    body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def validation_errors(exc: ValidationError, where: str) -> list[dict[str, Any]]:
    """pydantic's errors as ``[{"in": "body", "field": "blueprint.nodes", "message": "..."}]``."""
    out = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = ".".join(str(p) for p in err.get("loc", ()))
        out.append({"in": where, "field": loc or where, "message": err.get("msg", "is not valid")})
    return out


def is_api_request() -> bool:
    """True for the JSON side of the app (its errors are problem details)."""
    path = request.path
    return path.startswith("/api/") or path == "/api" or path in ("/openapi.json", "/healthz", "/metrics")


def register_handlers(bp: Blueprint) -> None:
    """Problem details for what the views (and before-request hooks) of ``bp`` raise."""

    @bp.errorhandler(Problem)
    def _problem(exc: Problem) -> Response:
        return problem(exc.status, exc.detail, title=exc.title, slug=exc.slug, headers=exc.headers, **exc.extra)

    @bp.errorhandler(BlueprintInvalid)
    def _blueprint_invalid(exc: BlueprintInvalid) -> Response:
        return problem(
            422,
            exc.message,
            title="The flow is not valid",
            slug="invalid-flow",
            errors=[{"in": "body", "field": "blueprint", "message": r} for r in exc.reasons],
        )

    @bp.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Response:
        return problem(404, exc.message)

    @bp.errorhandler(UnderstandingError)
    def _not_understood(exc: UnderstandingError) -> Response:
        return problem(422, exc.message, title="Not understood", slug="not-understood")

    @bp.errorhandler(FlowError)
    def _flow_error(exc: FlowError) -> Response:
        return problem(409, exc.message, slug="flow-error")

    @bp.errorhandler(MunshiError)
    def _munshi_error(exc: MunshiError) -> Response:
        return problem(400, exc.message)

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return _http_problem(exc)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem(500, "Something went wrong inside Munshi; it has been logged.")


def init_app(app: Flask) -> None:
    """Answer HTTP errors of API paths (unknown URL, wrong method, rate limit) with problem details."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response | HTTPException:
        if not is_api_request():
            return exc
        return _http_problem(exc)


def _http_problem(exc: HTTPException) -> Response:
    headers = {}
    if exc.code == 405:
        allowed = getattr(exc, "valid_methods", None)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    if exc.code == 429:
        limit = getattr(exc, "limit", None)
        detail = f"Rate limit exceeded ({limit.limit}); try again later." if limit is not None else exc.description
        return problem(429, detail, headers=headers)
    detail = _not_found_detail() if exc.code == 404 else exc.description
    return problem(exc.code or 500, detail, headers=headers)


def _not_found_detail() -> str:
    return "Nothing here: check the id and that it belongs to your business."
