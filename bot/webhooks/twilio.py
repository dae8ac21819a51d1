"""Twilio webhooks: inbound WhatsApp messages and delivery status callbacks.

Inbound: verify the signature, store the message (once per MessageSid),
enqueue `handle_message`, answer an empty TwiML response. Nothing here waits
for understanding or transcription; if Redis is down the message stays
pending and the sweeper enqueues it later.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from bot.runtime import Runtime
from bot.scheduling import enqueue_message
from storage import queries

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


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
    if not sid or not sender:
        abort(400)
    media = []
    count = form.get("NumMedia", "0")
    for i in range(min(int(count) if count.isdigit() else 0, 10)):
        url = form.get(f"MediaUrl{i}")
        if url:
            media.append({"url": url, "content_type": form.get(f"MediaContentType{i}", "")})
    rt = runtime()
    with rt.db.session() as s:
        business_id = None
        if not rt.config.allowed_senders or sender in rt.config.allowed_senders:
            business_id = queries.get_or_create_business(s, sender, form.get("ProfileName")).id
        msg, created = queries.store_inbound(s, sid=sid, peer=sender, body=form.get("Body", ""),
                                             media=media, business_id=business_id)
        message_id = msg.id
    if created:
        enqueue_message(rt, message_id)
    return Response(EMPTY_TWIML, mimetype="application/xml")


@bp.post("/status")
def status() -> Response:
    check_signature()
    sid = request.form.get("MessageSid")
    state = (request.form.get("MessageStatus") or "").lower()
    if not sid or not state:
        abort(400)
    with runtime().db.session() as s:
        queries.record_status(s, sid, state, request.form.get("ErrorCode"))
    return Response("", status=204)
