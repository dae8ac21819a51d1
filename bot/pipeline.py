"""Everything after the HTTP layer for inbound messages: order, understand, act, reply.

Messages from one sender are handled one at a time in arrival order: the job
takes a Redis lock for the sender and then works through that sender's
pending messages oldest first, so whichever job runs first handles them in
order and the later jobs find nothing left to do (or the lock taken, and
leave their message to its holder, so no worker ever waits on another sender).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from bot.channel import Channel
from bot.errors import MunshiError, TranscriptionError
from bot.runtime import Runtime
from intents import prompts
from storage import queries
from storage.ledger import as_utc
from storage.models import Change, Message, MessageStatus, utcnow

log = logging.getLogger(__name__)

LOCK_LEASE = timedelta(minutes=10)
CLAIM_SLACK = timedelta(seconds=30)  # a claim is stored just after the lock's lease (re)starts
MAX_ATTEMPTS = 3
OUTAGE_WAIT = 60.0  # seconds a handled message's outcome waits for the database to come back
TOO_LONG = ("That message is too long for me: I read up to {limit:,} characters and it has {n:,}. "
            "Nothing was saved. Please send it in parts (a bill of a few items per message).")
ALREADY_DONE = ("✅ Done: {what}. (I had saved it just before a hiccup, so I did not do it twice.) "
                "Reply *undo* to reverse it.")
TOO_LARGE = ("A number (or a name) in \"{text}\" is too large for me to keep in the books. "
             "Nothing was changed; please check it and send it again.")


def process_sender(rt: Runtime, message_id: int) -> int:
    """Handle ``message_id``'s sender's pending messages in order; returns how many were handled."""
    with rt.db.session() as s:
        msg = s.get(Message, message_id)
        if msg is None or msg.status != MessageStatus.pending:
            return 0  # an earlier job of the same sender already handled it
        peer = msg.peer
    handled = 0
    lock = rt.redis.lock(f"{rt.config.queue_name}:sender:{peer}", timeout=LOCK_LEASE.total_seconds())
    # Never wait for the lock: a worker waiting behind one sender's long message could serve no
    # other sender. The holder handles this message too, because it looks for pending messages
    # again after letting go, so one stored while it was finishing is not left behind.
    tried: set[int] = set()  # a message left pending for a retry waits for the sweeper, not this loop
    while lock.acquire(blocking=False):
        try:
            while True:
                with rt.db.session() as s:
                    nxt = _next_to_handle(s, peer, tried)
                    if nxt is None:
                        break
                    next_id, given_up = nxt.id, nxt.attempts >= MAX_ATTEMPTS
                    if not given_up:
                        queries.claim(nxt)
                tried.add(next_id)
                if given_up:
                    _give_up(rt, next_id)
                else:
                    handle_one(rt, next_id)
                handled += 1
                lock.reacquire()  # the lease runs from just before each claim, not from the first
        finally:
            lock.release()
        with rt.db.session() as s:
            if _next_to_handle(s, peer, tried) is None:
                break
    return handled


def _next_to_handle(s: Session, peer: str, tried: set[int]) -> Message | None:
    """The sender's oldest unfinished message, if the holder of the sender's lock should take it now.

    One "processing" whose claim is older than the lock's lease was left by a worker that died: it is
    taken again, before the sender's later messages. A fresher one may still be in a live worker's
    hands (the lock was lost with Redis): the later messages wait for it (the sweeper brings them back).
    """
    nxt = queries.peek_next_inbound(s, peer)
    if nxt is None or nxt.id in tried:
        return None
    if nxt.status == MessageStatus.processing:
        claimed = as_utc(nxt.claimed_at)
        if claimed is not None and claimed > utcnow() - (LOCK_LEASE - CLAIM_SLACK):
            return None
        log.warning("message %s was left unfinished by its worker (attempt %d); handling it again",
                    nxt.id, nxt.attempts)
    return nxt


def handle_one(rt: Runtime, message_id: int) -> None:
    """Understand one claimed message, act on it and reply; the message ends done or failed."""
    channel = Channel(rt.config, rt.db)
    with rt.db.session() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        business_id, peer, body, media = msg.business_id, msg.peer, msg.body, list(msg.media or [])
        attempts = msg.attempts
    if business_id is None:
        _refuse(rt, channel, message_id, peer)
        return
    text, heard = body, None
    try:
        if media:
            from bot.voice import transcribe_message

            heard = transcribe_message(rt, business_id, media)
            text = heard
        from intents.agent import respond
        from intents.understand.engine import MAX_CHARS

        text = (text or "").replace("\x00", "")  # no real message holds a NUL, and PostgreSQL cannot keep one
        done_before = already_done(rt, message_id) if attempts > 1 else []
        if done_before:
            replies = [ALREADY_DONE.format(what="; ".join(done_before))]
        elif len(text) > MAX_CHARS:  # acting on the first part only would bill half a list
            replies = [TOO_LONG.format(limit=MAX_CHARS, n=len(text))]
        else:
            replies = respond(rt, business_id, text, message_id=message_id)
        if heard is not None:
            replies = [f"🎤 \"{heard}\"\n\n{replies[0]}" if replies else f"🎤 \"{heard}\"", *replies[1:]]
        status, error = MessageStatus.done, None
    except TranscriptionError as exc:
        if exc.context.get("retryable") and attempts < MAX_ATTEMPTS:
            _leave_pending(rt, message_id, exc.message)  # Twilio or OpenAI hiccup: the sweeper tries again
            return
        replies, status, error = [exc.message], MessageStatus.done, exc.message
    except MunshiError as exc:
        log.warning("message %s: %s", message_id, exc)
        replies, status, error = [exc.message], MessageStatus.failed, exc.message
    except (OverflowError, InvalidOperation, DataError) as exc:  # beyond a BIGINT, Decimal's 28 digits,
        # a NUMERIC(14, 3) or a column's length: "try again in a minute" would not help
        log.warning("message %s: a value too large to store (%s)", message_id, type(exc).__name__)
        replies = [TOO_LARGE.format(text=(text or "")[:60])]
        status, error = MessageStatus.failed, f"{type(exc).__name__}: a value too large to store"
    except Exception as exc:
        if database_away(exc) and attempts < MAX_ATTEMPTS:
            # Not the message's fault (a restart, a failover): left pending (once the database is
            # back: `_save_outcome` waits for it), and the sweeper hands it to a worker again.
            log.warning("message %s: the database went away (%s); left for the sweeper", message_id,
                        type(exc).__name__)
            _leave_pending(rt, message_id, f"{type(exc).__name__}: the database went away")
            return
        log.exception("message %s failed", message_id)
        replies = [prompts.ERROR.format(text=(text or "your voice note")[:60])]
        status, error = MessageStatus.failed, f"{type(exc).__name__}: {exc}"[:500]

    def finish(s: Session, msg: Message) -> None:
        msg.status, msg.error, msg.processed_at = status, error, utcnow()
        if heard is not None:
            msg.transcript = heard
        # The replies are stored with "done": a crash (or the database going away) after this commit
        # leaves them queued for the sweeper, never a message done and unanswered.
        for i, reply in enumerate(replies):
            channel.stage(s, business_id, peer, reply, idempotency_key=f"reply-{message_id}-{i}")

    _save_outcome(rt, message_id, finish)
    for i, reply in enumerate(replies):
        channel.send(business_id, peer, reply, idempotency_key=f"reply-{message_id}-{i}")
    from flows.dispatch import dispatch_pending

    dispatch_pending(rt, business_id)  # flows started by what this message did (never raises)


def already_done(rt: Runtime, message_id: int) -> list[str]:
    """What an earlier handling of this message already saved (its changes), oldest first.

    A message's records are committed by the agent, its "done" afterwards; a worker that died in
    between leaves the message to be handled again, which must not bill or move stock twice.
    """
    with rt.db.session() as s:
        return list(s.scalars(select(Change.summary).where(Change.message_id == message_id).order_by(Change.id)))


def database_away(exc: BaseException) -> bool:
    """Is ``exc`` the database being out of reach (restarted, failed over, a connection dropped)?"""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import InterfaceError, OperationalError

    # SQLAlchemy wraps the driver's errors; LangGraph's checkpointers raise the drivers' own.
    return isinstance(exc, (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError,
                            sqlite3.OperationalError))


def _leave_pending(rt: Runtime, message_id: int, reason: str) -> None:
    def leave(s: Session, msg: Message) -> None:
        msg.status, msg.error = MessageStatus.pending, reason

    _save_outcome(rt, message_id, leave)


def _save_outcome(rt: Runtime, message_id: int, save: Callable[[Session, Message], None]) -> None:
    """Store how a claimed message ended (``save`` in one transaction), waiting out a database outage.

    The work is done and its outcome in hand: trying again for up to OUTAGE_WAIT seconds rides out a
    restart or a failover, where giving up would leave the message "processing" until its lease runs
    out (10 minutes), holding back its sender's later messages.
    """
    deadline, delay = time.monotonic() + OUTAGE_WAIT, 0.25
    while True:
        try:
            with rt.db.session() as s:
                msg = s.get(Message, message_id)
                assert msg is not None
                if msg.status == MessageStatus.processing:  # else an earlier try was saved after all
                    save(s, msg)
            return
        except Exception as exc:
            if not database_away(exc) or time.monotonic() + delay > deadline:
                raise
            log.warning("message %s: the database is away (%s); saving its outcome again in %.2fs",
                        message_id, type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, 4.0)


def _give_up(rt: Runtime, message_id: int) -> None:
    """A message whose every attempt ended with its worker gone: finished, and the owner told."""
    done_before = already_done(rt, message_id)
    channel = Channel(rt.config, rt.db)
    with rt.db.session() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        log.error("message %s: giving up after %d attempts", message_id, msg.attempts)
        msg.status = MessageStatus.done if done_before else MessageStatus.failed
        msg.processed_at = utcnow()
        msg.error = f"gave up after {msg.attempts} attempts: the worker handling it stopped each time"
        reply = (ALREADY_DONE.format(what="; ".join(done_before)) if done_before
                 else prompts.ERROR.format(text=(msg.transcript or msg.body or "your voice note")[:60]))
        business_id, peer = msg.business_id, msg.peer
        channel.stage(s, business_id, peer, reply, idempotency_key=f"reply-{message_id}-0")
    channel.send(business_id, peer, reply, idempotency_key=f"reply-{message_id}-0")


def _refuse(rt: Runtime, channel: Channel, message_id: int, peer: str) -> None:
    """A sender outside ALLOWED_SENDERS gets one polite refusal, ever."""
    with rt.db.session() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        msg.status, msg.processed_at = MessageStatus.done, utcnow()
    channel.send(None, peer, prompts.NOT_ALLOWED, idempotency_key=f"refusal-{peer}")
