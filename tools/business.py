"""The business itself: its profile (name, address, GSTIN, state), GSTIN checks, and "undo".

`gstin_problem` validates a GSTIN's shape and its check character (the
GSTN's base-36 weighted checksum); `state_name` turns a state name, a common
short form or a GST state code into the state's name. `undo_last` reverses
the owner's latest change that is not undone yet: each kind of `Change`
carries exactly what its reversal needs.

Tools: ``business.update_profile``, ``business.undo_last``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.errors import ValidationFailed
from intents.understand.gstin import STATE_CODES, gstin_check_char, normalize_state
from storage.ledger import norm, record_change, refresh_invoice_payment
from storage.models import (
    Business,
    Change,
    Customer,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Payment,
    Product,
    StockMovement,
)
from tools.base import BaseTool, ToolContext

# ------------------------------------------------------------------ states and GSTIN

_GSTIN_SHAPE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")


def state_name(text: str | None) -> str | None:
    """``maharashtra`` / ``MH`` / ``27`` → ``Maharashtra``; None when it is not a state."""
    key = norm(text).replace(".", "")
    if not key:
        return None
    if key.isdigit():
        return STATE_CODES.get(key.zfill(2))
    return normalize_state(key)


def state_code(name: str | None) -> str | None:
    """The two-digit GST code of a state's name."""
    canonical = state_name(name)
    return next((c for c, n in STATE_CODES.items() if n == canonical), None)


def gstin_problem(gstin: str | None) -> str | None:
    """Why ``gstin`` is not a valid GSTIN, in plain words; None when it is valid."""
    g = re.sub(r"[\s-]", "", gstin or "").upper()
    if len(g) != 15:
        return f"a GSTIN has 15 characters, and {gstin!r} has {len(g)}"
    if not _GSTIN_SHAPE.match(g):
        return (
            f"{g} doesn't have a GSTIN's shape (2-digit state code, 10-character PAN, "
            "entity number, Z, check character)"
        )
    if g[:2] not in STATE_CODES and g[:2] not in ("97", "99"):
        return f"{g[:2]} is not a GST state code"
    expected = gstin_check_char(g[:14])
    if g[14] != expected:
        return f"the last character of {g} should be {expected}; please check the number"
    return None


def clean_gstin(gstin: str) -> str:
    """A GSTIN in upper case without spaces, or `ValidationFailed` saying what is wrong with it."""
    problem = gstin_problem(gstin)
    if problem:
        raise ValidationFailed(problem, tool="gstin")
    return re.sub(r"[\s-]", "", gstin).upper()


# ------------------------------------------------------------------ profile

_PROFILE_FIELDS = ("name", "address", "gstin", "state")


def get_business(session: Session, business_id: int) -> Business:
    biz = session.get(Business, business_id)
    if biz is None:
        raise ValidationFailed("no such business", tool="business")
    return biz


def update_profile(
    session: Session,
    business_id: int,
    *,
    name: str | None = None,
    address: str | None = None,
    gstin: str | None = None,
    state: str | None = None,
) -> tuple[Business, list[str]]:
    """Set the given profile fields (GSTIN validated; the state follows from it); (business, changed)."""
    biz = get_business(session, business_id)
    before = {f: getattr(biz, f) for f in _PROFILE_FIELDS}
    changed: list[str] = []
    if gstin:
        biz.gstin = clean_gstin(gstin)
        changed.append("gstin")
        if not state:
            biz.state = STATE_CODES.get(biz.gstin[:2], biz.state)
            if biz.state != before["state"]:
                changed.append("state")
    if state:
        canonical = state_name(state)
        if canonical is None:
            raise ValidationFailed(f"I don't know the state {state!r}", tool="business.update_profile")
        biz.state = canonical
        changed.append("state")
    if name and name.strip():
        biz.name = name.strip()[:200]
        changed.append("name")
    if address and address.strip():
        biz.address = address.strip()
        changed.append("address")
    if not changed:
        raise ValidationFailed("nothing to change in the profile", tool="business.update_profile")
    record_change(
        session,
        business_id,
        "profile_updated",
        "the change to your business profile (" + ", ".join(changed) + ")",
        {"before": before},
    )
    return biz, changed


