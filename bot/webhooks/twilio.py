"""Twilio webhooks: inbound WhatsApp messages and delivery status callbacks.

Inbound: verify the signature, store the message (once per MessageSid),
enqueue `handle_message`, answer an empty TwiML response. Nothing here waits
for understanding or transcription; if Redis is down the message stays
pending and the sweeper enqueues it later.
"""
from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from bot.api.limits import sender_wait
from bot.runtime import Runtime
from bot.scheduling import enqueue_message
from storage import queries

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# What Twilio sends: SIDs of letters and digits (34 of them), senders in E.164, statuses of a word.
# Anything else is refused with a 400 before it reaches the database (PostgreSQL, unlike SQLite,
# refuses an over-long SID or phone, and a NUL anywhere: that would be a 500 Twilio retries for ever).
_SID = re.compile(r"[A-Za-z0-9]{2,64}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_STATUS = re.compile(r"[a-z_-]{1,20}")


def runtime() -> Runtime:
    return current_app.extensions["munshi"]


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path when set, else the request's own (via ProxyFix)."""
    base = runtime().config.public_base_url
    if base:
        qs = request.query_string.decode()
        return f"{base}{request.path}" + (f"?{qs}" if qs else "")
    return request.url


def check_signature() -> None:
    """Abort 403 unless X-Twilio-Signature is valid (when an auth token is configured)."""
    token = runtime().config.twilio_auth_token
    if not token:
        return
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(token).validate(signed_url(), request.form, signature):
        log.warning("rejected Twilio webhook with a bad signature from %s", request.remote_addr)
        abort(403)


def _text(value: str | None, limit: int | None = None) -> str:
    """Form text without NUL characters (which no message has and PostgreSQL cannot store), capped."""
    text = (value or "").replace("\x00", "")
    return text[:limit] if limit else text


def phone_of(address: str) -> str:
    """'whatsapp:+9198…' → '+9198…' (a '+' lost to form decoding, a space, is put back)."""
    number = address.split(":", 1)[-1].strip()
    return number if number.startswith("+") or not number.isdigit() else f"+{number}"


@bp.post("/whatsapp")
def inbound() -> Response:
    check_signature()
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsMessageSid")
    sender = phone_of(form.get("From", ""))
    if not sid or not sender or not _SID.fullmatch(sid) or not _E164.fullmatch(sender):
        abort(400)
    wait = sender_wait(sender)
    media = []
    count = form.get("NumMedia", "0")
    for i in range(min(int(count) if count.isascii() and count.isdigit() and len(count) < 4 else 0, 10)):
        url = _text(form.get(f"MediaUrl{i}"))
        if url:
            media.append({"url": url, "content_type": _text(form.get(f"MediaContentType{i}"), 100)})
    rt = runtime()
    with rt.db.session() as s:
        business_id = None
        if not rt.config.allowed_senders or sender in rt.config.allowed_senders:
            business_id = queries.get_or_create_business(s, sender, _text(form.get("ProfileName"), 200)).id
        msg, created = queries.store_inbound(s, sid=sid, peer=sender, body=_text(form.get("Body")),
                                             media=media, business_id=business_id)
        message_id = msg.id
    if wait is not None:
        # Over the sender's limit: kept all the same (Twilio does not retry a 429, and nothing acknowledged
        # or refused may be lost), but not enqueued: the sweeper hands it on after its grace period.
        return Response("Too many messages from this sender; kept, and handled shortly.", 429,
                        headers={"Retry-After": str(wait)}, mimetype="text/plain")
    if created:
        enqueue_message(rt, message_id)
    return Response(EMPTY_TWIML, mimetype="application/xml")


@bp.post("/status")
def status() -> Response:
    check_signature()
    sid = request.form.get("MessageSid")
    state = (request.form.get("MessageStatus") or "").lower()
    if not sid or not state or not _SID.fullmatch(sid) or not _STATUS.fullmatch(state):
        abort(400)
    with runtime().db.session() as s:
        queries.record_status(s, sid, state, _text(request.form.get("ErrorCode"), 20) or None)
    return Response("", status=204)
