"""``/simulator``: talk to Munshi as any phone number, in a WhatsApp-like page, without WhatsApp.

A message typed (or a voice note uploaded or recorded with the browser's
microphone) goes through the very pipeline of the Twilio webhook: stored
with `storage.queries.store_inbound`, enqueued with
`bot.scheduling.enqueue_message`, handled by the worker. Voice notes are
saved under ``MUNSHI_HOME/media`` and handed over as the console does
(``{"path": …, "content_type": …}``). The page polls for new messages: the
bot's replies (and documents) in the chat, and in a side panel what was sent
to anyone else (customers, suppliers).

On unless ``MUNSHI_ENV=production`` (then only with ``SIMULATOR_ENABLED=1``):
anyone who can open it can speak as any number.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlalchemy import and_, or_, select

from bot.api.present import message_view
from bot.pages.security import security_headers
from bot.runtime import Runtime
from bot.scheduling import enqueue_message
from storage import queries
from storage.models import Message

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
bp.after_request(security_headers)

MAX_UPLOAD = 16 * 1024 * 1024
MAX_TEXT = 4096
#: The header the page sends: a cross-site form cannot set it, so another site cannot post as the owner.
CLIENT_HEADER = "X-Munshi-Simulator"
AUDIO_EXTENSIONS = {
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/webm": ".webm",
    "video/webm": ".webm",
    "audio/amr": ".amr",
    "application/ogg": ".ogg",
    "video/mp4": ".m4a",
}
_EXT_TYPES = {
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".webm": "audio/webm",
    ".amr": "audio/amr",
    ".mp4": "audio/mp4",
}
DEFAULT_PHONE = "+919800000001"


def _rt() -> Runtime:
    return current_app.extensions["munshi"]


def enabled() -> bool:
    """On in development; in production only when SIMULATOR_ENABLED=1 (``app.config`` wins, for tests)."""
    setting = current_app.config.get("SIMULATOR_ENABLED")
    if setting is not None:
        return bool(setting)
    if os.environ.get("MUNSHI_ENV", "").strip().lower() == "production":
        return os.environ.get("SIMULATOR_ENABLED", "").strip().lower() in ("1", "true", "yes", "on")
    return True


@bp.before_request
def _only_when_enabled() -> None:
    if not enabled():
        abort(404)


def e164(raw: str) -> str | None:
    """A phone number as +E.164 (a bare 10-digit Indian mobile gets +91); None when it is not one."""
    raw = (raw or "").strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        phone = "+" + digits
    elif raw.startswith("00"):
        phone = "+" + digits[2:]
    elif len(digits) == 10:
        phone = "+91" + digits
    elif len(digits) == 12 and digits.startswith("91"):
        phone = "+" + digits
    else:
        phone = "+" + digits
    return phone if re.fullmatch(r"\+[1-9]\d{7,14}", phone) else None


def _problem(status: int, detail: str) -> tuple[Response, int]:
    return jsonify({"error": detail}), status


@bp.get("")
def page() -> str:
    phone = e164(request.args.get("phone", "")) or DEFAULT_PHONE
    return render_template("simulator.html", phone=phone)


def _save_voice(rt: Runtime, upload: Any) -> dict[str, str] | None:
    """Store an uploaded voice note under MUNSHI_HOME/media; its media entry, or None when it is not audio."""
    ctype = (upload.mimetype or "").split(";")[0].strip().lower()
    ext = Path(upload.filename or "").suffix.lower()
    if ctype not in AUDIO_EXTENSIONS:
        if ext not in _EXT_TYPES:
            return None
        ctype = _EXT_TYPES[ext]
    ext = ext if ext in _EXT_TYPES else AUDIO_EXTENSIONS[ctype]
    folder = rt.config.home / "media"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sim-{uuid.uuid4().hex}{ext}"
    upload.save(path)
    if path.stat().st_size == 0:
        path.unlink(missing_ok=True)
        return None
    return {"path": str(path), "content_type": ctype}


@bp.post("/send")
def send() -> tuple[Response, int]:
    if request.headers.get(CLIENT_HEADER) != "1":
        return _problem(403, "Send messages from the simulator page.")
    request.max_content_length = MAX_UPLOAD
    rt = _rt()
    phone = e164(request.form.get("phone", ""))
    if phone is None:
        return _problem(422, "That is not a phone number: write it like +919800000001.")
    body = (request.form.get("body") or "").replace("\x00", "").strip()[:MAX_TEXT]  # PostgreSQL keeps no NUL
    media: list[dict[str, str]] = []
    upload = request.files.get("voice")
    if upload is not None and upload.filename is not None:
        saved = _save_voice(rt, upload)
        if saved is None:
            return _problem(422, "That file is not a voice note (ogg, opus, mp3, wav, m4a or webm).")
        media.append(saved)
        body = ""
    if not body and not media:
        return _problem(422, "Type a message or attach a voice note.")
    # Exactly what the Twilio webhook does: store once, then enqueue (the sweeper retries if Redis is away).
    with rt.db.session() as s:
        business_id = None
        if not rt.config.allowed_senders or phone in rt.config.allowed_senders:
            business_id = queries.get_or_create_business(s, phone, None).id
        msg, _ = queries.store_inbound(
            s, sid=f"SIM{uuid.uuid4().hex}", peer=phone, body=body, media=media, business_id=business_id
        )
        message_id = msg.id
    enqueue_message(rt, message_id)
    return jsonify({"id": message_id, "phone": phone}), 202


@bp.get("/messages")
def messages() -> Response:
    """Messages of this number's conversation (``chat``) and what its business sent to others (``others``)."""
    phone = e164(request.args.get("phone", ""))
    if phone is None:
        return jsonify({"chat": [], "others": [], "last_id": 0, "typing": False})
    try:
        after = max(0, min(int(request.args.get("after", 0)), 2**31 - 1))  # an id column: 32-bit on PostgreSQL
    except ValueError:
        after = 0
    rt = _rt()
    with rt.db.session() as s:
        biz = queries.business_by_phone(s, phone)
        mine = Message.peer == phone
        cond = or_(mine, and_(Message.business_id == biz.id, Message.direction == "out")) if biz else mine
        rows = list(s.scalars(select(Message).where(cond, Message.id > after).order_by(Message.id.desc()).limit(300)))
        rows.reverse()
        typing = s.scalar(
            select(Message.id)
            .where(mine, Message.direction == "in", Message.status.in_(("pending", "processing")))
            .limit(1)
        )
        chat, others = [], []
        for m in rows:
            view = message_view(m)
            if m.peer == phone:
                chat.append(view)
            else:
                others.append(view)
    last = rows[-1].id if rows else after
    return jsonify({"chat": chat, "others": others, "last_id": last, "typing": typing is not None})
