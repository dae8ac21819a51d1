"""Razorpay webhooks: a captured payment or a paid payment link becomes a recorded payment.

``POST /webhooks/razorpay/<business webhook id>`` belongs to one business and
its connected account; ``POST /webhooks/razorpay`` to the account in the
environment (a single-shop deployment). The signature is checked over the raw
body with the razorpay SDK's utility; a delivery is deduplicated on the
payment id (the business key: ``payment.captured`` and ``payment_link.paid``
of one payment are one payment) and on ``x-razorpay-event-id``.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import razorpay
from flask import Blueprint, Response, abort, current_app, jsonify, request
from razorpay.errors import SignatureVerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import credentials
from bot.channel import Channel
from bot.runtime import Runtime
from bot.webhooks.hooks import storable
from storage import events
from storage.models import Business, Customer, Invoice, Payment
from tools.customers import create_customer
from tools.payments import record_payment

log = logging.getLogger(__name__)
bp = Blueprint("razorpay", __name__, url_prefix="/webhooks/razorpay")

RAZORPAY_RECEIVED = "razorpay.payment_received"
HANDLED = ("payment.captured", "payment_link.paid")


def runtime() -> Runtime:
    return current_app.extensions["munshi"]


@bp.post("/<webhook_id>")
def business_webhook(webhook_id: str) -> Response:
    rt = runtime()
    with rt.db.session() as s:
        biz = s.scalar(select(Business).where(Business.webhook_id == webhook_id))
        creds = biz and credentials.load(s, rt.config.secret_key, biz.id, "razorpay")
        if not biz or not creds or not creds.get("webhook_secret"):
            abort(404)
        business_id, secret = biz.id, creds["webhook_secret"]
    return _handle(rt, business_id, secret)  # outside the session: it sends, which writes elsewhere


@bp.post("")
def account_webhook() -> Response:
    rt = runtime()
    secret = rt.config.razorpay_webhook_secret
    if not secret:
        abort(404)
    with rt.db.session() as s:
        biz = _single_shop(s, rt)
    if biz is None:
        log.warning("Razorpay webhook for the environment's account but no business to record it for")
        abort(409)
    return _handle(rt, biz.id, secret)


def _single_shop(s: Any, rt: Runtime) -> Business | None:
    """The business of the first ALLOWED_SENDERS number, else the only business."""
    if rt.config.allowed_senders:
        return s.scalar(select(Business).where(Business.phone == rt.config.allowed_senders[0]))
    found = s.scalars(select(Business).limit(2)).all()
    return found[0] if len(found) == 1 else None


def _handle(rt: Runtime, business_id: int, secret: str) -> Response:
    raw = request.get_data(cache=True)
    signature = request.headers.get("X-Razorpay-Signature", "")
    try:
        razorpay.Utility(None).verify_webhook_signature(raw.decode("utf-8"), signature, secret)
    except (SignatureVerificationError, UnicodeDecodeError, TypeError):
        log.warning("rejected a Razorpay webhook with a bad signature")
        abort(400)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        abort(400)
    if not isinstance(body, dict):
        abort(400)
    kind = body.get("event")
    payload = _obj(body.get("payload"))
    entity = _obj(_obj(payload.get("payment")).get("entity"))
    if not isinstance(kind, str) or kind not in HANDLED or not entity.get("id"):
        return jsonify(status="ignored", event=kind if isinstance(kind, str) else None)
    problem = _malformed(entity)
    if problem:  # signed, so Razorpay's (or a test's): say what is wrong rather than fail inside
        log.warning("refused a Razorpay webhook: %s", problem)
        return _bad_request(problem)
    link = _obj(_obj(payload.get("payment_link")).get("entity"))
    event_id = (request.headers.get("x-razorpay-event-id") or "")[:100]
    try:
        with rt.db.session() as s:
            result = _record(s, business_id, entity, link, event_id)
    except IntegrityError:  # the same payment raced in on a concurrent delivery
        return jsonify(status="duplicate")
    if result is None:
        return jsonify(status="duplicate")
    owner, text = result
    Channel(rt.config, rt.db).send(business_id, owner, text, idempotency_key=f"razorpay-{entity['id']}")
    _dispatch(rt, business_id)
    return jsonify(status="recorded")


MAX_PAISE = 10**15  # ₹10 lakh crore: more than any one payment, well inside a BIGINT


def _obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (Razorpay sends ``[]`` for "no notes")."""
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str | None:
    """A text field as Munshi can store it: text, without NUL characters, at most ``limit`` long."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value).replace("\x00", "").strip()[:limit] or None


def _malformed(entity: dict[str, Any]) -> str | None:
    """Why a payment entity cannot be recorded (None when it can)."""
    pid, amount = entity.get("id"), entity.get("amount")
    if not isinstance(pid, str) or not 0 < len(pid) <= 100 or "\x00" in pid:
        return "the payment id is not a Razorpay id"
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < MAX_PAISE:
        return "the amount is not a whole number of paise"
    return None


def _bad_request(problem: str) -> Response:
    response = jsonify(status="refused", error=problem)
    response.status_code = 400
    return response


def _received_at(entity: dict[str, Any]) -> datetime | None:
    """When the payment was made (Razorpay's ``created_at``, Unix seconds), if that is a sensible time."""
    value = entity.get("created_at")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 2**33:
        return None
    return datetime.fromtimestamp(int(value), UTC)


def _dispatch(rt: Runtime, business_id: int) -> None:
    """Hand the new events to the flow engine."""
    from flows.dispatch import dispatch_pending

    dispatch_pending(rt, business_id)


def _record(s: Any, business_id: int, entity: dict[str, Any], link: dict[str, Any],
            event_id: str) -> tuple[str, str] | None:
    if s.scalar(select(Payment.id).where(Payment.business_id == business_id, Payment.source == "razorpay",
                                         Payment.external_id == entity["id"])):
        return None
    customer, created = _customer(s, business_id, entity, link)
    invoice = _invoice(s, business_id, entity, link)
    method = _text(entity.get("method"), 30)
    received = _received_at(entity)
    result = record_payment(s, business_id, customer, entity["amount"], method=method,
                            reference=entity["id"], invoice=invoice, source="razorpay",
                            external_id=entity["id"], received_at=received, customer_created=created)
    if result.duplicate:
        return None
    data = events.payment_event_data(result.payment, result.applied[0][0] if result.applied else None)
    try:
        data["razorpay"] = storable(entity)
    except ValueError:  # nested beyond reason: keep what matters
        data["razorpay"] = {k: entity[k] for k in ("id", "amount", "method") if k in entity}
    data["razorpay_event_id"] = event_id
    events.raise_event(s, business_id, RAZORPAY_RECEIVED, entity["id"], data)
    owner = s.get(Business, business_id).phone
    amount = events.payment_payload(result.payment)["amount"]
    from intents.understand.money import format_inr

    text = f"💰 Razorpay: {format_inr(amount)} received from {customer.name} ({method or 'online'})"
    if result.applied:
        text += " for " + ", ".join(f"{inv.number} ({inv.status})" for inv, _ in result.applied)
    return owner, text + "."


def _notes(entity: dict[str, Any], link: dict[str, Any]) -> dict[str, Any]:
    notes: dict[str, Any] = {}
    for source in (link.get("notes"), entity.get("notes")):
        if isinstance(source, dict):  # Razorpay sends an empty list when there are no notes
            notes.update(source)
    return notes


def _customer(s: Any, business_id: int, entity: dict[str, Any], link: dict[str, Any]) -> tuple[Customer, bool]:
    """Match by phone, then email, then a name in the notes; otherwise create the customer."""
    from intents.understand.phones import to_e164

    notes = _notes(entity, link)
    payer = _obj(link.get("customer"))
    phone = to_e164(_text(entity.get("contact") or payer.get("contact"), 30) or "")
    email = (_text(entity.get("email") or payer.get("email"), 254) or "").lower() or None
    if email is not None and "@" not in email:
        email = None
    name = _text(notes.get("customer") or notes.get("customer_name") or notes.get("name") or payer.get("name"), 200)
    q = select(Customer).where(Customer.business_id == business_id)
    for cond in ((Customer.phone == phone) if phone else None, (Customer.email == email) if email else None,
                 (Customer.name == name) if name else None):
        if cond is not None:
            found = s.scalars(q.where(cond).order_by(Customer.id).limit(1)).first()
            if found:
                return found, False
    display = name if name else (email.split("@")[0].replace(".", " ").title()[:200] if email
                                 else f"Razorpay customer {phone or ''}".strip())
    return create_customer(s, business_id, display, phone=phone, email=email), True


def _invoice(s: Any, business_id: int, entity: dict[str, Any], link: dict[str, Any]) -> Invoice | None:
    """The invoice named by the payment link's reference_id or the notes, when it is ours."""
    notes = _notes(entity, link)
    number = _text(link.get("reference_id") or notes.get("invoice") or notes.get("invoice_number"), 40)
    if not number:
        return None
    return s.scalar(select(Invoice).where(Invoice.business_id == business_id, Invoice.number == number))
