"""Payments: record money received and apply it to the customer's invoices.

A payment goes to the invoice named, else to the customer's oldest open
invoices (one `PaymentAllocation` per invoice it pays into; whatever is left
over stays on the payment as an advance). Each touched invoice becomes
``partially_paid`` or ``paid``; ``Payment.invoice_id`` is the first invoice it
was applied to. Recording raises ``payments.payment_received``. A payment
with a ``(source, external_id)`` already recorded (a replayed Razorpay
webhook) is returned as it is, not recorded twice.

Methods are canonical: ``cash``, ``upi``, ``bank_transfer``, ``card``, ``cheque``.

Tools: ``payments.record_payment``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.errors import ValidationFailed
from storage import events
from storage.ledger import (
    as_utc,
    inr,
    invoice_due,
    open_invoices,
    record_change,
    refresh_invoice_payment,
    to_paise,
)
from storage.models import Customer, Invoice, InvoiceStatus, Payment, PaymentAllocation, utcnow
from tools.base import BaseTool, ToolContext
from tools.customers import customer_for

METHODS = ("cash", "upi", "bank_transfer", "card", "cheque")
_METHOD_WORDS = [
    (r"g ?pay|google ?pay|phone ?pe|paytm|bhim|upi|amazon ?pay|qr|online|vpa|wallet|netbanking_upi", "upi"),
    (r"neft|imps|rtgs|bank|transfer|netbanking|net banking|emandate|nach", "bank_transfer"),
    (r"card|credit|debit|emi|swipe|pos", "card"),
    (r"cheque|check|chq|dd|draft", "cheque"),
    (r"cash|nakad|nagad", "cash"),
]
METHOD_LABELS = {
    "cash": "cash",
    "upi": "UPI",
    "bank_transfer": "bank transfer",
    "card": "card",
    "cheque": "cheque",
}


def canonical_method(method: str | None) -> str | None:
    """``PhonePe`` → ``upi``, ``NEFT`` → ``bank_transfer``; None when not given or not known."""
    if not method:
        return None
    m = method.strip().lower().replace("-", " ").replace("_", " ")
    if m.replace(" ", "_") in METHODS:
        return m.replace(" ", "_")
    for pattern, canonical in _METHOD_WORDS:
        if re.search(rf"\b(?:{pattern})\b", m):
            return canonical
    return None


@dataclass
class PaymentResult:
    """A recorded payment and where its money went."""

    payment: Payment
    applied: list[tuple[Invoice, int]] = field(default_factory=list)
    advance_paise: int = 0
    duplicate: bool = False
    customer_created: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.payment.id,
            "amount": events.payment_payload(self.payment)["amount"],
            "customer": events.customer_payload(self.payment.customer),
            "applied": [
                {
                    "invoice": inv.number,
                    "amount": amt / 100 if amt % 100 else amt // 100,
                    "status": str(inv.status),
                }
                for inv, amt in self.applied
            ],
            "advance": self.advance_paise / 100 if self.advance_paise % 100 else self.advance_paise // 100,
            "duplicate": self.duplicate,
        }


def record_payment(
    session: Session,
    business_id: int,
    customer: Customer | None,
    amount_paise: int,
    *,
    method: str | None = None,
    reference: str | None = None,
    invoice: Invoice | None = None,
    source: str = "chat",
    external_id: str | None = None,
    received_at: datetime | None = None,
    customer_created: bool = False,
) -> PaymentResult:
    """Record a payment, apply it to invoices, remember it for undo and raise the event."""
    if amount_paise <= 0:
        raise ValidationFailed("a payment must be more than ₹0", tool="payments.record_payment")
    if external_id:
        existing = session.scalar(
            select(Payment).where(
                Payment.business_id == business_id,
                Payment.source == source,
                Payment.external_id == external_id,
            )
        )
        if existing is not None:
            return PaymentResult(existing, duplicate=True)
    if invoice is not None:
        if invoice.business_id != business_id:
            raise ValidationFailed("no such invoice", tool="payments.record_payment")
        if invoice.status == InvoiceStatus.cancelled:
            raise ValidationFailed(f"invoice {invoice.number} is cancelled", tool="payments.record_payment")
        if customer is None:
            customer = invoice.customer
    payment = Payment(
        business_id=business_id,
        customer_id=customer.id if customer else None,
        customer=customer,
        amount_paise=amount_paise,
        method=canonical_method(method) or (method or None),
        reference=(reference or None),
        source=source,
        external_id=external_id,
        received_at=as_utc(received_at) or utcnow(),
    )
    session.add(payment)
    session.flush()
    targets: list[Invoice] = []
    if invoice is not None:
        targets.append(invoice)
    if customer is not None:
        targets += [
            i
            for i in open_invoices(session, business_id, customer.id)
            if invoice is None or i.id != invoice.id
        ]
    left = amount_paise
    applied: list[tuple[Invoice, int]] = []
    for inv in targets:
        due = invoice_due(inv)
        if left <= 0 or due <= 0:
            continue
        part = min(left, due)
        session.add(PaymentAllocation(payment_id=payment.id, invoice_id=inv.id, amount_paise=part))
        left -= part
        applied.append((inv, part))
    session.flush()
    for inv, _ in applied:
        refresh_invoice_payment(session, inv)
    if applied:
        payment.invoice_id = applied[0][0].id
    session.flush()
    who = customer.name if customer else "unknown customer"
    if source == "chat":  # the owner's own record; a Razorpay or API payment is not theirs to "undo"
        record_change(
            session,
            business_id,
            "payment_recorded",
            f"payment of {inr(amount_paise)} from {who}",
            {
                "payment_id": payment.id,
                "created_customer_id": customer.id if customer and customer_created else None,
            },
        )
    events.raise_event(
        session,
        business_id,
        events.PAYMENT_RECEIVED,
        f"payment-{payment.id}",
        events.payment_event_data(payment, applied[0][0] if applied else None),
    )
    return PaymentResult(payment, applied, left, customer_created=customer_created)


def unapplied(session: Session, business_id: int, customer_id: int) -> list[tuple[Payment, int]]:
    """The customer's payments with money not yet applied to any invoice (advances), oldest first."""
    applied = (
        select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount_paise).label("used"))
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    rows = session.execute(
        select(Payment, func.coalesce(applied.c.used, 0))
        .outerjoin(applied, applied.c.payment_id == Payment.id)
        .where(Payment.business_id == business_id, Payment.customer_id == customer_id)
        .order_by(Payment.received_at, Payment.id)
    ).all()
    return [(p, p.amount_paise - int(used)) for p, used in rows if p.amount_paise > int(used)]


