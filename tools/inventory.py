"""Inventory: products, their stock, price, unit, low-stock threshold, HSN and GST rate.

Every stock change is a `StockMovement` row (why, and which invoice), every
owner change a `Change` row (so "undo" can reverse it). Stock may go below
zero — the shop sold what it had not recorded buying — but never silently:
the result carries a ``warning`` for the reply. When a decrease takes a
product to or below its threshold, ``inventory.stock_low`` is raised.

Tools: ``inventory.update_stock`` (add / remove / set, one or many items),
``inventory.adjust_stock`` (the blueprint's signed change for flows),
``inventory.set_price``, ``inventory.set_threshold``, ``inventory.set_product_tax``,
``inventory.get_product``, ``inventory.list_stock``, ``inventory.low_stock``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import NotFound, ValidationFailed
from storage import events
from storage.export import number, rupees
from storage.ledger import (
    canonical_unit,
    convert,
    find_product,
    inr,
    is_low,
    norm,
    qty_text,
    qty_unit,
    record_change,
    singular,
    stock_tracked,
    to_paise,
    unit_text,
)
from storage.models import Product, StockMovement
from tools.base import BaseTool, ToolContext

# ------------------------------------------------------------------ domain functions


def clean_product_name(name: str) -> str:
    """How a product name is stored: trimmed, single spaces, lower case, last word singular."""
    words = norm(name).split()
    if words:
        words[-1] = singular(words[-1])
    return " ".join(words)


def get_or_create_product(
    session: Session, business_id: int, name: str, unit: str | None = None
) -> tuple[Product, bool]:
    """The product called ``name`` (plural and case ignored), created when new; (product, created)."""
    found = find_product(session, business_id, name)
    if found:
        if not found.unit and unit:
            found.unit = canonical_unit(unit)
        return found, False
    clean = clean_product_name(name)
    if not clean:
        raise ValidationFailed("a product needs a name", tool="inventory")
    product = Product(business_id=business_id, name=clean, unit=canonical_unit(unit), stock=Decimal(0))
    session.add(product)
    session.flush()
    return product, True


@dataclass
class StockResult:
    """What one stock change did."""

    product: Product
    before: Decimal
    after: Decimal
    change: Decimal
    movement_id: int | None
    created: bool = False
    warning: str | None = None
    became_low: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "product": self.product.name,
            "unit": self.product.unit,
            "stock": number(self.after),
            "before": number(self.before),
            "change": number(self.change),
            "warning": self.warning,
            "low": is_low(self.product),
            "became_low": self.became_low,
            "created": self.created,
            "low_stock_threshold": number(self.product.low_stock_threshold),
        }


def apply_stock(
    session: Session,
    business_id: int,
    product: Product,
    change: Decimal,
    reason: str,
    invoice_id: int | None = None,
) -> StockResult:
    """Move ``product``'s stock by ``change`` and record why; warns below zero, raises stock_low."""
    before = Decimal(product.stock or 0)
    after = before + change
    product.stock = after
    movement = StockMovement(
        business_id=business_id, product_id=product.id, change=change, reason=reason, invoice_id=invoice_id
    )
    session.add(movement)
    session.flush()
    result = StockResult(product, before, after, change, movement.id)
    if change < 0 and after < 0:
        result.warning = (
            f"Stock of {product.name} is now {qty_unit(after, product.unit)} "
            f"(you had {qty_unit(before, product.unit)}). "
            f'Send "{product.name} stock N" to correct it.'
        )
    threshold = product.low_stock_threshold
    if change < 0 and threshold is not None and after <= threshold < before:
        result.became_low = True
        events.raise_event(
            session,
            business_id,
            events.STOCK_LOW,
            f"{product.id}:{movement.id}",
            {"product": events.product_payload(product)},
        )
    return result


def in_product_unit(product: Product, quantity: Decimal, unit: str | None) -> Decimal | None:
    """``quantity`` of ``unit`` in the product's own unit; None when the two don't convert (kg vs bag)."""
    unit = canonical_unit(unit)
    if not unit or not product.unit or unit == product.unit:
        return quantity
    return convert(quantity, unit, product.unit)


