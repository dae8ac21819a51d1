"""Logging in with the one-time link Munshi sends in chat, and logging out.

``GET /login/<token>`` only shows a button: WhatsApp and other apps open
links to draw previews, and a GET that spent the link would leave the owner
with a dead one. The button POSTs, which spends the link (once, atomically)
and starts the session.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from werkzeug.wrappers import Response

from bot.api.auth import end_session, peek_login_token, spend_login_token, start_session
from bot.pages.security import security_headers
from bot.runtime import Runtime

bp = Blueprint("login", __name__)
bp.after_request(security_headers)


def _rt() -> Runtime:
    return current_app.extensions["munshi"]


@bp.get("/login")
def login_help() -> str:
    return render_template("login.html", state="help")


@bp.get("/login/<token>")
def login_page(token: str) -> str | tuple[str, int]:
    with _rt().db.session() as s:
        ok = peek_login_token(s, token) is not None
    if not ok:
        return render_template("login.html", state="expired"), 410
    return render_template("login.html", state="ready", token=token)


@bp.post("/login/<token>")
def login_use(token: str) -> Response | tuple[str, int]:
    with _rt().db.session() as s:
        row = spend_login_token(s, token)
        found = (row.business_id, row.id) if row is not None else None
    if found is None:
        return render_template("login.html", state="expired"), 410
    start_session(*found)
    return redirect(url_for("dashboard.overview"), code=303)


@bp.post("/logout")
def logout() -> Response:
    end_session()
    return redirect(url_for("login.login_help"), code=303)
