"""Invoice PDFs (fpdf2) and the signed, expiring links they are served from.

`render_invoice(session, invoice_id)` draws the invoice. With a GSTIN on the
business it is a *Tax Invoice* carrying what GST Rule 46 asks: supplier's
name, address and GSTIN; a serial number of at most 16 characters and the
date; the buyer's name, address, GSTIN (when registered) and state; HSN/SAC,
description, quantity, unit, taxable value; the rate and amount of CGST and
SGST (same state) or IGST (another state); the total, in figures and words;
the place of supply; whether tax is payable on reverse charge; and a place for
the supplier's signature. Without a GSTIN it is a plain *Bill* that says the
supplier is not registered under GST.

Text is set in the bundled Noto Sans (Latin, ₹) with Noto Sans Devanagari as
a fallback, both embedded in the PDF (SIL Open Font License, see
``tools/fonts/OFL.txt``), so Hindi and Marathi names print as letters, not
boxes; Noto fonts for other Indian scripts are added when the system has
them. With ``uharfbuzz`` installed the text is shaped (conjuncts, vowel
signs in place).

`sign_invoice` / `verify_invoice_token` make and check the token of a link
(``itsdangerous``, keyed with the config's ``secret_key``); `invoice_url`
builds the link ``{PUBLIC_BASE_URL}/invoices/<token>.pdf`` that the web route
serves with ``render_invoice`` after `verify_invoice_token`.
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from fpdf import FPDF
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.errors import NotFound
from storage.ledger import date_text, group_indian, invoice_due, qty_text
from storage.models import Business, Invoice, InvoiceItem, InvoiceStatus
from tools.base import BaseTool, ToolContext
from tools.business import state_code, state_name

log = logging.getLogger(__name__)

FONTS = Path(__file__).parent / "fonts"
LATIN_FONT = FONTS / "NotoSans-Regular.ttf"
DEVANAGARI_FONT = FONTS / "NotoSansDevanagari-Regular.ttf"
#: Other Indian scripts, used when the machine has these Noto fonts (Debian: fonts-noto-core).
_SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
_OTHER_SCRIPTS = ("Bengali", "Gujarati", "Gurmukhi", "Kannada", "Malayalam", "Oriya", "Tamil", "Telugu")

#: The web route that serves a signed invoice link (``token`` from `sign_invoice`).
PDF_ROUTE = "/invoices/{token}.pdf"
LINK_SALT = "munshi.invoice-pdf"
LINK_MAX_AGE = 7 * 24 * 3600  # a week: long enough for a customer to open it, short enough to go stale


# ------------------------------------------------------------------ signed links


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    if not secret_key:
        raise ValueError("a secret key is needed to sign links")
    return URLSafeTimedSerializer(secret_key, salt=LINK_SALT)


def sign_invoice(secret_key: str, business_id: int, invoice_id: int) -> str:
    """A URL-safe token naming this business's invoice, signed with ``secret_key`` and timestamped."""
    return _serializer(secret_key).dumps([business_id, invoice_id])


def verify_invoice_token(secret_key: str, token: str, max_age: int = LINK_MAX_AGE) -> tuple[int, int] | None:
    """``(business_id, invoice_id)`` of a valid, unexpired token; None when forged, altered or expired."""
    try:
        value = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        return None
    except BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return None
    return value[0], value[1]


def invoice_url(config: Any, business_id: int, invoice_id: int) -> str:
    """The public link of an invoice's PDF (``PUBLIC_BASE_URL`` or the local server)."""
    token = sign_invoice(config.secret_key, business_id, invoice_id)
    return config.link_base + PDF_ROUTE.format(token=token)


# ------------------------------------------------------------------ words


