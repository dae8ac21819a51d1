"""flows.template: {{variables}} filled in with types kept, money written for people."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import FlowError
from flows.template import (
    format_inr,
    format_value,
    indian_grouping,
    is_money,
    is_single_ref,
    lookup,
    parse_ref,
    references,
    resolve,
)

SCOPE: dict[str, Any] = {
    "trigger_data": {
        "payment": {"amount": 1500, "method": "upi", "reference": None},
        "customer": {"name": "Ramesh Kumar", "phone": "+919876543210"},
        "invoice": {
            "number": "INV-0001",
            "total": 175000,
            "subtotal": 175000.5,
            "items": [{"product": "cement", "price": 350, "quantity": 5}],
        },
        "product": {"name": "cement", "stock": 1500, "unit": "bag"},
        "razorpay": {"amount": 150000},
        "headers": {"X-Signature": "abc"},
        "paid": True,
        "tags": ["vip", "wholesale"],
    },
    "business": {"name": "Sharma Hardware", "phone": "+919800000001"},
    "report_1": {"text": "Sales today: ₹4,500", "total": 4500},
}


@pytest.mark.parametrize(
    "value, expected",
    [
        ("{{trigger_data.payment.amount}}", 1500),
        ("{{ trigger_data.payment.amount }}", 1500),
        ("{{trigger_data.customer}}", {"name": "Ramesh Kumar", "phone": "+919876543210"}),
        ("{{trigger_data.tags}}", ["vip", "wholesale"]),
        ("{{trigger_data.payment.reference}}", None),
        ("{{trigger_data.paid}}", True),
        ("{{trigger_data.invoice.items.0.quantity}}", 5),
        ("{{trigger_data.invoice.items[0].quantity}}", 5),
        ("{{report_1.total}}", 4500),
    ],
)
def test_a_lone_reference_keeps_its_type(value: str, expected: Any) -> None:
    assert resolve(value, SCOPE) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Paid {{trigger_data.payment.amount}}", "Paid ₹1,500"),
        ("Payment of ₹{{trigger_data.payment.amount}} received.", "Payment of ₹1,500 received."),
        ("Rs. {{trigger_data.payment.amount}}", "Rs. 1,500"),
        ("Rs {{trigger_data.payment.amount}}", "Rs 1,500"),
        ("INR {{trigger_data.payment.amount}}", "INR 1,500"),
        ("{{trigger_data.payment.amount}} rupees", "1,500 rupees"),
        ("{{trigger_data.payment.amount}}/-", "1,500/-"),
        ("Total {{trigger_data.invoice.total}}", "Total ₹1,75,000"),
        ("Sub {{trigger_data.invoice.subtotal}}", "Sub ₹1,75,000.50"),
        ("Each {{trigger_data.invoice.items.0.price}}", "Each ₹350"),
        ("Stock {{trigger_data.product.stock}} {{trigger_data.product.unit}}", "Stock 1500 bag"),
        ("Raw {{trigger_data.razorpay.amount}} paise", "Raw 150000 paise"),
        ("Hi {{trigger_data.customer.name}}!", "Hi Ramesh Kumar!"),
        ("Ref: {{trigger_data.payment.reference}}.", "Ref: ."),
        ("Paid? {{trigger_data.paid}}", "Paid? yes"),
        ("Tags: {{trigger_data.tags}}", "Tags: vip, wholesale"),
        ("Sig {{trigger_data.headers.X-Signature}}", "Sig abc"),
        ("{{report_1.text}} (total {{report_1.total}})", "Sales today: ₹4,500 (total ₹4,500)"),
        ("From {{business.name}}", "From Sharma Hardware"),
        ("No variables here", "No variables here"),
    ],
)
def test_references_inside_text_are_written_for_people(text: str, expected: str) -> None:
    assert resolve(text, SCOPE) == expected


def test_dicts_and_lists_are_walked_and_keys_left_alone() -> None:
    params = {
        "to": "{{trigger_data.customer.phone}}",
        "values": ["{{trigger_data.customer.name}}", "{{trigger_data.payment.amount}}", 7],
        "json": {"{{not.a.key}}": "{{trigger_data.payment.method}}", "n": None},
        "pair": ("{{business.name}}",),
    }
    assert resolve(params, SCOPE) == {
        "to": "+919876543210",
        "values": ["Ramesh Kumar", 1500, 7],
        "json": {"{{not.a.key}}": "upi", "n": None},
        "pair": ("Sharma Hardware",),
    }


def test_the_input_is_not_changed() -> None:
    params = {"values": ["{{trigger_data.payment.amount}}"]}
    resolve(params, SCOPE)
    assert params == {"values": ["{{trigger_data.payment.amount}}"]}


@pytest.mark.parametrize(
    "text, reason",
    [
        ("{{trigger_data.payment.amout}}", "trigger_data.payment has no 'amout'"),
        ("Hi {{trigger_data.customer.nam}}", "has no 'nam'"),
        ("{{send_9.message_id}}", "there is no 'send_9'"),
        ("{{trigger_data.invoice.items.4.price}}", "has only 1 items"),
        ("{{trigger_data.payment.reference.x}}", "is empty"),
        ("{{trigger_data.customer.name.0}}", "has no parts"),
    ],
)
def test_a_missing_reference_raises_never_a_placeholder(text: str, reason: str) -> None:
    with pytest.raises(FlowError) as info:
        resolve(text, SCOPE)
    assert reason in info.value.message
    assert "not found]" not in info.value.message


@pytest.mark.parametrize(
    "text",
    [
        "{{trigger_data.__class__}}",
        "{{__import__}}",
        "{{ 1 + 1 }}",
        "{{trigger_data.payment.amount * 2}}",
        "{{trigger_data.customer.name.upper()}}",
        "{{}}",
        "{{trigger_data..payment}}",
    ],
)
def test_anything_but_a_plain_path_is_refused(text: str) -> None:
    with pytest.raises(FlowError):
        resolve(text, SCOPE)
    with pytest.raises(FlowError):
        references(text)


def test_references_lists_paths_in_order_without_repeats() -> None:
    value = {"a": "{{x.y}} and {{ z[0].w }}", "b": ["{{x.y}}", {"c": "{{business.name}}"}], "d": 5}
    assert references(value) == ["x.y", "z.0.w", "business.name"]
    assert references("plain") == []


def test_helpers() -> None:
    assert parse_ref("a[2].b") == ["a", "2", "b"]
    assert is_single_ref("{{a.b}}") and not is_single_ref("x {{a.b}}") and not is_single_ref(5)
    assert lookup("trigger_data.customer.name", SCOPE) == "Ramesh Kumar"
    assert is_money("trigger_data.payment.amount") and is_money(["invoice", "total"])
    assert not is_money("trigger_data.product.stock") and not is_money("trigger_data.razorpay.amount")
    assert format_value(2.5) == "2.5" and format_value(1500.0) == "1500" and format_value(None) == ""
    assert format_value({"a": "₹"}) == '{"a": "₹"}'


@pytest.mark.parametrize(
    "amount, text",
    [
        (0, "₹0"),
        (5, "₹5"),
        (999, "₹999"),
        (1000, "₹1,000"),
        (1500, "₹1,500"),
        (99999, "₹99,999"),
        (100000, "₹1,00,000"),
        (175000, "₹1,75,000"),
        (1234567, "₹12,34,567"),
        (10000000, "₹1,00,00,000"),
        (1500.5, "₹1,500.50"),
        (1500.0, "₹1,500"),
        (Decimal("99.999"), "₹100"),
        (-2500, "-₹2,500"),
        ("1750", "₹1,750"),
    ],
)
def test_format_inr(amount: Any, text: str) -> None:
    assert format_inr(amount) == text


def test_format_inr_refuses_non_amounts() -> None:
    with pytest.raises(FlowError):
        format_inr("lots")
    with pytest.raises(FlowError):
        format_inr(float("inf"))


@given(st.integers(min_value=0, max_value=10**15))
def test_indian_grouping_keeps_digits_and_groups_by_two_then_three(n: int) -> None:
    grouped = indian_grouping(str(n))
    assert grouped.replace(",", "") == str(n)
    groups = grouped.split(",")
    assert len(groups[-1]) == min(3, len(str(n)))
    assert all(len(g) == 2 for g in groups[1:-1])
    assert 1 <= len(groups[0]) <= (3 if len(groups) == 1 else 2)
