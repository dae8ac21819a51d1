"""Invoices: create, correct, cancel, show, list, send, and payment links."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from intents.understand.common import compile_i, find_period, result
from intents.understand.items import clean_product, parse_chunk, parse_items
from intents.understand.lexicon import words
from intents.understand.names import _HONORIFICS, match_product
from intents.understand.parties import (
    NameSpan,
    customer_anywhere,
    known_customer,
    name_backward,
    name_forward,
    title_name,
    trim_to_known,
)
from intents.understand.prepare import Prepared, prepare
from intents.understand.schema import Context, Item, Understanding
from intents.understand.units import normalize_unit

_INV = r"(?:invoice|bill|receipt|challan|estimate|inv)"
_INV_RX = compile_i(rf"\b{_INV}\b")
_INVS_RX = compile_i(r"\b(?:invoices|bills|receipts|challans|estimates)\b")
_HINDI_MAKE = (
    r"(?:bana\s+do|banao|bana\s+de|bana\s+dijiye|bana\s+dena|banana\s+hai|banana|bana|kaat\s+do|kaato|"
    r"kaat\s+de|kaat|likh\s+do|likho|chahiye|karo|kar\s+do|bhai)"
)
_COMMAND = compile_i(
    rf"(?:\b(?:please\s+)?(?:create|make|generate|raise|prepare|issue|cut|write|do|start|open|need|want)\s+)?"
    rf"(?:\b(?:a|an|the|one|new|gst|tax|my|fresh|another)\s+)*\b{_INV}\b(?:\s+{_HINDI_MAKE}\b)*"
)
_CREATE_SIGNAL = compile_i(
    rf"^(?:(?:ok|okay|so|and|now|also)\s+)*(?:(?:create|make|generate|raise|prepare|issue|cut|write|do|start|"
    rf"need|want)\s+)?(?:(?:a|an|the|one|new|gst|tax|fresh|another)\s+)*{_INV}\b|"
    rf"\b{_INV}\s+{_HINDI_MAKE}\b|\b(?:ka|ke|ki)\s+(?:naam\s+(?:pe\s+|par\s+|se\s+)?)?(?:naya\s+|new\s+)?{_INV}\b|"
    rf"\b(?:create|make|generate|raise|prepare|issue|cut)\s+(?:a\s+|an\s+|the\s+|new\s+|gst\s+)*{_INV}\b|"
    rf"\b{_INV}\s+(?:to|for)\b|\bbill\s+(?=[A-Za-z])|^new\s+{_INV}\b"
)
_SOLD_TO = compile_i(r"\b(?:sold|sell|gave|supplied|delivered|bech[a-z]*)\b.+\bto\s+[a-z]")
_SERVICE_CHARGE = compile_i(r"^charge\s+")
_CHARGE_FULL = compile_i(
    r"^charge\s+[a-z][a-z .'&-]*?\s+(?:rs\s*)?(?P<n>\d+(?:\.\d+)?)(?:\s*rs)?\s+(?:for|towards)\s+"
    r"(?P<what>[a-z][a-z '&-]*)$|"
    r"^charge\s+[a-z][a-z .'&-]*?\s+(?:for|towards)\s+(?P<what2>[a-z][a-z '&-]*?)\s+(?:rs\s*)?"
    r"(?P<n2>\d+(?:\.\d+)?)(?:\s*rs)?$"
)

_EDIT_LEAD = (
    r"^(?:(?:no|nahi|nope|sorry|oops|actually|wait|correction|galti|galat\s+hai|galat|wrong|arre|arey|oh|hmm|ok|okay|"
    r"sir|bhai|i\s+meant?|i\s+mean|my\s+bad|mistake)\b[\s,!:.-]*)*"
)
_FIELD = (
    r"(?P<field>quantity|qty|price|rate|amount|unit\s+price|customer\s+name|customer|name|product|item|unit|"
    r"total|count|number)"
)
_E_MAKE_IT = compile_i(
    _EDIT_LEAD + r"(?:please\s+)?(?:change|make|update|correct|set|modify|edit|fix|turn|convert|kar\s+do)\s+"
    r"(?:it|that|this|the\s+(?:last\s+)?(?:one|invoice|bill|entry|item|order|line|quantity|qty))\s+"
    r"(?:to|as|into|=)?\s*(?P<v>.+)$"
)
_E_FIELD = compile_i(
    _EDIT_LEAD + r"(?:please\s+)?(?:change|update|correct|set|modify|edit|fix|make)\s+(?:the\s+)?"
    r"(?:(?P<prod>[a-z][a-z ]*?)(?:\s+'s)?\s+)?" + _FIELD + r"\s+(?:to|as|=|:|into)?\s*(?P<v>.+)$"
)
_E_SHOULD = compile_i(
    _EDIT_LEAD
    + r"(?:the\s+)?(?:(?P<prod>[a-z][a-z ]*?)\s+)?(?P<field>quantity|qty|price|rate|amount|unit\s+price|"
    r"customer|product|item|it|that|this|total|count)\s+(?:should\s+(?:be|have\s+been)|must\s+be|needs?\s+to\s+be|"
    r"was\s+supposed\s+to\s+be|is\s+actually|was\s+actually|hona\s+chahiye|ho\s+ga)\s+(?P<v>.+)$"
)
# one line of the invoice by its product: "make dal 4 kg", "change dal to 4 kg", "dal ko 4 kg kar do",
# "sugar should be 3 kg"
_E_PROD_TO = compile_i(
    _EDIT_LEAD + r"(?:please\s+)?(?P<verb>change|make|update|correct|set|modify|edit|fix)\s+(?:the\s+)?"
    r"(?P<prod>[a-z][a-z ]*?)\s+(?P<to>(?:to|as|into|=)\s*)?(?P<v>\d.*?)(?:\s+(?:instead|only|please|pls))?$"
)
_E_PROD_SHOULD = compile_i(
    _EDIT_LEAD + r"(?:the\s+)?(?P<prod>[a-z][a-z ]*?)\s+(?:should\s+(?:be|have\s+been)|must\s+be|needs?\s+to\s+be|"
    r"was\s+supposed\s+to\s+be)\s+(?P<v>\d.*)$"
)
_E_PROD_KAR = compile_i(
    _EDIT_LEAD + r"(?:the\s+)?(?P<prod>[a-z][a-z ]*?)\s+(?P<part>(?:ko|ka|ki|ke)\s+)?(?:(?:quantity|qty)\s+)?"
    r"(?P<v>\d.*?)(?<!\bkam)(?<!zyada)(?<!jyada)\s+(?:kar\s+do|karo|kardo|kar\s+dijiye|kar\s+de|kar\s+dena|"
    r"hona\s+chahiye)$"  # "5 bags kam karo" takes away, it does not set
)
_BY_PRODUCT = (_E_PROD_TO, _E_PROD_SHOULD, _E_PROD_KAR)
#: words that name no line of an invoice ("make payment 500", "isme 2 add karo")
_NOT_A_LINE = words(
    "payment payments amount total stock inventory limit threshold reminder reminders time number phone name "
    "address customer balance due dues advance discount gst tax isme usme ismein usmein mujhe hume humein isko "
    "usko inko unko"
)
_E_LEAD_IS = compile_i(
    r"^(?:actually|sorry|no|oops|correction|wait|galti|i\s+meant?)[\s,!:.-]+(?:the\s+)?"
    r"(?P<field>price|rate|quantity|qty|unit\s+price)\s+(?:is|was|=|should\s+be|hai)\s*(?P<v>\d.*)$"
)
_E_IS = compile_i(r"^(?:the\s+)?(?P<field>quantity|qty|unit\s+price)\s+(?:is|=|:)\s*(?P<v>.+)$")
_E_NOT = compile_i(
    _EDIT_LEAD + r"(?:it\s+is\s+|it\s+was\s+|make\s+it\s+|it\s+should\s+be\s+|should\s+be\s+)?"
    r"(?P<v>\d[^,]*?)\s*,?\s*(?:and\s+)?not\s+\d.*$"
)
_E_NOT2 = compile_i(_EDIT_LEAD + r"not\s+\d[^,]*?\s*,?\s*(?:but\s+|it\s+is\s+|make\s+it\s+)?(?P<v>\d.*)$")
_E_ACTUALLY = compile_i(
    r"^(?:actually|sorry|oops|correction|no|galti|galat(?:\s+hai)?|wrong|i\s+meant?|my\s+bad|wait)[\s,!:.-]+(?:it\s+is\s+|it\s+was\s+|"
    r"make\s+it\s+|it\s+should\s+be\s+|should\s+be\s+|change\s+it\s+to\s+)?(?P<v>\d.*)$"
)
_E_ADD = compile_i(
    r"^(?:also\s+|and\s+|plus\s+)?(?:add|include|put)\s+(?P<items>.+?)\s+(?:to|in|into|on)\s+(?:the\s+|that\s+|this\s+|"
    r"last\s+|same\s+|his\s+|her\s+|my\s+|previous\s+|(?P<cust>[a-z]+)\s+'s\s+)*(?:last\s+)?(?:invoice|bill|order)\b"
)
# "add 2 kg sugar at 45 to it": a named product can't be "it", so "it" is the invoice being talked about
_E_ADD_IT = compile_i(
    r"^(?:also\s+|and\s+|plus\s+)?(?:add|include|put)\s+(?P<items>.+?)\s+(?:to|in|into|on)\s+(?:it|that|this|"
    r"the\s+same(?:\s+one)?|same\s+one|that\s+one|this\s+one|the\s+last\s+one)(?:\s+(?:too|also|as\s+well))?$"
)
_HERE = r"(?:is|us)\s*(?:(?:bill|invoice)\s+)?(?:me|mein|mai|main)"
# "isme 2 kg sugar 45 wala bhi add karo", "2 kg sugar bhi usme jod do"
_E_ADD_HINDI = compile_i(
    rf"^(?:(?P<pre>{_HERE})\s+)?(?P<items>.+?)\s+(?:bhi\s+)?(?:(?P<post>{_HERE})\s+)?(?:bhi\s+)?"
    r"(?:add|jod|jodo|daal|dalo|daalo|likh|likho)(?:\s+(?:kar\s+do|karo|kardo|do|dena|de|dijiye))?$"
)
_E_ADD2 = compile_i(r"^(?:also|plus|and\s+also)\s+(?:add\s+)?(?P<items>\d.+)$")
_E_REMOVE = compile_i(
    r"^(?:remove|delete|take\s+out|drop)\s+(?:the\s+)?(?P<items>.+?)\s+(?:from)\s+(?:(?:the\s+|that\s+|this\s+|last\s+|"
    r"same\s+)*(?:invoice|bill|order)\b|(?:it|that|this)$)|"
    rf"^{_HERE}\s+se\s+(?P<items2>.+?)\s+(?:hata|hatao|nikal|nikalo|nikaal)(?:\s+(?:do|dena|de|dijiye))?$|"
    # a line named with no number: "remove the sand", "delete sand line", "sand hata do"
    r"^(?:remove|delete|drop)\s+(?:the\s+)?(?P<items3>[a-z][a-z ]*?)(?:\s+(?:line|item|entry))?$|"
    r"^(?P<items4>[a-z][a-z ]*?)\s+(?:hata|hatao|nikal|nikalo|nikaal)(?:\s+(?:do|dena|de|dijiye))?$"
)
#: what "remove X" names when X is no line of a bill
_NOT_REMOVABLE = frozenset(
    "it that this them all everything last one customer customers flow flows automation automations reminder "
    "reminders invoice invoices bill bills payment payments stock product products number phone email gst "
    "gstin address link".split()
)
# "add 18% GST", "apply gst 12%", "18% gst laga do": GST on the invoice just made (prepare has cut the rate
# and "gst" out: what is left is the verb, if any)
_E_GST = compile_i(
    r"^(?:please\s+)?(?:add|apply|include|put|charge|also|plus|lagao|laga\s+do|lagado|laga|add\s+karo|"
    r"add\s+kar\s+do|jodo|jod\s+do)?(?:\s*(?:to|on|in)\s+(?:it|that|this|the\s+(?:invoice|bill)))?$"
)
_E_REPLACE = compile_i(
    r"^(?:replace|swap|change)\s+(?P<old>[a-z][a-z ]*?)\s+(?:with|to|for|by)\s+(?P<new>[a-z][a-z ]*)$"
)
_E_CUST = compile_i(
    _EDIT_LEAD + r"(?:it\s+(?:is|was)\s+|that\s+(?:is|was)\s+|the\s+(?:invoice|bill)\s+(?:is|was)\s+|"
    r"wrong\s+customer\s*,?\s*(?:it\s+is\s+)?|this\s+(?:is|was)\s+)(?:for\s+|to\s+)?(?P<name>[a-z][a-z ]*?)"
    r"(?:\s*,?\s*not\s+[a-z ]+)?$"
)
_CANCEL = compile_i(
    r"\b(?:cancel|cancell?ed|void|scrap|delete|discard|rad|radd|remove|nikal\s+do|hata\s+do|hatao)\b"
)
_CANCEL_TARGET = compile_i(rf"\b(?:{_INV}|that|it|this|last|previous|latest|wala|wali|entry|one)\b")
_SEND = compile_i(
    r"\b(?:send|share|forward|resend|re-send|whatsapp|bhej|bhejo|bhej\s+do|bhejdo|bhejna|mail|email)\b"
)
_SEND_TARGET = compile_i(rf"\b(?:{_INV}|invoices|bills|pdf|it|that|this|copy)\b")
_SHOW = compile_i(
    r"\b(?:show|view|see|open|display|get|check|print|details|detail|pdf|find|dikhao|dikha\s+do|batao|what\s+is\s+in|"
    r"what\s+was|what\s+is)\b"
)
_LIST = compile_i(rf"\b(?:list|all|recent|history|previous|past|last\s+\d+|how\s+many)\b.*\b{_INV}s?\b")
_LINK = compile_i(
    r"\b(?:payment|pay|razorpay|upi|online\s+payment|paying)\s*-?\s*links?\b|\blink\s+(?:to|for)\s+(?:pay|payment)\b|"
    r"\bpaylink\b|\bpay\s+link\b"
)


def _items_missing_price(items: list[Item], ctx: Context) -> bool:
    """True when an item has no price and the catalogue does not know one."""
    priced = {p.name: p for p in ctx.products if p.price is not None}
    for it in items:
        if it.unit_price is None:
            hits = match_product(it.product, list(priced)) if priced else []
            if not hits:
                return True
    return False


def _cut_tokens(p: Prepared, spans: list[tuple[int, int]]) -> str:
    """Prepared text with token ranges removed."""
    keep = []
    pos = 0
    for i, j in sorted(spans):
        if i >= j:
            continue
        keep.append(p.text[pos : p.tokens[i].start])
        pos = p.tokens[j - 1].end
    keep.append(p.text[pos:])
    return " ".join(keep)


_AFTER_INVOICE_SKIP = frozenset(
    {
        "to",
        "for",
        "of",
        "banao",
        "bana",
        "do",
        "kar",
        "please",
        "-",
        ":",
        "customer",
        "client",
        "party",
        "name",
        "naam",
        ",",
        "mr",
        "mrs",
        "ms",
        ".",
    }
)


def _after_quantity(p: Prepared, span: NameSpan) -> bool:
    """ "10 kg atta ka bill": words right after a quantity are a product, not a customer."""
    k = span.start - 1
    if k < 0:
        return False
    prev = p.tokens[k]
    return prev.is_num or normalize_unit(prev.low) is not None


def _leading_name(p: Prepared, ctx: Context) -> NameSpan | None:
    """A name that opens the message before its items: "Vikram - 3 pcs switch board 250 each", "mahesh 8 bags".

    It counts when it is set off by ":", "-" or ",", followed straight by a number, capitalized in a message
    that uses capitals, or a known customer.
    """
    if not p.tokens or not p.tokens[0].is_word:
        return None
    span = name_forward(p, 0)
    if span is None:
        return None
    span = trim_to_known(span, p, ctx.customers)
    known = known_customer(p, ctx.customers)
    if (p.mixed_case and p.tokens[0].text[:1].isupper()) or (known and known.start == 0):
        return span
    nxt = p.tokens[span.end] if span.end < len(p.tokens) else None
    return span if nxt is not None and (nxt.low in (":", ",", "-") or nxt.is_num) else None


def _invoice_customer(p: Prepared, ctx: Context) -> NameSpan | None:
    """The customer of a new invoice, tried in the order owners write it."""
    toks = p.tokens
    lows = [t.low for t in toks]
    for k, w in enumerate(lows):
        if w in ("liye", "naam", "naame") and k >= 2 and lows[k - 1] in ("ke", "ki", "ka"):  # "Salim ke naam"
            span = name_backward(p, k - 1)
            if span:
                return trim_to_known(span, p, ctx.customers)
    inv_idx = [
        k for k, w in enumerate(lows) if w in ("invoice", "bill", "receipt", "challan", "estimate", "inv")
    ]
    for k in inv_idx:
        j = k + 1
        while j < len(toks) and lows[j] in _AFTER_INVOICE_SKIP:
            j += 1
        span = name_forward(p, j)
        if span:
            return trim_to_known(span, p, ctx.customers)
        # "Rohit ka invoice", "Mahesh ke liye bill", "Mahesh's bill"
        b = k - 1
        while b >= 0 and lows[b] in ("naya", "new", "a", "an", "the"):
            b -= 1
        if b >= 0 and lows[b] in ("ka", "ke", "ki", "'s", "liye", "ko"):
            a = b - 1 if lows[b] != "liye" else b - 2
            span = name_backward(p, a + 1)
            if span and not _after_quantity(p, span):
                return trim_to_known(span, p, ctx.customers)
    lead = _leading_name(p, ctx)
    if lead is not None:
        return lead
    for k, w in enumerate(lows):
        if w in ("for", "to") and k + 1 < len(toks) and not toks[k + 1].is_num:
            span = name_forward(p, k + 1)
            if span:
                return trim_to_known(span, p, ctx.customers)
    for k, w in enumerate(lows):
        if w in ("ka", "ke", "ki", "'s", "ko") and k > 0:
            span = name_backward(p, k)
            if span and not _after_quantity(p, span):
                return trim_to_known(span, p, ctx.customers)
    return known_customer(p, ctx.customers)


def _segment_after(p: Prepared, span: NameSpan | None) -> str:
    """The item part of an invoice message: customer and command words cut out."""
    cuts: list[tuple[int, int]] = []
    toks = p.tokens
    if span:
        a, b = span.start, span.end
        while a > 0 and (toks[a - 1].low in _HONORIFICS or toks[a - 1].low == "."):
            a -= 1
        if a > 0 and toks[a - 1].low in ("for", "to"):
            a -= 1
        while b < len(toks) and toks[b].low in ("ka", "ke", "ki", "'s", "liye", "ko", "naam", "naame", "pe", "par"):
            b += 1
        cuts.append((a, b))
    text = _cut_tokens(p, cuts)
    text = _COMMAND.sub(" ", text)
    text = re.sub(
        r"\b(?:sold|sell|gave|supplied|delivered|charge|please|kindly|with|also)\b|^\W*ek\b", " ", text, flags=re.I
    )  # "ek invoice banao …": "ek" is "an", no item
    return text


def _steal_back(p: Prepared, span: NameSpan, items: list[Item], ctx: Context) -> tuple[NameSpan, list[Item]]:
    """In "bill meena cement 8 bags" a lowercase name run that swallowed the product gives it back."""
    if not items or span.end - span.start < 2:
        return span, items
    first = items[0]
    if first.product and not (normalize_unit(first.product) and first.unit is None):
        return span, items
    if known_customer(p, ctx.customers) and " ".join(t.low for t in p.tokens[span.start : span.end]) in {
        c.lower() for c in ctx.customers
    }:
        return span, items
    k = span.end - 1
    new_span = NameSpan(title_name(" ".join(t.text for t in p.tokens[span.start : k])), span.start, k)
    seg = p.tokens[k].low + " " + _segment_after(p, new_span).split(p.tokens[k].text, 1)[-1]
    new_items = [i for i in parse_items(seg) if i.product or i.quantity is not None]
    return new_span, new_items


def detect_create(p: Prepared, ctx: Context) -> Understanding | None:
    """A new invoice: "bill Mahesh 8 bags cement at 345", "Rohit ka invoice bana do: ..."."""
    low = p.low
    sold_to = _SOLD_TO.search(low)
    if not (_CREATE_SIGNAL.search(low) or sold_to or _SERVICE_CHARGE.search(low)):
        return None
    if _INVS_RX.search(low) and not re.search(r"\d", low):
        return None  # "show my bills"
    charge = _CHARGE_FULL.search(p.low)
    if charge:
        cspan = name_forward(p, 1)
        if cspan:
            what = clean_product((charge.group("what") or charge.group("what2")).split())
            if what:
                price = Decimal(charge.group("n") or charge.group("n2"))
                item = Item(product=what, quantity=Decimal(1), unit_price=price)
                return result(
                    p, "create_invoice", 0.9, customer=cspan.name, items=[item], gst_rate=p.gst_rate
                )
    span = _invoice_customer(p, ctx)
    if sold_to and span is None:
        m = re.search(r"\bto\s+", p.text, re.I)
        if m:
            k = next((i for i, t in enumerate(p.tokens) if t.start >= m.end()), None)
            span = name_forward(p, k) if k is not None else None
    if _SERVICE_CHARGE.search(low) and span is None:
        span = name_forward(p, 1)
    seg = _segment_after(p, span)
    items = [i for i in parse_items(seg) if i.product or i.quantity is not None]
    if span:
        span, items = _steal_back(p, span, items, ctx)
    items = [i for i in items if i.product]
    customer = span.name if span else None
    missing = []
    if customer is None:
        missing.append("customer")
    if not items:
        missing.append("items")
    elif _items_missing_price(items, ctx):
        missing.append("unit_price")
    if customer is None and not items and not _INV_RX.search(low):
        return None
    return result(
        p,
        "create_invoice",
        0.95 if customer or items else 0.7,
        customer=customer,
        items=items,
        gst_rate=p.gst_rate,
        missing=missing,
    )


def detect_bare_items(p: Prepared, ctx: Context) -> Understanding | None:
    """No verb at all: "Mahesh 8 bags cement 345" or "3 bags cement at 340" (an invoice, weakly)."""
    low = p.low
    if not any(t.is_num for t in p.tokens):
        return None
    span = _leading_name(p, ctx)
    seg = _segment_after(p, span)
    items = [i for i in parse_items(seg) if i.product or i.quantity is not None]
    if span:
        span, items = _steal_back(p, span, items, ctx)
    items = [i for i in items if i.product and i.quantity is not None]
    if not items or not all(i.unit_price is not None for i in items):
        return None
    if re.search(r"\b(?:stock|inventory|threshold|alert|notify|price|rate)\b", low):
        return None
    customer = span.name if span else None
    missing = [] if customer else ["customer"]
    return result(
        p,
        "create_invoice",
        0.6 if customer else 0.5,
        customer=customer,
        items=items,
        gst_rate=p.gst_rate,
        missing=missing,
    )


def _num(v: str) -> Decimal | None:
    m = re.search(r"\d+(?:\.\d+)?", v)
    return Decimal(m.group(0)) if m else None


def _edit_value(
    p: Prepared, v: str, field: str | None, ctx: Context
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(changes, extra slots) for one edit value such as "5 bags", "360 per bag", "Rekha"."""
    v = re.sub(r"\s*,?\s*(?:and\s+|but\s+)?not\s+.*$", "", v, flags=re.IGNORECASE)
    v = re.sub(r"\b(?:only|please|pls|instead|na|hai|kar\s+do|karo)\b", " ", v.strip(), flags=re.I).strip(
        " ,."
    )
    f = (field or "").lower().replace("  ", " ")
    changes: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if f in ("price", "rate", "amount", "unit price", "total"):
        d = parse_chunk(v, unit_as_product=False)
        n = d.unit_price if d.unit_price is not None else _num(v)
        if n is not None:
            changes["unit_price"] = n
            u = d.price_unit or d.unit
            if u:
                extra["unit"] = u
        return changes, extra
    if f in ("customer", "customer name", "name"):
        changes["customer"] = title_name(re.sub(r"^(?:to|for)\s+", "", v, flags=re.I))
        return changes, extra
    if f in ("product", "item"):
        prod = clean_product(v.lower().split())
        if prod:
            changes["product"] = prod
        return changes, extra
    if f == "unit":
        from intents.understand.units import normalize_unit

        u = normalize_unit(v.split()[-1]) if v.split() else None
        if u:
            changes["unit"] = u
        return changes, extra
    d = parse_chunk(v, unit_as_product=False)
    if f in ("quantity", "qty", "count", "number"):
        if d.quantity is not None:
            changes["quantity"] = d.quantity
            if d.unit:
                changes["unit"] = d.unit
        return changes, extra
    if d.quantity is None and d.unit_price is None:
        words = re.sub(r"^(?:to|for)\s+", "", v, flags=re.I)
        for_name = re.match(r"^(?:for|to)\s+", v, re.I)
        if (
            for_name
            or (
                ctx.customers
                and any(
                    words.lower() == c.lower() or words.lower() == c.lower().split()[0] for c in ctx.customers
                )
            )
            or (words[:1].isupper() and p.mixed_case)
        ):
            changes["customer"] = title_name(words)
        elif d.product:
            changes["product"] = d.product
        return changes, extra
    if d.unit_price is not None and d.quantity is None:
        changes["unit_price"] = d.unit_price
        if d.price_unit:
            extra["unit"] = d.price_unit
        return changes, extra
    if d.unit_price is not None and d.quantity is not None:
        changes["quantity"] = d.quantity
        changes["unit_price"] = d.unit_price
        if d.unit:
            changes["unit"] = d.unit
        if d.product:
            extra["product"] = d.product
        return changes, extra
    # a bare number: small ones are counts, big ones are prices ("make it 360")
    if d.quantity is not None:
        if d.unit or d.quantity < 100 or d.product:
            changes["quantity"] = d.quantity
            if d.unit:
                changes["unit"] = d.unit
        else:
            changes["unit_price"] = d.quantity
            extra["_weak"] = True
        if d.product:
            extra["product"] = d.product
    return changes, extra


