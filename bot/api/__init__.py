"""Munshi's REST API under ``/api``, documented at ``/openapi.json``.

Modules: `auth` (tokens, login links, the session), `errors` (problem
details), `spec` (pydantic validation and the OpenAPI document),
`pagination`, `limits` (flask-limiter on Redis), `schemas` (request and
response models), and one module per resource: `tokens`, `workflows`
(flows, runs, analytics, drafting, manual runs), `templates`
(``/api/workflow-templates``) and `records` (invoices, payments, products,
customers, messages).

Every view runs after `_authenticate`, so ``g.business_id`` is the caller's
business and every query filters on it; a record of another business is
simply not found (404).
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, request

from bot.api import errors

api_bp = Blueprint("api", __name__, url_prefix="/api")
errors.register_handlers(api_bp)


@api_bp.before_request
def _authenticate() -> None:
    from bot.api.auth import require_business
    from bot.api.errors import Problem
    from bot.api.spec import ID_RE

    g.business_id = require_business()
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and not ID_RE.match(value):
            raise Problem(404, "Nothing here: check the id and that it belongs to your business.")


@api_bp.after_request
def _no_store(response):  # type: ignore[no-untyped-def]
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def business_id() -> int:
    """The authenticated caller's business (set before every API view)."""
    return int(g.business_id)


def init_app(app: Flask) -> None:
    """Register the API, ``/openapi.json`` and the rate limits on ``app``."""
    from bot.api import limits, meta, records, templates, tokens, workflows  # noqa: F401  (routes)

    errors.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(meta.public_bp)
    limiter = limits.init_app(app, app.extensions["munshi"])
    limits.apply(app, limiter)
