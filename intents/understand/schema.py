"""Typed results of the offline understanding engine (pydantic v2).

`Understanding` is what `understand()` returns for one message; `Context`
is what the agent knows before reading it (customer names, products, and the
question the bot just asked). Numbers are `Decimal`, never float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

IntentName = Literal[
    "greet",
    "help",
    "unknown",
    "yes",
    "no",
    "undo",
    "create_invoice",
    "edit_invoice",
    "cancel_invoice",
    "show_invoice",
    "list_invoices",
    "send_invoice",
    "payment_link",
    "record_payment",
    "unpaid_query",
    "collections_query",
    "sales_query",
    "stock_add",
    "stock_remove",
    "stock_set",
    "set_price",
    "set_threshold",
    "stock_query",
    "stock_list",
    "low_stock_query",
    "add_customer",
    "update_customer",
    "list_customers",
    "set_profile",
    "set_customer_gst",
    "set_product_tax",
    "remind",
    "build_flow",
    "list_flows",
    "pause_flow",
    "resume_flow",
    "delete_flow",
    "retry_run",
    "dashboard_link",
    "answer",
]

#: Intents that write a record as soon as they are understood.
RECORD_INTENTS: frozenset[str] = frozenset(
    {
        "create_invoice",
        "edit_invoice",
        "cancel_invoice",
        "record_payment",
        "stock_add",
        "stock_remove",
        "stock_set",
        "set_price",
        "set_threshold",
        "add_customer",
        "update_customer",
        "set_profile",
        "set_customer_gst",
        "set_product_tax",
    }
)


class Item(BaseModel):
    """One line of an invoice or a stock change: "8 bags of cement at 345"."""

    product: str
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    price_unit: str | None = None


class Understanding(BaseModel):
    """What one message means: an intent plus the slots it carries."""

    intent: IntentName
    confidence: float = 1.0
    text: str
    customer: str | None = None
    items: list[Item] = Field(default_factory=list)
    amount: Decimal | None = None
    method: str | None = None
    method_detail: str | None = None
    invoice_number: str | None = None
    phone: str | None = None
    email: str | None = None
    gst_rate: Decimal | None = None
    gstin: str | None = None
    state: str | None = None
    name: str | None = None
    address: str | None = None
    product: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    price: Decimal | None = None
    threshold: Decimal | None = None
    hsn: str | None = None
    period: str | None = None
    all_customers: bool = False
    changes: dict[str, Any] = Field(default_factory=dict)
    flow_ref: str | None = None
    missing: list[str] = Field(default_factory=list)
    choice: int | None = (
        None  # addition: 1-based pick for expecting="choice" ("the second one" -> 2; -1 = last)
    )


class ProductInfo(BaseModel):
    """A product the business already sells."""

    name: str
    unit: str | None = None
    price: Decimal | None = None


class Context(BaseModel):
    """What the agent knows before reading a message."""

    customers: list[str] = Field(default_factory=list)
    products: list[ProductInfo] = Field(default_factory=list)
    expecting: str | None = None
