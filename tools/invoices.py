"""Invoices: create, correct, cancel, look up and list; each takes its items out of stock.

Numbers are ``INV/YY-YY/NNNN`` (see `storage.ledger.format_invoice_number`):
consecutive per business within each Indian financial year, at most 16
characters. A line's price comes from the owner or from the product
catalogue; "500 g at 80 per kg" is priced in the price's unit (0.5 kg × ₹80
= ₹40). GST is charged at the rate the owner states for the invoice, else at
the products' own rates when the business has a GSTIN; it is split CGST +
SGST when buyer and seller are in the same state (or the buyer's state is not
known) and IGST otherwise. Creating an invoice raises
``invoices.invoice_created``.

Tools: ``invoices.create_invoice``, ``invoices.edit_invoice``,
``invoices.cancel_invoice``, ``invoices.get_invoice``, ``invoices.list_invoices``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import NotFound, ValidationFailed
from storage import events
from storage.ledger import (
    as_utc,
    canonical_unit,
    convert,
    date_text,
    dec,
    financial_year,
    find_product,
    format_invoice_number,
    inr,
    invoice_by_ref,
    invoice_due,
    latest_invoice,
    next_invoice_seq,
    paise_of,
    qty_unit,
    record_change,
    refresh_invoice_payment,
    stock_tracked,
    to_paise,
    unit_text,
)
from storage.models import (
    Business,
    Customer,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Product,
    StockMovement,
    utcnow,
)
from tools.base import BaseTool, ToolContext
from tools.business import state_name
from tools.customers import customer_for
from tools.inventory import GST_RATES, StockResult, apply_stock, clean_product_name, in_product_unit

# ------------------------------------------------------------------ lines and prices


@dataclass
class Line:
    """One line as the owner gave it; ``unit_price`` in rupees per ``price_unit`` (default: ``unit``)."""

    product: str
    quantity: Decimal
    unit: str | None = None
    unit_price: Decimal | None = None
    price_unit: str | None = None


class MissingPrice(ValidationFailed):
    """A line has no price and the catalogue has none either; ``index`` says which line."""

    def __init__(self, index: int, product: str, unit: str | None) -> None:
        per = f" per {unit}" if unit else ""
        super().__init__(
            f"no price for {product}{per}", tool="invoices", index=index, product=product, unit=unit
        )
        self.index, self.product, self.unit = index, product, unit


#: Most lines one invoice may have: a bill longer than this is a mistake or an attack (10,000 lines
#: took ~50 s of CPU for each opening of the PDF and ~160 WhatsApp messages to show).
MAX_ITEMS = 200
TOO_MANY_ITEMS = "an invoice can have at most {max} items (this one has {n}); split it into two or more invoices"


def build_items(session: Session, business_id: int, lines: list[Line]) -> list[InvoiceItem]:
    """Priced invoice items for ``lines`` (unattached); `MissingPrice` for the first line without a price."""
    if len(lines) > MAX_ITEMS:
        raise ValidationFailed(TOO_MANY_ITEMS.format(max=MAX_ITEMS, n=len(lines)), tool="invoices")
    items: list[InvoiceItem] = []
    for index, line in enumerate(lines):
        if line.quantity is None or line.quantity <= 0:
            raise ValidationFailed(f"the quantity of {line.product} must be more than zero", tool="invoices")
        product = find_product(session, business_id, line.product)
        quantity, unit = Decimal(line.quantity), canonical_unit(line.unit)
        if line.unit_price is not None:
            if line.unit_price < 0:
                raise ValidationFailed(f"the price of {line.product} can't be negative", tool="invoices")
            price_paise = to_paise(line.unit_price)
            price_unit = canonical_unit(line.price_unit) or unit or (product.unit if product else None)
            if unit and price_unit and unit != price_unit:
                converted = convert(quantity, unit, price_unit)
                if converted is not None:  # "500 g at 80 per kg": bill 0.5 kg at ₹80
                    quantity, unit = converted, price_unit
            unit = unit or price_unit
        elif product is not None and product.price_paise is not None:
            price_paise = product.price_paise
            if unit and product.unit and unit != product.unit:
                converted = convert(quantity, unit, product.unit)
                if converted is not None:
                    quantity, unit = converted, product.unit
            unit = unit or product.unit
        else:
            raise MissingPrice(
                index, product.name if product else line.product, unit or (product.unit if product else None)
            )
        quantity = quantity.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        if quantity <= 0:
            raise ValidationFailed(f"the quantity of {line.product} is too small to bill", tool="invoices")
        items.append(
            InvoiceItem(
                product_id=product.id if product else None,
                product=product.name if product else clean_product_name(line.product),
                quantity=quantity,
                unit=unit,
                unit_price_paise=price_paise,
                amount_paise=paise_of(quantity, price_paise),
                hsn=product.hsn if product else None,
                gst_rate=product.gst_rate if product else None,
            )
        )
    if not items:
        raise ValidationFailed("an invoice needs at least one item", tool="invoices")
    return items


def _check_rate(rate: Decimal | None) -> Decimal | None:
    if rate is None:
        return None
    rate = Decimal(rate)
    if rate not in GST_RATES:
        raise ValidationFailed(
            f"GST is charged at {', '.join(str(r) for r in GST_RATES)}%, not {rate}%", tool="invoices"
        )
    return rate


def apply_tax(biz: Business, customer: Customer, inv: Invoice, stated_rate: Decimal | None) -> None:
    """Set the items' GST rates, the invoice's tax, its CGST/SGST or IGST split and place of supply."""
    for item in inv.items:
        if stated_rate is not None:
            item.gst_rate = stated_rate
        elif not biz.gstin:
            item.gst_rate = None  # an unregistered business charges no GST unless the owner says so
    seller, buyer = state_name(biz.state), state_name(customer.state)
    inter_state = bool(seller and buyer and seller != buyer)
    split: dict[str, int] = {}
    for item in inv.items:
        rate = item.gst_rate
        if not rate:
            continue
        if inter_state:
            split["igst"] = split.get("igst", 0) + _pct(item.amount_paise, rate)
        else:
            half = _pct(item.amount_paise, rate / 2)
            split["cgst"] = split.get("cgst", 0) + half
            split["sgst"] = split.get("sgst", 0) + half
    rates = {item.gst_rate for item in inv.items if item.gst_rate}
    inv.gst_rate = stated_rate if stated_rate is not None else (rates.pop() if len(rates) == 1 else None)
    inv.subtotal_paise = sum(i.amount_paise for i in inv.items)
    inv.tax_paise = sum(split.values())
    inv.total_paise = inv.subtotal_paise + inv.tax_paise
    inv.tax_breakup = split
    inv.place_of_supply = buyer or seller


def _pct(paise: int, rate: Decimal) -> int:
    return int((Decimal(paise) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ------------------------------------------------------------------ stock of an invoice


def _take_stock(session: Session, business_id: int, inv: Invoice) -> tuple[list[StockResult], list[str]]:
    """Take the invoice's counted products out of stock; (results, notes about lines left alone).

    Products only priced, not counted, are skipped; so is a line in a unit that
    doesn't convert into the product's (2 kg of a product counted in bags).
    """
    per_product: dict[int, Decimal] = {}
    notes: list[str] = []
    for item in inv.items:
        if item.product_id is None:
            continue
        product = session.get(Product, item.product_id)
        if product is None or not stock_tracked(session, product):
            continue
        qty = in_product_unit(product, Decimal(item.quantity), item.unit)
        if qty is None:
            notes.append(
                f"{product.name} is counted in {unit_text(product.unit, 2)}, so I didn't take "
                f"{qty_unit(item.quantity, item.unit)} out of stock"
            )
            continue
        per_product[product.id] = per_product.get(product.id, Decimal(0)) + qty
    results = []
    for product_id, qty in per_product.items():
        product = session.get(Product, product_id)
        assert product is not None
        results.append(apply_stock(session, business_id, product, -qty, "invoice", invoice_id=inv.id))
    return results, notes


def _return_stock(session: Session, business_id: int, inv: Invoice, *, reason: str | None) -> None:
    """Undo the invoice's stock movements: delete them (``reason`` None) or add reverse movements."""
    moves = list(session.scalars(select(StockMovement).where(StockMovement.invoice_id == inv.id)))
    if reason is None:
        for m in moves:
            product = session.get(Product, m.product_id)
            if product is not None:
                product.stock = Decimal(product.stock or 0) - Decimal(m.change)
            session.delete(m)
        session.flush()
        return
    net: dict[int, Decimal] = {}
    for m in moves:
        net[m.product_id] = net.get(m.product_id, Decimal(0)) + Decimal(m.change)
    for product_id, change in net.items():
        product = session.get(Product, product_id)
        if product is not None and change != 0:
            apply_stock(session, business_id, product, -change, reason, invoice_id=inv.id)


