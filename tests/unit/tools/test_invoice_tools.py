"""invoices.*: create, prices and units, numbering per financial year, GST split, edit, cancel, stock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import NotFound, ValidationFailed
from storage.export import export_business
from storage.models import Business, Customer, Event, Invoice, Product, StockMovement
from tools.invoices import Line, MissingPrice, create_invoice

Call = Callable[..., dict[str, Any]]


def test_create_one_item(call: Call, session: Session, biz: Business) -> None:
    out = call(
        "invoices.create_invoice",
        customer="Mahesh",
        items=[{"product": "cement", "quantity": 8, "unit": "bag", "unit_price": 345}],
    )
    assert out["number"] == out["invoice"]["number"]
    assert out["total"] == 2760
    inv = session.get(Invoice, out["id"])
    assert inv is not None
    assert (inv.subtotal_paise, inv.tax_paise, inv.total_paise, str(inv.status)) == (
        276000,
        0,
        276000,
        "issued",
    )
    assert inv.customer.name == "Mahesh"  # a new customer was created
    assert out["customer_created"] is True


def test_create_many_items(call: Call) -> None:
    out = call(
        "invoices.create_invoice",
        customer="Sanjay Patel",
        items=[
            {"product": "fans", "quantity": 2, "unit_price": 1800},
            {"product": "tube lights", "quantity": 4, "unit_price": "250"},
        ],
    )
    items = out["invoice"]["items"]
    assert [(i["product"], i["quantity"], i["amount"]) for i in items] == [
        ("fan", 2, 3600),
        ("tube light", 4, 1000),
    ]
    assert out["total"] == 4600


def test_existing_customer_is_reused_by_id_or_exact_name(call: Call, customer: Customer) -> None:
    a = call(
        "invoices.create_invoice",
        customer_id=customer.id,
        items=[{"product": "x", "quantity": 1, "unit_price": 1}],
    )
    b = call(
        "invoices.create_invoice",
        customer="mahesh  kumar",
        items=[{"product": "x", "quantity": 1, "unit_price": 1}],
    )
    assert a["invoice"]["customer"] == b["invoice"]["customer"] == "Mahesh Kumar"
    assert not a["customer_created"] and not b["customer_created"]


def test_price_from_catalogue_with_unit_conversion(call: Call, session: Session, biz: Business) -> None:
    call("inventory.set_price", product="rice", price=80, unit="kg")
    out = call(
        "invoices.create_invoice", customer="Rekha", items=[{"product": "Rice", "quantity": 500, "unit": "g"}]
    )
    item = out["invoice"]["items"][0]
    assert (item["quantity"], item["unit"], item["unit_price"], item["amount"]) == (0.5, "kg", 80, 40)


def test_stated_price_per_other_unit(call: Call) -> None:
    # "500 g at 80 per kg" is ₹40
    out = call(
        "invoices.create_invoice",
        customer="Rekha",
        items=[{"product": "dal", "quantity": 500, "unit": "g", "unit_price": 80, "price_unit": "kg"}],
    )
    assert out["total"] == 40
    # 2 dozen eggs at 6 per piece
    out = call(
        "invoices.create_invoice",
        customer="Rekha",
        items=[{"product": "egg", "quantity": 2, "unit": "dozen", "unit_price": 6, "price_unit": "piece"}],
    )
    assert out["total"] == 144


def test_missing_price_says_which_line(session: Session, biz: Business, customer: Customer) -> None:
    with pytest.raises(MissingPrice) as err:
        create_invoice(
            session,
            biz.id,
            customer,
            [Line("cement", Decimal(2), "bag", Decimal(300)), Line("sand", Decimal(1), "bag")],
        )
    assert (err.value.index, err.value.product, err.value.unit) == (1, "sand", "bag")


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"product": "x", "quantity": 0, "unit_price": 5}],
        [{"product": "x", "quantity": 1, "unit_price": -5}],
    ],
)
def test_bad_items_write_nothing(call: Call, session: Session, items: list[dict]) -> None:
    with pytest.raises(ValidationFailed):
        call("invoices.create_invoice", customer="Mahesh", items=items)
    assert session.scalar(select(Invoice.id)) is None


def test_numbers_are_consecutive_per_business(call: Call, session: Session, ctx: Any) -> None:
    numbers = [
        call(
            "invoices.create_invoice", customer="A", items=[{"product": "x", "quantity": 1, "unit_price": 1}]
        )["number"]
        for _ in range(3)
    ]
    seqs = [int(n.rsplit("/", 1)[1]) for n in numbers]
    assert seqs == [1, 2, 3]
    other = Business(phone="+919800000002")
    session.add(other)
    session.flush()
    c = Customer(business_id=other.id, name="B")
    session.add(c)
    session.flush()
    first_of_other = create_invoice(session, other.id, c, [Line("x", Decimal(1), None, Decimal(1))]).invoice
    assert first_of_other.seq == 1


def test_numbering_restarts_in_a_new_financial_year(
    session: Session, biz: Business, customer: Customer
) -> None:
    line = [Line("cement", Decimal(1), "bag", Decimal(300))]
    march = [
        create_invoice(
            session, biz.id, customer, line, issued_at=datetime(2026, 3, d, 10, tzinfo=UTC)
        ).invoice
        for d in (30, 31)
    ]
    # 31 March 2026 23:45 IST is still 2025-26; 1 April 00:15 IST starts 2026-27
    late = create_invoice(
        session, biz.id, customer, line, issued_at=datetime(2026, 3, 31, 18, 15, tzinfo=UTC)
    ).invoice
    april = create_invoice(
        session, biz.id, customer, line, issued_at=datetime(2026, 3, 31, 18, 45, tzinfo=UTC)
    ).invoice
    april2 = create_invoice(
        session, biz.id, customer, line, issued_at=datetime(2026, 4, 2, tzinfo=UTC)
    ).invoice
    assert [i.number for i in [*march, late]] == ["INV/25-26/0001", "INV/25-26/0002", "INV/25-26/0003"]
    assert [april.number, april2.number] == ["INV/26-27/0001", "INV/26-27/0002"]
    assert april.fiscal_year == "2026-27" and late.fiscal_year == "2025-26"
    assert all(len(i.number) <= 16 for i in (late, april))


def test_gst_split_same_state_is_cgst_plus_sgst(call: Call, session: Session, biz: Business) -> None:
    biz.gstin, biz.state = "27AAPFU0939F1ZV", "Maharashtra"
    call("customers.add_customer", name="Bala", state="Maharashtra")
    out = call(
        "invoices.create_invoice",
        customer="Bala",
        gst_rate=5,
        items=[{"product": "biscuits", "quantity": 10, "unit": "packet", "unit_price": 20}],
    )
    inv = out["invoice"]
    assert (inv["subtotal"], inv["tax"], inv["total"]) == (200, 10, 210)
    assert inv["tax_breakup"] == {"cgst": 5, "sgst": 5}
    assert inv["place_of_supply"] == "Maharashtra"


def test_gst_split_other_state_is_igst(call: Call, biz: Business) -> None:
    biz.gstin, biz.state = "27AAPFU0939F1ZV", "Maharashtra"
    call("customers.add_customer", name="Kiran Traders", state="Karnataka")
    out = call(
        "invoices.create_invoice",
        customer="Kiran Traders",
        gst_rate=18,
        items=[{"product": "pipe", "quantity": 3, "unit_price": 100}],
    )
    assert out["invoice"]["tax_breakup"] == {"igst": 54}
    assert out["invoice"]["place_of_supply"] == "Karnataka"
    assert out["total"] == 354


def test_product_rates_apply_when_the_business_has_a_gstin(call: Call, biz: Business) -> None:
    call("inventory.set_product_tax", product="cement", hsn="2523", gst_rate=28)
    call("inventory.set_product_tax", product="sand", gst_rate=5)
    items = [
        {"product": "cement", "quantity": 1, "unit_price": 100},
        {"product": "sand", "quantity": 1, "unit_price": 100},
    ]
    unregistered = call("invoices.create_invoice", customer="A", items=items)
    assert unregistered["invoice"]["tax"] == 0  # no GSTIN: a plain bill, no GST unless stated
    biz.gstin, biz.state = "27AAPFU0939F1ZV", "Maharashtra"
    registered = call("invoices.create_invoice", customer="A", items=items)
    assert registered["invoice"]["tax"] == 33
    assert registered["invoice"]["tax_breakup"] == {"cgst": 16.5, "sgst": 16.5}
    assert registered["invoice"]["items"][0]["hsn"] == "2523"


def test_unknown_gst_rate_is_refused(call: Call) -> None:
    with pytest.raises(ValidationFailed):
        call(
            "invoices.create_invoice",
            customer="A",
            gst_rate=7,
            items=[{"product": "x", "quantity": 1, "unit_price": 1}],
        )


def _stock(session: Session, name: str) -> Decimal:
    return session.scalars(select(Product.stock).where(Product.name == name)).one()


def test_invoice_takes_counted_stock_and_warns_below_zero(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "rice", "quantity": 60, "unit": "kg"}])
    call(
        "invoices.create_invoice",
        customer="Rekha",
        items=[{"product": "rice", "quantity": 10, "unit": "kg", "unit_price": 55}],
    )
    assert _stock(session, "rice") == 50
    call(
        "invoices.create_invoice",
        customer="Rekha",
        items=[{"product": "rice", "quantity": 500, "unit": "g", "unit_price": 55, "price_unit": "kg"}],
    )
    assert _stock(session, "rice") == Decimal("49.5")
    out = call(
        "invoices.create_invoice",
        customer="Rekha",
        items=[{"product": "rice", "quantity": 60, "unit": "kg", "unit_price": 55}],
    )
    assert _stock(session, "rice") == Decimal("-10.5")
    assert out["warnings"] and "-10.5 kg" in out["warnings"][0]


def test_products_only_priced_are_not_counted(call: Call, session: Session) -> None:
    call("inventory.set_price", product="cement", price=355, unit="bag")
    out = call("invoices.create_invoice", customer="Mahesh", items=[{"product": "cement", "quantity": 5}])
    assert out["total"] == 1775
    assert out["warnings"] == []
    assert _stock(session, "cement") == 0
    assert session.scalar(select(StockMovement.id)) is None


def test_invoice_created_event(call: Call, session: Session, customer: Customer) -> None:
    out = call(
        "invoices.create_invoice",
        customer_id=customer.id,
        items=[{"product": "cement", "quantity": 5, "unit": "bag", "unit_price": 350}],
    )
    ev = session.scalars(select(Event).where(Event.type == "invoices.invoice_created")).one()
    assert ev.key == out["number"]
    assert ev.payload["customer"] == {"name": "Mahesh Kumar", "phone": "+919876543210", "email": None}
    inv = ev.payload["invoice"]
    assert (inv["number"], inv["total"], inv["status"]) == (out["number"], 1750, "issued")
    assert inv["items"] == [
        {
            "product": "cement",
            "quantity": 5,
            "unit": "bag",
            "unit_price": 350,
            "amount": 1750,
            "hsn": None,
            "gst_rate": None,
        }
    ]


def test_edit_changes_quantity_and_stock(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 20, "unit": "bag"}])
    out = call(
        "invoices.create_invoice",
        customer="Mahesh",
        items=[{"product": "cement", "quantity": 4, "unit": "bag", "unit_price": 345}],
    )
    assert _stock(session, "cement") == 16
    edited = call(
        "invoices.edit_invoice",
        items=[{"product": "cement", "quantity": 5, "unit": "bag", "unit_price": 345}],
    )
    assert edited["id"] == out["id"] and edited["number"] == out["number"]
    assert edited["total"] == 1725
    assert _stock(session, "cement") == 15
    assert session.scalar(select(Invoice).where(Invoice.id == out["id"])).items[0].quantity == 5  # type: ignore[union-attr]


def test_edit_keeps_a_stated_gst_rate_and_changes_customer(call: Call, session: Session) -> None:
    call(
        "invoices.create_invoice",
        customer="Bala",
        gst_rate=5,
        items=[{"product": "x", "quantity": 10, "unit_price": 20}],
    )
    out = call(
        "invoices.edit_invoice", items=[{"product": "x", "quantity": 20, "unit_price": 20}], customer="Geeta"
    )
    assert (out["invoice"]["tax"], out["invoice"]["total"], out["invoice"]["customer"]) == (20, 420, "Geeta")


def test_cancel_keeps_the_invoice_and_returns_stock(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 10, "unit": "bag"}])
    out = call(
        "invoices.create_invoice",
        customer="Mahesh",
        items=[{"product": "cement", "quantity": 4, "unit": "bag", "unit_price": 345}],
    )
    cancelled = call("invoices.cancel_invoice", invoice=out["number"])
    assert cancelled["invoice"]["status"] == "cancelled"
    assert _stock(session, "cement") == 10
    biz = session.get(Business, session.get(Invoice, out["id"]).business_id)  # type: ignore[union-attr]
    exported = export_business(session, biz)  # type: ignore[arg-type]
    assert [i["status"] for i in exported["invoices"]] == ["cancelled"]
    with pytest.raises(ValidationFailed):
        call("invoices.cancel_invoice", invoice=out["number"])


def test_lookup_by_number_or_sequence(call: Call) -> None:
    first = call(
        "invoices.create_invoice", customer="A", items=[{"product": "x", "quantity": 1, "unit_price": 1}]
    )
    second = call(
        "invoices.create_invoice", customer="B", items=[{"product": "x", "quantity": 1, "unit_price": 2}]
    )
    assert call("invoices.get_invoice", invoice=first["number"])["id"] == first["id"]
    assert call("invoices.get_invoice", invoice="1")["id"] == first["id"]
    assert call("invoices.get_invoice", invoice="#2")["id"] == second["id"]
    assert call("invoices.get_invoice")["id"] == second["id"]  # latest
    with pytest.raises(NotFound):
        call("invoices.get_invoice", invoice="99")


def test_list_invoices(call: Call) -> None:
    for name in ("A", "B", "A"):
        call(
            "invoices.create_invoice",
            customer=name,
            items=[{"product": "x", "quantity": 1, "unit_price": 10}],
        )
    assert call("invoices.list_invoices")["count"] == 3
    mine = call("invoices.list_invoices", customer="A")
    assert mine["count"] == 2 and "A" in mine["text"]
