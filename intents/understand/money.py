"""Rupee amounts: reading them ("₹1,800", "Rs. 500", "500/-", "7.5k", "55 rs each")
and writing them with Indian digit grouping (`format_inr` -> "₹1,75,000").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from intents.understand.numbers import normalize_numbers, parse_number

#: every way of writing "rupees"; `canonical_currency` rewrites them all to "rs"
CURRENCY_WORDS = r"(?:rupees?|rupaye|rupaiye|rupiya|rupya|rupaya|rupay|rps|rs|inr|bucks)"
_CUR_BEFORE = re.compile(r"(₹|\brs\.?|\binr\b|\brupees?\b)\s*(?=\d)", re.IGNORECASE)
_CUR_WORD = re.compile(rf"\b{CURRENCY_WORDS}\b\.?", re.IGNORECASE)
_SLASH_DASH = re.compile(r"(\d)\s*/-")
_RUPEE_SIGN = re.compile(r"₹\s*")
_RS_GLUED = re.compile(r"\b(?:rs|inr)(?=\d)", re.IGNORECASE)

_N = r"\d+(?:\.\d+)?"
#: amount with a currency marker, in text already passed through `canonical_currency`
_MARKED = re.compile(rf"\brs\s*(?P<a>{_N})|(?P<b>{_N})\s*rs\b")
_BARE = re.compile(rf"(?<![\w.]){_N}(?![\w.])")
_AT = re.compile(rf"(?:@|\bat\b|\beach\b|\brate\b)\s*(?:rs\s*)?(?P<a>{_N})")


@dataclass(frozen=True)
class Amount:
    """An amount found in text; `explicit` when written with ₹/Rs/rupees//-."""

    value: Decimal
    start: int
    end: int
    explicit: bool


def canonical_currency(text: str) -> str:
    """Rewrite ₹, Rs., INR, rupees, "/-" ... as the single word "rs" (numbers untouched).

    >>> canonical_currency("₹1800 or Rs.500 or 500/- or 55 rupees")
    'rs 1800 or rs 500 or 500 rs or 55 rs'
    """
    t = _SLASH_DASH.sub(r"\1 rs", text)
    t = _RUPEE_SIGN.sub(" rs ", t)
    t = _CUR_WORD.sub(" rs ", t)
    t = _RS_GLUED.sub("rs ", t)
    t = re.sub(r"\brs(?:\s+rs\b)+", "rs", t)
    t = re.sub(r"[ \t]{2,}", " ", t)
    return re.sub(r" ([,.;:!?])", r"\1", t).strip()


def find_amounts(text: str) -> list[Amount]:
    """Every amount in `text` (numbers normalized first); explicit ones are marked.

    Spans refer to ``canonical_currency(normalize_numbers(text))``.
    """
    t = canonical_currency(normalize_numbers(text)).lower()
    found: list[Amount] = []
    taken: list[tuple[int, int]] = []
    for m in _MARKED.finditer(t):
        g = "a" if m.group("a") else "b"
        found.append(Amount(Decimal(m.group(g)), m.start(g), m.end(g), True))
        taken.append((m.start(g), m.end(g)))
    for m in _BARE.finditer(t):
        if not any(a <= m.start() < b for a, b in taken):
            found.append(Amount(Decimal(m.group(0)), m.start(), m.end(), False))
    return sorted(found, key=lambda a: a.start)


def parse_amount(s: str) -> Decimal | None:
    """Read one amount ("₹1,800", "Rs. 500", "500/-", "7.5k", "at Rs 1,800 each", "four hundred rupees").

    Returns None when there is no single amount in `s`.
    """
    t = normalize_numbers(s.strip())
    t = canonical_currency(t).lower()
    t = re.sub(r"\b(?:at|@|each|only|per\s+\w+|apiece|a piece|total|price|rate|amount|of)\b|@", " ", t)
    t = re.sub(r"\brs\b", " ", t)
    t = t.strip(" .,:;-=")
    return parse_number(t) if t else None


def format_inr(amount: Decimal | int | float | str, symbol: bool = True) -> str:
    """Indian digit grouping with ₹: 175000 -> "₹1,75,000"; 1750.5 -> "₹1,750.50"; ".00" dropped."""
    d = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    d = abs(d)
    whole, _, frac = f"{d:.2f}".partition(".")
    if len(whole) > 3:
        head, tail = whole[:-3], whole[-3:]
        groups: list[str] = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        if head:
            groups.insert(0, head)
        whole = ",".join(groups) + "," + tail
    out = whole if frac == "00" else f"{whole}.{frac}"
    return f"{sign}{'₹' if symbol else ''}{out}"
