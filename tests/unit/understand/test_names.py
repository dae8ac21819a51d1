"""names.py: matching written names to customers and products."""

from __future__ import annotations

import pytest

from intents.understand.names import match_customer, match_product

CUSTOMERS = [
    "Ramesh Kumar",
    "Ramesh Shah",
    "Mahesh Gupta",
    "Rekha Nair",
    "Sanjay Patel",
    "Green Leaf Cafe",
    "Suresh",
    "Ram Prasad",
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ramesh Kumar", ["Ramesh Kumar"]),
        ("ramesh kumar", ["Ramesh Kumar"]),
        ("RAMESH KUMAR", ["Ramesh Kumar"]),
        ("Mahesh", ["Mahesh Gupta"]),
        ("mahesh", ["Mahesh Gupta"]),
        ("Mahes", ["Mahesh Gupta"]),
        ("Mahesh Gupta ji", ["Mahesh Gupta"]),
        ("Rekha", ["Rekha Nair"]),
        ("Nair", ["Rekha Nair"]),
        ("Green Leaf", ["Green Leaf Cafe"]),
        ("Sures", ["Suresh"]),
        ("Suresh", ["Suresh"]),
        ("Ram", ["Ram Prasad"]),
        ("Ramesh K", ["Ramesh Kumar"]),
        ("sanjay patil", ["Sanjay Patel"]),
        ("Sanjay", ["Sanjay Patel"]),
        ("Mr. Sanjay Patel", ["Sanjay Patel"]),
    ],
)
def test_match_customer(name: str, expected: list[str]) -> None:
    assert match_customer(name, CUSTOMERS) == expected


def test_two_rameshes_both_come_back() -> None:
    assert set(match_customer("Ramesh", CUSTOMERS)) == {"Ramesh Kumar", "Ramesh Shah"}
    assert set(match_customer("Rmesh", CUSTOMERS)) >= {"Ramesh Kumar", "Ramesh Shah"}


@pytest.mark.parametrize("name", ["Xyz", "", "Priya", "Zzzzzz Qqqq"])
def test_no_match(name: str) -> None:
    assert match_customer(name, CUSTOMERS) == []


def test_empty_candidates() -> None:
    assert match_customer("Mahesh", []) == []


PRODUCTS = ["cement", "tube light", "paint", "rice", "basmati rice", "ceiling fan", "phenyl"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cement", ["cement"]),
        ("Cement", ["cement"]),
        ("cemnt", ["cement"]),
        ("tube lights", ["tube light"]),
        ("tubelights", ["tube light"]),
        ("Tube Light", ["tube light"]),
        ("rice", ["rice"]),
        ("paints", ["paint"]),
        ("fan", ["ceiling fan"]),
        ("fans", ["ceiling fan"]),
        ("phenyle", ["phenyl"]),
    ],
)
def test_match_product(name: str, expected: list[str]) -> None:
    assert match_product(name, PRODUCTS) == expected


@pytest.mark.parametrize("name", ["xyz", "", "sugar"])
def test_match_product_none(name: str) -> None:
    assert match_product(name, PRODUCTS) == []
