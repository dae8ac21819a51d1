"""Ledger helpers shared by the business tools: money, dates, names, and the common queries.

Money is integer paise everywhere; `to_paise` is the one way in from rupees
and `inr` the one way out to text (``₹1,75,000``, Indian digit grouping).
Invoice numbers are ``INV/YY-YY/NNNN`` (e.g. ``INV/26-27/0001``): consecutive
per business within each Indian financial year (April–March, in IST), at most
16 characters of letters, digits, ``/`` and ``-`` as GST Rule 46 asks, and
unique across years because the year is part of the number.

Every query takes the open `Session` and the ``business_id`` and filters on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import (
    Change,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    Product,
    StockMovement,
    utcnow,
)

IST = ZoneInfo("Asia/Kolkata")

#: Invoice statuses that still expect money.
OPEN_STATUSES = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.partially_paid)


# ------------------------------------------------------------------ numbers and money


def dec(value: Any) -> Decimal | None:
    """Any number-ish value (int, float, str, Decimal) as a `Decimal`; None when absent or not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        # str() first so a float like 0.1 becomes Decimal("0.1"), not its binary expansion
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


def to_paise(rupees: Any) -> int:
    """Rupees (number-ish) → integer paise, rounded half up."""
    amount = dec(rupees)
    if amount is None:
        raise ValueError(f"not an amount: {rupees!r}")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def paise_of(quantity: Decimal, unit_price_paise: int) -> int:
    """The amount of ``quantity`` at ``unit_price_paise`` each, rounded to the paisa."""
    return int((quantity * unit_price_paise).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def group_indian(n: int) -> str:
    """1750000 → ``17,50,000`` (the last three digits, then pairs)."""
    sign, s = ("-", str(-n)) if n < 0 else ("", str(n))
    if len(s) <= 3:
        return sign + s
    head, tail = s[:-3], s[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    if head:
        pairs.insert(0, head)
    return sign + ",".join([*pairs, tail])


def inr(paise: int | None) -> str:
    """Paise → ``₹1,75,000`` (or ``₹40.50`` when there are paise)."""
    paise = paise or 0
    sign = "-" if paise < 0 else ""
    rupees, rest = divmod(abs(paise), 100)
    text = f"₹{group_indian(rupees)}"
    return sign + (f"{text}.{rest:02d}" if rest else text)


def qty_text(q: Decimal | int | float | None) -> str:
    """A quantity without trailing zeros: 5, 2.5, 0.25."""
    value = dec(q) or Decimal(0)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


_PLURAL_UNITS = {"foot": "feet", "inch": "inches", "box": "boxes", "loaf": "loaves"}
_NO_PLURAL = {"kg", "g", "mg", "ml", "cm", "mm", "sqft", "dozen"}


def unit_text(unit: str | None, q: Decimal | int | float | None = 1) -> str:
    """``bag`` → ``bags`` when the quantity is not one; metric abbreviations stay as they are."""
    if not unit:
        return ""
    value = dec(q) or Decimal(0)
    if value == 1 or unit in _NO_PLURAL:
        return unit
    if unit in _PLURAL_UNITS:
        return _PLURAL_UNITS[unit]
    if unit.endswith(("s", "x", "ch", "sh")):
        return unit + "es"
    return unit + "s"


def qty_unit(q: Decimal | int | float | None, unit: str | None) -> str:
    """``5 bags``, ``2.5 kg``, ``3`` (no unit)."""
    u = unit_text(unit, q)
    return f"{qty_text(q)} {u}".strip()


# ------------------------------------------------------------------ units

# Each unit family: unit → how many of the family's base unit it is. The canonical names are
# those of the understanding engine (``kg``, ``g``, ``litre``, ``ml``, ``piece``, ``dozen``…).
_UNIT_FAMILIES: list[dict[str, Decimal]] = [
    {
        "mg": Decimal("0.001"),
        "g": Decimal(1),
        "kg": Decimal(1000),
        "quintal": Decimal(100000),
        "ton": Decimal(1000000),
    },
    {"ml": Decimal(1), "litre": Decimal(1000)},
    {"piece": Decimal(1), "pair": Decimal(2), "dozen": Decimal(12)},
    {
        "mm": Decimal("0.001"),
        "cm": Decimal("0.01"),
        "metre": Decimal(1),
        "inch": Decimal("0.0254"),
        "foot": Decimal("0.3048"),
    },
]
_UNIT_ALIASES = {
    "gm": "g",
    "gms": "g",
    "gram": "g",
    "grams": "g",
    "gr": "g",
    "grm": "g",
    "grms": "g",
    "kgs": "kg",
    "kilo": "kg",
    "kilos": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "kgm": "kg",
    "l": "litre",
    "lt": "litre",
    "lts": "litre",
    "ltr": "litre",
    "ltrs": "litre",
    "litres": "litre",
    "liter": "litre",
    "liters": "litre",
    "lit": "litre",
    "mls": "ml",
    "millilitre": "ml",
    "milliliter": "ml",
    "millilitres": "ml",
    "milliliters": "ml",
    "pc": "piece",
    "pcs": "piece",
    "pieces": "piece",
    "nos": "piece",
    "unit": "piece",
    "units": "piece",
    "dozens": "dozen",
    "dz": "dozen",
    "dzn": "dozen",
    "doz": "dozen",
    "tons": "ton",
    "tonne": "ton",
    "tonnes": "ton",
    "qtl": "quintal",
    "qtls": "quintal",
    "quintals": "quintal",
    "m": "metre",
    "mtr": "metre",
    "mtrs": "metre",
    "metres": "metre",
    "meter": "metre",
    "meters": "metre",
    "feet": "foot",
    "ft": "foot",
    "inches": "inch",
    "pairs": "pair",
}


def canonical_unit(unit: str | None) -> str | None:
    """A unit word in its canonical singular form (``Kgs`` → ``kg``, ``bags`` → ``bag``)."""
    if not unit:
        return None
    u = unit.strip().lower().rstrip(".")
    if u in _UNIT_ALIASES:
        return _UNIT_ALIASES[u]
    if any(u in fam for fam in _UNIT_FAMILIES):
        return u
    return singular(u)


def convert(quantity: Decimal, from_unit: str | None, to_unit: str | None) -> Decimal | None:
    """``quantity`` in ``from_unit`` expressed in ``to_unit``; None when the units don't convert.

    The same unit (or a missing one on either side) converts one to one.
    """
    a, b = canonical_unit(from_unit), canonical_unit(to_unit)
    if a is None or b is None or a == b:
        return quantity
    for fam in _UNIT_FAMILIES:
        if a in fam and b in fam:
            return quantity * fam[a] / fam[b]
    return None


# ------------------------------------------------------------------ names


def norm(s: str | None) -> str:
    """Lower case, single spaces, no punctuation at the ends."""
    return re.sub(r"\s+", " ", (s or "").strip().lower()).strip(" .,;:!?'\"")


def singular(word: str) -> str:
    """A cautious English singular for product and unit words (``potatoes`` → ``potato``)."""
    w = word.strip()
    lw = w.lower()
    if len(lw) > 4 and lw.endswith("ies"):
        return w[:-3] + "y"
    if len(lw) > 4 and lw.endswith(("ches", "shes", "xes", "sses", "oes", "zes")):
        return w[:-2]
    if len(lw) > 3 and lw.endswith("s") and not lw.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def product_key(name: str | None) -> str:
    """The comparison key of a product name: normalised, last word singular."""
    words = norm(name).split()
    if words:
        words[-1] = singular(words[-1])
    return " ".join(words)


def find_product(session: Session, business_id: int, name: str | None) -> Product | None:
    """The business's product called ``name`` (case, spacing and plural ignored), or None."""
    key = product_key(name)
    if not key:
        return None
    products = session.scalars(select(Product).where(Product.business_id == business_id)).all()
    for p in products:
        if product_key(p.name) == key:
            return p
    return None


def find_customer(session: Session, business_id: int, name: str | None) -> Customer | None:
    """The customer with exactly this name (case and spacing ignored), or None."""
    key = norm(name)
    if not key:
        return None
    for c in session.scalars(
        select(Customer).where(Customer.business_id == business_id).order_by(Customer.id)
    ):
        if norm(c.name) == key:
            return c
    return None


def e164(phone: str | None) -> str | None:
    """An Indian mobile number as E.164 (``9876543210`` → ``+919876543210``); None when not a phone."""
    if not phone:
        return None
    raw = str(phone).strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        return "+" + digits if 8 <= len(digits) <= 15 else None
    if raw.startswith("00") and len(digits) > 10:
        return "+" + digits[2:]
    if len(digits) == 12 and digits.startswith("91"):
        return "+" + digits
    if len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) == 10 and digits[0] in "6789":
        return "+91" + digits
    return None


# ------------------------------------------------------------------ dates and periods


def as_utc(dt: datetime | None) -> datetime | None:
    """A stored datetime as aware UTC (SQLite gives it back naive)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def local_date(dt: datetime | None) -> date:
    """The date in India of a stored datetime."""
    return (as_utc(dt) or utcnow()).astimezone(IST).date()


def date_text(dt: datetime | None) -> str:
    """``3 Jun 2026`` in IST."""
    d = local_date(dt)
    return f"{d.day} {d:%b %Y}"


def financial_year(when: datetime | None = None) -> str:
    """The Indian financial year (April–March, by the date in IST) of ``when``: ``2026-27``."""
    d = local_date(when or utcnow())
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def format_invoice_number(fiscal_year: str, seq: int) -> str:
    """``2026-27``, 1 → ``INV/26-27/0001`` (at most 16 characters up to sequence 999,999)."""
    return f"INV/{fiscal_year[2:4]}-{fiscal_year[5:7]}/{seq:04d}"


def next_invoice_seq(session: Session, business_id: int, fiscal_year: str) -> int:
    """The next free sequence number in this business's financial year."""
    top = session.scalar(
        select(func.max(Invoice.seq)).where(
            Invoice.business_id == business_id, Invoice.fiscal_year == fiscal_year
        )
    )
    return (top or 0) + 1


@dataclass(frozen=True)
class Period:
    """A span of time for reports: ``[start, end)`` in UTC and how to say it."""

    start: datetime
    end: datetime
    label: str


def period_bounds(period: str | None, now: datetime | None = None) -> Period:
    """``today``, ``yesterday``, ``week``, ``last_week``, ``month``, ``last_month``, ``year`` (IST days)."""
    now_ist = (as_utc(now) or utcnow()).astimezone(IST)
    today = datetime.combine(now_ist.date(), datetime.min.time(), tzinfo=IST)
    p = norm(period).replace(" ", "_").replace("this_", "")
    if p in ("yesterday",):
        start, end, label = today - timedelta(days=1), today, "yesterday"
    elif p in ("week", "weekly", "7_days"):
        start, end, label = today - timedelta(days=today.weekday()), today + timedelta(days=1), "this week"
    elif p in ("last_week", "previous_week"):
        this_monday = today - timedelta(days=today.weekday())
        start, end, label = this_monday - timedelta(days=7), this_monday, "last week"
    elif p in ("month", "monthly"):
        start, end, label = today.replace(day=1), today + timedelta(days=1), "this month"
    elif p in ("last_month", "previous_month"):
        first = today.replace(day=1)
        start, end, label = (first - timedelta(days=1)).replace(day=1), first, "last month"
    elif p in ("year", "financial_year", "fy"):
        start_year = today.year if today.month >= 4 else today.year - 1
        start, end, label = (
            today.replace(year=start_year, month=4, day=1),
            today + timedelta(days=1),
            "this financial year",
        )
    else:
        start, end, label = today, today + timedelta(days=1), "today"
    return Period(start.astimezone(UTC), end.astimezone(UTC), label)


# ------------------------------------------------------------------ invoices and payments


def invoice_due(inv: Invoice) -> int:
    """What is still owed on an invoice, in paise (0 for cancelled ones)."""
    if inv.status == InvoiceStatus.cancelled:
        return 0
    return max(0, inv.total_paise - inv.paid_paise)


def refresh_invoice_payment(session: Session, inv: Invoice) -> None:
    """Recompute ``paid_paise`` from the allocations and set the status from it.

    When a correction made the total smaller than what was applied to it, the
    newest allocations give back the difference (it becomes the customer's advance).
    """
    session.flush()
    allocations = list(
        session.scalars(
            select(PaymentAllocation)
            .where(PaymentAllocation.invoice_id == inv.id)
            .order_by(PaymentAllocation.id)
        )
    )
    paid = sum(a.amount_paise for a in allocations)
    excess = paid - max(inv.total_paise, 0)
    for a in reversed(allocations):
        if excess <= 0 or inv.status == InvoiceStatus.cancelled:
            break
        give_back = min(excess, a.amount_paise)
        a.amount_paise -= give_back
        excess -= give_back
        paid -= give_back
        if a.amount_paise == 0:
            session.delete(a)
    session.flush()
    inv.paid_paise = int(paid)
    if inv.status in (InvoiceStatus.cancelled, InvoiceStatus.draft):
        return
    if inv.total_paise > 0 and paid >= inv.total_paise:
        inv.status = InvoiceStatus.paid
    elif paid > 0:
        inv.status = InvoiceStatus.partially_paid
    elif inv.status in (InvoiceStatus.paid, InvoiceStatus.partially_paid):
        inv.status = InvoiceStatus.issued


def open_invoices(session: Session, business_id: int, customer_id: int) -> list[Invoice]:
    """The customer's invoices that still expect money, oldest first."""
    rows = session.scalars(
        select(Invoice)
        .where(
            Invoice.business_id == business_id,
            Invoice.customer_id == customer_id,
            Invoice.status.in_(OPEN_STATUSES),
        )
        .order_by(Invoice.issued_at, Invoice.id)
    ).all()
    return [i for i in rows if invoice_due(i) > 0]


@dataclass
class Owed:
    """One customer's outstanding amount."""

    customer: Customer
    due_paise: int
    invoices: list[Invoice]


def outstanding(session: Session, business_id: int, customer_id: int | None = None) -> list[Owed]:
    """Customers who owe money (open invoices, fully paid and cancelled ones excluded), biggest first."""
    q = select(Invoice).where(Invoice.business_id == business_id, Invoice.status.in_(OPEN_STATUSES))
    if customer_id is not None:
        q = q.where(Invoice.customer_id == customer_id)
    by_customer: dict[int, Owed] = {}
    for inv in session.scalars(q.order_by(Invoice.issued_at, Invoice.id)):
        due = invoice_due(inv)
        if due <= 0:
            continue
        owed = by_customer.setdefault(inv.customer_id, Owed(inv.customer, 0, []))
        owed.due_paise += due
        owed.invoices.append(inv)
    return sorted(by_customer.values(), key=lambda o: (-o.due_paise, o.customer.name.lower()))


def latest_invoice(
    session: Session, business_id: int, *, include_cancelled: bool = False, customer_id: int | None = None
) -> Invoice | None:
    """The business's most recently created invoice (optionally one customer's)."""
    q = select(Invoice).where(Invoice.business_id == business_id)
    if not include_cancelled:
        q = q.where(Invoice.status != InvoiceStatus.cancelled)
    if customer_id is not None:
        q = q.where(Invoice.customer_id == customer_id)
    return session.scalar(q.order_by(Invoice.id.desc()).limit(1))


def invoice_by_ref(session: Session, business_id: int, ref: str | int | None) -> Invoice | None:
    """An invoice by its full number (``INV/26-27/0003``) or by its sequence (``3``, ``#3``, ``INV-3``).

    A bare sequence means the most recent financial year that has it.
    """
    if ref is None or str(ref).strip() == "":
        return None
    text = str(ref).strip().upper()
    found = session.scalar(
        select(Invoice).where(Invoice.business_id == business_id, func.upper(Invoice.number) == text)
    )
    if found:
        return found
    m = re.search(r"(\d+)\s*$", text)
    if not m:
        return None
    seq = int(m.group(1))
    fy_match = re.search(r"(\d{2})-(\d{2})", text)
    q = select(Invoice).where(Invoice.business_id == business_id, Invoice.seq == seq)
    if fy_match:
        q = q.where(Invoice.fiscal_year.like(f"__{fy_match.group(1)}-{fy_match.group(2)}"))
    return session.scalar(q.order_by(Invoice.fiscal_year.desc(), Invoice.id.desc()).limit(1))


def payments_between(session: Session, business_id: int, period: Period) -> list[Payment]:
    """Payments received in ``period``, oldest first."""
    return list(
        session.scalars(
            select(Payment)
            .where(
                Payment.business_id == business_id,
                Payment.received_at >= period.start,
                Payment.received_at < period.end,
            )
            .order_by(Payment.received_at, Payment.id)
        )
    )


def invoices_between(session: Session, business_id: int, period: Period) -> list[Invoice]:
    """Invoices issued in ``period`` (cancelled ones excluded), oldest first."""
    return list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.business_id == business_id,
                Invoice.status != InvoiceStatus.cancelled,
                Invoice.issued_at >= period.start,
                Invoice.issued_at < period.end,
            )
            .order_by(Invoice.issued_at, Invoice.id)
        )
    )


# ------------------------------------------------------------------ stock


def stock_tracked(session: Session, product: Product) -> bool:
    """Whether the owner keeps count of this product (it has stock or any stock movement).

    A product known only by its price (``cement price 355``) is not counted, so
    billing it does not drive its stock below zero with a warning every time.
    """
    if product.stock and product.stock != 0:
        return True
    if product.id is None:
        return False
    return (
        session.scalar(select(StockMovement.id).where(StockMovement.product_id == product.id).limit(1))
        is not None
    )


def is_low(product: Product) -> bool:
    """At or below its low-stock threshold."""
    return product.low_stock_threshold is not None and (product.stock or 0) <= product.low_stock_threshold


# ------------------------------------------------------------------ changes (for undo)


def record_change(
    session: Session, business_id: int, kind: str, summary: str, data: dict[str, Any]
) -> Change:
    """Remember an owner's change with what "undo" needs to reverse it.

    The inbound message being handled, if any, is named by ``session.info["message_id"]`` (set by the
    agent), so the change and the message are linked in the same transaction as the records.
    """
    change = Change(business_id=business_id, kind=kind, summary=summary, data=data,
                    message_id=session.info.get("message_id"))
    session.add(change)
    session.flush()
    return change