def detect_edit(p: Prepared, ctx: Context) -> Understanding | None:
    """A correction to the last invoice ("change it to 5 bags", "price should be 360", "make it three")."""
    low = p.low
    if re.search(r"\b(?:automation|flow|workflow|gstin|email|phone|number\s+to|address|threshold)\b", low):
        return None
    m = _E_ADD.search(low) or _E_ADD2.search(low)
    # "add 2 kg sugar at 45 to it": "it" is the bill when the item comes priced ("add 2 fans to it" may be stock)
    pronoun = None if m else _E_ADD_IT.search(low) or _E_ADD_HINDI.search(low)
    if pronoun is not None and (pronoun.re is _E_ADD_IT or pronoun.group("pre") or pronoun.group("post")):
        m = pronoun
    if m:
        items = [i for i in parse_items(m.group("items")) if i.product]
        if m is pronoun and any(i.unit_price is None for i in items):
            items = []
        if items:
            cust = m.groupdict().get("cust")
            return result(
                p,
                "edit_invoice",
                0.9,
                items=items,
                changes={"add_items": items},
                customer=title_name(cust) if cust else None,
                invoice_number=p.invoice_number,
            )
    if p.gst_rate is not None and _E_GST.search(low):
        return result(p, "edit_invoice", 0.85, changes={"gst_rate": p.gst_rate}, gst_rate=p.gst_rate,
                      invoice_number=p.invoice_number)
    m = _E_REMOVE.search(low)
    if m:
        listed = m.group("items") or m.group("items2") or m.group("items3") or m.group("items4")
        names = [clean_product(c.split()) for c in re.split(r",|\band\b|\baur\b", listed)]
        names = [n for n in names if n] if not set(listed.split()) & _NOT_REMOVABLE else []
        if names:
            return result(
                p,
                "edit_invoice",
                0.85,
                changes={"remove_items": names},
                product=names[0],
                invoice_number=p.invoice_number,
            )
    m = _E_CUST.search(low)
    if m and (re.search(r"\b(?:for|to)\b", low) or "customer" in low):
        name = m.group("name").strip()
        if name and name not in (
            "it",
            "that",
            "this",
            "wrong",
            "right",
            "correct",
            "done",
            "ok",
            "fine",
            "good",
        ):
            start = p.low.find(name)
            written = p.text[start : start + len(name)] if start >= 0 else name
            return result(p, "edit_invoice", 0.85, changes={"customer": title_name(written)})
    for rx in (_E_MAKE_IT, _E_FIELD, _E_SHOULD, _E_LEAD_IS, _E_NOT, _E_NOT2, _E_ACTUALLY, _E_IS, *_BY_PRODUCT):
        m = rx.search(low)
        if not m:
            continue
        gd = m.groupdict()
        field = gd.get("field")
        if field in ("it", "that", "this"):
            field = None
        if field in ("name",) and re.search(r"\b(?:shop|business|store|company|my|our)\b", low):
            return None
        v = gd["v"]
        if rx in _BY_PRODUCT:
            if re.search(r"\b(?:stock|inventory|price|rate|threshold|customer)\b", low):
                return None
            if _INV_RX.search(gd["prod"]) or known_customer(p, ctx.customers) or set(gd["prod"].split()) & _NOT_A_LINE:
                continue  # "make bill Mahesh 4 bags cement" is a new invoice
            if rx is _E_PROD_TO and gd["verb"].lower() == "set" and not gd["to"]:
                continue  # "set cement 20 bags" may be the stock; "set cement to 20 bags" is this bill
            lines = [i for i in parse_items(f"{gd['prod']} {v}") if i.product and i.quantity is not None]
            if len(lines) > 1:  # "make dal 4 kg and sugar 1 kg"
                return result(p, "edit_invoice", 0.85, changes={"lines": lines}, invoice_number=p.invoice_number)
            v = re.split(r"\b(?:to|into|se)\s+(?=\d)", v)[-1]  # "change cement 5 bags to 6 bags", "3 se 4 kg"
            if rx is _E_PROD_KAR and not (gd["part"] or parse_chunk(v, unit_as_product=False).unit):
                continue  # "sugar 40 kar do" may be the stock; "sugar 4 kg kar do" is this bill
        if field in ("price", "rate") and (gd.get("prod") or re.match(r"^(?:of|for)\s+[a-z]", v)):
            return None  # "set rice price to 55", "change price of fan to 1900": the catalogue price
        if field in ("customer", "customer name", "name"):
            start = p.low.find(v)
            v = p.text[start : start + len(v)] if start >= 0 else v
        changes, extra = _edit_value(p, v, field, ctx)
        if not changes:
            continue
        target = gd.get("prod")
        product = extra.get("product")
        if target:
            target = clean_product(target.split()) or None
        weak = extra.pop("_weak", False)
        return result(
            p,
            "edit_invoice",
            0.7 if weak else 0.9,
            changes=changes,
            product=target or product,
            unit=extra.get("unit"),
            invoice_number=p.invoice_number,
        )
    m = _E_REPLACE.search(low)
    if m and not re.search(r"\b(?:price|rate|stock|name|number|phone|email|address)\b", low):
        old, new = m.group("old").strip(), m.group("new").strip()
        if ctx.customers and any(c.lower().startswith(new) for c in ctx.customers):
            return result(p, "edit_invoice", 0.8, changes={"customer": title_name(new)})
        if old not in ("it", "that", "this"):
            return result(
                p,
                "edit_invoice",
                0.75,
                product=clean_product(old.split()) or old,
                changes={"product": clean_product(new.split()) or new},
            )
    return None


