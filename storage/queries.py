"""Query functions for businesses and messages; each takes a `Session`."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Business, Message, MessageStatus, MessageStatusEvent, utcnow


def business_by_phone(session: Session, phone: str) -> Business | None:
    return session.scalar(select(Business).where(Business.phone == phone))


def get_or_create_business(session: Session, phone: str, name: str | None = None) -> Business:
    """The business owned by ``phone``, created on its first message (race-safe)."""
    found = business_by_phone(session, phone)
    if found:
        return found
    try:
        with session.begin_nested():
            biz = Business(phone=phone, name=name or None)
            session.add(biz)
        return biz
    except IntegrityError:  # another request created it a moment ago
        found = business_by_phone(session, phone)
        assert found is not None
        return found


def store_inbound(session: Session, *, sid: str, peer: str, body: str, media: list[dict],
                  business_id: int | None) -> tuple[Message, bool]:
    """Store an inbound message once per ``sid``; returns (message, created)."""
    existing = session.scalar(select(Message).where(Message.sid == sid))
    if existing:
        return existing, False
    try:
        with session.begin_nested():
            msg = Message(direction="in", sid=sid, peer=peer, body=body, media=media,
                          business_id=business_id, status=MessageStatus.pending)
            session.add(msg)
        return msg, True
    except IntegrityError:  # the same MessageSid raced in on another request
        existing = session.scalar(select(Message).where(Message.sid == sid))
        assert existing is not None
        return existing, False


def peek_next_inbound(session: Session, peer: str) -> Message | None:
    """The sender's oldest unfinished message: pending, or still "processing".

    Only the holder of the sender's lock looks: a message it finds "processing" was left by a
    holder that is gone (killed, or cut off from the database before it could say "done").
    """
    return session.scalar(select(Message)
                          .where(Message.direction == "in", Message.peer == peer,
                                 Message.status.in_((MessageStatus.pending, MessageStatus.processing)))
                          .order_by(Message.id).limit(1))


def claim(msg: Message) -> None:
    """Mark a message as being processed by this worker (a stale claim means the worker died)."""
    msg.status = MessageStatus.processing
    msg.claimed_at = utcnow()
    msg.attempts += 1


def stale_inbound(session: Session, *, pending_for: timedelta, processing_for: timedelta,
                  now: datetime | None = None) -> list[Message]:
    """Messages nobody is working on: pending too long, or claimed by a worker that died."""
    now = now or utcnow()
    pending = session.scalars(select(Message).where(
        Message.direction == "in", Message.status == MessageStatus.pending,
        Message.created_at < now - pending_for).order_by(Message.id).limit(500))
    stuck = session.scalars(select(Message).where(
        Message.direction == "in", Message.status == MessageStatus.processing,
        Message.claimed_at < now - processing_for).order_by(Message.id).limit(500))
    return [*pending, *stuck]


def record_status(session: Session, sid: str, status: str, error_code: str | None) -> bool:
    """Apply a Twilio status callback once per (sid, status); False when already seen."""
    try:
        with session.begin_nested():
            session.add(MessageStatusEvent(sid=sid, status=status, error_code=error_code))
    except IntegrityError:
        return False
    order = ["queued", "sent", "delivered", "read"]
    msg = session.scalar(select(Message).where(Message.sid == sid))
    if msg is None:
        return True
    if status in ("failed", "undelivered") and msg.status not in ("delivered", "read"):
        msg.status = MessageStatus(status)
        msg.error = f"Twilio error {error_code}" if error_code else status
    elif status in order and (msg.status not in order or order.index(status) > order.index(msg.status)):
        msg.status = MessageStatus(status)
    return True


def requeue(session: Session, message_id: int) -> None:
    """Put a stuck message back to pending."""
    session.execute(update(Message).where(Message.id == message_id).values(status=MessageStatus.pending))
