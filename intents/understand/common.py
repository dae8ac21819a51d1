"""Small helpers every detector uses: building results, periods, amounts."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from intents.understand.prepare import Prepared
from intents.understand.schema import Understanding

_PERIODS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:yesterday|yday|kal ka|kal ki|kal ke|pichhle din)\b"), "yesterday"),
    (
        re.compile(
            r"\b(?:today|today's|todays|aaj|aaj ka|aaj ki|aaj ke|tonight|this morning|so far today|tdy)\b"
        ),
        "today",
    ),
    (
        re.compile(
            r"\b(?:this week|week|weekly|last 7 days|past 7 days|7 days|is hafte|iss hafte|hafte|hafta|"
            r"saptah)\b"
        ),
        "week",
    ),
    (
        re.compile(
            r"\b(?:this month|month|monthly|last 30 days|30 days|is mahine|iss mahine|mahine|mahina)\b"
        ),
        "month",
    ),
    (re.compile(r"\b(?:this year|year|yearly|annual|annually|financial year|fy|is saal|saal)\b"), "year"),
)
_EXPLICIT = re.compile(r"\brs\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*rs\b")
_BARE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")


def result(p: Prepared, intent: str, confidence: float = 1.0, **slots: Any) -> Understanding:
    """An `Understanding` for prepared message `p`, dropping None slots."""
    clean = {k: v for k, v in slots.items() if v is not None}
    return Understanding(intent=intent, confidence=confidence, text=p.raw, **clean)  # type: ignore[arg-type]


def find_period(low: str) -> str | None:
    """today | yesterday | week | month | year, from words like "this week", "aaj"."""
    for rx, name in _PERIODS:
        if rx.search(low):
            return name
    return None


def first_amount(text: str) -> Decimal | None:
    """The first rupee amount in prepared text: a marked one ("rs 500") first, else the first bare number."""
    low = text.lower()
    m = _EXPLICIT.search(low)
    if m:
        return Decimal(m.group(1) or m.group(2))
    m = _BARE.search(low)
    return Decimal(m.group(1)) if m else None


def numbers_in(text: str) -> list[Decimal]:
    """Every plain number in prepared text."""
    return [Decimal(m.group(1)) for m in _BARE.finditer(text)]


def search(rx: re.Pattern[str], p: Prepared) -> re.Match[str] | None:
    """`rx.search` over the lowercase prepared text."""
    return rx.search(p.low)


def compile_i(pattern: str) -> re.Pattern[str]:
    """Compile case-insensitively (the rules read lowercase text, but names keep their case)."""
    return re.compile(pattern, re.IGNORECASE)