def apply_advances(session: Session, business_id: int, inv: Invoice) -> int:
    """Pay ``inv`` from the customer's advances (oldest first); returns how much was applied, in paise."""
    if inv.status == InvoiceStatus.cancelled:
        return 0
    total = 0
    for payment, free in unapplied(session, business_id, inv.customer_id):
        due = invoice_due(inv)
        if due <= 0:
            break
        part = min(free, due)
        session.add(PaymentAllocation(payment_id=payment.id, invoice_id=inv.id, amount_paise=part))
        if payment.invoice_id is None:
            payment.invoice_id = inv.id
        total += part
        refresh_invoice_payment(session, inv)
    return total


def release_allocations(session: Session, inv: Invoice) -> list[list[int]]:
    """Take the money applied to ``inv`` off it (it becomes advance); returns ``[[payment_id, paise]]``."""
    released = []
    for a in session.scalars(
        select(PaymentAllocation).where(PaymentAllocation.invoice_id == inv.id).order_by(PaymentAllocation.id)
    ):
        released.append([a.payment_id, a.amount_paise])
        session.delete(a)
    for p in session.scalars(select(Payment).where(Payment.invoice_id == inv.id)):
        p.invoice_id = None
    session.flush()
    refresh_invoice_payment(session, inv)
    return released


def restore_allocations(session: Session, inv: Invoice, released: list[list[int]]) -> None:
    """Put back what `release_allocations` took off (payments deleted since are skipped)."""
    for payment_id, paise in released:
        payment = session.get(Payment, payment_id)
        if payment is None:
            continue
        session.add(PaymentAllocation(payment_id=payment_id, invoice_id=inv.id, amount_paise=paise))
        if payment.invoice_id is None:
            payment.invoice_id = inv.id
    session.flush()
    refresh_invoice_payment(session, inv)


# ------------------------------------------------------------------ tools


class RecordPaymentParams(BaseModel):
    amount: Decimal = Field(gt=0, description="rupees")
    customer: str | None = Field(None, description="customer name (created when new)")
    customer_id: int | None = None
    method: str | None = Field(None, description="cash, upi, bank_transfer, card or cheque (apps map to upi)")
    reference: str | None = None
    invoice: str | None = Field(None, description="invoice number to apply it to; else oldest open invoices")
    received_at: datetime | None = None
    source: str = "chat"
    external_id: str | None = None


class RecordPayment(BaseTool):
    name = "payments.record_payment"
    description = (
        "Record a payment received from a customer (amount in rupees, method, optional invoice); "
        "it is applied to that invoice or to the customer's oldest unpaid invoices."
    )
    Params = RecordPaymentParams
    outputs = ("id", "amount", "customer", "applied", "advance", "duplicate")
    idempotent = True  # a repeated (source, external_id) returns the first payment

    def run(self, ctx: ToolContext, params: RecordPaymentParams) -> dict[str, Any]:
        from tools.invoices import resolve_invoice

        invoice = resolve_invoice(ctx.session, ctx.business_id, params.invoice) if params.invoice else None
        customer, created = None, False
        if params.customer_id is not None or params.customer:
            customer, created = customer_for(
                ctx.session, ctx.business_id, customer_id=params.customer_id, name=params.customer
            )
        external_id = params.external_id or (f"key:{ctx.idempotency_key}" if ctx.idempotency_key else None)
        result = record_payment(
            ctx.session,
            ctx.business_id,
            customer,
            to_paise(params.amount),
            method=params.method,
            reference=params.reference,
            invoice=invoice,
            source=params.source,
            external_id=external_id,
            received_at=params.received_at,
            customer_created=created,
        )
        return result.as_dict()


TOOLS: list[BaseTool] = [RecordPayment()]