# ------------------------------------------------------------------ create, edit, cancel


@dataclass
class InvoiceResult:
    """An invoice just written and what it did to stock."""

    invoice: Invoice
    stock: list[StockResult] = field(default_factory=list)
    customer_created: bool = False
    notes: list[str] = field(default_factory=list)
    advance_paise: int = 0  # the customer's advance applied to it
    released_paise: int = 0  # money taken off it by a cancellation (now an advance)

    @property
    def warnings(self) -> list[str]:
        return [r.warning for r in self.stock if r.warning] + self.notes

    @property
    def low(self) -> list[StockResult]:
        return [r for r in self.stock if r.became_low]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.invoice.id,
            "number": self.invoice.number,
            "invoice": events.invoice_payload(self.invoice),
            "total": events.invoice_payload(self.invoice)["total"],  # type: ignore[index]
            "warnings": self.warnings,
            "low_stock": [r.product.name for r in self.low],
            "customer_created": self.customer_created,
            "advance_applied": self.advance_paise / 100,
            "released": self.released_paise / 100,
        }


def create_invoice(
    session: Session,
    business_id: int,
    customer: Customer,
    lines: list[Line],
    *,
    gst_rate: Decimal | None = None,
    issued_at: datetime | None = None,
    customer_created: bool = False,
) -> InvoiceResult:
    """Write an invoice with the next number of its financial year, take stock, raise the event."""
    biz = session.get(Business, business_id)
    assert biz is not None
    stated = _check_rate(gst_rate)
    items = build_items(session, business_id, lines)
    when = as_utc(issued_at) or utcnow()
    fy = financial_year(when)
    inv: Invoice | None = None
    for _ in range(5):  # another request may take the same number a moment earlier: try the next
        seq = next_invoice_seq(session, business_id, fy)
        try:
            with session.begin_nested():
                inv = Invoice(
                    business_id=business_id,
                    customer_id=customer.id,
                    customer=customer,
                    number=format_invoice_number(fy, seq),
                    fiscal_year=fy,
                    seq=seq,
                    status=InvoiceStatus.issued,
                    issued_at=when,
                    created_at=when,
                )
                inv.items = [InvoiceItem(**_item_fields(i)) for i in items]
                apply_tax(biz, customer, inv, stated)
                session.add(inv)
            break
        except IntegrityError:
            inv = None
    if inv is None:
        raise ValidationFailed("could not number the invoice; please try again", tool="invoices")
    stock, notes = _take_stock(session, business_id, inv)
    from tools.payments import apply_advances

    advance = apply_advances(session, business_id, inv)
    record_change(
        session,
        business_id,
        "invoice_created",
        f"invoice {inv.number} for {customer.name} ({inr(inv.total_paise)})",
        {"invoice_id": inv.id, "created_customer_id": customer.id if customer_created else None},
    )
    events.raise_event(
        session,
        business_id,
        events.INVOICE_CREATED,
        inv.number,
        {"invoice": events.invoice_payload(inv), "customer": events.customer_payload(customer)},
    )
    return InvoiceResult(inv, stock, customer_created, notes, advance)


