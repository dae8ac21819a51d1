"""API test fixtures: two shops (A and B) with a record of every kind, each with its API token.

``tenants.a`` / ``tenants.b`` are `Shop` objects: the business id, the raw API
token, ``headers`` for the test client, and ``ids`` of its records (flow, run,
invoice, payment, product, customer, message, token row).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.api.auth import create_api_token
from flows import store
from flows.templates import builtin
from storage.db import Database
from storage.models import (
    Business,
    Customer,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Message,
    MessageStatus,
    Payment,
    PaymentAllocation,
    Product,
    Run,
    RunStatus,
    RunStep,
    StepStatus,
    utcnow,
)


@dataclass
class Shop:
    business_id: int
    phone: str
    token: str
    ids: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def seed_shop(db: Database, phone: str, name: str, customer_name: str = "Ramesh Kumar") -> Shop:
    """A business with one of everything the API reads."""
    now = utcnow()
    with db.session() as s:
        biz = Business(phone=phone, name=name)
        s.add(biz)
        s.flush()
        bid = biz.id
        cust = Customer(business_id=bid, name=customer_name, phone="+919876543210", email="r@example.com")
        prod = Product(business_id=bid, name="cement", unit="bag", price_paise=35000, stock=Decimal(4),
                       low_stock_threshold=Decimal(10))
        s.add_all([cust, prod])
        s.flush()
        inv = Invoice(business_id=bid, customer_id=cust.id, number="INV/26-27/0001", fiscal_year="2026-27", seq=1,
                      status=InvoiceStatus.partially_paid, subtotal_paise=175000, tax_paise=0, total_paise=175000,
                      paid_paise=100000, issued_at=now - timedelta(days=1))
        inv.items.append(InvoiceItem(product_id=prod.id, product="cement", quantity=Decimal(5), unit="bag",
                                     unit_price_paise=35000, amount_paise=175000))
        s.add(inv)
        s.flush()
        pay = Payment(business_id=bid, customer_id=cust.id, invoice_id=inv.id, amount_paise=100000, method="upi",
                      reference="UPI-1", source="chat", received_at=now)
        s.add(pay)
        s.flush()
        s.add(PaymentAllocation(payment_id=pay.id, invoice_id=inv.id, amount_paise=100000))
        msg = Message(business_id=bid, direction="in", sid=f"SM{phone[1:]}", peer=phone, body="hello",
                      status=MessageStatus.done)
        s.add(msg)
        template = builtin("payment-thank-you")
        assert template is not None
        flow = store.create_flow(s, bid, "Thank customers", template.blueprint, activate=True)
        run = Run(flow_id=flow.id, business_id=bid, flow_version=1, event_key=f"test:{phone}",
                  status=RunStatus.failed, trigger_data={"payment": {"amount": 1000}}, error="it broke",
                  failed_node="thank_customer", created_at=now, started_at=now, finished_at=now + timedelta(seconds=2))
        s.add(run)
        s.flush()
        s.add(RunStep(run_id=run.id, node_id="thank_customer", step_key="thank_customer", position=1,
                      status=StepStatus.failed, attempts=3, input={"to": "+919876543210"}, error="it broke",
                      started_at=now, finished_at=now + timedelta(seconds=1)))
        row, raw = create_api_token(s, bid, "tests")
        ids = {"flow": flow.id, "run": run.id, "invoice": inv.id, "payment": pay.id, "product": prod.id,
               "customer": cust.id, "message": msg.id, "token": row.id}
    return Shop(bid, phone, raw, ids)


@dataclass
class Tenants:
    a: Shop
    b: Shop


@pytest.fixture
def tenants(db: Database) -> Tenants:
    return Tenants(seed_shop(db, "+919800000001", "Sharma Hardware"),
                   seed_shop(db, "+919800000002", "Gupta Electricals", customer_name="Suresh"))
