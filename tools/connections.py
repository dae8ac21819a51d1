"""Which account a tool uses for an outside service, and what to tell the owner when there is none.

Each business connects its own accounts with ``python -m bot connect SERVICE
--business +E164 …`` (stored encrypted, `bot.credentials`); the environment's
variables (``SMTP_URL``, ``RAZORPAY_KEY_ID``…) are the account of a
single-shop deployment and are used when the business has none. A step whose
service is connected nowhere fails with `NotConnected`, whose message is the
exact command to run.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from bot import credentials
from bot.errors import NotConnected
from storage.models import Business, Credential
from tools.base import ToolContext

#: What ``connect`` needs per service, as the owner should type it.
CONNECT_HINTS: dict[str, str] = {
    "smtp": "--url smtp://user:password@smtp.example.com:587 --from-address you@example.com",
    "slack": "--webhook-url https://hooks.slack.com/services/…",
    "google": "--service-account-file /path/to/service-account.json",
    "razorpay": "--key-id rzp_live_… --key-secret … --webhook-secret …",
}
LABELS = {"smtp": "Email", "slack": "Slack", "google": "Google Sheets", "razorpay": "Razorpay"}


def config_of(ctx: ToolContext) -> Any:
    """The `Config` the caller passed in ``ctx.extra`` (else this process's)."""
    config = ctx.extra.get("config")
    if config is None:
        from bot.runtime import get_runtime

        config = get_runtime().config
    return config


def owner_phone(ctx: ToolContext) -> str | None:
    """The owner's WhatsApp number (from ``ctx.extra['business']`` when the engine gave it)."""
    business = ctx.extra.get("business") or {}
    if business.get("phone"):
        return str(business["phone"])
    biz = ctx.session.get(Business, ctx.business_id) if ctx.session is not None else None
    return biz.phone if biz is not None else None


_EXISTS = select(Credential.__table__.c.id).where(Credential.__table__.c.business_id == bindparam("business_id"),
                                                  Credential.__table__.c.service == bindparam("service"))


def business_credentials(ctx: ToolContext, service: str) -> dict[str, Any] | None:
    """The business's own stored credentials for ``service`` (None when not connected)."""
    if ctx.session is None:
        return None
    # Most steps ask about a service that is not connected: a cheap look first, decryption only if needed.
    # The flow engine read the business's connected services with the run (``ctx.extra["connected"]``).
    connected = ctx.extra.get("connected")
    if connected is not None:
        if service not in connected:
            return None
    elif ctx.session.connection().execute(_EXISTS, {"business_id": ctx.business_id, "service": service}).first() \
            is None:
        return None
    return credentials.load(ctx.session, config_of(ctx).secret_key, ctx.business_id, service)


def release(ctx: ToolContext) -> None:
    """End the step's read transaction before talking to the outside world.

    On SQLite every transaction holds the database's write lock (`storage.db`),
    so a step must not keep one open while it waits for a server, nor while the
    channel writes on its own connection. Only a session the flow engine owns
    (``ctx.extra["own_session"]``, holding no writes at that point) is ended; a
    chat turn's session is its caller's to manage.
    """
    if ctx.extra.get("own_session") and ctx.session is not None and ctx.session.in_transaction():
        ctx.session.commit()


def not_connected(ctx: ToolContext, service: str, what: str | None = None) -> NotConnected:
    """The error for a step whose service is not connected, telling the owner how to connect it."""
    phone = owner_phone(ctx) or "+91XXXXXXXXXX"
    label = LABELS.get(service, service)
    hint = CONNECT_HINTS.get(service, "")
    text = (f"{what or label} is not connected for your shop. On the server, run: "
            f"python -m bot connect {service} --business {phone} {hint}".rstrip())
    return NotConnected(text, service=service)