def countable(name: str, quantity: Decimal | int | float | None, unit: str | None = None) -> str:
    """``25 bags cement``, ``10 fans``, ``1 fan``: an amount of a product for a reply."""
    if unit:
        return f"{qty_unit(quantity, unit)} {name}"
    words = name.split(" ")
    if quantity is not None and Decimal(str(quantity)) != 1 and words:
        words[-1] = unit_text(words[-1], 2)
    return f"{qty_text(quantity)} {' '.join(words)}"


StockMode = Literal["add", "remove", "set"]


def change_stock(
    session: Session,
    business_id: int,
    name: str,
    quantity: Decimal,
    unit: str | None,
    mode: StockMode,
    reason: str | None = None,
) -> StockResult:
    """Add, remove or set one product's stock (the product is created when new)."""
    if quantity < 0:
        raise ValidationFailed("a stock quantity can't be negative", tool="inventory")
    product, created = get_or_create_product(session, business_id, name, unit)
    qty = in_product_unit(product, quantity, unit)
    if qty is None:
        plural = unit_text(product.unit, 2)
        raise ValidationFailed(
            f"{product.name} is counted in {plural}, and I can't turn "
            f"{qty_unit(quantity, canonical_unit(unit))} into {plural}: "
            f"please send it in {plural}",
            tool="inventory",
        )
    if mode == "add":
        delta = qty
    elif mode == "remove":
        delta = -qty
    else:
        delta = qty - Decimal(product.stock or 0)
    result = apply_stock(session, business_id, product, delta, reason or mode)
    result.created = created
    return result


def update_stock(
    session: Session,
    business_id: int,
    items: list[tuple[str, Decimal, str | None]],
    mode: StockMode,
    reason: str | None = None,
) -> list[StockResult]:
    """Change several products' stock as one owner change (one "undo" reverses them all).

    A flow's change (``reason="flow"``) is not the owner's, so "undo" leaves it alone.
    """
    results = [change_stock(session, business_id, name, qty, unit, mode, reason) for name, qty, unit in items]
    if reason == "flow":
        return results
    if mode == "set":
        summary = "setting the stock of " + ", ".join(
            f"{r.product.name} to {qty_unit(r.after, r.product.unit)}" for r in results
        )
    else:
        summary = ("adding " if mode == "add" else "removing ") + ", ".join(
            countable(r.product.name, abs(r.change), r.product.unit) for r in results
        )
    record_change(
        session,
        business_id,
        "stock_changed",
        summary,
        {
            "moves": [
                {
                    "product_id": r.product.id,
                    "movement_id": r.movement_id,
                    "change": str(r.change),
                    "created": r.created,
                }
                for r in results
            ]
        },
    )
    return results


_PRODUCT_FIELDS = ("unit", "price_paise", "low_stock_threshold", "hsn", "gst_rate")


def _snapshot(product: Product) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in _PRODUCT_FIELDS:
        v = getattr(product, f)
        out[f] = str(v) if isinstance(v, Decimal) else v
    return out


def update_product(
    session: Session,
    business_id: int,
    name: str,
    *,
    summary: str,
    price: Decimal | None = None,
    unit: str | None = None,
    threshold: Decimal | None = None,
    threshold_unit: str | None = None,
    hsn: str | None = None,
    gst_rate: Decimal | None = None,
) -> tuple[Product, bool]:
    """Set a product's price (per ``unit``), threshold, HSN or GST rate; created when new."""
    product, created = get_or_create_product(session, business_id, name, unit)
    before = _snapshot(product)
    unit = canonical_unit(unit)
    if price is not None:
        if price < 0:
            raise ValidationFailed("a price can't be negative", tool="inventory.set_price")
        if unit and product.unit and unit != product.unit:
            per_product_unit = convert(Decimal(1), product.unit, unit)
            if per_product_unit is not None and not (product.stock or 0):
                product.unit = unit  # nothing counted yet in the old unit: take the owner's unit
            elif per_product_unit is not None:
                price = price * per_product_unit  # keep the counted unit, price it per that unit
            else:
                product.unit = unit
        elif unit:
            product.unit = unit
        product.price_paise = to_paise(price)
    if threshold is not None:
        if threshold < 0:
            raise ValidationFailed("a threshold can't be negative", tool="inventory.set_threshold")
        t_unit = canonical_unit(threshold_unit)
        if t_unit and not product.unit:
            product.unit = t_unit
        converted = convert(threshold, t_unit, product.unit) if t_unit else threshold
        product.low_stock_threshold = converted if converted is not None else threshold
    if hsn is not None:
        digits = "".join(ch for ch in str(hsn) if ch.isdigit())
        if not 4 <= len(digits) <= 8:
            raise ValidationFailed(f"an HSN/SAC code has 4 to 8 digits, not {hsn!r}", tool="inventory")
        product.hsn = digits
    if gst_rate is not None:
        if gst_rate not in GST_RATES:
            raise ValidationFailed(
                f"GST rates are {', '.join(str(r) for r in GST_RATES)}%, not {gst_rate}%", tool="inventory"
            )
        product.gst_rate = gst_rate
    session.flush()
    record_change(
        session,
        business_id,
        "product_updated",
        summary.format(name=product.name),
        {"product_id": product.id, "before": before, "created": created},
    )
    return product, created


