"""`export_all`: the JSON shape of spec/console.md that the acceptance checks read."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from storage.db import Database
from storage.export import export_all, number, rupees
from storage.models import (
    Business,
    Customer,
    Flow,
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
)

OWNER, OTHER = "+919800000001", "+919800000002"
BLUEPRINT = {"nodes": [{"id": "trigger", "type": "trigger", "service": "payments",
                        "task": "payment_received"}],
             "edges": []}


@pytest.mark.parametrize(("paise", "expected"), [
    (0, 0), (100, 1), (175000, 1750), (34550, 345.5), (1, 0.01), (-5000, -50), (None, None),
])
def test_rupees(paise: int | None, expected: float | None) -> None:
    value = rupees(paise)
    assert value == expected
    assert value is None or type(value) is (int if float(value).is_integer() else float)


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("45"), 45), (Decimal("45.000"), 45), (Decimal("2.5"), 2.5), (Decimal("0.125"), 0.125),
    (None, None),
])
def test_quantities_are_numbers(value: Decimal | None, expected: float | None) -> None:
    result = number(value)
    assert result == expected and not isinstance(result, (str, Decimal))


@pytest.fixture
def shop(db: Database) -> Database:
    """Sharma Hardware with one of everything, and a second business that must not leak into it."""
    with db.session() as s:
        biz = Business(phone=OWNER, name="Sharma Hardware")
        other = Business(phone=OTHER, name="Gupta Tiles")
        s.add_all([biz, other])
        s.flush()
        ramesh = Customer(business_id=biz.id, name="Ramesh Kumar", phone="+919876543210")
        s.add_all([ramesh, Customer(business_id=other.id, name="Someone Else")])
        cement = Product(business_id=biz.id, name="cement", unit="bag", price_paise=35000,
                         stock=Decimal("45"), low_stock_threshold=Decimal("10"))
        rice = Product(business_id=biz.id, name="rice", unit="kg", price_paise=4550, stock=Decimal("12.5"))
        s.add_all([cement, rice])
        s.flush()
        inv = Invoice(business_id=biz.id, customer_id=ramesh.id, number="INV-0001", fiscal_year="2026-27",
                      seq=1, status=InvoiceStatus.issued, subtotal_paise=175000, tax_paise=0,
                      total_paise=175000, paid_paise=175000)
        inv.items.append(InvoiceItem(product_id=cement.id, product="cement", quantity=Decimal(5),
                                     unit="bag", unit_price_paise=35000, amount_paise=175000))
        cancelled = Invoice(business_id=biz.id, customer_id=ramesh.id, number="INV-0002",
                            fiscal_year="2026-27", seq=2, status=InvoiceStatus.cancelled,
                            subtotal_paise=4550, total_paise=4550)
        cancelled.items.append(InvoiceItem(product="rice", quantity=Decimal("1"), unit="kg",
                                           unit_price_paise=4550, amount_paise=4550))
        s.add_all([inv, cancelled])
        s.flush()
        paid = Payment(business_id=biz.id, customer_id=ramesh.id, amount_paise=175000, method="upi")
        paid.allocations.append(PaymentAllocation(invoice_id=inv.id, amount_paise=175000))
        advance = Payment(business_id=biz.id, customer_id=ramesh.id, amount_paise=50050, method="cash",
                          reference="R-12")
        s.add_all([paid, advance])
        flow = Flow(business_id=biz.id, name="Thank customers for payments", status="active", version=2,
                    blueprint=BLUEPRINT, trigger="payments.payment_received")
        s.add(flow)
        s.flush()
        run = Run(flow_id=flow.id, business_id=biz.id, flow_version=2, event_key="pay_1",
                  status=RunStatus.succeeded)
        run.steps.append(RunStep(node_id="action_1", step_key="action_1", position=1,
                                 status=StepStatus.succeeded, attempts=1))
        s.add(run)
        s.add_all([
            Message(business_id=biz.id, direction="in", sid="SM1", peer=OWNER, body="hello",
                    status=MessageStatus.done),
            Message(business_id=biz.id, direction="out", sid="OB1", peer=OWNER, body="Namaste!",
                    status=MessageStatus.sent, media=[{"url": "https://munshi.example.com/i/INV-0001.pdf"}]),
            Message(business_id=other.id, direction="in", sid="SM2", peer=OTHER, body="other shop's secret",
                    status=MessageStatus.done),
        ])
    return db


def exported(db: Database, phone: str | None = None) -> dict:
    with db.session() as s:
        data = export_all(s, phone)
    return json.loads(json.dumps(data))  # what `python -m bot export` prints must be plain JSON


def test_export_matches_the_console_contract(shop: Database) -> None:
    data = exported(shop)
    assert [b["phone"] for b in data["businesses"]] == [OWNER, OTHER]
    b = data["businesses"][0]
    assert b["name"] == "Sharma Hardware"
    [customer] = b["customers"]
    assert {k: customer[k] for k in ("name", "phone", "email")} == \
        {"name": "Ramesh Kumar", "phone": "+919876543210", "email": None}
    cement, rice = b["products"]
    assert {k: cement[k] for k in ("name", "unit", "price", "stock", "low_stock_threshold")} == \
        {"name": "cement", "unit": "bag", "price": 350, "stock": 45, "low_stock_threshold": 10}
    assert (rice["price"], rice["stock"], rice["low_stock_threshold"]) == (45.5, 12.5, None)

    inv, cancelled = b["invoices"]
    assert {k: inv[k] for k in ("number", "customer", "subtotal", "tax", "total", "status")} == \
        {"number": "INV-0001", "customer": "Ramesh Kumar", "subtotal": 1750, "tax": 0, "total": 1750,
         "status": "issued"}
    assert inv["items"] == [{"product": "cement", "quantity": 5, "unit": "bag", "unit_price": 350,
                             "amount": 1750}]
    assert datetime.fromisoformat(inv["created_at"])
    assert (cancelled["number"], cancelled["status"], cancelled["total"]) == ("INV-0002", "cancelled", 45.5)

    paid, advance = b["payments"]
    assert {k: paid[k] for k in ("amount", "customer", "invoice", "method", "reference")} == \
        {"amount": 1750, "customer": "Ramesh Kumar", "invoice": "INV-0001", "method": "upi",
         "reference": None}
    assert (advance["amount"], advance["invoice"], advance["reference"]) == (500.5, None, "R-12")
    assert datetime.fromisoformat(paid["received_at"])

    [flow] = b["flows"]
    assert {k: flow[k] for k in ("name", "status", "version", "blueprint")} == \
        {"name": "Thank customers for payments", "status": "active", "version": 2, "blueprint": BLUEPRINT}
    [run] = b["runs"]
    assert run["flow_id"] == flow["id"] and run["status"] == "succeeded"
    assert run["steps"] == [{"node_id": "action_1", "status": "succeeded", "attempts": 1, "error": None}]

    msg_in, msg_out = b["messages"]
    assert {k: msg_in[k] for k in ("direction", "peer", "body", "media")} == \
        {"direction": "in", "peer": OWNER, "body": "hello", "media": []}
    assert msg_out["direction"] == "out" and msg_out["media"]
    assert datetime.fromisoformat(msg_in["at"])


def test_money_is_rupees_as_numbers_and_statuses_are_plain_strings(shop: Database) -> None:
    def walk(value, path=""):  # type: ignore[no-untyped-def]
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from walk(v, f"{path}[{i}]")
        else:
            yield path, value

    leaves = list(walk(exported(shop)))
    for path, value in leaves:
        key = path.rsplit(".", 1)[-1]
        if key in ("price", "stock", "quantity", "unit_price", "amount", "subtotal", "tax", "total", "paid"):
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            assert value is None or is_number, (path, value)
        if key == "status":
            assert isinstance(value, str) and "." not in value and value == value.lower(), (path, value)
        assert "paise" not in path
    statuses = {v for p, v in leaves if p.endswith(".status")}
    assert {"issued", "cancelled", "active", "succeeded", "done", "sent"} <= statuses


def test_one_business_only_and_nothing_of_another(shop: Database) -> None:
    data = exported(shop, OWNER)
    assert [b["phone"] for b in data["businesses"]] == [OWNER]
    text = json.dumps(data)
    assert "Someone Else" not in text and "other shop's secret" not in text
    assert exported(shop, "+919999999999") == {"businesses": []}


def test_an_empty_database_exports_no_businesses(db: Database) -> None:
    assert exported(db) == {"businesses": []}


def test_a_new_business_exports_empty_lists(db: Database) -> None:
    with db.session() as s:
        s.add(Business(phone=OWNER))
    [b] = exported(db)["businesses"]
    assert b["phone"] == OWNER and b["name"] is None
    for key in ("customers", "products", "invoices", "payments", "flows", "runs", "messages"):
        assert b[key] == [], key


def test_deleted_flows_are_not_exported(shop: Database) -> None:
    from storage.models import utcnow

    with shop.session() as s:
        for flow in s.query(Flow):
            flow.deleted_at = utcnow()
    assert exported(shop, OWNER)["businesses"][0]["flows"] == []
