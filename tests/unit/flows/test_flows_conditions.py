"""flows.conditions: a safe evaluator, never eval."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import FlowError
from flows.conditions import (
    MAX_DEPTH,
    MAX_EXPRESSION_LENGTH,
    MAX_STRING_LENGTH,
    check,
    evaluate,
    evaluate_bool,
    referenced_names,
)

SCOPE: dict[str, Any] = {
    "trigger_data": {
        "payment": {"amount": 25000, "method": "upi", "reference": None},
        "customer": {"name": "Ramesh Kumar", "phone": "+919876543210", "email": None},
        "invoice": {"items": [{"product": "cement", "quantity": 5}], "total": 1750},
        "tags": ["vip", "wholesale"],
        "_id": "abc",
    },
    "business": {"name": "Sharma Hardware", "phone": "+919800000001"},
    "sheet_1": {"row": 7},
}


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("trigger_data.payment.amount > 10000", True),
        ("trigger_data.payment.amount >= 25000", True),
        ("trigger_data.payment.amount < 500", False),
        ("trigger_data.payment.amount <= 25000 and trigger_data.payment.method == 'upi'", True),
        ('trigger_data.payment.amount > 10000 and trigger_data.customer.name != "Walk-in"', True),
        ("trigger_data.payment.amount > 1 or 1 / 0", True),  # short-circuits
        ("not trigger_data.payment.amount > 30000", True),
        ("trigger_data.payment.amount * 2 - 50000 == 0", True),
        ("trigger_data.payment.amount // 1000 % 7", 4),
        ("2 ** 10", 1024),
        ("-trigger_data.payment.amount", -25000),
        ("'vip' in trigger_data.tags", True),
        ("'retail' not in trigger_data.tags", True),
        ('"ramesh" in lower(trigger_data.customer.name)', True),
        ('upper(trigger_data.payment.method) == "UPI"', True),
        ("len(trigger_data.tags) == 2", True),
        ("trigger_data.invoice.items[0].product == 'cement'", True),
        ("trigger_data.invoice['total'] == 1750", True),
        ("trigger_data._id == 'abc'", True),
        ("trigger_data.payment.reference == null", True),
        ("trigger_data.payment.reference == None", True),
        ("true and not false", True),
        ("trigger_data.payment.method in ['upi', 'cash']", True),
        ("business.name == 'Sharma Hardware'", True),
        ("sheet_1.row > 5", True),
        ("'big' if trigger_data.payment.amount > 20000 else 'small'", "big"),
        ("abs(-3) + round(2.6) + max(1, 4) + min(2, 3)", 12),
        ("int('1,500') + float('0.5')", 1500.5),
        ("str(trigger_data.payment.amount) + ' rupees'", "25000 rupees"),
        ("lower(str(trigger_data.customer.email)) == 'none'", True),
    ],
)
def test_allowed_expressions(expr: str, expected: Any) -> None:
    assert evaluate(expr, SCOPE) == expected


def test_evaluate_bool_takes_the_truth() -> None:
    assert evaluate_bool("trigger_data.tags", SCOPE) is True
    assert evaluate_bool("trigger_data.payment.reference", SCOPE) is False


@pytest.mark.parametrize(
    "expr, words",
    [
        ("trigger_data.__class__", "__"),
        ("trigger_data['__class__']", "__"),
        ("().__class__.__bases__", "__"),
        ("__import__('os')", "__"),
        ("open('/etc/passwd')", "not allowed"),
        ("eval('1')", "not allowed"),
        ("trigger_data.customer.name.lower()", "method calls"),
        ("lower(x=trigger_data.customer.name)", "named arguments"),
        ("(lambda: 1)()", "not allowed"),
        ("[x for x in trigger_data.tags]", "comprehensions"),
        ("{'a': 1}", "dict"),
        ("{1, 2}", "set"),
        ("f'{trigger_data}'", "f-strings"),
        ("trigger_data.tags[0:1]", "slices"),
        ("(y := 1)", "assignments"),
        ("b'bytes' == b'bytes'", "not allowed"),
        ("1j * 2", "not allowed"),
        ("x = 1", "not a valid expression"),
        ("import os", "not a valid expression"),
        ("trigger_data.payment.amount >", "not a valid expression"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_refused_expressions(expr: str, words: str) -> None:
    with pytest.raises(FlowError) as info:
        evaluate(expr, SCOPE)
    assert words in info.value.message


@pytest.mark.parametrize(
    "expr",
    [
        "2 ** 1000000",
        "10 ** 101",
        "99999999999999 ** 2",
        "'a' * 100000",
        "['a'] * 100000",
        "'x' * 6000 + 'y' * 6000",
    ],
)
def test_resource_limits(expr: str) -> None:
    with pytest.raises(FlowError):
        evaluate(expr, SCOPE)


def test_long_string_literal_is_refused() -> None:
    with pytest.raises(FlowError, match="longer than"):
        check("'" + "a" * (MAX_STRING_LENGTH + 1) + "'")


def test_long_expression_is_refused() -> None:
    with pytest.raises(FlowError, match=str(MAX_EXPRESSION_LENGTH)):
        check("1 + " * (MAX_EXPRESSION_LENGTH // 4 + 1) + "1")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(FlowError, match="nested"):
        check("(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5) + " + -" * 20 + "1")
    with pytest.raises(FlowError, match="nested"):
        check("not " * (MAX_DEPTH + 2) + "true")


def test_too_many_list_items_are_refused() -> None:
    with pytest.raises(FlowError, match="at most"):
        check("1 in [" + ",".join("1" for _ in range(300)) + "]")


@pytest.mark.parametrize(
    "expr, reason",
    [
        ("trigger_data.payment.amout > 5", "trigger_data.payment.amout is missing"),
        ("missing_step.x == 1", "'missing_step' is not known"),
        ("trigger_data.invoice.items[3].product", "the list has 1 items"),
        ("trigger_data.payment.amount.value", "it is a number"),
        ("trigger_data.customer.name > 5", "mixes values"),
        ("trigger_data.payment.amount + 'x'", "mixes values"),
        ("trigger_data.payment.amount / 0", "divides by zero"),
        ("lower(trigger_data.payment.amount)", "need text"),
        ("len(trigger_data.payment.amount)", "needs text or a list"),
        ("5 in trigger_data.payment.amount", "'in' needs text or a list"),
        ("5 in trigger_data.customer.name", "cannot look for a number inside text"),
        ("int('abc')", "not a number"),
        ("round(1.5, 99)", "decimal places"),
    ],
)
def test_plain_reasons_when_it_cannot_be_worked_out(expr: str, reason: str) -> None:
    with pytest.raises(FlowError) as info:
        evaluate(expr, SCOPE)
    assert reason in info.value.message


@pytest.mark.parametrize(
    "expr, names",
    [
        ("trigger_data.payment.amount > 10000", ["trigger_data.payment.amount"]),
        ('"ramesh" in lower(str(trigger_data.customer.name))', ["trigger_data.customer.name"]),
        ("a.b > 1 and a.b < 5 or c.d", ["a.b", "c.d"]),
        ("trigger_data.items[0].product == 'x'", ["trigger_data.items.0.product"]),
        ("trigger_data['customer']['name']", ["trigger_data.customer.name"]),
        ("trigger_data.items[trigger_data.i]", ["trigger_data.items", "trigger_data.i"]),
        ("true and null == None", []),
        ("business.name", ["business.name"]),
        ("len(send_1.message_id) > 0", ["send_1.message_id"]),
    ],
)
def test_referenced_names(expr: str, names: list[str]) -> None:
    assert referenced_names(expr) == names


def test_referenced_names_refuses_unsafe_text() -> None:
    with pytest.raises(FlowError):
        referenced_names("x.__class__")


@settings(max_examples=200)
@given(
    st.integers(-(10**6), 10**6),
    st.integers(-(10**6), 10**6),
    st.sampled_from(["+", "-", "*", "<", ">", "==", "!="]),
)
def test_arithmetic_matches_python(a: int, b: int, op: str) -> None:
    expected = {"+": a + b, "-": a - b, "*": a * b, "<": a < b, ">": a > b, "==": a == b, "!=": a != b}[op]
    assert evaluate(f"x.a {op} x.b", {"x": {"a": a, "b": b}}) == expected


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_any_text_either_evaluates_or_raises_flow_error(text: str) -> None:
    try:
        evaluate(text, SCOPE)
    except FlowError:
        pass


@settings(max_examples=200)
@given(st.text(alphabet="()[]+-*/%<>=!.'\"0123456789abcdef _", max_size=80))
def test_operator_soup_never_escapes(text: str) -> None:
    try:
        evaluate(text, {"a": {"b": 1}, "f": {"e": "x"}})
    except FlowError:
        pass
