"""Context: answers to the bot's question, known customers and products."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intents.understand import Context, ProductInfo, understand


@pytest.mark.parametrize(
    ("expecting", "text", "slots"),
    [
        ("items", "3 bags cement at 340", {"items": [("cement", Decimal(3), "bag", Decimal(340))]}),
        ("items", "cement 3 bags 340", {"items": [("cement", Decimal(3), "bag", Decimal(340))]}),
        ("items", "add 2 bags sand", {"items": [("sand", Decimal(2), "bag", None)]}),
        (
            "items",
            "2 fans at 1800 and 4 tube lights at 250",
            {
                "items": [
                    ("fan", Decimal(2), None, Decimal(1800)),
                    ("tube light", Decimal(4), None, Decimal(250)),
                ]
            },
        ),
        ("unit_price", "360", {"price": Decimal(360)}),
        ("unit_price", "360 per bag", {"price": Decimal(360), "unit": "bag"}),
        ("unit_price", "Rs 360", {"price": Decimal(360)}),
        ("unit_price", "₹360/-", {"price": Decimal(360)}),
        ("unit_price", "at 360 each", {"price": Decimal(360)}),
        ("unit_price", "three hundred sixty", {"price": Decimal(360)}),
        ("unit_price", "it's 360", {"price": Decimal(360)}),
        ("amount", "700", {"amount": Decimal(700)}),
        ("amount", "rs 1,500", {"amount": Decimal(1500)}),
        ("amount", "2.5k", {"amount": Decimal(2500)}),
        ("customer", "Mahesh", {"customer": "Mahesh"}),
        ("customer", "mahesh gupta", {"customer": "Mahesh Gupta"}),
        ("customer", "for Rekha Nair", {"customer": "Rekha Nair"}),
        ("customer", "it's for Sunil", {"customer": "Sunil"}),
        ("customer", "Mahesh 9876543210", {"customer": "Mahesh", "phone": "+919876543210"}),
        ("choice", "the first one", {"choice": 1}),
        ("choice", "second", {"choice": 2}),
        ("choice", "2", {"choice": 2}),
        ("choice", "the last one", {"choice": -1}),
        ("choice", "Ramesh Kumar", {"customer": "Ramesh Kumar"}),
        ("choice", "Kumar wala", {"customer": "Kumar"}),
    ],
)
def test_answer(expecting: str, text: str, slots: dict[str, object]) -> None:
    u = understand(text, Context(expecting=expecting))
    assert u.intent == "answer"
    for key, want in slots.items():
        got = getattr(u, key)
        if key == "items":
            got = [(i.product, i.quantity, i.unit, i.unit_price) for i in got]
        assert got == want, key


@pytest.mark.parametrize(
    ("expecting", "text", "intent"),
    [
        ("items", "Rekha paid 500", "record_payment"),
        ("customer", "Rekha paid 3000 on UPI", "record_payment"),
        ("amount", "undo", "undo"),
        ("customer", "no", "no"),
        ("choice", "cancel", "no"),
        ("confirm", "yes", "yes"),
        ("confirm", "haan ji", "yes"),
        ("confirm", "send it", "yes"),
        ("confirm", "cancel that", "no"),
        ("confirm", "no don't", "no"),
        ("confirm", "also email me at me@example.com", "build_flow"),
        ("unit_price", "help", "help"),
        ("customer", "who hasn't paid me?", "unpaid_query"),
        ("items", "add customer Rekha Nair", "add_customer"),
    ],
)
def test_new_command_wins(expecting: str, text: str, intent: str) -> None:
    assert understand(text, Context(expecting=expecting)).intent == intent


CTX = Context(
    customers=["Mahesh Gupta", "Rekha Nair", "Ramesh Kumar", "Ramesh Shah"],
    products=[
        ProductInfo(name="paint", unit="bucket", price=Decimal(650)),
        ProductInfo(name="cement", unit="bag", price=Decimal(345)),
        ProductInfo(name="tube light", unit=None, price=None),
    ],
)


def test_known_customer_trims_a_lowercase_run() -> None:
    u = understand("bill mahesh cement 8 bags 345", CTX)
    assert u.customer == "Mahesh"
    assert [(i.product, i.quantity) for i in u.items] == [("cement", Decimal(8))]


def test_catalogue_price_means_no_missing_price() -> None:
    assert understand("invoice Farida 2 buckets of paint", CTX).missing == []
    assert understand("invoice Farida 2 tube lights", CTX).missing == ["unit_price"]
    assert understand("invoice Farida 2 buckets of paint").missing == ["unit_price"]


def test_known_full_name_is_kept() -> None:
    assert understand("rekha nair paid 500", CTX).customer == "Rekha Nair"
    assert understand("remind ramesh kumar", CTX).customer == "Ramesh Kumar"


def test_bare_product_with_catalogue_is_a_stock_question() -> None:
    u = understand("cement", CTX)
    assert (u.intent, u.product) == ("stock_query", "cement")
    assert understand("cement").intent == "unknown"


def test_text_is_kept_as_given() -> None:
    raw = "  Create an invoice for Mahesh Gupta for 8 bags of cement at 300 rupees each.  "
    assert understand(raw).text == raw


def test_public_api_is_exported() -> None:
    import intents.understand as pkg

    for name in (
        "understand",
        "Context",
        "ProductInfo",
        "Understanding",
        "Item",
        "parse_number",
        "format_inr",
        "parse_amount",
        "convert",
        "singularize",
        "to_e164",
        "find_phone",
        "find_email",
        "valid_gstin",
        "find_method",
        "match_customer",
        "match_product",
        "suggest",
        "UnitConversionError",
    ):
        assert hasattr(pkg, name), name


def test_understanding_serializes_for_checkpoints() -> None:
    u = understand("add 2 bags of sand to the bill")
    dumped = u.model_dump(mode="json")
    assert dumped["changes"]["add_items"][0]["product"] == "sand"
    assert type(u).model_validate(u.model_dump()).intent == "edit_invoice"
