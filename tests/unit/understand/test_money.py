"""money.py: reading rupee amounts and writing them with Indian grouping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intents.understand.money import canonical_currency, find_amounts, format_inr, parse_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("₹1,800", "1800"),
        ("₹ 1800", "1800"),
        ("Rs 500", "500"),
        ("Rs. 500", "500"),
        ("rs.250", "250"),
        ("rs 55", "55"),
        ("INR 2,000", "2000"),
        ("INR2000", "2000"),
        ("500/-", "500"),
        ("Rs 1,25,000/-", "125000"),
        ("55 rupees", "55"),
        ("four hundred rupees", "400"),
        ("@ 110", "110"),
        ("@110", "110"),
        ("at Rs 1,800 each", "1800"),
        ("55 rs each", "55"),
        ("7.5k", "7500"),
        ("1.2 lakh", "120000"),
        ("₹1,750.50", "1750.50"),
        ("rs 5k", "5000"),
        ("at 345", "345"),
        ("350 only", "350"),
        ("two thousand five hundred rupees", "2500"),
        ("rate 55", "55"),
    ],
)
def test_parse_amount(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "rupees", "cement", "rs", "at"])
def test_parse_amount_rejects(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (175000, "₹1,75,000"),
        (Decimal("1750.50"), "₹1,750.50"),
        (Decimal("1750.5"), "₹1,750.50"),
        (Decimal("1750.00"), "₹1,750"),
        (0, "₹0"),
        (5, "₹5"),
        (100, "₹100"),
        (999, "₹999"),
        (1000, "₹1,000"),
        (99999, "₹99,999"),
        (100000, "₹1,00,000"),
        (12345678, "₹1,23,45,678"),
        (1000000000, "₹1,00,00,00,000"),
        (-500, "-₹500"),
        ("2760", "₹2,760"),
        (Decimal("99.999"), "₹100"),
        (Decimal("0.5"), "₹0.50"),
    ],
)
def test_format_inr(amount: object, expected: str) -> None:
    assert format_inr(amount) == expected  # type: ignore[arg-type]


def test_format_inr_without_symbol() -> None:
    assert format_inr(175000, symbol=False) == "1,75,000"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("₹1800", "rs 1800"),
        ("Rs.500", "rs 500"),
        ("500/-", "500 rs"),
        ("55 rupees", "55 rs"),
        ("INR 20", "rs 20"),
        ("no money", "no money"),
    ],
)
def test_canonical_currency(text: str, expected: str) -> None:
    assert canonical_currency(text) == expected


def test_find_amounts_marks_explicit() -> None:
    found = find_amounts("paid ₹4,600 in cash and 200 more")
    assert [(a.value, a.explicit) for a in found] == [(Decimal(4600), True), (Decimal(200), False)]
