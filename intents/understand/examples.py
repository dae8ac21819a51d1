"""Example sentences for the "I did not understand" reply.

`suggest(text)` picks two or three examples that share the most words (and
word families: "bill" ~ "invoice", "paid" ~ "payment") with what was written.
"""

from __future__ import annotations

import re

EXAMPLES: tuple[str, ...] = (
    "bill Mahesh 8 bags cement at 345",
    "invoice Rekha 3 kg dal @ 110, 2 packets biscuits 20 each",
    "change it to 5 bags",
    "cancel the last bill",
    "send the invoice to Mahesh",
    "payment link for INV-0002",
    "Mahesh paid 700 in cash",
    "got 3000 from Rekha on PhonePe",
    "who hasn't paid me?",
    "what did I collect this week?",
    "sales this month",
    "add 25 bags of cement",
    "sold 2 fans",
    "I have 8 geysers in stock",
    "cement price 355",
    "tell me when rice drops below 20 kg",
    "how many fans are left?",
    "anything low on stock?",
    "new customer: Rekha Nair, 9900112233",
    "Rekha's email is rekha@example.com",
    "my GSTIN is 27AAPFU0939F1ZV",
    "remind everyone who owes me",
    "when someone pays me, WhatsApp them a thank-you",
    "every day at 8pm send me today's sales",
    "pause the payment automation",
    "undo",
)

# word -> family, so "bill" finds invoice examples and "paid" finds payment ones
_FAMILIES: dict[str, str] = {}
for _family, _words in {
    "invoice": "invoice invoices bill bills billing receipt challan estimate bana banao",
    "pay": "paid pay pays payment payments received got diye bheje collect collected collection cash upi "
    "gpay phonepe paytm",
    "owe": "owe owes unpaid pending outstanding due dues baki baaki udhar",
    "sales": "sales sale sold revenue business bikri",
    "stock": "stock inventory add added left remaining have geysers fans cement rice bags kg",
    "price": "price rate cost mrp",
    "low": "low running out threshold below alert warn notify",
    "customer": "customer client party phone number email mobile new",
    "profile": "gstin gst shop business address state name",
    "remind": "remind reminder reminders follow",
    "flow": "when whenever every daily automation automations flow flows schedule pause stop resume",
    "undo": "undo revert mistake wrong",
    "edit": "change make correct should instead",
    "cancel": "cancel delete void remove",
    "send": "send share whatsapp link",
}.items():
    for _w in _words.split():
        _FAMILIES.setdefault(_w, _family)

_WORD = re.compile(r"[a-z]+")


def _features(text: str) -> set[str]:
    words = set(_WORD.findall(text.lower()))
    return words | {"#" + _FAMILIES[w] for w in words if w in _FAMILIES}


_EXAMPLE_FEATURES: tuple[set[str], ...] = tuple(_features(e) for e in EXAMPLES)
_DEFAULTS: tuple[str, ...] = (EXAMPLES[0], EXAMPLES[6], EXAMPLES[11])
_STOP = frozenset({"the", "a", "an", "to", "of", "for", "me", "my", "i", "is", "at", "on", "in", "it", "and"})


def suggest(text: str, k: int = 3) -> list[str]:
    """Two or three example sentences close to `text` (never empty)."""
    k = max(2, min(k, 3))
    feats = _features(text or "") - _STOP
    scored = []
    for i, ef in enumerate(_EXAMPLE_FEATURES):
        overlap = feats & ef
        score = sum(2 if f.startswith("#") else 1 for f in overlap)
        if score:
            scored.append((-score, i))
    scored.sort()
    picked = [EXAMPLES[i] for _, i in scored[:k]]
    for d in _DEFAULTS:
        if len(picked) >= k:
            break
        if d not in picked:
            picked.append(d)
    return picked