def _item_fields(item: InvoiceItem) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "product": item.product,
        "quantity": item.quantity,
        "unit": item.unit,
        "unit_price_paise": item.unit_price_paise,
        "amount_paise": item.amount_paise,
        "hsn": item.hsn,
        "gst_rate": item.gst_rate,
    }


def snapshot(inv: Invoice) -> dict[str, Any]:
    """What an invoice looked like, JSON-safe, for undo of a correction."""

    def s(v: Any) -> Any:
        return str(v) if isinstance(v, Decimal) else v

    return {
        "customer_id": inv.customer_id,
        "gst_rate": s(inv.gst_rate),
        "items": [{k: s(v) for k, v in _item_fields(i).items()} for i in inv.items],
    }


def _replace(
    session: Session,
    business_id: int,
    inv: Invoice,
    items: list[dict[str, Any]],
    customer: Customer,
    stated_rate: Decimal | None,
) -> tuple[list[StockResult], list[str]]:
    """Give ``inv`` these items and this customer; stock and payment status follow."""
    biz = session.get(Business, business_id)
    assert biz is not None
    _return_stock(session, business_id, inv, reason=None)
    inv.items.clear()
    session.flush()
    inv.customer_id, inv.customer = customer.id, customer
    inv.items.extend(InvoiceItem(**it) for it in items)
    apply_tax(biz, customer, inv, stated_rate)
    session.flush()
    taken = _take_stock(session, business_id, inv) if inv.status != InvoiceStatus.cancelled else ([], [])
    refresh_invoice_payment(session, inv)
    return taken


