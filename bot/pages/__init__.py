"""Munshi's web pages: the WhatsApp simulator, the owner's dashboard and the login-link page.

Server-rendered Jinja templates (``bot/templates``, autoescaped: names and
messages may contain HTML) with a little plain JavaScript from
``bot/static`` — no build step, nothing fetched from the internet.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from bot.api.auth import SESSION_TTL


def init_app(app: Flask) -> None:
    """Register the pages and set the session cookie up for them."""
    from bot.pages import dashboard, login, simulator

    config = app.extensions["munshi"].config
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", SESSION_TTL)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SECURE", bool((config.public_base_url or "").startswith("https://")))
    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", timedelta(hours=1))
    for bp in (login.bp, dashboard.bp, simulator.bp):
        app.register_blueprint(bp)
    app.jinja_env.filters["inr"] = _inr
    app.jinja_env.filters["when"] = _when


def _inr(value: object) -> str:
    """₹1,23,456 or ₹1,234.50 (Indian grouping); '—' for nothing."""
    from decimal import Decimal

    from storage.ledger import group_indian

    if value is None or value == "":
        return "—"
    amount = Decimal(str(value))
    rupees = int(abs(amount))
    paise = int((abs(amount) - rupees) * 100)
    sign = "-" if amount < 0 else ""
    return f"{sign}₹{group_indian(rupees)}" + (f".{paise:02d}" if paise else "")


def _when(value: object) -> str:
    """An ISO time as '27 Nov 2026, 4:05 pm' in India time; '—' for nothing."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if not value:
        return "—"
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    local = dt.astimezone(ZoneInfo("Asia/Kolkata")) if dt.tzinfo else dt
    return f"{local.day} {local:%b %Y}, {local.hour % 12 or 12}:{local:%M} {'pm' if local.hour >= 12 else 'am'}"
