"""The variable resolver and the condition evaluator on random input: a value or a `FlowError`, quickly,
and never an attribute read off a Python object.

``tests/unit/flows/test_flows_conditions.py`` already throws random text and
operator soup at conditions. Here: the ``{{…}}`` finder against the regex it
replaced (same matches, linear time), templates over scopes holding a *trap*
object whose attributes must never be read, and condition expressions built
from a grammar of Python (names, dunders, attributes, subscripts, calls of
allowed and forbidden functions, every operator, big numbers, long text,
lists, lambdas, comprehensions), each evaluated within a time budget.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.errors import FlowError
from flows import conditions, template
from tests.unit.fuzz.conftest import fuzz

OLD_REF_RE = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)  # what flows.template used before RefPattern


class Trap:
    """A value that must only ever be handled as data: reading any attribute of it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"attribute {name!r} was read from a value")

    def __repr__(self) -> str:
        return "<trap>"


def _scope() -> dict[str, Any]:
    return {"trigger_data": {"payment": {"amount": 1500, "method": "upi"}, "items": [{"product": "cement"}, 2, "x"],
                             "name": "Ramesh", "trap": Trap(), "none": None, "flag": True, "big": 10**30,
                             "nested": {"a": {"b": {"c": [Trap()]}}}},
            "business": {"name": "Sharma Hardware", "phone": "+919800000001"},
            "send_1": {"message_id": "OB1", "trap": Trap()}}


# ------------------------------------------------------------------ the {{…}} finder


@fuzz(500)
@given(st.lists(st.sampled_from(["{", "}", "{{", "}}", " ", "\n", "a", ".", "_", "0", "[", "]", "\t", "\xa0", "\x1c",
                                  "ह"]), max_size=30).map("".join))
def test_the_reference_finder_finds_what_the_old_regex_found(text: str) -> None:
    def shape(match: Any) -> tuple[str, str, int, int]:
        return match.group(0), match.group(1), match.start(), match.end()

    assert [shape(m) for m in template.REF_RE.finditer(text)] == [shape(m) for m in OLD_REF_RE.finditer(text)]
    old, new = OLD_REF_RE.fullmatch(text), template.REF_RE.fullmatch(text)
    assert (new and shape(new)) == (old and shape(old))
    assert bool(template.REF_RE.search(text)) == bool(OLD_REF_RE.search(text))
    assert template.REF_RE.sub(lambda m: f"<{m.group(1)}>", text) == OLD_REF_RE.sub(lambda m: f"<{m.group(1)}>",
                                                                                     text)


@fuzz(30)
@given(unit=st.sampled_from(["{{", "{{ ", "{{a", "}}{{", "{{" + " " * 50]), times=st.integers(1000, 20_000))
def test_the_reference_finder_is_linear(unit: str, times: int) -> None:
    text = unit * times  # the old regex: quadratic (10,000 characters of "{{" took 7 s)
    started = time.perf_counter()
    list(template.REF_RE.finditer(text))
    template.references(text) if "}}" not in text else None
    assert time.perf_counter() - started < 2.0  # the old regex: ~2 minutes for 20,000 "{{"


# ------------------------------------------------------------------ templates

PATHS = st.lists(st.sampled_from(["trigger_data", "business", "send_1", "payment", "amount", "items", "0", "1",
                                  "9", "name", "trap", "nested", "a", "b", "c", "__class__", "__globals__",
                                  "__init__", "_x", "mro", "real", "upper", "big", "none", "flag", "", " ",
                                  "[0]", "[99]", "()", "'k'", "x y"]), min_size=1, max_size=6).map(".".join)
TEMPLATE_TEXT = st.lists(st.one_of(st.text(max_size=8), PATHS.map(lambda p: "{{" + p + "}}"),
                                   PATHS.map(lambda p: "{{ " + p + " }}"), st.sampled_from(["{{", "}}", "₹", "Rs "])),
                         max_size=6).map("".join)


