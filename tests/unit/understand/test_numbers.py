"""numbers.py: one number in many spellings, and numbers inside sentences."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intents.understand.numbers import find_numbers, normalize_numbers, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "0"),
        ("7", "7"),
        ("1500", "1500"),
        ("2.5", "2.5"),
        (".5", "0.5"),
        ("  42 ", "42"),
        ("15.", "15"),
        ("1,800", "1800"),
        ("1,25,000", "125000"),
        ("12,50,000", "1250000"),
        ("1,000,000", "1000000"),
        ("1,750.50", "1750.50"),
        ("12k", "12000"),
        ("12K", "12000"),
        ("3.5k", "3500"),
        ("7.5 k", "7500"),
        ("1.2 lakh", "120000"),
        ("2 lakhs", "200000"),
        ("1 lac", "100000"),
        ("1 crore", "10000000"),
        ("1.5 cr", "15000000"),
        ("5 hazar", "5000"),
        ("2 thousand", "2000"),
        ("3 hundred", "300"),
        ("fifteen", "15"),
        ("seven", "7"),
        ("twenty five", "25"),
        ("twenty-five", "25"),
        ("ninety nine", "99"),
        ("a hundred", "100"),
        ("five hundred", "500"),
        ("two thousand five hundred", "2500"),
        ("one thousand two hundred", "1200"),
        ("twelve hundred", "1200"),
        ("two lakh fifty thousand", "250000"),
        ("one lakh", "100000"),
        ("three crore", "30000000"),
        ("a dozen", "12"),
        ("dozen", "12"),
        ("2 dozen", "24"),
        ("half a dozen", "6"),
        ("half", "0.5"),
        ("quarter", "0.25"),
        ("one and a half", "1.5"),
        ("two and half", "2.5"),
        ("one point five", "1.5"),
        ("dedh", "1.5"),
        ("dhai", "2.5"),
        ("Eight", "8"),
        ("FORTY", "40"),
        ("one hundred and five", "105"),
    ],
)
def test_parse_number(text: str, expected: str) -> None:
    assert parse_number(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["", "abc", "cement", "two three", "1,2,3", "rs", "12kg", "five apples", "-"]
)
def test_parse_number_rejects(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eight bags at three hundred rupees", "8 bags at 300 rupees"),
        (
            "Invoice Geeta for seven blouses at four hundred rupees",
            "Invoice Geeta for 7 blouses at 400 rupees",
        ),
        ("Rekha paid one thousand two hundred rupees", "Rekha paid 1200 rupees"),
        ("Add forty kilos of rice", "Add 40 kilos of rice"),
        ("received 5k from Sunil", "received 5000 from Sunil"),
        ("Rs 1,25,000 due", "Rs 125000 due"),
        ("1.2 lakh and 3.5k", "120000 and 3500"),
        ("half kg sugar", "0.5 kg sugar"),
        ("one and a half kg sugar", "1.5 kg sugar"),
        ("a dozen eggs", "1 dozen eggs"),
        ("the first one", "the first one"),
        ("that one please", "that one please"),
        ("one bag of cement", "1 bag of cement"),
        ("2 hazar diye", "2000 diye"),
        ("no numbers here", "no numbers here"),
        ("12kg rice", "12kg rice"),
    ],
)
def test_normalize_numbers(text: str, expected: str) -> None:
    assert normalize_numbers(text) == expected


def test_find_numbers_in_sentence() -> None:
    found = [n.value for n in find_numbers("2 fans at Rs 1,800 each and four tube lights at 250")]
    assert found == [Decimal(2), Decimal(1800), Decimal(4), Decimal(250)]


def test_find_numbers_spans_point_into_normalized_text() -> None:
    text = "received five thousand from Sunil"
    (n,) = find_numbers(text)
    assert normalize_numbers(text)[n.start : n.end] == "5000"
