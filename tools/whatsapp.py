"""WhatsApp actions of flows: ``whatsapp.send_message`` and ``whatsapp.send_document``.

Both go through the one outbound `Channel` (stored first, unique on the
idempotency key, then Twilio or the local outbox). ``to`` is ``owner`` (the
shop's own number), an E.164 number, or a 10-digit Indian mobile.

Exactly once: the step's idempotency key names the message. A retry finds
the message already stored and sent and returns it instead of sending again;
only a message that Twilio refused is tried again, under ``key~2``,
``key~3``… so each attempt stays recorded.

WhatsApp's 24-hour rule (Twilio transport only): a free-form message may go
only to a number that wrote to us in the last 24 hours. Outside that window
the step sends the approved template named by ``content_sid`` (with
``content_variables``), or fails with a reason the owner can act on. The
local outbox has no such rule.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import timedelta
from typing import Any, cast

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Table, bindparam, select, update

from bot.channel import Channel, whatsapp_address
from bot.errors import PermanentToolError, ToolError, TransientToolError, ValidationFailed
from flows.dispatch import insert_ignoring
from storage.models import Message, MessageStatus, utcnow
from tools.base import BaseTool, ToolContext
from tools.connections import config_of, owner_phone, release

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
MAX_ATTEMPT_KEYS = 20
_SEPARATORS = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
#: Twilio error codes that retrying may cure (rate limits, queue overflow, Twilio's own trouble).
TRANSIENT_CODES = frozenset({"20429", "20500", "20503", "30001", "30008", "63018", "63038"})
_TWILIO_CODE = re.compile(r"Twilio error (\d+)")


def normalise_phone(value: str) -> str:
    """``owner``, or the number in E.164 (a 10-digit Indian mobile gets +91); ValueError otherwise."""
    text = str(value).strip()
    if text.lower() == "owner":
        return "owner"
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        if len(digits) == 11 and digits.startswith("0"):
            digits = digits[1:]
        if len(digits) == 12 and digits.startswith("91"):
            digits = digits[2:]
        if len(digits) == 10 and digits.isdigit() and digits[0] in "6789":
            digits = "+91" + digits
    if not _E164.match(digits):
        raise ValueError(f"'{value}' is not a phone number (use +91XXXXXXXXXX or 'owner')")
    return digits


class _Recipient(BaseModel):
    to: str = Field(description="'owner', an E.164 number (+919876543210) or a 10-digit Indian mobile")

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, value: Any) -> str:
        if value is None or isinstance(value, (dict, list, bool)):
            raise ValueError("'to' must be a phone number or 'owner'")
        return normalise_phone(str(value))


class SendMessageParams(_Recipient):
    message: str = Field(min_length=1, max_length=10_000)
    content_sid: str | None = Field(None, description="approved WhatsApp template (HX…) for outside 24 hours")
    content_variables: dict[str, str] | None = None

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value

    @field_validator("content_sid")
    @classmethod
    def _sid(cls, value: str | None) -> str | None:
        if value is not None and not _CONTENT_SID.match(value.strip()):
            raise ValueError("content_sid must be a Twilio Content SID: HX followed by 32 hex characters")
        return value.strip() if value else None

    @field_validator("content_variables", mode="before")
    @classmethod
    def _variables(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): "" if v is None else str(v) for k, v in value.items()}
        return value


class SendDocumentParams(_Recipient):
    document: str = Field(min_length=1, description="'invoice_pdf' (the trigger's invoice) or an https URL")
    caption: str | None = Field(None, max_length=1024)
    invoice: str | None = Field(None, description="invoice number for invoice_pdf (default: the trigger's)")

    @field_validator("document")
    @classmethod
    def _document(cls, value: str) -> str:
        value = value.strip()
        if value in ("invoice_pdf", "invoice"):
            return "invoice_pdf"
        if re.match(r"^https://[^\s/]+(/\S*)?$", value):
            return value
        raise ValueError("document must be 'invoice_pdf' or an https:// link to the file")


def _runtime_db(ctx: ToolContext) -> Any:
    rt = ctx.extra.get("runtime")
    if rt is not None:
        return rt.db
    from bot.runtime import get_runtime

    return get_runtime().db


def _channel(ctx: ToolContext) -> Channel:
    return Channel(config_of(ctx), _runtime_db(ctx), twilio_client=ctx.extra.get("twilio_client"))


class _StepChannel(Channel):
    """The outbox channel writing in the flow step's own transaction.

    In outbox mode sending is storing: done in the session that also stores
    the step's result, the message and "this step succeeded" are committed
    together (and on SQLite without a second connection, which would wait for
    the write lock the step holds). `Channel.send` decides everything (parts,
    idempotency keys, duplicates); only where rows are written differs.
    """

    def __init__(self, config: Any, db: Any, session: Any) -> None:
        super().__init__(config, db)
        self.session = session
        self.sent: dict[int, str] = {}  # message id → sid, of what this call stored

    def _store(self, business_id: int | None, to: str, body: str, media: list[str] | None,
               key: str | None) -> tuple[int, bool]:
        # Stored already sent (the outbox delivers by storing): one INSERT … ON CONFLICT DO NOTHING, and only
        # when the key was used before, a look at what it holds.
        conn = self.session.connection()
        sid = f"OB{uuid.uuid4().hex}"
        values = {"direction": "out", "business_id": business_id, "peer": to, "body": body,
                  "media": [{"url": u} for u in media or []], "status": MessageStatus.sent.value,
                  "sid": sid, "idempotency_key": key, "attempts": 0, "created_at": utcnow()}
        stmt = insert_ignoring(self.session.get_bind().dialect.name, _messages, ("idempotency_key",), "id")
        row_id = conn.execute(stmt, values).scalar()
        if row_id is not None:
            self.sent[int(row_id)] = sid
            return int(row_id), True
        found = conn.execute(_FIND, {"key": key}).first()
        assert found is not None
        return found.id, found.status == MessageStatus.queued and found.sid is None

    def _deliver(self, message_id: int) -> None:
        assert self.config.whatsapp_transport == "outbox"
        if message_id not in self.sent:  # a row left queued by a crash in the middle of `Channel.send`
            sid = f"OB{uuid.uuid4().hex}"
            self.session.connection().execute(_SENT, {"b_id": message_id, "sid": sid})
            self.sent[message_id] = sid

    def _all_parts(self, key: str | None) -> list[int]:
        return list(self.session.scalars(select(Message.id).where(
            (Message.idempotency_key == key) | Message.idempotency_key.like(f"{key}#%")).order_by(Message.id)))


_messages = cast(Table, Message.__table__)
_FIND = select(_messages.c.id, _messages.c.status, _messages.c.sid).where(
    _messages.c.idempotency_key == bindparam("key"))
_SENT = update(_messages).where(_messages.c.id == bindparam("b_id")).values(
    sid=bindparam("sid"), status=MessageStatus.sent.value)
_STATE = select(_messages.c.status, _messages.c.sid, _messages.c.error).where(_messages.c.id == bindparam("id"))


def in_step(ctx: ToolContext) -> bool:
    """True when the message can be stored in the flow step's own transaction (the outbox, in the engine)."""
    return config_of(ctx).whatsapp_transport == "outbox" and bool(ctx.extra.get("own_session")) \
        and ctx.session is not None


