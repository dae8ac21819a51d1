"""inventory.*: add / remove / set, never negative silently, low-stock events, price and unit, queries."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import NotFound, ValidationFailed
from storage.models import Event, Product, StockMovement

Call = Callable[..., dict[str, Any]]


def _product(session: Session, name: str) -> Product:
    return session.scalars(select(Product).where(Product.name == name)).one()


def test_add_creates_then_adds_to_one_product(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 10, "unit": "bags"}])
    out = call("inventory.update_stock", items=[{"product": "Cement", "quantity": 5, "unit": "bag"}])
    assert out["products"][0]["stock"] == 15
    assert len(session.scalars(select(Product)).all()) == 1
    p = _product(session, "cement")
    assert (p.unit, p.stock) == ("bag", 15)
    assert [m.change for m in session.scalars(select(StockMovement).order_by(StockMovement.id))] == [10, 5]


def test_several_items_at_once(call: Call, session: Session) -> None:
    call(
        "inventory.update_stock",
        items=[
            {"product": "wheat", "quantity": 40, "unit": "kg"},
            {"product": "ghee", "quantity": 15, "unit": "litres"},
        ],
    )
    assert (_product(session, "wheat").stock, _product(session, "ghee").stock) == (40, 15)
    assert _product(session, "ghee").unit == "litre"


def test_plural_names_are_stored_singular(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "tiles", "quantity": 30}])
    call("inventory.update_stock", items=[{"product": "tile", "quantity": 3}], mode="remove")
    assert _product(session, "tile").stock == 27


def test_units_convert_into_the_products_unit(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "rice", "quantity": 20, "unit": "kg"}])
    call("inventory.update_stock", items=[{"product": "rice", "quantity": 500, "unit": "g"}], mode="remove")
    assert _product(session, "rice").stock == Decimal("19.5")


def test_set_stock(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "geyser", "quantity": 3}])
    out = call("inventory.update_stock", items=[{"product": "geysers", "quantity": 8}], mode="set")
    assert (out["products"][0]["before"], out["products"][0]["stock"], out["products"][0]["change"]) == (
        3,
        8,
        5,
    )


def test_stock_never_goes_negative_silently(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "fan", "quantity": 2}])
    out = call("inventory.update_stock", items=[{"product": "fan", "quantity": 5}], mode="remove")
    assert out["products"][0]["stock"] == -3
    assert out["warnings"] and "-3" in out["warnings"][0] and "you had 2" in out["warnings"][0]
    ok = call("inventory.update_stock", items=[{"product": "fan", "quantity": 10}])
    assert ok["warnings"] == []


def test_negative_quantities_are_refused(call: Call, session: Session) -> None:
    with pytest.raises(ValidationFailed):
        call("inventory.update_stock", items=[{"product": "fan", "quantity": -1}])
    assert session.scalar(select(Product.id)) is None


def test_stock_low_event_when_falling_to_the_threshold(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 12, "unit": "bag"}])
    call("inventory.set_threshold", product="cement", threshold=5, unit="bags")
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 6}], mode="remove")  # 6: not yet
    assert session.scalar(select(Event.id).where(Event.type == "inventory.stock_low")) is None
    out = call(
        "invoices.create_invoice", customer="M", items=[{"product": "cement", "quantity": 1, "unit_price": 1}]
    )
    assert out["low_stock"] == ["cement"]  # 5: at the threshold
    events = session.scalars(select(Event).where(Event.type == "inventory.stock_low")).all()
    assert len(events) == 1
    assert events[0].payload == {
        "product": {"name": "cement", "stock": 5, "unit": "bag", "low_stock_threshold": 5, "price": None}
    }
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 1}], mode="remove")  # already low
    assert len(session.scalars(select(Event).where(Event.type == "inventory.stock_low")).all()) == 1
    call("inventory.update_stock", items=[{"product": "cement", "quantity": 10}])
    call("inventory.adjust_stock", product="cement", change=-10)  # crosses again
    assert len(session.scalars(select(Event).where(Event.type == "inventory.stock_low")).all()) == 2


def test_threshold_in_another_unit(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "rice", "quantity": 30, "unit": "kg"}])
    out = call("inventory.set_threshold", product="rice", threshold=5000, unit="g")
    assert out["low_stock_threshold"] == 5 and out["low"] is False


def test_adjust_stock_for_flows(call: Call, session: Session) -> None:
    out = call("inventory.adjust_stock", product="bricks", change="50")
    assert out == {"stock": 50, "product": "brick", "unit": None, "warning": None}
    assert call("inventory.adjust_stock", product="brick", change=-20)["stock"] == 30


def test_set_price_also_sets_the_unit(call: Call, session: Session) -> None:
    out = call("inventory.set_price", product="paint", price=650, unit="bucket")
    assert (out["price"], out["unit"]) == (650, "bucket")
    p = _product(session, "paint")
    assert (p.price_paise, p.unit) == (65000, "bucket")


def test_price_per_other_unit_keeps_the_counted_unit(call: Call, session: Session) -> None:
    call("inventory.update_stock", items=[{"product": "rice", "quantity": 10, "unit": "kg"}])
    out = call("inventory.set_price", product="rice", price=5500, unit="quintal")
    assert (out["price"], out["unit"]) == (55, "kg")


def test_product_tax(call: Call, session: Session) -> None:
    out = call("inventory.set_product_tax", product="cement", hsn="2523", gst_rate=28)
    assert out == {"product": "cement", "hsn": "2523", "gst_rate": 28}
    with pytest.raises(ValidationFailed):
        call("inventory.set_product_tax", product="cement", gst_rate=13)
    with pytest.raises(ValidationFailed):
        call("inventory.set_product_tax", product="cement", hsn="12")


def test_queries(call: Call, session: Session) -> None:
    call(
        "inventory.update_stock",
        items=[{"product": "cement", "quantity": 2, "unit": "bag"}, {"product": "brick", "quantity": 50}],
    )
    call("inventory.set_threshold", product="cement", threshold=5)
    one = call("inventory.get_product", product="Cement")
    assert (one["stock"], one["unit"], one["low_stock_threshold"]) == (2, "bag", 5)
    everything = call("inventory.list_stock")
    assert everything["count"] == 2 and "brick: 50" in everything["text"]
    low = call("inventory.low_stock")
    assert low["count"] == 1 and "cement" in low["text"] and "brick" not in low["text"]
    with pytest.raises(NotFound):
        call("inventory.get_product", product="sand")
