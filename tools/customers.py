"""Customers: add and update name, phone (E.164), email, GSTIN (validated) and state.

A customer is found by exact name (case and spacing ignored) or by id; the
chat handlers do the fuzzy matching ("Ramesh" → "Ramesh Kumar") before they
call these tools. Every change writes a `Change` row for "undo".

Tools: ``customers.add_customer``, ``customers.update_customer``,
``customers.find_customer``, ``customers.list_customers``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.errors import NotFound, ValidationFailed
from storage import events
from storage.ledger import e164, find_customer, inr, outstanding, record_change
from storage.models import Customer
from tools.base import BaseTool, ToolContext
from tools.business import STATE_CODES, clean_gstin, state_name

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_FIELDS = ("name", "phone", "email", "gstin", "state", "address")


def clean_name(name: str | None) -> str:
    """A person's or firm's name as stored: trimmed, single spaces, capitalised when typed all lower."""
    text = re.sub(r"\s+", " ", (name or "").strip()).strip(" ,.:;")
    if text and text == text.lower():
        text = " ".join(w[:1].upper() + w[1:] for w in text.split(" "))
    return text[:200]


def _clean_fields(
    phone: str | None, email: str | None, gstin: str | None, state: str | None, tool: str
) -> dict[str, str]:
    out: dict[str, str] = {}
    if phone:
        number = e164(phone)
        if number is None:
            raise ValidationFailed(
                f"{phone} is not a mobile number I can use (10 digits, or +country code)", tool=tool
            )
        out["phone"] = number
    if email:
        if not _EMAIL.match(email.strip()):
            raise ValidationFailed(f"{email} is not an email address", tool=tool)
        out["email"] = email.strip().lower()
    if gstin:
        out["gstin"] = clean_gstin(gstin)
        if not state and out["gstin"][:2] in STATE_CODES:
            out["state"] = STATE_CODES[out["gstin"][:2]]
    if state:
        canonical = state_name(state)
        if canonical is None:
            raise ValidationFailed(f"I don't know the state {state!r}", tool=tool)
        out["state"] = canonical
    return out


def create_customer(session: Session, business_id: int, name: str, **fields: Any) -> Customer:
    """A new customer (no `Change` row: the caller records what undo needs)."""
    clean = clean_name(name)
    if not clean:
        raise ValidationFailed("a customer needs a name", tool="customers")
    customer = Customer(
        business_id=business_id,
        name=clean,
        **{k: v for k, v in fields.items() if k in _FIELDS and v is not None},
    )
    session.add(customer)
    session.flush()
    return customer


def customer_for(
    session: Session,
    business_id: int,
    *,
    customer_id: int | None = None,
    name: str | None = None,
    create: bool = True,
) -> tuple[Customer, bool]:
    """The customer by id, else by exact name, else (``create``) a new one; (customer, created)."""
    if customer_id is not None:
        found = session.get(Customer, customer_id)
        if found is None or found.business_id != business_id:
            raise NotFound("no such customer", customer_id=customer_id)
        return found, False
    found = find_customer(session, business_id, name)
    if found:
        return found, False
    if not create or not name:
        raise NotFound(f"no customer called {name!r}", name=name)
    return create_customer(session, business_id, name), True


def add_customer(
    session: Session,
    business_id: int,
    name: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    gstin: str | None = None,
    state: str | None = None,
    address: str | None = None,
) -> tuple[Customer, bool, list[str]]:
    """Add a customer, or fill in the one with that exact name; (customer, created, changed)."""
    fields = _clean_fields(phone, email, gstin, state, "customers.add_customer")
    if address and address.strip():
        fields["address"] = address.strip()
    existing = find_customer(session, business_id, name)
    if existing:
        changed = _apply(session, business_id, existing, fields)
        return existing, False, changed
    customer = create_customer(session, business_id, name, **fields)
    record_change(
        session, business_id, "customer_added", f"new customer {customer.name}", {"customer_id": customer.id}
    )
    return customer, True, ["name", *fields]


def _apply(session: Session, business_id: int, customer: Customer, fields: dict[str, str]) -> list[str]:
    before = {f: getattr(customer, f) for f in _FIELDS}
    changed = [k for k, v in fields.items() if getattr(customer, k) != v]
    if not changed:
        return []
    for k in changed:
        setattr(customer, k, fields[k])
    session.flush()
    record_change(
        session,
        business_id,
        "customer_updated",
        f"the change to {before['name']}'s " + ", ".join(changed),
        {"customer_id": customer.id, "before": before},
    )
    return changed


def update_customer(
    session: Session,
    business_id: int,
    customer: Customer,
    *,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    gstin: str | None = None,
    state: str | None = None,
    address: str | None = None,
) -> list[str]:
    """Change the given fields of ``customer``; returns the names of the fields that changed."""
    fields = _clean_fields(phone, email, gstin, state, "customers.update_customer")
    if name and clean_name(name) and clean_name(name) != customer.name:
        fields["name"] = clean_name(name)
    if address and address.strip():
        fields["address"] = address.strip()
    return _apply(session, business_id, customer, fields)


def customer_dict(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        **(events.customer_payload(c) or {}),
        "gstin": c.gstin,
        "state": c.state,
        "address": c.address,
    }


# ------------------------------------------------------------------ tools


class AddCustomerParams(BaseModel):
    name: str = Field(min_length=1)
    phone: str | None = None
    email: str | None = None
    gstin: str | None = None
    state: str | None = None
    address: str | None = None


class AddCustomer(BaseTool):
    name = "customers.add_customer"
    description = (
        "Add a customer with optional phone (10-digit Indian mobile or +E.164), email, GSTIN, state."
    )
    Params = AddCustomerParams
    outputs = ("customer", "created", "changed")

    def run(self, ctx: ToolContext, params: AddCustomerParams) -> dict[str, Any]:
        c, created, changed = add_customer(
            ctx.session,
            ctx.business_id,
            params.name,
            phone=params.phone,
            email=params.email,
            gstin=params.gstin,
            state=params.state,
            address=params.address,
        )
        return {"customer": customer_dict(c), "created": created, "changed": changed}


class UpdateCustomerParams(BaseModel):
    customer: str | None = Field(None, description="the customer's current name")
    customer_id: int | None = None
    name: str | None = Field(None, description="a new name")
    phone: str | None = None
    email: str | None = None
    gstin: str | None = None
    state: str | None = None
    address: str | None = None
    create: bool = Field(True, description="add the customer when there is none by that name")


class UpdateCustomer(BaseTool):
    name = "customers.update_customer"
    description = "Change a customer's name, phone, email, GSTIN, state or address."
    Params = UpdateCustomerParams
    outputs = ("customer", "created", "changed")

    def run(self, ctx: ToolContext, params: UpdateCustomerParams) -> dict[str, Any]:
        if params.customer_id is None and not params.customer:
            raise ValidationFailed("which customer?", tool=self.name)
        try:
            c, _ = customer_for(
                ctx.session,
                ctx.business_id,
                customer_id=params.customer_id,
                name=params.customer,
                create=False,
            )
        except NotFound:
            if not params.create or params.customer_id is not None:
                raise
            c, created, changed = add_customer(
                ctx.session,
                ctx.business_id,
                params.name or params.customer or "",
                phone=params.phone,
                email=params.email,
                gstin=params.gstin,
                state=params.state,
                address=params.address,
            )
            return {"customer": customer_dict(c), "created": created, "changed": changed}
        changed = update_customer(
            ctx.session,
            ctx.business_id,
            c,
            name=params.name,
            phone=params.phone,
            email=params.email,
            gstin=params.gstin,
            state=params.state,
            address=params.address,
        )
        return {"customer": customer_dict(c), "created": False, "changed": changed}


class FindCustomerParams(BaseModel):
    name: str = Field(min_length=1)


class FindCustomer(BaseTool):
    name = "customers.find_customer"
    description = "Look up a customer by exact name."
    Params = FindCustomerParams
    outputs = ("customer",)
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: FindCustomerParams) -> dict[str, Any]:
        c = find_customer(ctx.session, ctx.business_id, params.name)
        if c is None:
            raise NotFound(f"no customer called {params.name!r}", name=params.name)
        return {"customer": customer_dict(c)}


def customer_listing(session: Session, business_id: int, limit: int = 50) -> dict[str, Any]:
    """Every customer A-Z with phone and what they owe: a bulleted text of the first ``limit``, and a count."""
    rows = list(
        session.scalars(
            select(Customer).where(Customer.business_id == business_id).order_by(func.lower(Customer.name))
        )
    )
    due = {o.customer.id: o.due_paise for o in outstanding(session, business_id)}
    lines = []
    for c in rows[:limit]:
        bits = [c.phone or "no phone"]
        if due.get(c.id):
            bits.append(f"owes {inr(due[c.id])}")
        lines.append(f"• {c.name}: " + ", ".join(bits))
    if len(rows) > limit:
        lines.append(f"…and {len(rows) - limit} more")
    return {
        "text": "\n".join(lines) or "No customers yet.",
        "customers": [{**customer_dict(c), "due": due.get(c.id, 0) / 100} for c in rows],
        "count": len(rows),
    }


class ListCustomersParams(BaseModel):
    limit: int = Field(50, ge=1, le=500, description="how many to write out in the text")


class ListCustomers(BaseTool):
    name = "customers.list_customers"
    description = "List the customers (A-Z) with phone and what each owes."
    Params = ListCustomersParams
    outputs = ("text", "customers", "count")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: ListCustomersParams) -> dict[str, Any]:
        return customer_listing(ctx.session, ctx.business_id, params.limit)


TOOLS: list[BaseTool] = [AddCustomer(), UpdateCustomer(), FindCustomer(), ListCustomers()]