def recipient(ctx: ToolContext, to: str) -> str:
    """``owner`` → the shop's number; a number as it is."""
    if to != "owner":
        return to
    phone = owner_phone(ctx)
    if not phone:
        raise PermanentToolError("the shop has no WhatsApp number to send to")
    return phone


def in_window(ctx: ToolContext, phone: str) -> bool:
    """True when ``phone`` wrote to us in the last 24 hours (WhatsApp then allows free-form messages)."""
    since = (ctx.extra.get("now") or utcnow()) - WINDOW
    return ctx.session.scalar(select(Message.id).where(
        Message.direction == "in", Message.peer == phone, Message.created_at >= since).limit(1)) is not None


def _refused(to: str, error: str | None) -> ToolError:
    """A Twilio refusal as a permanent or transient error, in plain words."""
    text = error or "Twilio did not accept it"
    match = _TWILIO_CODE.search(text)
    code = match.group(1) if match else None
    plain = f"WhatsApp did not take the message to {to}: {text}"
    if code == "63016":
        plain = (f"{to} has not messaged you in the last 24 hours, so WhatsApp allows only an approved "
                 "template message (add content_sid to this step)")
    if code is None or code in TRANSIENT_CODES:
        return TransientToolError(plain, to=to, code=code)
    return PermanentToolError(plain, to=to, code=code)


def _state(channel: Channel, message_id: int) -> tuple[str, str | None, str | None]:
    with channel.db.session() as s:
        msg = s.get(Message, message_id)
        if msg is None:
            raise TransientToolError("the message was not stored; trying again is safe")
        return str(msg.status), msg.sid, msg.error


def send(ctx: ToolContext, to: str, body: str, *, media: list[str] | None = None,
         content_sid: str | None = None, content_variables: dict[str, str] | None = None) -> dict[str, Any]:
    """Send once per ``ctx.idempotency_key`` (see the module docstring); ``{"message_id", "to"}``."""
    config = config_of(ctx)
    to = recipient(ctx, to)
    template = None
    if config.whatsapp_transport == "twilio" and not in_window(ctx, to):
        if not content_sid:
            raise PermanentToolError(
                f"{to} has not messaged you in the last 24 hours, so WhatsApp allows only an approved "
                "template message there. Add an approved template (content_sid) to this step, or ask them "
                "to message you first.", to=to)
        template = (content_sid, content_variables or {})
    if in_step(ctx):
        channel: Channel = _StepChannel(config, _runtime_db(ctx), ctx.session)
    else:
        release(ctx)  # the channel writes on its own connection
        channel = _channel(ctx)
    base = ctx.idempotency_key or f"tool-{uuid.uuid4().hex}"
    failed = (str(MessageStatus.failed), str(MessageStatus.undelivered))
    for n in range(1, MAX_ATTEMPT_KEYS + 1):
        key = base if n == 1 else f"{base}~{n}"
        if template is not None:
            message_id, fresh = _send_template(channel, ctx.business_id, to, body, template, key)
        else:
            sent = channel.send(ctx.business_id, to, body, media=media, idempotency_key=key)
            message_id, fresh = sent.message_ids[0], not sent.duplicate
        if isinstance(channel, _StepChannel):
            if fresh:
                return {"message_id": channel.sent.get(message_id) or str(message_id), "to": to}
            found = ctx.session.connection().execute(_STATE, {"id": message_id}).first()
            status, sid, error = str(found.status), found.sid, found.error
        else:
            status, sid, error = _state(channel, message_id)
        if status in failed:
            if fresh:
                raise _refused(to, error)
            continue  # an earlier attempt was refused: this one goes out under the next key
        out: dict[str, Any] = {"message_id": sid or str(message_id), "to": to}
        if not fresh:
            out["duplicate"] = True  # sent before (a retried or replayed step): not sent again
        return out
    raise PermanentToolError(f"WhatsApp refused this message {MAX_ATTEMPT_KEYS} times; not trying again")


