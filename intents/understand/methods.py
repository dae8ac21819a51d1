"""Payment methods: words -> (method, detail).

Methods are canonical: cash, upi, bank_transfer, card, cheque. Details name
the app or rail: gpay, phonepe, paytm, bhim, amazonpay, neft, imps, rtgs,
credit, debit. `find_method("got 3000 on PhonePe") == ("upi", "phonepe")`.
"""

from __future__ import annotations

import re

METHODS: tuple[str, ...] = ("cash", "upi", "bank_transfer", "card", "cheque")

# (pattern, method, detail), most specific first
_TABLE: list[tuple[str, str, str | None]] = [
    (r"g\s*-?\s*pay|google\s*pay|gpay|tez", "upi", "gpay"),
    (r"phone\s*-?\s*pe|phone\s*pay|phonepay|fonepe", "upi", "phonepe"),
    (r"pay\s*-?\s*tm|paytm", "upi", "paytm"),
    (r"bhim(?:\s+upi)?", "upi", "bhim"),
    (r"amazon\s*pay", "upi", "amazonpay"),
    (r"cred", "upi", "cred"),
    (r"whatsapp\s*pay", "upi", "whatsapp"),
    (r"upi|u\.p\.i\.?|qr(?:\s*code)?|scanner|scan(?:ned)?", "upi", None),
    (r"neft", "bank_transfer", "neft"),
    (r"imps", "bank_transfer", "imps"),
    (r"rtgs", "bank_transfer", "rtgs"),
    (
        r"net\s*-?\s*banking|bank\s+transfer|bank|account\s+transfer|wire(?:\s+transfer)?|transfer(?:red)?\s+to\s+(?:my\s+)?account|a/c|account",
        "bank_transfer",
        None,
    ),
    (r"credit\s*card|cc", "card", "credit"),
    (r"debit\s*card|atm\s*card|dc", "card", "debit"),
    (r"card|swipe|swiped|pos|card\s+machine", "card", None),
    (r"cheque|check|chq|cheq|cheques|dd|demand\s+draft", "cheque", None),
    (r"cash|nakad|nagad|nakdi|naqad|hand\s+cash|in\s+hand", "cash", None),
    (r"online", "upi", None),
]
_COMPILED: list[tuple[re.Pattern[str], str, str | None]] = [
    (re.compile(rf"\b(?:{p})\b", re.IGNORECASE), m, d) for p, m, d in _TABLE
]
_METHOD_NAMES: dict[str, str] = {
    "cash": "cash",
    "upi": "upi",
    "bank_transfer": "bank_transfer",
    "bank transfer": "bank_transfer",
    "card": "card",
    "cheque": "cheque",
    "check": "cheque",
}


def find_method(text: str) -> tuple[str, str | None] | None:
    """The payment method named in `text` as (method, detail), or None.

    The earliest mention wins; at one position the most specific pattern wins.
    """
    best: tuple[int, int, str, str | None] | None = None
    for rank, (rx, method, detail) in enumerate(_COMPILED):
        m = rx.search(text)
        if m and (best is None or (m.start(), rank) < (best[0], best[1])):
            best = (m.start(), rank, method, detail)
    return (best[2], best[3]) if best else None


def normalize_method(word: str) -> tuple[str, str | None] | None:
    """Canonical (method, detail) for one method word or phrase ("GPay", "bank transfer")."""
    w = word.strip().lower()
    if w in _METHOD_NAMES:
        return _METHOD_NAMES[w], None
    return find_method(w)