# ------------------------------------------------------------------ undo


def _restore_stock(session: Session, business_id: int, movements: list[StockMovement]) -> None:
    """Take back the effect of ``movements`` on their products and delete them."""
    for m in movements:
        product = session.get(Product, m.product_id)
        if product is not None and product.business_id == business_id:
            product.stock = Decimal(product.stock or 0) - Decimal(m.change)
        session.delete(m)


def _delete_customer_if_unused(session: Session, business_id: int, customer_id: int | None) -> bool:
    """Remove a customer that an undone record had created, unless something else refers to it now."""
    if not customer_id:
        return False
    customer = session.get(Customer, customer_id)
    if customer is None or customer.business_id != business_id:
        return False
    session.flush()
    used = session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.customer_id == customer_id)
    ) or session.scalar(select(func.count()).select_from(Payment).where(Payment.customer_id == customer_id))
    if used:
        return False
    session.delete(customer)
    return True


def _undo_invoice_created(session: Session, business_id: int, data: dict[str, Any]) -> None:
    inv = session.get(Invoice, data["invoice_id"])
    if inv is None or inv.business_id != business_id:
        return
    _restore_stock(
        session,
        business_id,
        list(session.scalars(select(StockMovement).where(StockMovement.invoice_id == inv.id))),
    )
    # payments that were applied to it become unapplied; their other invoices keep theirs
    touched = [p for p in session.scalars(select(Payment).where(Payment.invoice_id == inv.id))]
    for p in touched:
        p.invoice_id = None
    session.delete(inv)
    session.flush()
    _delete_customer_if_unused(session, business_id, data.get("created_customer_id"))


def _undo_invoice_edited(session: Session, business_id: int, data: dict[str, Any]) -> None:
    from tools.invoices import restore_snapshot

    inv = session.get(Invoice, data["invoice_id"])
    if inv is None or inv.business_id != business_id:
        return
    released = data["before"].get("released")
    if released is not None:  # the customer was changed: give the new one's money back, the old one's to it
        from tools.payments import release_allocations, restore_allocations

        release_allocations(session, inv)
    restore_snapshot(session, business_id, inv, data["before"])
    if released:
        restore_allocations(session, inv, released)
    _delete_customer_if_unused(session, business_id, data.get("created_customer_id"))


def _undo_invoice_cancelled(session: Session, business_id: int, data: dict[str, Any]) -> None:
    inv = session.get(Invoice, data["invoice_id"])
    if inv is None or inv.business_id != business_id:
        return
    _restore_stock(
        session,
        business_id,
        list(
            session.scalars(
                select(StockMovement).where(
                    StockMovement.invoice_id == inv.id, StockMovement.reason == "cancel"
                )
            )
        ),
    )
    inv.status = InvoiceStatus(data.get("status") or "issued")
    from tools.payments import restore_allocations

    restore_allocations(session, inv, data.get("released") or [])


def _undo_payment(session: Session, business_id: int, data: dict[str, Any]) -> None:
    payment = session.get(Payment, data["payment_id"])
    if payment is None or payment.business_id != business_id:
        return
    invoice_ids = {a.invoice_id for a in payment.allocations}
    session.delete(payment)
    session.flush()
    for inv_id in invoice_ids:
        inv = session.get(Invoice, inv_id)
        if inv is not None:
            refresh_invoice_payment(session, inv)
    _delete_customer_if_unused(session, business_id, data.get("created_customer_id"))


def _undo_stock(session: Session, business_id: int, data: dict[str, Any]) -> None:
    for move in reversed(data.get("moves", [])):
        m = session.get(StockMovement, move["movement_id"])
        product = session.get(Product, move["product_id"])
        if product is None or product.business_id != business_id:
            continue
        if m is not None:
            _restore_stock(session, business_id, [m])
        else:  # the movement row is gone (product deleted?): take the recorded change back
            product.stock = Decimal(product.stock or 0) - Decimal(move["change"])
        session.flush()
        if move.get("created"):
            _delete_product_if_unused(session, product)