#: The GST slab rates (percent) a product or invoice may carry.
GST_RATES = tuple(Decimal(x) for x in ("0", "0.1", "0.25", "1.5", "3", "5", "6", "12", "18", "28", "40"))


def product_line(p: Product, tracked: bool = True) -> str:
    """``cement: 45 bags · ₹350/bag`` (with a ⚠️ when low; no count for products only priced)."""
    text = f"{p.name}: {qty_unit(p.stock, p.unit)}" if tracked else f"{p.name}: stock not counted"
    if p.price_paise is not None:
        text += f" · {inr(p.price_paise)}/{p.unit or 'piece'}"
    if is_low(p):
        text += f" ⚠️ low (alert at {qty_unit(p.low_stock_threshold, p.unit)})"
    return text


def all_products(session: Session, business_id: int) -> list[Product]:
    return list(
        session.scalars(select(Product).where(Product.business_id == business_id).order_by(Product.name))
    )


# ------------------------------------------------------------------ tools


class StockItem(BaseModel):
    product: str = Field(min_length=1, description="product name without quantity or unit words")
    quantity: Decimal = Field(ge=0)
    unit: str | None = None


class UpdateStockParams(BaseModel):
    items: list[StockItem] = Field(min_length=1)
    mode: Literal["add", "remove", "set"] = "add"


class UpdateStock(BaseTool):
    name = "inventory.update_stock"
    description = (
        "Add to, remove from, or set the stock of one or more products "
        "(e.g. 'add 25 bags cement', '3 tiles broke', 'I have 8 geysers')."
    )
    Params = UpdateStockParams
    outputs = ("products", "warnings")

    def run(self, ctx: ToolContext, params: UpdateStockParams) -> dict[str, Any]:
        results = update_stock(
            ctx.session, ctx.business_id, [(i.product, i.quantity, i.unit) for i in params.items], params.mode
        )
        return {
            "products": [r.as_dict() for r in results],
            "warnings": [r.warning for r in results if r.warning],
        }


class AdjustStockParams(BaseModel):
    product: str = Field(min_length=1)
    change: Decimal
    unit: str | None = None


class AdjustStock(BaseTool):
    name = "inventory.adjust_stock"
    description = "Change a product's stock by a signed amount (positive adds, negative removes)."
    Params = AdjustStockParams
    outputs = ("stock", "product", "unit", "warning")

    def run(self, ctx: ToolContext, params: AdjustStockParams) -> dict[str, Any]:
        mode: StockMode = "add" if params.change >= 0 else "remove"
        (r,) = update_stock(
            ctx.session,
            ctx.business_id,
            [(params.product, abs(params.change), params.unit)],
            mode,
            reason="flow" if ctx.idempotency_key else None,
        )
        return {
            "stock": number(r.after),
            "product": r.product.name,
            "unit": r.product.unit,
            "warning": r.warning,
        }


class SetPriceParams(BaseModel):
    product: str = Field(min_length=1)
    price: Decimal = Field(ge=0, description="rupees per unit")
    unit: str | None = None


class SetPrice(BaseTool):
    name = "inventory.set_price"
    description = "Set a product's selling price per unit ('cement price 355', 'paint is 650 per bucket')."
    Params = SetPriceParams
    outputs = ("product", "price", "unit")

    def run(self, ctx: ToolContext, params: SetPriceParams) -> dict[str, Any]:
        p, created = update_product(
            ctx.session,
            ctx.business_id,
            params.product,
            price=params.price,
            unit=params.unit,
            summary="the change to the price of {name}",
        )
        return {"product": p.name, "price": rupees(p.price_paise), "unit": p.unit, "created": created}


