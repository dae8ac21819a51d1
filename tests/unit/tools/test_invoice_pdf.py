"""tools.pdf: Rule 46 contents, Devanagari names with the embedded font, plain bills, signed links.

The PDF is read back with a small extractor (each font's ToUnicode map applied
to the glyphs the content streams show), so no PDF library is needed to check
what a customer's PDF reader would find in it.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm import Session

from storage.models import Business
from tools.pdf import (
    amount_in_words,
    indian_words,
    invoice_url,
    render_invoice,
    sign_invoice,
    verify_invoice_token,
)

Call = Callable[..., dict[str, Any]]


def _streams_by_obj(pdf: bytes) -> dict[int, bytes]:
    """Every stream of the PDF by object number, inflated."""
    out = {}
    for m in re.finditer(
        rb"(\d+) 0 obj\s*<<((?:(?!endobj).)*?)>>\s*stream\r?\n(.*?)\r?\nendstream", pdf, re.S
    ):
        data = m.group(3)
        if b"/FlateDecode" in m.group(2):
            data = zlib.decompress(data)
        out[int(m.group(1))] = data
    return out


def _unescape(s: bytes) -> bytes:
    """A PDF literal string's bytes."""
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == 0x5C:  # backslash
            n = s[i + 1 : i + 2]
            if n and n in b"nrtbf":
                out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}[n]
                i += 2
            elif n.isdigit():
                octal = re.match(rb"[0-7]{1,3}", s[i + 1 : i + 4])
                assert octal is not None
                digits = octal.group(0)
                out.append(int(digits, 8))
                i += 1 + len(digits)
            else:
                out += n
                i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """The text an extractor reads: content-stream glyphs mapped through each font's ToUnicode CMap."""
    streams = _streams_by_obj(pdf)
    fonts = {}
    for name, obj in re.findall(rb"/(F\d+) (\d+) 0 R", pdf):
        m = re.search(rb"\n" + obj + rb" 0 obj\s*<<(.*?)>>\s*endobj", pdf, re.S)
        tu = re.search(rb"/ToUnicode (\d+) 0 R", m.group(1)) if m else None
        cmap = {}
        if tu:
            text = streams[int(tu.group(1))].decode("latin-1")
            for cid, uni in re.findall(
                r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", text.split("begincidrange")[0]
            ):
                cmap[int(cid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
        fonts[name.decode()] = cmap
    out = []
    for data in streams.values():
        content = data.decode("latin-1")
        if " Tj" not in content and "TJ" not in content:
            continue
        font: dict[int, str] = {}
        saved: list[dict[int, str]] = []
        for tok in re.finditer(
            r"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) ?Tj|(ET)|(?<![^\s])([qQ])(?![^\s])", content, re.S
        ):
            if tok.group(1):
                font = fonts.get(tok.group(1), {})
            elif tok.group(3):
                out.append("\n")
            elif tok.group(4) == "q":
                saved.append(font)
            elif tok.group(4) == "Q":
                font = saved.pop() if saved else font
            else:
                raw = _unescape(tok.group(2).encode("latin-1"))
                out.append(
                    "".join(
                        font.get(int.from_bytes(raw[i : i + 2], "big"), "?") for i in range(0, len(raw), 2)
                    )
                )
    return re.sub(r"\n+", "\n", "".join(out))


@pytest.fixture(params=["shaped", "unshaped"])
def shaping(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Render with and without text shaping (uharfbuzz): both must embed the fonts and keep the text."""
    if request.param == "unshaped":
        monkeypatch.setattr("tools.pdf._shaping_available", lambda: False)
    else:
        pytest.importorskip("uharfbuzz")
    return str(request.param)


def test_tax_invoice_with_a_devanagari_name(
    call: Call, session: Session, biz: Business, shaping: str
) -> None:
    call("business.update_profile", gstin="27AAPFU0939F1ZV", name="शर्मा हार्डवेयर", address="12 MG Road, Pune")
    call("customers.add_customer", name="रमेश कुमार", state="Karnataka", gstin="29AAGCB7383J1Z4")
    call("inventory.set_product_tax", product="cement", hsn="2523", gst_rate=28)
    out = call(
        "invoices.create_invoice",
        customer="रमेश कुमार",
        items=[{"product": "cement", "quantity": 8, "unit": "bag", "unit_price": 345}],
    )
    pdf = render_invoice(session, out["id"])
    assert pdf.startswith(b"%PDF-")
    # both fonts are embedded (subsets), so Devanagari is drawn with real glyphs, not boxes
    assert re.search(rb"/FontName /[A-Z]{6}\+NotoSansDevanagari", pdf)
    assert re.search(rb"/FontName /[A-Z]{6}\+NotoSans\b", pdf)
    assert pdf.count(b"/FontFile2") >= 2
    text = pdf_text(pdf)
    assert "रमेश कुमार" in text  # the buyer, as a reader extracts it
    for needle in (
        "TAX INVOICE",
        "27AAPFU0939F1ZV",
        "29AAGCB7383J1Z4",
        out["number"],
        "Place of supply",
        "Karnataka (code 29)",
        "Maharashtra (code 27)",
        "HSN/SAC",
        "2523",
        "bag",
        "Taxable value",
        "2,760.00",
        "28%",
        "IGST",
        "772.80",
        "3,532.80",
        "Total (₹)",
        "Reverse charge",
        "Authorised signatory",
        "Rupees Three Thousand Five Hundred Thirty Two and Eighty Paise Only",
    ):
        assert needle in text, needle
    assert "CGST" not in text


def test_same_state_tax_invoice_splits_cgst_and_sgst(call: Call, session: Session) -> None:
    call("business.update_profile", gstin="27AAPFU0939F1ZV", name="Sharma Hardware")
    call("customers.add_customer", name="Ramesh", state="Maharashtra")
    out = call(
        "invoices.create_invoice",
        customer="Ramesh",
        gst_rate=5,
        items=[{"product": "biscuits", "quantity": 10, "unit": "packet", "unit_price": 20}],
    )
    text = pdf_text(render_invoice(session, out["id"]))
    for needle in (
        "Sharma Hardware",
        "CGST",
        "SGST",
        "5%",
        "200.00",
        "210.00",
        "Rupees Two Hundred Ten Only",
    ):
        assert needle in text, needle
    assert "IGST" not in text


def test_plain_bill_without_gstin_says_so(call: Call, session: Session) -> None:
    out = call(
        "invoices.create_invoice",
        customer="Mahesh",
        items=[{"product": "cement", "quantity": 2, "unit": "bag", "unit_price": 350}],
    )
    text = pdf_text(render_invoice(session, out["id"]))
    assert "BILL" in text and "not registered under GST" in text
    assert "TAX INVOICE" not in text and "GSTIN" not in text
    assert "700.00" in text and out["number"] in text


def test_cancelled_and_part_paid_invoices_show_it(call: Call, session: Session) -> None:
    a = call(
        "invoices.create_invoice", customer="A", items=[{"product": "x", "quantity": 1, "unit_price": 500}]
    )
    call("payments.record_payment", customer="A", amount=200)
    assert "Balance due" in pdf_text(render_invoice(session, a["id"]))
    call("invoices.cancel_invoice", invoice=a["number"])
    assert "CANCELLED" in pdf_text(render_invoice(session, a["id"]))


def test_many_items_flow_onto_more_pages(call: Call, session: Session) -> None:
    items = [{"product": f"item number {n}", "quantity": n, "unit_price": 10} for n in range(1, 80)]
    out = call("invoices.create_invoice", customer="Big Order", items=items)
    pdf = render_invoice(session, out["id"])
    assert pdf.count(b"/Type /Page\n") >= 2
    assert "item number 79" in pdf_text(pdf)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "Zero"),
        (7, "Seven"),
        (19, "Nineteen"),
        (45, "Forty Five"),
        (100, "One Hundred"),
        (2760, "Two Thousand Seven Hundred Sixty"),
        (100000, "One Lakh"),
        (175000, "One Lakh Seventy Five Thousand"),
        (12345678, "One Crore Twenty Three Lakh Forty Five Thousand Six Hundred Seventy Eight"),
    ],
)
def test_indian_words(n: int, words: str) -> None:
    assert indian_words(n) == words


def test_amount_in_words_with_paise() -> None:
    assert amount_in_words(357280) == "Rupees Three Thousand Five Hundred Seventy Two and Eighty Paise Only"


def test_signed_links() -> None:
    token = sign_invoice("secret", 3, 41)
    assert verify_invoice_token("secret", token) == (3, 41)
    assert verify_invoice_token("other-secret", token) is None
    assert verify_invoice_token("secret", token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert verify_invoice_token("secret", "garbage") is None
    time.sleep(1.1)
    assert verify_invoice_token("secret", token, max_age=0) is None  # expired
    url = invoice_url(
        SimpleNamespace(secret_key="secret", link_base="https://munshi.example.com"), 3, 41
    )
    assert url.startswith("https://munshi.example.com/invoices/") and url.endswith(".pdf")
    assert verify_invoice_token("secret", url.rsplit("/", 1)[1][:-4]) == (3, 41)