def _send_template(channel: Channel, business_id: int, to: str, body: str,
                   template: tuple[str, dict[str, str]], key: str) -> tuple[int, bool]:
    """A Twilio Content (approved template) message, stored like every other outbound message.

    Returns the message id and whether it was sent now (False: that key was sent before).
    """
    content_sid, variables = template
    with channel.db.session() as s:
        msg = s.scalar(select(Message).where(Message.idempotency_key == key))
        if msg is not None and not (msg.status == MessageStatus.queued and msg.sid is None):
            return msg.id, False
        if msg is None:
            msg = Message(direction="out", business_id=business_id, peer=to,
                          body=f"[template {content_sid}] {body}", media=[], status=MessageStatus.queued,
                          idempotency_key=key)
            s.add(msg)
            s.flush()
        message_id = msg.id
    kwargs: dict[str, Any] = {"from_": whatsapp_address(channel.config.twilio_whatsapp_from or ""),
                              "to": whatsapp_address(to), "content_sid": content_sid,
                              "content_variables": json.dumps(variables)}
    if channel.config.public_base_url:
        kwargs["status_callback"] = f"{channel.config.public_base_url}/twilio/status"
    try:
        created = channel.twilio.messages.create(**kwargs)
        sid, status, error = created.sid, MessageStatus.sent, None
    except Exception as exc:  # twilio raises TwilioRestException and transport errors
        code = getattr(exc, "code", None)
        sid, status = None, MessageStatus.failed
        error = f"Twilio error {code}: {getattr(exc, 'msg', exc)}" if code else type(exc).__name__
    with channel.db.session() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        msg.sid, msg.status, msg.error = sid, status, error
    return message_id, True


class SendMessage(BaseTool):
    name = "whatsapp.send_message"
    description = ("Send a WhatsApp message to the owner ('owner') or a customer's number. Outside WhatsApp's "
                   "24-hour window an approved template (content_sid) is needed.")
    Params = SendMessageParams
    outputs = ("message_id", "to")
    writes = True
    idempotent = True
    external = True  # calls out or writes on its own connection (flows.engine commits first)

    def reaches_out(self, ctx: ToolContext) -> bool:
        """Only Twilio is outside; the outbox is a row in the step's own transaction."""
        return not in_step(ctx)

    def run(self, ctx: ToolContext, params: SendMessageParams) -> dict[str, Any]:
        return send(ctx, params.to, params.message, content_sid=params.content_sid,
                    content_variables=params.content_variables)

    def describe(self, ctx: ToolContext, params: SendMessageParams) -> str:
        return f"WhatsApp {params.to}: {params.message[:80]}"


class SendDocument(BaseTool):
    name = "whatsapp.send_document"
    description = "Send a document on WhatsApp, e.g. the invoice PDF ('invoice_pdf') with a caption."
    Params = SendDocumentParams
    outputs = ("message_id", "to")
    writes = True
    idempotent = True
    external = True  # calls out or writes on its own connection (flows.engine commits first)

    def reaches_out(self, ctx: ToolContext) -> bool:
        return not in_step(ctx)

    def run(self, ctx: ToolContext, params: SendDocumentParams) -> dict[str, Any]:
        url = params.document
        if url == "invoice_pdf":
            url = self._invoice_link(ctx, params)
        return send(ctx, params.to, params.caption or "", media=[url])

    @staticmethod
    def _invoice_link(ctx: ToolContext, params: SendDocumentParams) -> str:
        number = params.invoice
        if not number:
            invoice = (ctx.extra.get("trigger_data") or {}).get("invoice")
            number = invoice.get("number") if isinstance(invoice, dict) else None
        if not number:
            raise ValidationFailed("whatsapp.send_document: which invoice? This trigger has none; "
                                   "set 'invoice' to an invoice number", tool="whatsapp.send_document")
        from tools.registry import get

        link = get("invoices.pdf_link")(ctx, {"invoice": number})
        return str(link["url"])


TOOLS: list[BaseTool] = [SendMessage(), SendDocument()]