def restore_snapshot(session: Session, business_id: int, inv: Invoice, snap: dict[str, Any]) -> None:
    """Put an invoice back as `snapshot` saw it (undo of a correction)."""
    items = []
    for it in snap["items"]:
        items.append(
            {
                **it,
                "quantity": Decimal(it["quantity"]),
                "gst_rate": Decimal(it["gst_rate"]) if it.get("gst_rate") is not None else None,
            }
        )
    customer = session.get(Customer, snap["customer_id"])
    assert customer is not None
    rate = Decimal(snap["gst_rate"]) if snap.get("gst_rate") is not None else None
    # the snapshot's item rates already say what was charged: restate them only for an invoice-wide rate
    _replace(session, business_id, inv, items, customer, rate if _uniform(items, rate) else None)


def _uniform(items: list[dict[str, Any]], rate: Decimal | None) -> bool:
    """Whether every item carries ``rate`` (an invoice-wide rate the owner stated)."""
    return rate is not None and all(dec(i.get("gst_rate")) == rate for i in items)


def edit_invoice(
    session: Session,
    business_id: int,
    inv: Invoice,
    *,
    lines: list[Line] | None = None,
    customer: Customer | None = None,
    gst_rate: Decimal | None = None,
    customer_created: bool = False,
) -> InvoiceResult:
    """Correct an invoice: new lines, another customer and/or a GST rate; undo puts it back."""
    if inv.status == InvoiceStatus.cancelled:
        raise ValidationFailed(f"invoice {inv.number} is cancelled", tool="invoices.edit_invoice")
    before = snapshot(inv)
    if lines is not None:
        items = [_item_fields(i) for i in build_items(session, business_id, lines)]
    else:
        items = [_item_fields(i) for i in inv.items]
    stated = _check_rate(gst_rate)
    if stated is None and inv.gst_rate is not None and _uniform(before["items"], inv.gst_rate):
        stated = inv.gst_rate  # keep an invoice-wide rate the owner stated earlier
        for it in items:
            it["gst_rate"] = stated
    from tools.payments import apply_advances, release_allocations

    if customer is not None and customer.id != inv.customer_id:
        before["released"] = release_allocations(session, inv)  # the old customer's money stays theirs
    stock, notes = _replace(session, business_id, inv, items, customer or inv.customer, stated)
    advance = apply_advances(session, business_id, inv)
    record_change(
        session,
        business_id,
        "invoice_edited",
        f"the change to invoice {inv.number}",
        {
            "invoice_id": inv.id,
            "before": before,
            "created_customer_id": customer.id if customer and customer_created else None,
        },
    )
    return InvoiceResult(inv, stock, customer_created, notes, advance)


def cancel_invoice(session: Session, business_id: int, inv: Invoice) -> InvoiceResult:
    """Mark an invoice cancelled (it stays listed) and put its items back in stock."""
    if inv.status == InvoiceStatus.cancelled:
        raise ValidationFailed(f"invoice {inv.number} is already cancelled", tool="invoices.cancel_invoice")
    from tools.payments import release_allocations

    previous = str(inv.status)
    released = release_allocations(session, inv)  # money paid on it becomes the customer's advance
    inv.status = InvoiceStatus.cancelled
    _return_stock(session, business_id, inv, reason="cancel")
    record_change(
        session,
        business_id,
        "invoice_cancelled",
        f"the cancellation of invoice {inv.number} for {inv.customer.name}",
        {"invoice_id": inv.id, "status": previous, "released": released},
    )
    result = InvoiceResult(inv)
    result.released_paise = sum(p for _, p in released)
    return result


def resolve_invoice(
    session: Session, business_id: int, ref: str | None = None, invoice_id: int | None = None
) -> Invoice:
    """An invoice by id, by number/sequence, or the latest one; `NotFound` otherwise."""
    inv: Invoice | None
    if invoice_id is not None:
        inv = session.get(Invoice, invoice_id)
        if inv is not None and inv.business_id != business_id:
            inv = None
    elif ref:
        inv = invoice_by_ref(session, business_id, ref)
    else:
        inv = latest_invoice(session, business_id)
    if inv is None:
        raise NotFound(f"no invoice {ref}" if ref else "no invoice yet", ref=ref)
    return inv


