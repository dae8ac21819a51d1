"""``/api/me`` and ``/api/tokens``: who am I, and the business's API tokens and dashboard logins."""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy import select

from bot.api import api_bp, business_id
from bot.api.auth import create_api_token
from bot.api.present import business_view, owned, token_view
from bot.api.schemas import Business as BusinessOut
from bot.api.schemas import NewToken, TokenCreate, TokenList
from bot.api.spec import operation
from bot.errors import NotFound
from bot.runtime import Runtime
from storage.models import ApiToken, Business, utcnow


def _rt() -> Runtime:
    from flask import current_app

    return current_app.extensions["munshi"]


@api_bp.get("/me")
@operation("The caller's business", tag="account", response=BusinessOut)
def me() -> Response:
    with _rt().db.session() as s:
        biz = s.get(Business, business_id())
        if biz is None:
            raise NotFound("no such business")
        return jsonify(business_view(biz))


@api_bp.get("/tokens")
@operation(
    "List API tokens and dashboard logins",
    tag="account",
    response=TokenList,
    description="Newest first; the tokens themselves are never shown again (only their hash is kept).",
)
def list_tokens() -> Response:
    with _rt().db.session() as s:
        rows = s.scalars(
            select(ApiToken).where(ApiToken.business_id == business_id()).order_by(ApiToken.id.desc()).limit(200)
        )
        return jsonify({"items": [token_view(t) for t in rows]})


@api_bp.post("/tokens")
@operation("Make an API token", tag="account", body=TokenCreate, response=NewToken, status=201, errors=(409,))
def create_token(body: TokenCreate) -> tuple[Response, int]:
    with _rt().db.session() as s:
        row, raw = create_api_token(s, business_id(), body.name.strip() or "API token")
        out = token_view(row) | {"token": raw}
    return jsonify(out), 201


@api_bp.delete("/tokens/<int:token_id>")
@operation("Revoke an API token or end a dashboard login", tag="account", status=204)
def revoke_token(token_id: int) -> tuple[str, int]:
    with _rt().db.session() as s:
        row = owned(s, ApiToken, token_id, business_id(), "token")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
    return "", 204