class SetThresholdParams(BaseModel):
    product: str = Field(min_length=1)
    threshold: Decimal = Field(ge=0)
    unit: str | None = None


class SetThreshold(BaseTool):
    name = "inventory.set_threshold"
    description = (
        "Set the stock level at or below which the owner is warned ('tell me when rice drops below 20 kg')."
    )
    Params = SetThresholdParams
    outputs = ("product", "low_stock_threshold", "stock", "low")

    def run(self, ctx: ToolContext, params: SetThresholdParams) -> dict[str, Any]:
        p, created = update_product(
            ctx.session,
            ctx.business_id,
            params.product,
            threshold=params.threshold,
            threshold_unit=params.unit,
            summary="the change to the low-stock alert of {name}",
        )
        return {
            "product": p.name,
            "low_stock_threshold": number(p.low_stock_threshold),
            "stock": number(p.stock),
            "unit": p.unit,
            "low": is_low(p),
            "counted": stock_tracked(ctx.session, p),
            "created": created,
        }


class SetProductTaxParams(BaseModel):
    product: str = Field(min_length=1)
    hsn: str | None = None
    gst_rate: Decimal | None = None

    @field_validator("hsn", mode="before")
    @classmethod
    def _hsn_text(cls, v: Any) -> Any:
        return None if v is None else str(v)


class SetProductTax(BaseTool):
    name = "inventory.set_product_tax"
    description = "Set a product's HSN code and/or GST rate (percent)."
    Params = SetProductTaxParams
    outputs = ("product", "hsn", "gst_rate")

    def run(self, ctx: ToolContext, params: SetProductTaxParams) -> dict[str, Any]:
        if params.hsn is None and params.gst_rate is None:
            raise ValidationFailed("give an HSN code or a GST rate", tool=self.name)
        p, _ = update_product(
            ctx.session,
            ctx.business_id,
            params.product,
            hsn=params.hsn,
            gst_rate=params.gst_rate,
            summary="the change to the HSN/GST of {name}",
        )
        return {"product": p.name, "hsn": p.hsn, "gst_rate": number(p.gst_rate)}


class ProductParams(BaseModel):
    product: str = Field(min_length=1)


class GetProduct(BaseTool):
    name = "inventory.get_product"
    description = "Look up one product's stock, unit, price and threshold."
    Params = ProductParams
    outputs = ("product", "stock", "unit", "price", "low_stock_threshold", "text")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: ProductParams) -> dict[str, Any]:
        p = find_product(ctx.session, ctx.business_id, params.product)
        if p is None:
            raise NotFound(f"no product called {params.product!r}", product=params.product)
        return {**events.product_payload(p), "product": p.name, "text": product_line(p)}


class NoParams(BaseModel):
    pass


def _listing(products: list[Product], empty: str) -> dict[str, Any]:
    """The output of a product-listing tool: a bulleted text, the products, how many."""
    text = "\n".join(f"• {product_line(p)}" for p in products) or empty
    return {"text": text, "products": [events.product_payload(p) for p in products], "count": len(products)}


class ListStock(BaseTool):
    name = "inventory.list_stock"
    description = "List every product with its stock and price."
    Params = NoParams
    outputs = ("text", "products", "count")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: NoParams) -> dict[str, Any]:
        return _listing(all_products(ctx.session, ctx.business_id), "No products yet.")


class LowStock(BaseTool):
    name = "inventory.low_stock"
    description = "List the products at or below their low-stock threshold (or out of stock)."
    Params = NoParams
    outputs = ("text", "products", "count")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: NoParams) -> dict[str, Any]:
        return _listing(low_products(ctx.session, ctx.business_id), "Nothing is running low.")


def low_products(session: Session, business_id: int) -> list[Product]:
    """Products at or below their threshold, plus counted products that ran out (stock ≤ 0)."""
    out = []
    for p in all_products(session, business_id):
        if is_low(p) or ((p.stock or 0) <= 0 and stock_tracked(session, p)):
            out.append(p)
    return out


TOOLS: list[BaseTool] = [
    UpdateStock(),
    AdjustStock(),
    SetPrice(),
    SetThreshold(),
    SetProductTax(),
    GetProduct(),
    ListStock(),
    LowStock(),
]