def _delete_product_if_unused(session: Session, product: Product) -> None:
    """Remove a product an undone change had created, unless it has history of its own now."""
    moved = session.scalar(
        select(func.count()).select_from(StockMovement).where(StockMovement.product_id == product.id)
    )
    billed = session.scalar(
        select(func.count()).select_from(InvoiceItem).where(InvoiceItem.product_id == product.id)
    )
    if not moved and not billed:
        session.delete(product)


def _undo_product(session: Session, business_id: int, data: dict[str, Any]) -> None:
    product = session.get(Product, data["product_id"])
    if product is None or product.business_id != business_id:
        return
    for field_name, value in (data.get("before") or {}).items():
        if field_name in ("low_stock_threshold", "gst_rate") and value is not None:
            value = Decimal(value)
        setattr(product, field_name, value)
    session.flush()
    if data.get("created"):
        _delete_product_if_unused(session, product)


def _undo_customer_added(session: Session, business_id: int, data: dict[str, Any]) -> None:
    _delete_customer_if_unused(session, business_id, data["customer_id"])


def _undo_customer_updated(session: Session, business_id: int, data: dict[str, Any]) -> None:
    customer = session.get(Customer, data["customer_id"])
    if customer is None or customer.business_id != business_id:
        return
    for field_name, value in (data.get("before") or {}).items():
        setattr(customer, field_name, value)


def _undo_profile(session: Session, business_id: int, data: dict[str, Any]) -> None:
    biz = get_business(session, business_id)
    for field_name, value in (data.get("before") or {}).items():
        setattr(biz, field_name, value)


_UNDO = {
    "invoice_created": _undo_invoice_created,
    "invoice_edited": _undo_invoice_edited,
    "invoice_cancelled": _undo_invoice_cancelled,
    "payment_recorded": _undo_payment,
    "stock_changed": _undo_stock,
    "product_updated": _undo_product,
    "customer_added": _undo_customer_added,
    "customer_updated": _undo_customer_updated,
    "profile_updated": _undo_profile,
}


def undo_last(session: Session, business_id: int) -> Change | None:
    """Reverse the latest change not undone yet; returns it (None when there is nothing to undo)."""
    change = session.scalar(
        select(Change)
        .where(Change.business_id == business_id, Change.undone.is_(False), Change.kind.in_(list(_UNDO)))
        .order_by(Change.id.desc())
        .limit(1)
    )
    if change is None:
        return None
    _UNDO[change.kind](session, business_id, change.data or {})
    change.undone = True
    session.flush()
    return change


def forget_changes(session: Session, business_id: int) -> None:
    """Drop the undo history (used by tests and account resets)."""
    session.execute(delete(Change).where(Change.business_id == business_id))


# ------------------------------------------------------------------ tools


class ProfileParams(BaseModel):
    name: str | None = None
    address: str | None = None
    gstin: str | None = None
    state: str | None = None


class UpdateProfile(BaseTool):
    name = "business.update_profile"
    description = "Set the business's name, address, GSTIN (validated, checksum included) or state."
    Params = ProfileParams
    outputs = ("name", "address", "gstin", "state", "changed")

    def run(self, ctx: ToolContext, params: ProfileParams) -> dict[str, Any]:
        biz, changed = update_profile(
            ctx.session,
            ctx.business_id,
            name=params.name,
            address=params.address,
            gstin=params.gstin,
            state=params.state,
        )
        return {
            "name": biz.name,
            "address": biz.address,
            "gstin": biz.gstin,
            "state": biz.state,
            "changed": changed,
        }


class NoParams(BaseModel):
    pass


class UndoLast(BaseTool):
    name = "business.undo_last"
    description = "Undo the owner's latest change (an invoice, a payment, a stock or customer change)."
    Params = NoParams
    outputs = ("undone", "summary", "kind")

    def run(self, ctx: ToolContext, params: NoParams) -> dict[str, Any]:
        change = undo_last(ctx.session, ctx.business_id)
        if change is None:
            return {"undone": False, "summary": None, "kind": None}
        return {"undone": True, "summary": change.summary, "kind": change.kind}


TOOLS: list[BaseTool] = [UpdateProfile(), UndoLast()]