@fuzz(400)
@given(TEMPLATE_TEXT)
def test_templates_give_a_value_or_a_flow_error(text: str) -> None:
    scope = _scope()
    try:
        out = template.resolve({"message": text, "list": [text], "n": 1}, scope)
    except FlowError as exc:
        assert exc.message
    else:
        assert out["n"] == 1
        if not template.is_single_ref(text):
            assert isinstance(out["message"], str)
    try:
        refs = template.references(text)
    except FlowError:
        return
    for ref in refs:
        assert not any(part.startswith("__") for part in ref.split("."))


@fuzz(200)
@given(st.text(max_size=60))
def test_values_holding_template_text_are_not_read_again(value: str) -> None:
    scope = {"trigger_data": {"note": value, "secret": "s3cr3t"}, "business": {"name": "x"}}
    assert template.resolve("{{trigger_data.note}}", scope) == value
    assert template.resolve("[{{trigger_data.note}}]", scope) == f"[{value}]"


# ------------------------------------------------------------------ conditions

NAMES = st.sampled_from(["trigger_data", "business", "send_1", "true", "false", "null", "None", "x", "__import__",
                         "__builtins__", "len", "open", "eval", "getattr", "type", "object", "self", "scope"])
KEYS = st.sampled_from(["payment", "amount", "items", "name", "trap", "nested", "a", "b", "c", "__class__",
                        "__dict__", "__globals__", "mro", "real", "upper", "big", "none", "message_id", "_private"])
NUMBERS = st.one_of(st.integers(-(10**15), 10**15).map(str), st.sampled_from(
    ["9**9**9", "10**100", "2**1000", "1e308", "-1e308", "0", "0.1", "1_000", "0x7f", "1e-400", "99**99"]))
STRINGS = st.one_of(st.text(max_size=12).map(json.dumps), st.sampled_from(
    ['"%s"', '"%0999999999d"', "'a' * 10000", '"{{business.name}}"', "'__class__'", "\"\\x00\""]))
FUNCS = st.sampled_from([*conditions.FUNCTIONS, "getattr", "eval", "exec", "open", "type", "vars", "dir", "id",
                         "__import__", "sorted", "sum", "range"])
BINOPS = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<", "<=", ">", ">=", "==", "!=", "in", "not in",
                          "and", "or", "@", "<<", ">>", "&", "|", "^", "is", "is not"])


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, BINOPS, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["not ", "-", "+", "~"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, KEYS).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(inner, st.one_of(KEYS.map(json.dumps), NUMBERS, inner)).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(FUNCS, st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        inner.map(lambda e: f"(lambda: {e})()"),
        inner.map(lambda e: f"[y for y in {e}]"),
        inner.map(lambda e: f"{e}.__class__.__mro__"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}:]"),
    )


EXPRESSIONS = st.recursive(st.one_of(NAMES, NUMBERS, STRINGS, KEYS.map(lambda k: f"trigger_data.{k}")), _compound,
                           max_leaves=10)


@fuzz(600)
@given(EXPRESSIONS)
def test_conditions_from_a_grammar_of_python_are_judged_quickly(expr: str) -> None:
    started = time.perf_counter()
    try:
        value = conditions.evaluate(expr, _scope())
    except FlowError as exc:
        assert exc.message
    else:
        assert not callable(value) or isinstance(value, Trap), f"{expr!r} gave a callable {value!r}"
        assert not isinstance(value, type), f"{expr!r} gave a class"
    assert time.perf_counter() - started < 2.0, expr


@fuzz(300)
@given(EXPRESSIONS)
def test_what_the_check_accepts_it_reads_only_as_data(expr: str) -> None:
    try:
        conditions.check(expr)
        names = conditions.referenced_names(expr)
    except FlowError:
        return
    for name in names:
        assert not any(part.startswith("__") for part in name.split(".")), (expr, name)
