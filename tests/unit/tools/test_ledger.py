"""Money, units, names, financial years and periods of `storage.ledger`."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storage.ledger import (
    canonical_unit,
    convert,
    e164,
    financial_year,
    format_invoice_number,
    group_indian,
    inr,
    period_bounds,
    product_key,
    qty_unit,
    to_paise,
)


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (0, "₹0"),
        (100, "₹1"),
        (4050, "₹40.50"),
        (175000_00, "₹1,75,000"),
        (1_00_00_000_00, "₹1,00,00,000"),
        (99999, "₹999.99"),
        (100000, "₹1,000"),
        (-25000, "-₹250"),
        (12345678905, "₹12,34,56,789.05"),
    ],
)
def test_inr_uses_indian_grouping(paise: int, text: str) -> None:
    assert inr(paise) == text


@pytest.mark.parametrize(
    ("n", "text"), [(7, "7"), (999, "999"), (1000, "1,000"), (100000, "1,00,000"), (12345678, "1,23,45,678")]
)
def test_group_indian(n: int, text: str) -> None:
    assert group_indian(n) == text


@pytest.mark.parametrize(
    ("value", "paise"),
    [
        (345, 34500),
        ("1,800", 180000),
        (Decimal("7.5"), 750),
        (0.1, 10),
        ("40.005", 4001),
        ("2760", 276000),
    ],
)
def test_to_paise_never_uses_float_arithmetic(value: object, paise: int) -> None:
    assert to_paise(value) == paise


def test_to_paise_refuses_words() -> None:
    with pytest.raises(ValueError):
        to_paise("lots")


@pytest.mark.parametrize(
    ("q", "frm", "to", "out"),
    [
        ("500", "g", "kg", "0.5"),
        ("2", "kg", "g", "2000"),
        ("250", "ml", "litre", "0.25"),
        ("1.5", "ltr", "ml", "1500"),
        ("2", "dozen", "piece", "24"),
        ("3", "bag", "bag", "3"),
        ("5", None, "kg", "5"),
        ("750", "gm", "kgs", "0.75"),
    ],
)
def test_convert(q: str, frm: str | None, to: str, out: str) -> None:
    assert convert(Decimal(q), frm, to) == Decimal(out)


def test_convert_between_kinds_is_none() -> None:
    assert convert(Decimal(1), "kg", "litre") is None
    assert convert(Decimal(1), "bag", "kg") is None


@pytest.mark.parametrize(
    ("word", "unit"),
    [
        ("Kgs", "kg"),
        ("bags", "bag"),
        ("ltr", "litre"),
        ("pcs", "piece"),
        ("boxes", "box"),
        ("bottles", "bottle"),
        (None, None),
    ],
)
def test_canonical_unit(word: str | None, unit: str | None) -> None:
    assert canonical_unit(word) == unit


@pytest.mark.parametrize(
    ("q", "unit", "text"),
    [
        (5, "bag", "5 bags"),
        (1, "bag", "1 bag"),
        (Decimal("2.5"), "kg", "2.5 kg"),
        (3, None, "3"),
        (2, "box", "2 boxes"),
        (15, "litre", "15 litres"),
    ],
)
def test_qty_unit(q: object, unit: str | None, text: str) -> None:
    assert qty_unit(q, unit) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Potatoes", "potato"),
        ("tube lights", "tube light"),
        ("Cement", "cement"),
        ("boxes", "box"),
        ("tiles", "tile"),
    ],
)
def test_product_key_ignores_case_and_plural(a: str, b: str) -> None:
    assert product_key(a) == product_key(b)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("9900112233", "+919900112233"),
        ("99001 12233", "+919900112233"),
        ("+91 99001-12233", "+919900112233"),
        ("919900112233", "+919900112233"),
        ("09900112233", "+919900112233"),
        ("+14155550100", "+14155550100"),
        ("12345", None),
        ("", None),
        ("5900112233", None),
    ],
)
def test_e164(raw: str, phone: str | None) -> None:
    assert e164(raw) == phone


@pytest.mark.parametrize(
    ("when", "fy"),
    [
        (datetime(2026, 3, 31, 18, 29, tzinfo=UTC), "2025-26"),  # 23:59 IST on 31 March
        (datetime(2026, 3, 31, 18, 31, tzinfo=UTC), "2026-27"),  # 00:01 IST on 1 April
        (datetime(2027, 1, 15, tzinfo=UTC), "2026-27"),
        (datetime(2099, 12, 31, tzinfo=UTC), "2099-00"),
    ],
)
def test_financial_year_is_april_to_march_in_india(when: datetime, fy: str) -> None:
    assert financial_year(when) == fy


def test_invoice_number_format_fits_rule_46() -> None:
    number = format_invoice_number("2026-27", 1)
    assert number == "INV/26-27/0001"
    longest = format_invoice_number("2026-27", 999_999)
    assert len(longest) <= 16
    assert all(ch.isalnum() or ch in "/-" for ch in longest)


def test_periods_are_indian_days() -> None:
    now = datetime(2026, 6, 10, 20, 0, tzinfo=UTC)  # Thursday 11 June 01:30 IST
    today = period_bounds("today", now)
    assert today.start == datetime(2026, 6, 10, 18, 30, tzinfo=UTC)
    week = period_bounds("this week", now)
    assert week.start == datetime(2026, 6, 7, 18, 30, tzinfo=UTC)  # Monday 8 June 00:00 IST
    assert period_bounds("month", now).start == datetime(2026, 5, 31, 18, 30, tzinfo=UTC)
    last = period_bounds("last_month", now)
    assert (last.start, last.end) == (
        datetime(2026, 4, 30, 18, 30, tzinfo=UTC),
        datetime(2026, 5, 31, 18, 30, tzinfo=UTC),
    )
    assert period_bounds(None, now).label == "today"
