"""``{{...}}`` variables in step params: find them and fill them in.

A reference is a dotted path of dict keys and list indexes:
``{{trigger_data.payment.amount}}``, ``{{send_1.message_id}}``,
``{{business.name}}``, ``{{trigger_data.invoice.items.0.product}}``
(``items[0]`` is accepted too). Nothing else: no code, no attributes, no
dunder names.

`resolve` walks dicts, lists and strings:

- a string that is exactly one reference keeps the value's type, so
  ``"{{trigger_data.payment.amount}}"`` becomes the number ``1500`` in JSON
  params and a dict stays a dict;
- inside text, values are written for people: money-like fields
  (``amount``, ``total``, ``subtotal``, ``price``…) as ``₹1,500`` with Indian
  grouping (``₹1,75,000``; no second ₹ when the text already has one before
  the reference), other numbers plainly, ``true/false`` as ``yes/no``,
  ``null`` as nothing.

A reference that does not resolve raises `FlowError`; a ``[x not found]``
string is never produced.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.errors import FlowError


class RefMatch:
    """One ``{{…}}`` found in a text, with the parts of `re.Match` the callers use."""

    __slots__ = ("_end", "_inner", "_start", "string")

    def __init__(self, string: str, start: int, end: int) -> None:
        self.string, self._start, self._end = string, start, end
        self._inner = string[start + 2:end - 2].strip()

    def group(self, index: int = 0) -> str:
        return self._inner if index == 1 else self.string[self._start:self._end]

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


class RefPattern:
    """Finds ``{{ ref }}``: what ``re.compile(r"\\{\\{\\s*(.*?)\\s*\\}\\}", re.DOTALL)`` finds, in linear time.

    That regex backtracks on text with many ``{{`` and no ``}}`` after them, or a long run of spaces
    inside an unclosed ``{{`` (10,000 characters of ``{{``: 7 s; a flow's message or an API body can
    hold a megabyte). Here each match costs two `str.find` calls: the leftmost ``{{``, then the first
    ``}}`` after it; the group is what lies between, without the spaces around it.
    """

    pattern = r"\{\{\s*(.*?)\s*\}\}"

    def finditer(self, text: str) -> Iterator[RefMatch]:
        pos = 0
        while True:
            start = text.find("{{", pos)
            if start < 0:
                return
            close = text.find("}}", start + 2)
            if close < 0:
                return
            yield RefMatch(text, start, close + 2)
            pos = close + 2

    def search(self, text: str) -> RefMatch | None:
        return next(self.finditer(text), None)

    def fullmatch(self, text: str) -> RefMatch | None:
        if len(text) >= 4 and text.startswith("{{") and text.endswith("}}"):
            return RefMatch(text, 0, len(text))
        return None

    def sub(self, repl: Callable[[Any], str], text: str) -> str:  # Any: callers annotate re.Match
        out: list[str] = []
        last = 0
        for match in self.finditer(text):
            out += [text[last:match.start()], repl(match)]
            last = match.end()
        out.append(text[last:])
        return "".join(out)


REF_RE = RefPattern()
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
_INDEX_RE = re.compile(r"\[\s*(\d+)\s*\]")

#: Keys whose numbers are rupees.
MONEY_KEYS = frozenset({
    "amount", "total", "subtotal", "price", "unit_price", "tax", "balance", "balance_due",
    "amount_due", "amount_paid", "paid", "due", "outstanding", "fee", "discount", "grand_total",
})
#: Parts of a path under which amounts are not rupees (Razorpay's raw entity counts paise).
_NOT_RUPEES = frozenset({"razorpay"})

_CURRENCY_BEFORE = re.compile(r"(?:₹|\brs\.?|\binr)\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"^\s*(?:rupees\b|rs\b|inr\b|/-)", re.IGNORECASE)


def parse_ref(ref: str) -> list[str]:
    """Split ``"a.b[0].c"`` into ``["a", "b", "0", "c"]``; raise `FlowError` if it is not a plain path."""
    text = _INDEX_RE.sub(r".\1", ref.strip())
    parts = text.split(".")
    for part in parts:
        if not _SEGMENT_RE.match(part):
            raise FlowError(f"{{{{{ref}}}}} is not a variable (use names like trigger_data.payment.amount)")
        if part.startswith("__"):
            raise FlowError(f"{{{{{ref}}}}} uses a name starting with '__', which is not allowed")
    return parts


def references(value: Any) -> list[str]:
    """Every ``{{ref}}`` in ``value`` (dicts, lists and strings, walked), as dotted paths, without repeats."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, str):
            for match in REF_RE.finditer(item):
                dotted = ".".join(parse_ref(match.group(1)))
                if dotted not in found:
                    found.append(dotted)
        elif isinstance(item, dict):
            for sub in item.values():
                walk(sub)
        elif isinstance(item, (list, tuple)):
            for sub in item:
                walk(sub)

    walk(value)
    return found


def is_single_ref(value: Any) -> bool:
    """True when ``value`` is a string made of exactly one ``{{ref}}``."""
    return isinstance(value, str) and _single(value) is not None


def _single(text: str) -> str | None:
    match = REF_RE.fullmatch(text)
    return match.group(1) if match and "{{" not in match.group(1) else None


def lookup(ref: str, scope: dict[str, Any]) -> Any:
    """The value at ``ref`` in ``scope``; raise `FlowError` when any part is missing."""
    parts = parse_ref(ref)
    if parts[0] not in scope:
        raise FlowError(f"{{{{{ref}}}}} cannot be filled in: there is no '{parts[0]}' "
                        "(use trigger_data, business or the id of an earlier step)")
    value: Any = scope[parts[0]]
    for i, part in enumerate(parts[1:], start=1):
        where = ".".join(parts[:i])
        if isinstance(value, dict):
            if part not in value:
                raise FlowError(f"{{{{{ref}}}}} cannot be filled in: {where} has no '{part}'")
            value = value[part]
        elif isinstance(value, (list, tuple)) and part.isdigit():
            index = int(part)
            if index >= len(value):
                raise FlowError(f"{{{{{ref}}}}} cannot be filled in: {where} has only {len(value)} items")
            value = value[index]
        else:
            raise FlowError(f"{{{{{ref}}}}} cannot be filled in: {where} is empty" if value is None
                            else f"{{{{{ref}}}}} cannot be filled in: {where} has no parts")
    return value


def resolve(value: Any, scope: dict[str, Any]) -> Any:
    """Fill in every ``{{ref}}`` in ``value`` from ``scope`` (see the module docstring).

    ``scope`` is ``{"trigger_data": event, "business": {...}, NODE_ID: output, ...}``.
    Dict keys are left as they are; only values are filled in.
    """
    if isinstance(value, str):
        single = _single(value)
        if single is not None:
            return lookup(single, scope)
        return _fill_text(value, scope)
    if isinstance(value, dict):
        return {k: resolve(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v, scope) for v in value)
    return value


def _fill_text(text: str, scope: dict[str, Any]) -> str:
    out: list[str] = []
    last = 0
    for match in REF_RE.finditer(text):
        before = text[last:match.start()]
        out.append(before)
        ref = match.group(1)
        parts = parse_ref(ref)
        value = lookup(ref, scope)
        has_symbol = bool(_CURRENCY_BEFORE.search("".join(out)[-6:])) or bool(
            _CURRENCY_AFTER.match(text[match.end():match.end() + 8])
        )
        try:
            out.append(format_value(value, parts, currency_symbol=not has_symbol))
        except (ValueError, ArithmeticError):  # 1e30 rupees, a 5,000-digit number: not for a message
            raise FlowError(f"{{{{{ref}}}}} holds a number too large to write in a message") from None
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def is_money(path: Sequence[str] | str) -> bool:
    """True when the field at ``path`` holds rupees (``payment.amount``, ``invoice.total``…)."""
    parts = path.split(".") if isinstance(path, str) else list(path)
    if not parts or any(p in _NOT_RUPEES for p in parts):
        return False
    return parts[-1].lower() in MONEY_KEYS


def format_value(value: Any, path: Sequence[str] | str = (), *, currency_symbol: bool = True) -> str:
    """``value`` written for a person, as it should appear inside a message."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        if is_money(path):
            return format_inr(value, symbol=currency_symbol)
        return format_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(
        v is None or isinstance(v, (str, int, float, Decimal, bool)) for v in value
    ):
        return ", ".join(format_value(v) for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)


def format_number(value: int | float | Decimal) -> str:
    """A plain number: no trailing ``.0``, at most two decimals (``2.5``, ``1500``)."""
    if isinstance(value, int):
        return str(value)
    text = f"{Decimal(str(value)):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def indian_grouping(digits: str) -> str:
    """Group an unsigned integer string the Indian way: ``"175000"`` → ``"1,75,000"``."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join(groups) + "," + tail


def format_inr(amount: int | float | Decimal | str, *, symbol: bool = True) -> str:
    """Rupees for people: ``1500`` → ``₹1,500``, ``175000.5`` → ``₹1,75,000.50``."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise FlowError(f"{amount!r} is not an amount") from None
    if not value.is_finite():
        raise FlowError(f"{amount!r} is not an amount")
    sign = "-" if value < 0 else ""
    try:
        value = abs(value).quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than Decimal's precision: no real amount is that large
        raise FlowError(f"{amount!r} is too large to be an amount") from None
    whole, _, fraction = f"{value:f}".partition(".")
    text = indian_grouping(whole)
    if fraction and fraction != "00":
        text += "." + fraction
    return f"{sign}{'₹' if symbol else ''}{text}"