def detect_cancel(p: Prepared, ctx: Context) -> Understanding | None:
    """Cancelling an invoice: "cancel that", "cancel invoice INV-0003", "Mahesh ka bill cancel karo"."""
    low = p.low
    if not _CANCEL.search(low):
        return None
    if not (_CANCEL_TARGET.search(low) or p.invoice_number):
        return None
    if re.search(
        r"\b(?:automation|flow|workflow|payment|payments|stock|inventory|customer|from\s+(?:the\s+)?"
        r"(?:invoice|bill)|[a-z]+\s+from\s+(?:it|that|this)$|se\s+[a-z]+\s+(?:hata|hatao|nikal|nikalo))\b",
        low,
    ):
        return None
    if re.search(r"\bremove\b", low) and not (_INV_RX.search(low) or p.invoice_number):
        return None
    if any(t.is_num for t in p.tokens) and not _INV_RX.search(low):
        return None
    span = customer_anywhere(p, ctx.customers, skip_first=True)
    customer = span.name if span else None
    if customer and customer.lower() in ("that", "it", "this", "last", "one"):
        customer = None
    return result(p, "cancel_invoice", 0.95, invoice_number=p.invoice_number, customer=customer)


def _addressee(p: Prepared, ctx: Context, verb_rx: re.Pattern[str]) -> NameSpan | None:
    """Who a thing is sent to: "to Mahesh", "Mahesh ko", "send Mahesh the invoice"."""
    toks = p.tokens
    for k, t in enumerate(toks):
        if t.low == "to":
            span = name_forward(p, k + 1)
            if span:
                return trim_to_known(span, p, ctx.customers)
    for k, t in enumerate(toks):
        if t.low == "ko" and k > 0:
            span = name_backward(p, k)
            if span:
                return trim_to_known(span, p, ctx.customers)
    m = verb_rx.search(p.low)
    if m:
        nxt = next((i for i, t in enumerate(toks) if t.start >= m.end()), None)
        if nxt is not None:
            span = name_forward(p, nxt)
            if span:
                return trim_to_known(span, p, ctx.customers)
    return customer_anywhere(p, ctx.customers, skip_first=True)


