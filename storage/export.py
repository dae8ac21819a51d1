"""`python -m bot export`: every record of every business (or of one) as plain JSON.

Credentials stay out of it: values of secret-sounding step params in the
flows' blueprints (an ``Authorization`` header, a Slack ``webhook_url``…) are
written ``[hidden]`` as in the run logs (`flows.engine.redact`), and the
one-time dashboard login links in the message history lose their token.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    Business,
    Customer,
    Flow,
    Invoice,
    Message,
    Payment,
    PaymentAllocation,
    Product,
    Run,
    SheetRow,
)


def rupees(paise: int | None) -> int | float | None:
    """Paise → rupees as a JSON number (whole rupees stay integers)."""
    if paise is None:
        return None
    return paise // 100 if paise % 100 == 0 else paise / 100


def number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _iso(dt: Any) -> str | None:
    return dt.isoformat() if dt else None


_LOGIN_LINK = re.compile(r"(/login/)[A-Za-z0-9_-]{16,}")


def _blueprint(blueprint: Any) -> Any:
    """The blueprint with its steps' credentials hidden."""
    from flows.engine import redact

    if not isinstance(blueprint, dict):
        return blueprint
    nodes = []
    for node in blueprint.get("nodes") or []:
        data = node.get("data") if isinstance(node, dict) else None
        if isinstance(data, dict) and isinstance(data.get("params"), dict):
            node = {**node, "data": {**data, "params": redact(data["params"])}}
        nodes.append(node)
    return {**blueprint, "nodes": nodes}


def _body(text: str | None) -> str | None:
    return _LOGIN_LINK.sub(r"\1[hidden]", text) if text else text


def export_business(s: Session, biz: Business) -> dict[str, Any]:
    """All of one business's data in the console contract's shape."""
    bid = biz.id
    customers = s.scalars(select(Customer).where(Customer.business_id == bid).order_by(Customer.id)).all()
    names = {c.id: c.name for c in customers}
    invoices = s.scalars(select(Invoice).where(Invoice.business_id == bid).order_by(Invoice.id)).all()
    numbers = {i.id: i.number for i in invoices}
    payments = s.scalars(select(Payment).where(Payment.business_id == bid).order_by(Payment.id)).all()
    first_alloc: dict[int, int] = {}
    for a in s.scalars(select(PaymentAllocation).join(Payment).where(Payment.business_id == bid)
                       .order_by(PaymentAllocation.id)):
        first_alloc.setdefault(a.payment_id, a.invoice_id)
    return {
        "phone": biz.phone, "name": biz.name, "address": biz.address, "gstin": biz.gstin, "state": biz.state,
        "customers": [{"name": c.name, "phone": c.phone, "email": c.email, "gstin": c.gstin, "state": c.state}
                      for c in customers],
        "products": [{"name": p.name, "unit": p.unit, "price": rupees(p.price_paise), "stock": number(p.stock),
                      "low_stock_threshold": number(p.low_stock_threshold), "hsn": p.hsn,
                      "gst_rate": number(p.gst_rate)}
                     for p in s.scalars(select(Product).where(Product.business_id == bid).order_by(Product.id))],
        "invoices": [{"number": i.number, "customer": names.get(i.customer_id),
                      "items": [{"product": it.product, "quantity": number(it.quantity), "unit": it.unit,
                                 "unit_price": rupees(it.unit_price_paise), "amount": rupees(it.amount_paise)}
                                for it in i.items],
                      "subtotal": rupees(i.subtotal_paise), "tax": rupees(i.tax_paise),
                      "total": rupees(i.total_paise), "paid": rupees(i.paid_paise), "status": str(i.status),
                      "created_at": _iso(i.created_at)} for i in invoices],
        "payments": [{"amount": rupees(p.amount_paise), "customer": names.get(p.customer_id or -1),
                      "invoice": numbers.get(p.invoice_id or first_alloc.get(p.id, -1)),
                      "method": p.method, "reference": p.reference, "source": p.source,
                      "received_at": _iso(p.received_at)} for p in payments],
        "flows": [{"id": f.id, "name": f.name, "status": str(f.status), "version": f.version,
                   "blueprint": _blueprint(f.blueprint)}
                  for f in s.scalars(select(Flow).where(Flow.business_id == bid, Flow.deleted_at.is_(None))
                                     .order_by(Flow.created_at))],
        "runs": [{"id": r.id, "flow_id": r.flow_id, "status": str(r.status),
                  "steps": [{"node_id": st.node_id, "status": str(st.status), "attempts": st.attempts,
                             "error": st.error} for st in r.steps]}
                 for r in s.scalars(select(Run).where(Run.business_id == bid).order_by(Run.created_at))],
        "sheets": [{"spreadsheet": r.spreadsheet, "worksheet": r.worksheet, "values": r.values}
                   for r in s.scalars(select(SheetRow).where(SheetRow.business_id == bid).order_by(SheetRow.id))],
        "messages": [{"direction": m.direction, "peer": m.peer, "body": _body(m.body), "media": m.media,
                      "status": str(m.status), "at": _iso(m.created_at)}
                     for m in s.scalars(select(Message).where(Message.business_id == bid).order_by(Message.id))],
    }


def export_all(s: Session, phone: str | None = None) -> dict[str, Any]:
    query = select(Business).order_by(Business.id)
    if phone:
        query = query.where(Business.phone == phone)
    return {"businesses": [export_business(s, b) for b in s.scalars(query)]}
