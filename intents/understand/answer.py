"""Replies to the question the bot just asked (`Context.expecting`).

"3 bags cement at 340" after "which items?", "360" after "at what price?",
"Mahesh" after "for whom?", "the second one" after "which Ramesh?". The
engine prefers a clear new command over an answer; see `engine.understand`.
"""

from __future__ import annotations

import re
from decimal import Decimal

from intents.understand.common import result
from intents.understand.items import parse_items
from intents.understand.parties import name_forward, title_name
from intents.understand.prepare import Prepared
from intents.understand.schema import Context, Understanding
from intents.understand.units import UNIT_PATTERN, normalize_unit

_N = r"\d+(?:\.\d+)?"
_ORDINALS: dict[str, int] = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "last": -1,
    "latter": -1,
    "former": 1,
    "pehla": 1,
    "pehle": 1,
    "pahla": 1,
    "pehli": 1,
    "doosra": 2,
    "dusra": 2,
    "doosre": 2,
    "dusre": 2,
    "teesra": 3,
    "tisra": 3,
    "top": 1,
    "upar": 1,
    "neeche": -1,
    "bottom": -1,
}
_CHOICE_FILLER = re.compile(
    r"\b(?:the|one|wala|wali|wale|option|choice|number|no|num|#|i\s+mean|i\s+meant|please|pls|it\s+is|its|"
    r"it's|that|this|is|select|choose|pick|take|go\s+with|first\s+one\s+is|ok|yes|sir|ji)\b|[.,!#]"
)
_PRICE_ONLY = re.compile(
    rf"^(?:(?:it\s+is|its|it's|price|rate|is|at|@|for|make\s+it|charge|rs|only|each|per|a|an|/|=|:|the|"
    rf"price\s+is|rate\s+is|lagao|laga\s+do|hai|sell\s+at|"
    rf"{UNIT_PATTERN})\s*)*(?:rs\s*)?(?P<n>{_N})(?:\s*(?:rs|only|each|per|a|an|/|hai|ka|ki|ke|"
    rf"(?P<u>{UNIT_PATTERN})|piece|apiece|nag))*\s*$",
    re.IGNORECASE,
)
_CUSTOMER_LEAD = re.compile(
    r"^(?:(?:it\s+is|it's|its|this\s+is|for|to|customer\s+is|customer|the\s+customer\s+is|name\s+is|naam|"
    r"customer\s+name\s+is|customer\s+name|party\s+is|party|bill\s+to|invoice\s+to|for\s+customer|mr|mrs|ms|"
    r"is|:|-)\s*)+",
    re.IGNORECASE,
)


def _choice(p: Prepared) -> Understanding | None:
    s = p.low.strip()
    words = _CHOICE_FILLER.sub(" ", s).split()
    if len(words) == 1 and (words[0] in _ORDINALS or words[0].isdigit()):
        n = _ORDINALS.get(words[0]) or int(Decimal(words[0]))
        return result(p, "answer", 0.95, choice=n)
    if re.fullmatch(r"(?:the\s+)?(?:first|1st|second|2nd|third|3rd|last)(?:\s+one)?", s):
        return result(
            p, "answer", 0.95, choice=_ORDINALS[s.split()[-2] if s.endswith("one") else s.split()[-1]]
        )
    if not any(t.is_num for t in p.tokens) and 0 < len(p.tokens) <= 6:
        name = _CUSTOMER_LEAD.sub("", p.text).strip(" .,!")
        name = re.sub(r"\s+(?:wala|wali|wale|one|please|pls|ji)$", "", name, flags=re.I)
        if name and re.fullmatch(r"[^\W\d_][\w .'&-]*", name):
            return result(p, "answer", 0.9, customer=title_name(name), name=title_name(name))
    return None


def _customer(p: Prepared) -> Understanding | None:
    text = _CUSTOMER_LEAD.sub("", p.text).strip(" .,!")
    if not text or len(text.split()) > 6:
        return None
    sub = Prepared(
        raw=p.raw,
        text=text,
        low=text.lower(),
        tokens=[t for t in p.tokens if t.start >= len(p.text) - len(text) - 1],
        mixed_case=p.mixed_case,
    )
    span = name_forward(sub, 0, max_words=6) if sub.tokens else None
    if span is None or span.end < len(sub.tokens) - (
        1 if sub.tokens[-1].low in (",", ".", "ka", "ke", "ki") else 0
    ):
        return None
    return result(p, "answer", 0.95, customer=span.name, phone=p.phone, email=p.email)


def _price(p: Prepared, slot: str) -> Understanding | None:
    m = _PRICE_ONLY.match(p.low.strip())
    if not m:
        return None
    n = Decimal(m.group("n"))
    unit = normalize_unit(m.group("u")) if m.group("u") else None
    if slot == "amount":
        return result(p, "answer", 0.95, amount=n)
    if slot == "quantity":
        return result(p, "answer", 0.95, quantity=n, unit=unit)
    return result(p, "answer", 0.95, price=n, unit=unit)


def _items(p: Prepared) -> Understanding | None:
    seg = re.sub(r"^(?:items?\s*[:\-]?|add|also|plus|and|it\s+is|it's|its)\s+", " ", p.low)
    items = [i for i in parse_items(seg) if i.product]
    if not items:
        return None
    return result(p, "answer", 0.9, items=items)


def try_answer(p: Prepared, ctx: Context) -> Understanding | None:
    """Read the message as an answer to `ctx.expecting`; None when it does not fit."""
    exp = (ctx.expecting or "").lower()
    if exp == "choice":
        return _choice(p)
    if exp in ("customer", "name", "customer_name"):
        return _customer(p)
    if exp in ("unit_price", "price", "amount", "quantity"):
        return _price(p, "amount" if exp == "amount" else "quantity" if exp == "quantity" else "price")
    if exp in ("items", "item", "products"):
        return _items(p)
    return None
