"""business.undo_last: each kind of change is reversed exactly, latest first, and is gone from export."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.export import export_business
from storage.models import (
    Business,
    Change,
    Customer,
    Invoice,
    Payment,
    PaymentAllocation,
    Product,
    StockMovement,
)
from tools.base import ToolContext

Call = Callable[..., dict[str, Any]]


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _stock(session: Session, name: str) -> Decimal:
    return session.scalars(select(Product.stock).where(Product.name == name)).one()


def test_nothing_to_undo(call: Call) -> None:
    assert call("business.undo_last") == {"undone": False, "summary": None, "kind": None}


def test_undo_invoice_deletes_it_returns_stock_and_the_new_customer(
    call: Call, session: Session, biz: Business
) -> None:
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 10, "unit": "bag"}])
    out = call(
        "invoices.create_invoice",
        customer="Mahesh",
        items=[{"product": "cement", "quantity": 4, "unit": "bag", "unit_price": 345}],
    )
    assert _stock(session, "cement") == 6
    undone = call("business.undo_last")
    assert undone["kind"] == "invoice_created" and out["number"] in undone["summary"]
    assert session.get(Invoice, out["id"]) is None
    assert _stock(session, "cement") == 10
    assert _count(session, Customer) == 0
    assert export_business(session, biz)["invoices"] == []
    assert (
        session.scalar(
            select(func.count()).select_from(StockMovement).where(StockMovement.reason == "invoice")
        )
        == 0
    )


def test_undo_invoice_keeps_a_customer_that_existed(call: Call, session: Session, customer: Customer) -> None:
    call(
        "invoices.create_invoice",
        customer_id=customer.id,
        items=[{"product": "x", "quantity": 1, "unit_price": 5}],
    )
    call("business.undo_last")
    assert session.get(Customer, customer.id) is not None


def test_undo_payment_restores_statuses(call: Call, session: Session, biz: Business) -> None:
    a = call(
        "invoices.create_invoice",
        customer="Rekha",
        items=[{"product": "x", "quantity": 1, "unit_price": 300}],
    )
    b = call(
        "invoices.create_invoice",
        customer="Rekha",
        items=[{"product": "x", "quantity": 1, "unit_price": 300}],
    )
    call("payments.record_payment", customer="Rekha", amount=100)
    call("payments.record_payment", customer="Rekha", amount=400)

    def statuses() -> list[tuple[str, int]]:
        rows = session.scalars(select(Invoice).order_by(Invoice.id).execution_options(populate_existing=True))
        return [(str(i.status), i.paid_paise) for i in rows]

    assert statuses() == [("paid", 30000), ("partially_paid", 20000)]
    assert call("business.undo_last")["kind"] == "payment_recorded"
    assert statuses() == [("partially_paid", 10000), ("issued", 0)]
    assert call("business.undo_last")["kind"] == "payment_recorded"
    assert statuses() == [("issued", 0), ("issued", 0)]
    assert _count(session, Payment) == 0 and _count(session, PaymentAllocation) == 0
    assert export_business(session, biz)["payments"] == []
    assert {a["id"], b["id"]} == {i.id for i in session.scalars(select(Invoice))}


def test_undo_payment_removes_a_customer_it_created(call: Call, session: Session) -> None:
    call("payments.record_payment", customer="Rekha", amount=3000, method="upi")
    call("business.undo_last")
    assert _count(session, Payment) == 0 and _count(session, Customer) == 0


def test_undo_stock_changes(call: Call, session: Session, biz: Business) -> None:
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 10, "unit": "bag"}])
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 5}])
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 3}], mode="remove")
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 40}], mode="set")
    assert _stock(session, "cement") == 40
    for expected in (12, 15, 10):
        call("business.undo_last")
        assert _stock(session, "cement") == expected
    call("business.undo_last")  # the add that created it: the product goes too
    assert export_business(session, biz)["products"] == []


def test_undo_several_items_at_once(call: Call, session: Session) -> None:
    call(
        "inventory.update_stock",
        items=[
            {"product": "wheat", "quantity": 40, "unit": "kg"},
            {"product": "ghee", "quantity": 15, "unit": "litre"},
        ],
    )
    out = call("business.undo_last")
    assert "wheat" in out["summary"] and "ghee" in out["summary"]
    assert _count(session, Product) == 0


def test_undo_price_threshold_and_tax(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 10, "unit": "bag"}])
    call("inventory.set_price", product="cement", price=350)
    call("inventory.set_price", product="cement", price=355)
    call("inventory.set_threshold", product="cement", threshold=5)
    call("inventory.set_product_tax", product="cement", hsn="2523", gst_rate=28)
    p = session.scalars(select(Product)).one()
    call("business.undo_last")
    assert (p.hsn, p.gst_rate) == (None, None)
    call("business.undo_last")
    assert p.low_stock_threshold is None
    call("business.undo_last")
    assert p.price_paise == 35000
    call("business.undo_last")
    assert p.price_paise is None and p.stock == 10  # the product stays: it has stock history


def test_undo_price_of_a_new_product_removes_it(call: Call, session: Session) -> None:
    call("inventory.set_price", product="cement", price=355)
    call("business.undo_last")
    assert _count(session, Product) == 0


def test_undo_customer_edit_and_add(call: Call, session: Session) -> None:
    call("customers.add_customer", name="Rekha Nair", phone="9900112233")
    call("customers.update_customer", customer="Rekha Nair", phone="9900000000", email="r@example.com")
    c = session.scalars(select(Customer)).one()
    out = call("business.undo_last")
    assert out["kind"] == "customer_updated"
    assert (c.phone, c.email) == ("+919900112233", None)
    assert call("business.undo_last")["kind"] == "customer_added"
    assert _count(session, Customer) == 0


def test_undo_invoice_edit_and_cancel(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 20, "unit": "bag"}])
    out = call(
        "invoices.create_invoice",
        customer="Mahesh",
        items=[{"product": "cement", "quantity": 4, "unit": "bag", "unit_price": 345}],
    )
    call(
        "invoices.edit_invoice",
        items=[{"product": "cement", "quantity": 5, "unit": "bag", "unit_price": 360}],
    )
    call("invoices.cancel_invoice")
    inv = session.get(Invoice, out["id"])
    assert inv is not None and str(inv.status) == "cancelled" and _stock(session, "cement") == 20
    assert call("business.undo_last")["kind"] == "invoice_cancelled"
    assert str(inv.status) == "issued" and _stock(session, "cement") == 15
    assert call("business.undo_last")["kind"] == "invoice_edited"
    session.refresh(inv)
    assert (inv.items[0].quantity, inv.items[0].unit_price_paise, inv.total_paise) == (4, 34500, 138000)
    assert _stock(session, "cement") == 16


def test_undo_profile(call: Call, session: Session, biz: Business) -> None:
    call("business.update_profile", gstin="27AAPFU0939F1ZV")
    call("business.undo_last")
    assert (biz.gstin, biz.state) == (None, None)


def test_undone_changes_are_not_undone_twice(call: Call, session: Session) -> None:
    call("customers.add_customer", name="A")
    call("customers.add_customer", name="B")
    call("business.undo_last")
    call("business.undo_last")
    assert call("business.undo_last")["undone"] is False
    assert session.scalar(select(func.count()).select_from(Change).where(Change.undone.is_(True))) == 2


def test_razorpay_payments_and_flow_stock_changes_are_not_undone(call: Call, session: Session) -> None:
    call("customers.add_customer", name="Rekha")
    call("payments.record_payment", customer="Rekha", amount=1500, source="razorpay", external_id="pay_1")
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 10, "unit": "bag"}])
    from tools.registry import get

    business_id = session.scalars(select(Customer.business_id)).one()
    ctx = ToolContext(session=session, business_id=business_id, idempotency_key="run-1:step-1")
    get("inventory.adjust_stock")(ctx, {"product": "cement", "change": -2})
    assert _stock(session, "cement") == 8
    assert call("business.undo_last")["kind"] == "stock_changed"  # the owner's add, not the flow's -2
    assert _stock(session, "cement") == -2
    assert call("business.undo_last")["kind"] == "customer_added"
    assert _count(session, Payment) == 1
