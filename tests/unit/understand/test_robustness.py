"""Odd input never crashes and never makes a record out of nonsense."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intents.understand import RECORD_INTENTS, Context, understand

_WORDS = [
    "bill",
    "invoice",
    "paid",
    "add",
    "stock",
    "cement",
    "Mahesh",
    "rs",
    "500",
    "kg",
    "at",
    "@",
    "each",
    "remind",
    "when",
    "every",
    "cancel",
    "yes",
    "no",
    "₹",
    "1,25,000",
    "3.5k",
    "for",
    "to",
    "from",
    "ne",
    "diye",
    "ka",
    "the",
    "it",
    "price",
    "gst",
    "18%",
    "9900112233",
    "x",
    "and",
    ",",
    ".",
    "?",
    "undo",
    "lakh",
    "half",
    "dozen",
    "customer",
    "new",
    "show",
    "list",
    "send",
    "link",
    "INV-0002",
    "zzq",
    "🙂",
]


def _check(u_text: str, ctx: Context | None = None) -> None:
    u = understand(u_text, ctx)
    assert u.text == u_text
    assert 0.0 <= u.confidence <= 1.0
    for item in u.items:
        assert item.product == item.product.strip()
        assert item.quantity is None or item.quantity >= 0
        assert item.unit_price is None or item.unit_price >= 0
    for value in (u.amount, u.price, u.quantity, u.threshold, u.gst_rate):
        assert value is None or (isinstance(value, Decimal) and value.is_finite() and value >= 0)
    if u.intent == "create_invoice":
        assert u.customer or "customer" in u.missing
        assert u.items or "items" in u.missing
        assert all(i.product for i in u.items)
    if u.intent == "record_payment":
        assert u.amount is not None or "amount" in u.missing
    if u.intent in ("stock_add", "stock_remove", "stock_set"):
        assert all(i.product for i in u.items)
        assert u.items or "product" in u.missing
    if u.customer is not None:
        assert u.customer.strip() and not u.customer[0].isdigit()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_never_crashes(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=14).map(" ".join))
def test_random_word_soup_keeps_invariants(text: str) -> None:
    _check(text)
    _check(text, Context(expecting="items"))
    _check(text, Context(expecting="customer", customers=["Mahesh Gupta"]))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=40))
def test_gibberish_letters_make_no_record(text: str) -> None:
    u = understand(text)
    if u.intent in RECORD_INTENTS:
        # only real command words can make a record; gibberish has none of them
        assert any(w in text.split() for w in ("bill", "invoice", "add", "remove", "sold", "inv", "bil"))


@pytest.mark.parametrize(
    "text",
    [
        "asdkjh qwe",
        "the weather is nice today",
        "what is the time",
        "blah blah 123",
        "12345",
        "hmm",
        "...",
        "tell me a joke",
        "lol",
        "ok bye then see you",
        "cricket score?",
        "🙂🙂🙂",
        "",
        "   ",
        "\n\n",
        "a" * 5000,
        "1" * 300,
        "₹₹₹",
        "@@@@",
        "'s 's",
        "+91",
        "k",
        "x x x x",
    ],
)
def test_unknown_or_harmless(text: str) -> None:
    u = understand(text)
    assert u.intent not in RECORD_INTENTS