_ONES = (
    "",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
)
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _below_hundred(n: int) -> str:
    return _ONES[n] if n < 20 else (_TENS[n // 10] + (" " + _ONES[n % 10] if n % 10 else ""))


def _below_thousand(n: int) -> str:
    parts = []
    if n >= 100:
        parts.append(_ONES[n // 100] + " Hundred")
    if n % 100:
        parts.append(_below_hundred(n % 100))
    return " ".join(parts)


def indian_words(n: int) -> str:
    """2760 → ``Two Thousand Seven Hundred Sixty`` (crore, lakh, thousand, hundred)."""
    if n == 0:
        return "Zero"
    parts = []
    for size, name in ((10**7, "Crore"), (10**5, "Lakh"), (10**3, "Thousand")):
        if n >= size:
            count = n // size
            parts.append(
                (indian_words(count) if count >= 100 and size == 10**7 else _below_hundred(count))
                + " "
                + name
            )
            n %= size
    if n:
        parts.append(_below_thousand(n))
    return " ".join(parts)


def amount_in_words(paise: int) -> str:
    """``Rupees Two Thousand Seven Hundred Sixty and Fifty Paise Only``."""
    rupees, rest = divmod(paise, 100)
    text = f"Rupees {indian_words(rupees)}"
    if rest:
        text += f" and {_below_hundred(rest)} Paise"
    return text + " Only"


def money(paise: int) -> str:
    """``1,75,000.00`` (no symbol, two decimals, Indian grouping) for table cells."""
    rupees, rest = divmod(abs(paise), 100)
    return ("-" if paise < 0 else "") + f"{group_indian(rupees)}.{rest:02d}"


# ------------------------------------------------------------------ drawing


@lru_cache(maxsize=1)
def _extra_fonts() -> tuple[tuple[str, str], ...]:
    found = []
    for script in _OTHER_SCRIPTS:
        for folder in _SYSTEM_FONT_DIRS:
            path = folder / f"NotoSans{script}-Regular.ttf"
            if path.exists():
                found.append((script.lower(), str(path)))
                break
    return tuple(found)


def _shaping_available() -> bool:
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


class InvoicePDF(FPDF):
    """A4 portrait with the bundled fonts loaded and a footer."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.add_font("noto", "", str(LATIN_FONT))
        self.add_font("noto", "B", str(LATIN_FONT))  # one weight bundled: bold is drawn as regular
        self.add_font("deva", "", str(DEVANAGARI_FONT))
        self.add_font("deva", "B", str(DEVANAGARI_FONT))
        fallbacks = ["deva"]
        for family, path in _extra_fonts():
            self.add_font(family, "", path)
            self.add_font(family, "B", path)
            fallbacks.append(family)
        self.set_fallback_fonts(fallbacks, exact_match=False)
        if _shaping_available():
            self.set_text_shaping(True)
        self.set_auto_page_break(True, margin=18)
        self.set_margins(12, 12, 12)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("noto", "", 7)
        self.set_text_color(120)
        self.cell(0, 5, f"{self.footer_text} · page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


def _state_line(state: str | None) -> str:
    name = state_name(state) or state
    if not name:
        return ""
    code = state_code(name)
    return f"{name} (code {code})" if code else name


def _item_taxes(item: InvoiceItem, inter_state: bool) -> dict[str, int]:
    rate = item.gst_rate or Decimal(0)
    if not rate:
        return {}
    if inter_state:
        return {"igst": _pct(item.amount_paise, rate)}
    half = _pct(item.amount_paise, rate / 2)
    return {"cgst": half, "sgst": half}


def _pct(paise: int, rate: Decimal) -> int:
    return int((Decimal(paise) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rate(rate: Decimal | None) -> str:
    return f"{Decimal(rate).normalize():f}%" if rate else "-"


def render_invoice(session: Session, invoice_id: int) -> bytes:
    """The invoice as PDF bytes (Tax Invoice with a GSTIN, else a plain bill)."""
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound("no such invoice", invoice_id=invoice_id)
    biz = session.get(Business, inv.business_id)
    assert biz is not None
    customer = inv.customer
    registered = bool(biz.gstin)
    has_tax = inv.tax_paise > 0
    inter_state = "igst" in (inv.tax_breakup or {})
    pdf = InvoicePDF(f"{inv.number} · made with Munshi")
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    # title
    pdf.set_font("noto", "B", 16)
    title = "TAX INVOICE" if registered else "BILL"
    pdf.cell(width, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", "", 8)
    if not registered:
        note = (
            "Supplier not registered under GST — this is not a tax invoice."
            if not has_tax
            else "Supplier's GSTIN not set — add it to issue a tax invoice."
        )
        pdf.cell(width, 5, note, align="C", new_x="LMARGIN", new_y="NEXT")
    if inv.status == InvoiceStatus.cancelled:
        pdf.set_text_color(200, 0, 0)
        pdf.set_font("noto", "B", 11)
        pdf.cell(width, 6, "CANCELLED", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
    pdf.ln(2)

    # supplier (left) and invoice details (right)
    top = pdf.get_y()
    left_w = width * 0.58
    pdf.set_font("noto", "B", 12)
    pdf.multi_cell(left_w, 6, biz.name or "My shop", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", "", 9)
    supplier = [
        biz.address or "",
        f"GSTIN: {biz.gstin}" if biz.gstin else "",
        f"State: {_state_line(biz.state)}" if biz.state else "",
        f"Phone: {biz.phone}",
    ]
    for line in filter(None, supplier):
        pdf.multi_cell(left_w, 4.6, line, new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + left_w, top)
    details = [
        ("Invoice no.", inv.number),
        ("Date", date_text(inv.issued_at)),
        ("Place of supply", _state_line(inv.place_of_supply) or "-"),
    ]
    if registered:
        details.append(("Reverse charge", "No"))
    for label, value in details:
        pdf.set_x(pdf.l_margin + left_w)
        pdf.set_font("noto", "", 9)
        pdf.cell(width * 0.17, 5, label)
        pdf.set_font("noto", "B", 9)
        pdf.cell(width * 0.25, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 3)

    # buyer
    pdf.set_draw_color(180)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(2)
    pdf.set_font("noto", "", 8)
    pdf.cell(width, 4.5, "Bill to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", "B", 11)
    pdf.multi_cell(width, 6, customer.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", "", 9)
    buyer = [
        customer.address or "",
        f"GSTIN: {customer.gstin}" if customer.gstin else "",
        f"State: {_state_line(customer.state)}" if customer.state else "",
        f"Phone: {customer.phone}" if customer.phone else "",
    ]
    for line in filter(None, buyer):
        pdf.multi_cell(width, 4.6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    # items
    gst_columns = has_tax or registered
    tax_keys = ["igst"] if inter_state else ["cgst", "sgst"]
    if gst_columns:
        headings = [
            "#",
            "Description",
            "HSN/SAC",
            "Qty",
            "Unit",
            "Rate",
            "Taxable value",
            "GST %",
            *[k.upper() for k in tax_keys],
            "Amount",
        ]
        widths = (6, 38, 15, 12, 12, 17, 22, 11, *((18,) if inter_state else (14, 14)), 22)
    else:
        headings = ["#", "Description", "Qty", "Unit", "Rate", "Amount"]
        widths = (8, 82, 20, 20, 26, 30)
    totals = {k: 0 for k in tax_keys}
    pdf.set_font("noto", "", 8)
    with pdf.table(
        col_widths=widths,
        text_align="RIGHT",
        line_height=5,
        first_row_as_headings=True,
        headings_style=_heading_style(),
    ) as table:
        row = table.row()
        for h in headings:
            row.cell(h, align="CENTER")
        for n, item in enumerate(inv.items, start=1):
            taxes = _item_taxes(item, inter_state)
            row = table.row()
            row.cell(str(n), align="CENTER")
            row.cell(item.product, align="LEFT")
            if gst_columns:
                row.cell(item.hsn or "-", align="CENTER")
            row.cell(qty_text(item.quantity))
            row.cell(item.unit or "-", align="CENTER")
            row.cell(money(item.unit_price_paise))
            row.cell(money(item.amount_paise))
            if gst_columns:
                row.cell(_rate(item.gst_rate), align="CENTER")
                for k in tax_keys:
                    totals[k] += taxes.get(k, 0)
                    row.cell(money(taxes.get(k, 0)))
                row.cell(money(item.amount_paise + sum(taxes.values())))
    pdf.ln(3)

    # totals
    rows: list[tuple[str, str]] = [
        ("Taxable value" if gst_columns else "Subtotal", money(inv.subtotal_paise))
    ]
    split = inv.tax_breakup or {}
    for k in tax_keys if gst_columns else []:
        amount = split.get(k, totals[k])
        if amount or registered:
            rows.append((k.upper(), money(amount)))
    rows.append(("Total (₹)", money(inv.total_paise)))
    if inv.paid_paise:
        rows.append(("Paid", money(inv.paid_paise)))
        rows.append(("Balance due", money(invoice_due(inv))))
    label_w, value_w = 40, 32
    for i, (label, value) in enumerate(rows):
        bold = label.startswith(("Total", "Balance"))
        pdf.set_font("noto", "B" if bold else "", 10 if bold else 9)
        pdf.set_x(pdf.l_margin + width - label_w - value_w)
        pdf.cell(label_w, 6, label, border="T" if i == len(rows) - 1 and not inv.paid_paise else 0)
        pdf.cell(value_w, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("noto", "", 8.5)
    pdf.multi_cell(
        width, 4.6, f"Amount in words: {amount_in_words(inv.total_paise)}", new_x="LMARGIN", new_y="NEXT"
    )
    if registered:
        pdf.multi_cell(width, 4.6, "Tax payable on reverse charge: No", new_x="LMARGIN", new_y="NEXT")

    # signature
    pdf.ln(10)
    pdf.set_font("noto", "", 9)
    pdf.set_x(pdf.l_margin + width - 70)
    pdf.multi_cell(
        70,
        5,
        f"For {biz.name or 'the supplier'}\n\n\nAuthorised signatory",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _heading_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(235, 235, 235))


# ------------------------------------------------------------------ tool


class PdfLinkParams(BaseModel):
    invoice: str | None = Field(None, description="invoice number; the latest invoice when absent")
    invoice_id: int | None = None


class InvoicePdfLink(BaseTool):
    name = "invoices.pdf_link"
    description = "A signed link (valid for a week) to an invoice's PDF."
    Params = PdfLinkParams
    outputs = ("url", "number")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: PdfLinkParams) -> dict[str, Any]:
        from tools.invoices import resolve_invoice

        config = ctx.extra.get("config")
        if config is None:
            from bot.runtime import get_runtime

            config = get_runtime().config
        inv = resolve_invoice(ctx.session, ctx.business_id, params.invoice, params.invoice_id)
        return {"url": invoice_url(config, ctx.business_id, inv.id), "number": inv.number}


TOOLS: list[BaseTool] = [InvoicePdfLink()]