def detect_payment_link(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "payment link for INV-0002", "send Mahesh a payment link"."""
    if not _LINK.search(p.low):
        return None
    span = _addressee(p, ctx, _SEND)
    name = span.name if span else None
    if name and name.lower() in ("me", "him", "her", "them", "it", "that"):
        name = None
    amount = None
    m = re.search(r"\brs\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*rs\b|\bfor\s+(\d+(?:\.\d+)?)\b", p.low)
    if m:
        amount = Decimal(m.group(1) or m.group(2) or m.group(3))
    return result(
        p,
        "payment_link",
        0.95,
        customer=name,
        invoice_number=p.invoice_number,
        amount=amount,
        email=p.email,
        phone=p.phone,
    )


# "send an invoice to Priya for 2 blouses at 400", "send Priya a bill for …": a new bill, worded as sending.
_SEND_NEW = (
    re.compile(r"^(?:please\s+)?(?:send|share)\s+(?:an?\s+|the\s+)?(?:invoice|bill)\s+(?:to|for)\s+(?P<rest>.+)$",
               re.IGNORECASE),
    re.compile(r"^(?:please\s+)?(?:send|share)\s+(?P<name>[^\d,]+?)\s+(?:an?\s+|the\s+)?(?:invoice|bill)\s+"
               r"(?P<rest>(?:for|of)\s+.+)$", re.IGNORECASE),
)


def _send_new_invoice(p: Prepared, ctx: Context) -> Understanding | None:
    """The invoice to create when a "send … an invoice" message lists what to bill, else None.

    Its reply offers *send it*; sending still waits for the owner's word, as every send does.
    """
    if p.invoice_number:
        return None
    for rx in _SEND_NEW:
        m = rx.match(p.text)
        if m:
            parts = m.groupdict()
            created = detect_create(prepare(" ".join(filter(None, ("invoice", parts.get("name"), parts["rest"])))), ctx)
            if created and any(i.quantity is not None or i.unit_price is not None for i in created.items):
                return created
    return None


def detect_send(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "send it to him", "send the invoice to Mahesh on whatsapp", "send INV-0002"."""
    low = p.low
    m = _SEND.search(low)
    if not m or not (_SEND_TARGET.search(low) or p.invoice_number):
        return None
    new = _send_new_invoice(p, ctx)
    if new:
        return new
    if re.search(
        r"\b(?:remind|reminder|reminders|sales|report|summary|stock|inventory|thank|thanks|automation|"
        r"flow|message\s+to\s+everyone|dashboard|login)\b",
        low,
    ):
        return None
    if not (_INV_RX.search(low) or _INVS_RX.search(low) or p.invoice_number or "pdf" in p.words) and not re.search(
        r"^(?:please\s+)?(?:send|share|forward|resend|whatsapp|mail|email|bhej\w*)\s+(?:it|that|this)\b|"
        r"\b(?:it|that|this)\s+(?:bhej|bhejo|send|share)\b",
        low,
    ):
        return None
    span = _addressee(p, ctx, _SEND)
    name = span.name if span else None
    if name and name.lower() in ("me", "him", "her", "them", "it", "that", "customer", "the customer"):
        name = None
    return result(
        p, "send_invoice", 0.9, customer=name, invoice_number=p.invoice_number, email=p.email, phone=p.phone
    )


def detect_show_list(p: Prepared, ctx: Context) -> Understanding | None:
    """Show one invoice, or list several."""
    low = p.low
    plural = bool(_INVS_RX.search(low))
    single = bool(_INV_RX.search(low)) or bool(p.invoice_number)
    if not (plural or single):
        return None
    if any(t.is_num for t in p.tokens) and not re.search(r"\blast\s+\d+\b", low):
        return None
    if re.search(r"\b(?:unpaid|pending|outstanding|due|dues|overdue)\b", low):
        return None
    span = customer_anywhere(p, ctx.customers, skip_first=True)
    customer = span.name if span else None
    if customer and customer.lower() in ("me", "my", "all", "last", "recent"):
        customer = None
    period = find_period(low)
    if plural or _LIST.search(low) or (period and not p.invoice_number):
        return result(p, "list_invoices", 0.9, customer=customer, period=period)
    if (
        p.invoice_number
        or _SHOW.search(low)
        or re.search(r"\b(?:last|latest|previous|that|this)\s+(?:invoice|bill)\b", low)
    ):
        return result(p, "show_invoice", 0.9, invoice_number=p.invoice_number, customer=customer)
    if re.fullmatch(r"(?:the\s+|my\s+|last\s+)?(?:invoice|bill)\??", low):
        return result(p, "show_invoice", 0.7)
    return None
