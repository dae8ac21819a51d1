"""Quantities and amounts written the way owners write them (probe report, sections 1 and 2).

Each table is one family: slash and single-character fractions, "half a dozen" and the Hindi
fraction words, "L"/"Cr" after an amount, "dhai hazaar"-style Hindi amounts, plurals of
upper-case acronyms in product names, and Hinglish words that are not part of a product.
Every family has sentences that must not change. A fix belongs in a rule, never in these tables.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from intents.understand import Context, normalize_numbers, parse_number, understand

CTX = Context(customers=["Neeta", "Deepak", "Kumar", "Gupta", "Ganesh Hardware", "Sharma"])


def _items(text: str) -> list[tuple[str, str | None, str | None, str | None]]:
    u = understand(text, CTX)
    return [_item(i) for i in u.items or []]


def _item(i: Any) -> tuple[str, str | None, str | None, str | None]:
    return (
        i.product,
        None if i.quantity is None else str(i.quantity),
        i.unit,
        None if i.unit_price is None else str(i.unit_price),
    )


# ------------------------------------------------------------------ fractions in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/2 kg kaju", "0.5 kg kaju"),
        ("1/2kg rice", "0.5kg rice"),
        ("3/4 litre milk", "0.75 litre milk"),
        ("1 1/2 kg sugar", "1.5 kg sugar"),
        ("2 1/4 kg dal", "2.25 kg dal"),
        ("1/2 dozen eggs", "0.5 dozen eggs"),
        ("1/4 of kaju", "0.25 of kaju"),
        ("2½ kg sugar", "2.5 kg sugar"),
        ("½ kg ghee", "0.5 kg ghee"),
        ("1¾ litre", "1.75 litre"),
        ("half a dozen padlocks", "0.5 dozen padlocks"),
        ("half dozen eggs", "0.5 dozen eggs"),
        ("a dozen eggs", "1 dozen eggs"),
        ("quarter kg elaichi", "0.25 kg elaichi"),
        ("dedh dozen kele", "1.5 dozen kele"),
        ("dhai kilo chana", "2.5 kilo chana"),
        ("sawa kilo jeera", "1.25 kilo jeera"),
        ("paune kilo haldi", "0.75 kilo haldi"),
        ("sawa do kilo aloo", "2.25 kilo aloo"),
        ("saade teen kilo pyaaz", "3.5 kilo pyaaz"),
        ("paune do litre", "1.75 litre"),
    ],
)
def test_fractions_become_decimals(text: str, expected: str) -> None:
    assert normalize_numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "due 12/3",
        "payment on 1/2",
        "1/2 se pehle",
        "1/2/2025 ko",
        "INV/26-27/0001",
        "12/3rd",
        "1/3 kg",  # no short decimal: left for the owner to say otherwise
        "5/2 kg",  # not a proper fraction
        "reply 1/2",
        "24/7 service",
    ],
)
def test_slashes_that_are_not_fractions_stay(text: str) -> None:
    assert normalize_numbers(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("invoice Neeta 1/2 kg kaju at 900 per kg", [("kaju", "0.5", "kg", "900")]),
        ("invoice Neeta 1/2kg kaju at 900", [("kaju", "0.5", "kg", "900")]),
        ("bill Kumar 1 1/2 kg badam at 800 per kg", [("badam", "1.5", "kg", "800")]),
        ("invoice Neeta 3/4 litre ghee at 600", [("ghee", "0.75", "litre", "600")]),
        ("invoice Neeta 2½ kg sugar at 45", [("sugar", "2.5", "kg", "45")]),
        ("add 1/2 kg saffron", [("saffron", "0.5", "kg", None)]),
        ("add 3/4 litre oil", [("oil", "0.75", "litre", None)]),
        ("add 1 1/2 kg sugar", [("sugar", "1.5", "kg", None)]),
        ("add ½ kg elaichi", [("elaichi", "0.5", "kg", None)]),
        (
            "invoice Kumar 1/2 kg kaju at 900, 2 kg badam at 800",
            [("kaju", "0.5", "kg", "900"), ("badam", "2", "kg", "800")],
        ),
    ],
)
def test_slash_fraction_quantities(text: str, expected: list[tuple[str, str | None, str | None, str | None]]) -> None:
    assert _items(text) == expected


# ------------------------------------------------------------------ dozens and Hindi fraction words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Invoice Ganesh Hardware for half a dozen padlocks at 180 each", [("padlock", "6", None, "180")]),
        ("invoice Kumar a dozen bananas at 5 each", [("banana", "12", None, "5")]),
        ("invoice Kumar 2 dozen padlocks at 180 each", [("padlock", "24", None, "180")]),
        ("invoice Kumar 2 dozen eggs at 60 per dozen", [("egg", "2", "dozen", "60")]),
        ("invoice Kumar dedh dozen kele 60 rs dozen", [("kele", "1.5", "dozen", "60")]),
        ("add half a dozen padlocks", [("padlock", "0.5", "dozen", None)]),
        ("add half dozen padlocks", [("padlock", "0.5", "dozen", None)]),
        ("add a dozen eggs", [("egg", "1", "dozen", None)]),
        ("add dedh dozen kele", [("kele", "1.5", "dozen", None)]),
        ("add half kg sugar", [("sugar", "0.5", "kg", None)]),
        ("add quarter kg elaichi", [("elaichi", "0.25", "kg", None)]),
        ("add dhai kilo chana", [("chana", "2.5", "kg", None)]),
        ("add sawa kilo jeera", [("jeera", "1.25", "kg", None)]),
        ("add paune kilo haldi", [("haldi", "0.75", "kg", None)]),
        ("add saade teen kilo pyaaz", [("pyaaz", "3.5", "kg", None)]),
    ],
)
def test_dozens_and_fraction_words(text: str, expected: list[tuple[str, str | None, str | None, str | None]]) -> None:
    assert _items(text) == expected


# ------------------------------------------------------------------ lakh / crore and Hindi amounts


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Deepak paid Rs 1.5L by NEFT", "150000"),
        ("Deepak paid ₹2L", "200000"),
        ("Deepak paid 2L", "200000"),
        ("Deepak paid Rs.3L", "300000"),
        ("Deepak paid INR 1.2 L via RTGS", "120000"),
        ("received 2L from Deepak by NEFT", "200000"),
        ("Deepak ne 1.5L diye", "150000"),
        ("Deepak paid 1.5 lakh", "150000"),
        ("Deepak paid 2 Cr", "20000000"),
        ("Deepak paid Rs 1.2 cr", "12000000"),
        ("Deepak ne dhai hazaar diye", "2500"),
        ("Deepak ne dedh hazaar diye", "1500"),
        ("Deepak ne dedh lakh diye", "150000"),
        ("Deepak paid saade teen hazaar", "3500"),
        ("Deepak ne sawa lakh diye", "125000"),
        ("Deepak ne paune do sau diye", "175"),
        ("Deepak ne paune teen hazaar diye", "2750"),
        ("Deepak ne sawa 2 lakh diye", "225000"),
        ("Deepak ne dedh sau diye", "150"),
        ("Deepak paid 500", "500"),
        ("Deepak ne 2 hazaar diye", "2000"),
    ],
)
def test_payment_amounts(text: str, amount: str) -> None:
    u = understand(text, CTX)
    assert u.intent == "record_payment"
    assert u.amount == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dhai hazaar", "2500"),
        ("dedh lakh", "150000"),
        ("saade teen hazaar", "3500"),
        ("sawa sau", "125"),
        ("1 1/2 kg", None),
        ("12/3", None),
        ("2½", "2.5"),
        ("dhai", "2.5"),
        ("sawa", "1.25"),
    ],
)
def test_parse_number_reads_hindi_amounts(text: str, expected: str | None) -> None:
    got = parse_number(text)
    assert (None if got is None else str(got)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add 5 l milk", [("milk", "5", "litre", None)]),
        ("add 2L milk", [("milk", "2", "litre", None)]),
        ("add 5 ltr oil", [("oil", "5", "litre", None)]),
        ("received 5 l oil", [("oil", "5", "litre", None)]),
        ("invoice Kumar 2 l milk at 60", [("milk", "2", "litre", "60")]),
        ("invoice Kumar 3 l oil at rs 150 per l", [("oil", "3", "litre", "150")]),
    ],
)
def test_l_next_to_a_product_is_litres(
    text: str, expected: list[tuple[str, str | None, str | None, str | None]]
) -> None:
    assert _items(text) == expected


# ------------------------------------------------------------------ acronym plurals in product names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add 7 LED TVs", [("led tv", "7", None, None)]),
        ("add 5 ACs to stock", [("ac", "5", None, None)]),
        ("add 5 LEDs", [("led", "5", None, None)]),
        ("add 3 CCTVs", [("cctv", "3", None, None)]),
        ("add 4 TVs and 2 ACs", [("tv", "4", None, None), ("ac", "2", None, None)]),
        ("invoice Kumar 2 ACs at 32000", [("ac", "2", None, "32000")]),
        ("invoice Kumar 4 UPSs at 3000", [("ups", "4", None, "3000")]),
        ("invoice Kumar 3 PCs at 25k", [("pc", "3", None, "25000")]),
        ("add 3 PCs", [("pc", "3", None, None)]),
        # negative: "pcs" as the unit pieces
        ("add 10 pcs soap", [("soap", "10", "piece", None)]),
        ("add 10 PCS soap", [("soap", "10", "piece", None)]),
        ("add 5 PCs soap", [("soap", "5", "piece", None)]),
        ("add soap 5 PCs", [("soap", "5", "piece", None)]),
        ("add 2 LED bulbs", [("led bulb", "2", None, None)]),
        ("add 20 bags cement", [("cement", "20", "bag", None)]),
    ],
)
def test_acronym_plurals(text: str, expected: list[tuple[str, str | None, str | None, str | None]]) -> None:
    assert _items(text) == expected


# ------------------------------------------------------------------ Hinglish words in product names


@pytest.mark.parametrize(
    ("text", "customer", "expected"),
    [
        ("Gupta ji ke liye bill bana do 20 kg atta 40 rs kilo", "Gupta", [("atta", "20", "kg", "40")]),
        ("Sharma ji ke liye 3 bags cement 350 wala bill banao", "Sharma", [("cement", "3", "bag", "350")]),
        ("Kumar ke liye 5 kg chawal 60 rs kilo", "Kumar", [("chawal", "5", "kg", "60")]),
        ("Kumar ke vaaste 2 packet chai 150 each", "Kumar", [("chai", "2", "packet", "150")]),
    ],
)
def test_hinglish_invoice_words_are_not_products(
    text: str, customer: str, expected: list[tuple[str, str | None, str | None, str | None]]
) -> None:
    u = understand(text, CTX)
    assert u.intent == "create_invoice"
    assert u.customer == customer
    assert [_item(i) for i in u.items] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stock me 12 dibbe ghee daal do", [("ghee", "12", "box", None)]),
        ("add 12 dibbe ghee", [("ghee", "12", "box", None)]),
        ("add 3 dabba mithai", [("mithai", "3", "box", None)]),
        ("add 4 peepe tel", [("tel", "4", "tin", None)]),
        ("add 5 boxes sweets", [("sweet", "5", "box", None)]),
        ("add 5 kg dal", [("dal", "5", "kg", None)]),
    ],
)
def test_container_words_are_units(text: str, expected: list[tuple[str, str | None, str | None, str | None]]) -> None:
    assert _items(text) == expected