# ------------------------------------------------------------------ text


def item_line(item: InvoiceItem) -> str:
    """``cement: 8 bags × ₹345 = ₹2,760`` (``fan: 2 × ₹1,800 = ₹3,600`` without a unit)."""
    return (
        f"{item.product}: {qty_unit(item.quantity, item.unit)} × {inr(item.unit_price_paise)}"
        f" = {inr(item.amount_paise)}"
    )


def tax_text(inv: Invoice) -> str:
    """``GST 5%: CGST ₹5 + SGST ₹5`` (empty without tax)."""
    if not inv.tax_paise:
        return ""
    rate = f" {inv.gst_rate.normalize():f}%" if inv.gst_rate is not None else ""
    split = inv.tax_breakup or {}
    parts = " + ".join(f"{k.upper()} {inr(v)}" for k, v in split.items() if isinstance(v, int) and v)
    return f"GST{rate}: {parts}" if parts else f"GST{rate}: {inr(inv.tax_paise)}"


def invoice_text(inv: Invoice, *, header: str | None = None) -> str:
    """A short WhatsApp description of an invoice."""
    lines = [header or f"🧾 *{inv.number}* · {inv.customer.name} · {date_text(inv.issued_at)}"]
    lines += [f"• {item_line(i)}" for i in inv.items]
    if inv.tax_paise:
        lines.append(f"Subtotal {inr(inv.subtotal_paise)} · {tax_text(inv)}")
    total = f"Total: *{inr(inv.total_paise)}*"
    if inv.status == InvoiceStatus.cancelled:
        total += " · ❌ cancelled"
    elif inv.paid_paise:
        total += f" · paid {inr(inv.paid_paise)}"
        due = invoice_due(inv)
        total += f" · due {inr(due)}" if due else " ✅"
    lines.append(total)
    return "\n".join(lines)


def invoice_row(inv: Invoice) -> str:
    """One line of a list: ``INV/26-27/0003 · Mahesh · ₹2,760 · paid``."""
    status = {
        "issued": "unpaid",
        "sent": "sent, unpaid",
        "partially_paid": f"due {inr(invoice_due(inv))}",
        "paid": "paid ✅",
        "cancelled": "cancelled ❌",
        "draft": "draft",
    }.get(str(inv.status), str(inv.status))
    return (
        f"{inv.number} · {inv.customer.name} · {inr(inv.total_paise)} · {status} · {date_text(inv.issued_at)}"
    )


def recent_invoices(
    session: Session, business_id: int, *, customer_id: int | None = None, limit: int = 10
) -> list[Invoice]:
    """The latest invoices, newest first."""
    q = select(Invoice).where(Invoice.business_id == business_id)
    if customer_id is not None:
        q = q.where(Invoice.customer_id == customer_id)
    return list(session.scalars(q.order_by(Invoice.id.desc()).limit(limit)))


# ------------------------------------------------------------------ tools


class ItemParams(BaseModel):
    product: str = Field(min_length=1, description="product name without quantity or unit words")
    quantity: Decimal = Field(gt=0)
    unit: str | None = None
    unit_price: Decimal | None = Field(
        None, ge=0, description="rupees per price_unit; catalogue price if absent"
    )
    price_unit: str | None = None

    def line(self) -> Line:
        return Line(self.product, self.quantity, self.unit, self.unit_price, self.price_unit)


def _at_most_max_items(value: Any) -> Any:
    """Refuse a list of more than `MAX_ITEMS` items before each one is validated."""
    if isinstance(value, (list, tuple)) and len(value) > MAX_ITEMS:
        raise ValueError(TOO_MANY_ITEMS.format(max=MAX_ITEMS, n=len(value)))
    return value


class CreateInvoiceParams(BaseModel):
    customer: str | None = Field(None, description="customer name (created when new)")
    customer_id: int | None = None
    items: list[ItemParams] = Field(min_length=1)
    gst_rate: Decimal | None = Field(None, description="GST percent for the whole invoice")
    issued_at: datetime | None = None

    @field_validator("items", mode="before")
    @classmethod
    def _not_too_many(cls, value: Any) -> Any:
        return _at_most_max_items(value)


