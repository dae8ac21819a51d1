"""Domain events for the flow engine: one `Event` row per (business, type, key).

A tool that changes records calls `raise_event` inside the same transaction,
so an event exists exactly when its record does. The ``key`` is the business
key of what happened (a payment's id, an invoice number, a stock movement),
which makes raising the same event twice harmless: the second insert is
dropped. Payloads follow ``spec/blueprint.md``: money in rupees as JSON
numbers, phones in E.164.

The ids of events raised in a session are collected in
``session.info["munshi_events"]`` so whoever commits can hand them to the
dispatcher straight away; undispatched rows are found later anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.export import number, rupees
from storage.models import Customer, Event, Invoice, Payment, Product

INVOICE_CREATED = "invoices.invoice_created"
PAYMENT_RECEIVED = "payments.payment_received"
STOCK_LOW = "inventory.stock_low"


def raise_event(
    session: Session, business_id: int, type_: str, key: str, payload: dict[str, Any]
) -> Event | None:
    """Insert the event unless the same (business, type, key) exists; returns it, or None if it did.

    Inside a flow run the engine's session says how deep in a chain of runs it is
    (``session.info["munshi_chain_depth"]``, the loop guard of `flows.dispatch`).
    """
    depth = int(session.info.get("munshi_chain_depth", 0))
    try:
        with session.begin_nested():
            event = Event(business_id=business_id, type=type_, key=str(key)[:200], payload=payload,
                          chain_depth=depth)
            session.add(event)
    except IntegrityError:
        return None
    session.info.setdefault("munshi_events", []).append(event.id)
    return event


def customer_payload(c: Customer | None) -> dict[str, Any] | None:
    """``{name, phone, email}`` of a customer (None when there is none)."""
    if c is None:
        return None
    return {"name": c.name, "phone": c.phone, "email": c.email}


def invoice_payload(inv: Invoice | None) -> dict[str, Any] | None:
    """An invoice as the export shows it, plus what flows like to read (due, GST split)."""
    if inv is None:
        return None
    return {
        "number": inv.number,
        "customer": inv.customer.name if inv.customer else None,
        "items": [
            {
                "product": it.product,
                "quantity": number(it.quantity),
                "unit": it.unit,
                "unit_price": rupees(it.unit_price_paise),
                "amount": rupees(it.amount_paise),
                "hsn": it.hsn,
                "gst_rate": number(it.gst_rate),
            }
            for it in inv.items
        ],
        "subtotal": rupees(inv.subtotal_paise),
        "tax": rupees(inv.tax_paise),
        "total": rupees(inv.total_paise),
        "paid": rupees(inv.paid_paise),
        "due": rupees(max(0, inv.total_paise - inv.paid_paise)),
        "status": str(inv.status),
        "gst_rate": number(inv.gst_rate),
        "tax_breakup": {k: rupees(v) for k, v in (inv.tax_breakup or {}).items() if isinstance(v, int)},
        "place_of_supply": inv.place_of_supply,
        "created_at": inv.created_at.isoformat() if inv.created_at else None,
    }


def payment_payload(p: Payment) -> dict[str, Any]:
    """``{amount, method, reference}`` plus when and where it came from."""
    return {
        "amount": rupees(p.amount_paise),
        "method": p.method,
        "reference": p.reference,
        "source": p.source,
        "received_at": p.received_at.isoformat() if p.received_at else None,
    }


def product_payload(p: Product) -> dict[str, Any]:
    """``{name, stock, unit, low_stock_threshold}`` plus the price."""
    return {
        "name": p.name,
        "stock": number(p.stock),
        "unit": p.unit,
        "low_stock_threshold": number(p.low_stock_threshold),
        "price": rupees(p.price_paise),
    }


def payment_event_data(p: Payment, invoice: Invoice | None) -> dict[str, Any]:
    """The ``payments.payment_received`` payload (``razorpay.payment_received`` adds ``razorpay``)."""
    return {
        "payment": payment_payload(p),
        "customer": customer_payload(p.customer),
        "invoice": invoice_payload(invoice),
    }
