"""Who is calling: per-business API tokens, one-time login links and the dashboard session.

Tokens are random (``secrets.token_urlsafe``) and only their SHA-256 is
stored (`ApiToken.token_hash`); the raw token is shown once, when it is made.

- *API tokens* (``kind="api"``, prefix ``mk_``): ``Authorization: Bearer mk_…``
  on every API call; listed and revoked through ``/api/tokens``.
- *Login links* (``kind="login"``): the owner asks for "dashboard" in chat and
  gets ``/login/<token>``, good for `LOGIN_TTL` and for one use. Using it
  (a POST, so that link previews cannot spend it) starts a Flask session for
  that business; revoking the row afterwards ends that session too.

`current_business_id` resolves the caller once per request (Bearer token
first, then the session) and caches it on ``g``; the rate limiter's key
function uses it too, so limits are per business. Requests that change
something with only a session cookie must carry the session's CSRF token in
``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, g, request, session
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ApiToken, Business, utcnow

API_PREFIX = "mk_"
LOGIN_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
MAX_TOKENS = 50  # active API tokens per business
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def hash_token(raw: str) -> str:
    """The stored form of a token: hex SHA-256."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _aware(dt: Any) -> Any:
    from datetime import UTC

    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


# ------------------------------------------------------------------ making and spending tokens


def create_api_token(s: Session, business_id: int, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for the business; returns the row and the raw token (shown once)."""
    active = s.scalar(
        select(ApiToken.id)
        .where(ApiToken.business_id == business_id, ApiToken.kind == "api", ApiToken.revoked_at.is_(None))
        .offset(MAX_TOKENS - 1)
        .limit(1)
    )
    if active is not None:
        from bot.api.errors import Problem

        raise Problem(
            409,
            f"A business can have at most {MAX_TOKENS} API tokens; revoke one first.",
            slug="too-many-tokens",
        )
    raw = API_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(business_id=business_id, kind="api", name=(name or "API token")[:100], token_hash=hash_token(raw))
    s.add(row)
    s.flush()
    return row, raw


def create_login_token(s: Session, business_id: int, ttl: timedelta = LOGIN_TTL) -> str:
    """A one-time login token for the business's dashboard (the raw token)."""
    raw = secrets.token_urlsafe(32)
    s.add(
        ApiToken(
            business_id=business_id,
            kind="login",
            name="Dashboard login",
            token_hash=hash_token(raw),
            expires_at=utcnow() + ttl,
        )
    )
    s.flush()
    return raw


def login_url(config: Any, raw: str) -> str:
    """The link the owner opens: ``{PUBLIC_BASE_URL}/login/<token>``."""
    return f"{config.link_base}/login/{raw}"


def create_login_link(s: Session, business_id: int, config: Any, ttl: timedelta = LOGIN_TTL) -> str:
    """A fresh one-time login link for the business (see `login_url`)."""
    return login_url(config, create_login_token(s, business_id, ttl))


def peek_login_token(s: Session, raw: str) -> ApiToken | None:
    """The login token if it could still be used (not used, not revoked, not expired); nothing changes."""
    if not raw or len(raw) > 200:
        return None
    row = s.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw), ApiToken.kind == "login"))
    if row is None or row.used_at is not None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and _aware(row.expires_at) <= utcnow():
        return None
    return row


def spend_login_token(s: Session, raw: str) -> ApiToken | None:
    """Use a login token (atomically: two clicks cannot both succeed); the row, or None."""
    row = peek_login_token(s, raw)
    if row is None:
        return None
    done = s.execute(update(ApiToken).where(ApiToken.id == row.id, ApiToken.used_at.is_(None)).values(used_at=utcnow()))
    if not done.rowcount:  # type: ignore[attr-defined]
        return None
    s.refresh(row)
    return row


def business_for_api_token(s: Session, raw: str) -> int | None:
    """The business an API token belongs to, when it is genuine and not revoked."""
    if not raw.startswith(API_PREFIX) or len(raw) > 200:
        return None
    row = s.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw), ApiToken.kind == "api"))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and _aware(row.expires_at) <= utcnow():
        return None
    return row.business_id


def login_session_alive(s: Session, token_id: int, business_id: int) -> bool:
    """A dashboard session lasts while its login row is not revoked."""
    row = s.get(ApiToken, token_id)
    return row is not None and row.business_id == business_id and row.revoked_at is None


# ------------------------------------------------------------------ the request's caller


def start_session(business_id: int, token_id: int) -> None:
    """Log the browser in as this business (after a login link was spent)."""
    session.clear()
    session.permanent = True
    session["business_id"] = business_id
    session["login_id"] = token_id
    session["csrf"] = secrets.token_urlsafe(24)


def end_session() -> None:
    session.clear()


def csrf_token() -> str:
    """The session's CSRF token (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_business_id() -> int | None:
    """The business making this request (Bearer token, else dashboard session); cached on ``g``."""
    if "munshi_business_id" in g:
        return g.munshi_business_id  # type: ignore[no-any-return]
    business_id: int | None = None
    via = None
    rt = current_app.extensions["munshi"]
    raw = _bearer()
    if raw is not None:
        with rt.db.session() as s:
            business_id = business_for_api_token(s, raw)
        via = "token" if business_id is not None else "bad-token"
    elif "business_id" in session and "login_id" in session:
        bid, login_id = session.get("business_id"), session.get("login_id")
        if isinstance(bid, int) and isinstance(login_id, int):
            with rt.db.session() as s:
                if login_session_alive(s, login_id, bid) and s.get(Business, bid) is not None:
                    business_id, via = bid, "session"
        if business_id is None:
            session.clear()
    g.munshi_business_id = business_id
    g.munshi_auth_via = via
    return business_id


def auth_via() -> str | None:
    """How the caller authenticated: ``token``, ``session``, ``bad-token`` or None."""
    current_business_id()
    return g.get("munshi_auth_via")


def csrf_ok() -> bool:
    """A cookie-authenticated request that changes something must echo the session's CSRF token."""
    if request.method not in UNSAFE_METHODS or auth_via() != "session":
        return True
    sent = request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf", "")
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))


def require_business() -> int:
    """The caller's business id, or a 401/403 problem."""
    from bot.api.errors import Problem

    business_id = current_business_id()
    if business_id is None:
        detail = (
            "That API token is not valid (revoked or mistyped)."
            if auth_via() == "bad-token"
            else "Send 'Authorization: Bearer <token>' (make one on the dashboard) or log in "
            "with a link from Munshi on WhatsApp: send 'dashboard'."
        )
        raise Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="munshi"'})
    if not csrf_ok():
        raise Problem(
            403,
            "Missing or wrong X-CSRF-Token header for a request made with the dashboard's session.",
            slug="csrf",
        )
    return business_id