class CreateInvoice(BaseTool):
    name = "invoices.create_invoice"
    description = (
        "Create an invoice for a customer with one or more items (quantity, unit, unit price in "
        "rupees; the catalogue price is used when none is given), optionally with GST."
    )
    Params = CreateInvoiceParams
    outputs = ("id", "number", "total", "invoice", "warnings", "low_stock")

    def run(self, ctx: ToolContext, params: CreateInvoiceParams) -> dict[str, Any]:
        if params.customer_id is None and not params.customer:
            raise ValidationFailed("an invoice needs a customer", tool=self.name)
        customer, created = customer_for(
            ctx.session, ctx.business_id, customer_id=params.customer_id, name=params.customer
        )
        result = create_invoice(
            ctx.session,
            ctx.business_id,
            customer,
            [i.line() for i in params.items],
            gst_rate=params.gst_rate,
            issued_at=params.issued_at,
            customer_created=created,
        )
        return result.as_dict()


class EditInvoiceParams(BaseModel):
    invoice: str | None = Field(None, description="invoice number; the latest invoice when absent")
    invoice_id: int | None = None
    items: list[ItemParams] | None = Field(
        None, description="the invoice's items after the change (all of them)"
    )
    customer: str | None = None
    customer_id: int | None = None
    gst_rate: Decimal | None = None

    @field_validator("items", mode="before")
    @classmethod
    def _not_too_many(cls, value: Any) -> Any:
        return _at_most_max_items(value)


class EditInvoice(BaseTool):
    name = "invoices.edit_invoice"
    description = "Correct an invoice: replace its items, change its customer or its GST rate."
    Params = EditInvoiceParams
    outputs = ("id", "number", "total", "invoice", "warnings")

    def run(self, ctx: ToolContext, params: EditInvoiceParams) -> dict[str, Any]:
        inv = resolve_invoice(ctx.session, ctx.business_id, params.invoice, params.invoice_id)
        customer, created = None, False
        if params.customer_id is not None or params.customer:
            customer, created = customer_for(
                ctx.session, ctx.business_id, customer_id=params.customer_id, name=params.customer
            )
        result = edit_invoice(
            ctx.session,
            ctx.business_id,
            inv,
            lines=[i.line() for i in params.items] if params.items is not None else None,
            customer=customer,
            gst_rate=params.gst_rate,
            customer_created=created,
        )
        return result.as_dict()


class InvoiceRefParams(BaseModel):
    invoice: str | None = Field(None, description="invoice number; the latest invoice when absent")
    invoice_id: int | None = None


class CancelInvoice(BaseTool):
    name = "invoices.cancel_invoice"
    description = "Cancel an invoice (it stays listed as cancelled; its items go back into stock)."
    Params = InvoiceRefParams
    outputs = ("id", "number", "total", "invoice")

    def run(self, ctx: ToolContext, params: InvoiceRefParams) -> dict[str, Any]:
        inv = resolve_invoice(ctx.session, ctx.business_id, params.invoice, params.invoice_id)
        return cancel_invoice(ctx.session, ctx.business_id, inv).as_dict()


class GetInvoice(BaseTool):
    name = "invoices.get_invoice"
    description = "Look up one invoice (the latest when no number is given)."
    Params = InvoiceRefParams
    outputs = ("id", "number", "invoice", "customer", "text")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: InvoiceRefParams) -> dict[str, Any]:
        inv = resolve_invoice(ctx.session, ctx.business_id, params.invoice, params.invoice_id)
        return {
            "id": inv.id,
            "number": inv.number,
            "invoice": events.invoice_payload(inv),
            "customer": events.customer_payload(inv.customer),
            "text": invoice_text(inv),
        }


class ListInvoicesParams(BaseModel):
    customer: str | None = None
    customer_id: int | None = None
    limit: int = Field(10, ge=1, le=50)


class ListInvoices(BaseTool):
    name = "invoices.list_invoices"
    description = "List the latest invoices, or one customer's."
    Params = ListInvoicesParams
    outputs = ("text", "invoices", "count")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: ListInvoicesParams) -> dict[str, Any]:
        customer_id = params.customer_id
        if customer_id is None and params.customer:
            customer, _ = customer_for(ctx.session, ctx.business_id, name=params.customer, create=False)
            customer_id = customer.id
        rows = recent_invoices(ctx.session, ctx.business_id, customer_id=customer_id, limit=params.limit)
        return {
            "text": "\n".join(f"• {invoice_row(i)}" for i in rows) or "No invoices yet.",
            "invoices": [events.invoice_payload(i) for i in rows],
            "count": len(rows),
        }


TOOLS: list[BaseTool] = [CreateInvoice(), EditInvoice(), CancelInvoice(), GetInvoice(), ListInvoices()]
