"""The one outbound channel: every WhatsApp message Munshi sends goes through `Channel.send`.

Each message is stored first (unique on its idempotency key, so a retried
flow step never sends twice), then handed to Twilio's REST API or kept in the
local outbox, and its status recorded. Bodies over WhatsApp's 1,600
characters are split at paragraph, line, sentence or word boundaries.
"""
from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.errors import ChannelError
from storage.db import Database
from storage.models import Message, MessageStatus, utcnow

log = logging.getLogger(__name__)

LIMIT = 1600
_BREAKS = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")


def split_message(body: str, limit: int = LIMIT) -> list[str]:
    """Split ``body`` into parts of at most ``limit`` characters at the most natural boundary."""
    body = body.strip()
    parts: list[str] = []
    while len(body) > limit:
        window = body[:limit]
        cut = -1
        for mark in _BREAKS:
            at = window.rfind(mark)
            if at > limit // 3:  # a boundary too early would make a tiny part
                cut = at + len(mark.rstrip(" ")) if mark.strip() else at
                break
        if cut <= 0:
            cut = limit
        parts.append(body[:cut].rstrip())
        body = body[cut:].lstrip()
    if body:
        parts.append(body)
    return parts


def whatsapp_address(phone: str) -> str:
    return phone if phone.startswith("whatsapp:") else f"whatsapp:{phone}"


_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


@dataclass
class Sent:
    """What `Channel.send` did: the stored message ids (one per part)."""

    message_ids: list[int]
    duplicate: bool = False


def _parts(to: str, body: str, key: str | None) -> list[tuple[str | None, str]]:
    """The (idempotency key, text) of each part a message to ``to`` is sent as; the first part has ``key``."""
    if not _E164.match(to):
        raise ChannelError(f"{to!r} is not a phone number in international form (+91…)", to=to)
    return [(key if i == 0 or key is None else f"{key}#{i}", part)
            for i, part in enumerate(split_message(body) or [""])]


class Channel:
    """Sends WhatsApp messages through Twilio or the local outbox, storing each."""

    def __init__(self, config: Config, db: Database, twilio_client: Any | None = None) -> None:
        self.config = config
        self.db = db
        self._twilio = twilio_client

    @property
    def twilio(self) -> Any:
        if self._twilio is None:
            from twilio.rest import Client

            self._twilio = Client(self.config.twilio_account_sid, self.config.twilio_auth_token)
        return self._twilio

    def send(self, business_id: int | None, to: str, body: str, *, media: list[str] | None = None,
             idempotency_key: str | None = None) -> Sent:
        """Store and send a message to ``to`` (E.164). A repeated idempotency key sends nothing."""
        parts = _parts(to, body, idempotency_key)
        ids: list[int] = []
        for i, (key, part) in enumerate(parts):
            msg_id, fresh = self._store(business_id, to, part, media if i == len(parts) - 1 else None, key)
            if not fresh:
                if i == 0:
                    existing = self._all_parts(idempotency_key)
                    return Sent(existing, duplicate=True)
                continue
            self._deliver(msg_id)
            ids.append(msg_id)
        return Sent(ids)

    def stage(self, session: Any, business_id: int | None, to: str, body: str, *, idempotency_key: str) -> None:
        """Write a message's rows (queued, not yet sent) in the caller's transaction.

        `send` with the same key after the commit delivers them; so the message is stored together
        with what it answers (an inbound message marked done) and cannot be lost between the two.
        A crash before `send` leaves them queued for `resend_stranded`.
        """
        for key, part in _parts(to, body, idempotency_key):
            if session.scalar(select(Message.id).where(Message.idempotency_key == key)) is None:
                session.add(Message(direction="out", business_id=business_id, peer=to, body=part, media=[],
                                    status=MessageStatus.queued, idempotency_key=key))

    def _all_parts(self, key: str | None) -> list[int]:
        with self.db.session() as s:
            rows = s.scalars(select(Message.id).where(
                (Message.idempotency_key == key) | Message.idempotency_key.like(f"{key}#%")))
            return list(rows)

    def _store(self, business_id: int | None, to: str, body: str, media: list[str] | None,
               key: str | None) -> tuple[int, bool]:
        with self.db.session() as s:
            if key:
                found = s.scalar(select(Message).where(Message.idempotency_key == key))
                if found:
                    return found.id, found.status == MessageStatus.queued and found.sid is None
            msg = Message(direction="out", business_id=business_id, peer=to, body=body,
                          media=[{"url": u} for u in media or []], status=MessageStatus.queued,
                          idempotency_key=key)
            s.add(msg)
            try:
                s.flush()
            except IntegrityError:
                s.rollback()
                found = s.scalar(select(Message).where(Message.idempotency_key == key))
                assert found is not None
                return found.id, False
            return msg.id, True

    def _deliver(self, message_id: int) -> None:
        with self.db.session() as s:
            msg = s.get(Message, message_id)
            assert msg is not None
            if self.config.whatsapp_transport == "outbox":
                msg.sid = f"OB{uuid.uuid4().hex}"
                msg.status = MessageStatus.sent
                return
            kwargs: dict[str, Any] = {
                "from_": whatsapp_address(self.config.twilio_whatsapp_from or ""),
                "to": whatsapp_address(msg.peer), "body": msg.body}
            if msg.media:
                kwargs["media_url"] = [m["url"] for m in msg.media]
            if self.config.public_base_url:
                kwargs["status_callback"] = f"{self.config.public_base_url}/twilio/status"
            try:
                created = self.twilio.messages.create(**kwargs)
            except Exception as exc:  # twilio raises TwilioRestException and transport errors
                msg.status = MessageStatus.failed
                msg.error = _plain_twilio_error(exc)
                log.warning("sending message %s failed: %s", message_id, msg.error)
                return
            msg.sid = created.sid
            msg.status = MessageStatus(created.status) if created.status in MessageStatus.__members__ \
                else MessageStatus.queued


def resend_stranded(config: Config, db: Database, older_than: timedelta, prefix: str = "reply-") -> int:
    """Deliver staged messages (`Channel.stage`) that a crash left queued and unsent; how many.

    Only keys starting with ``prefix`` (Munshi's replies): a flow step's queued message is the
    engine's to deliver when it replays the step.
    """
    since = utcnow() - older_than
    with db.session() as s:
        rows = s.execute(select(Message.business_id, Message.peer, Message.body, Message.idempotency_key).where(
            Message.direction == "out", Message.status == MessageStatus.queued, Message.sid.is_(None),
            Message.idempotency_key.like(f"{prefix}%"), Message.created_at < since)
            .order_by(Message.id).limit(200)).all()
    channel = Channel(config, db)
    for business_id, peer, body, key in rows:
        channel.send(business_id, peer, body, idempotency_key=key)  # finds its row queued: delivers it
    return len(rows)


def _plain_twilio_error(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    text = getattr(exc, "msg", None) or exc.__class__.__name__
    return f"Twilio error {code}: {text}" if code else str(text)
