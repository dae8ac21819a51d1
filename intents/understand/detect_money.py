"""Payments: recording one, and the money questions (unpaid, collections, sales)."""

from __future__ import annotations

import re
from decimal import Decimal

from intents.understand.common import compile_i, find_period, result
from intents.understand.items import FILLER, parse_items
from intents.understand.methods import find_method
from intents.understand.parties import (
    NAME_STOP,
    NameSpan,
    customer_anywhere,
    name_backward,
    name_forward,
    trim_to_known,
)
from intents.understand.prepare import Prepared
from intents.understand.schema import Context, Understanding
from intents.understand.units import UNIT_ALIASES

_N = r"\d+(?:\.\d+)?"
_NEGATED_PAY = compile_i(
    r"\b(?:has\s+not|have\s+not|had\s+not|did\s+not|not\s+yet|not|never|yet\s+to|nahi|nahin|nhi)\s+(?:yet\s+)?"
    r"(?:paid|pay|payed|cleared|settled|diye|diya|bheje|received|got)\b|\byet\s+to\s+(?:pay|be\s+paid)\b|"
    r"\b(?:paid|pay)\s+(?:nahi|nahin|nhi)\b"
)
_UNPAID = compile_i(
    r"\b(?:unpaid|pending|outstanding|dues?|owes?|owing|owed|baki|baaki|bakaya|udhar|udhaar|udhari|udhaari|"
    r"receivables?|receivable|overdue|defaulters?|balance|credit\s+list|yet\s+to\s+pay|not\s+paid|"
    r"has\s+not\s+paid|have\s+not\s+paid|did\s+not\s+pay|not\s+yet\s+paid|kitna\s+lena|lena\s+hai|"
    r"paisa\s+(?:baki|baaki)|money\s+due|amount\s+due|hisab|hisaab|khata|khaata|ledger|statement)\b"
)
_STRONG_PAY = compile_i(
    r"\b(?:paid|pays|payed|has\s+paid|payment|payments|deposited|transferred|cleared|settled|"
    r"diye|diya|de\s+diye|de\s+diya|de\s+gaya|de\s+gayi|de\s+gaye|de\s+gya|bheje|bheja|bhej\s+diye|bhej\s+diya|"
    r"jama|chukaye|chuka\s+diye|chukaya|pay\s+kiya|pay\s+kiye|pay\s+kar\s+diya|transfer\s+kiye|transfer\s+kiya|"
    r"gave|given|sent\s+(?:me|us)?|has\s+sent|paid\s+up)\b"
)
#: "Arjun ne 3000 paytm kiye": a Hinglish "did" is a payment when a payment method is named with it
_DID = compile_i(r"\b(?:kiye|kiya|kiyaa|kiyi|kari|kare|kar\s+diye|kar\s+diya|kar\s+di|kardiye|kardiya|kardi)\b")
_WEAK_PAY = compile_i(
    r"\b(?:received|receive|got|get|collected|collect|credited|recovered|mile|mila|mili|aaye|aaya|aayi|"
    r"came|come|mil\s+gaye|mil\s+gaya|le\s+liye|accepted|took)\b"
)
_OWNER_PAID = compile_i(
    r"^(?:i|we|maine|humne|hamne)\s+(?:have\s+|just\s+|already\s+)?(?:paid|pay|gave|sent|transferred|diye)\b|"
    r"^(?:maine|mene|humne|hamne)\b(?!.*\b(?:se|from)\b)"  # "maine 500 paytm kiye": the owner paid someone
)
_COLLECT = compile_i(
    r"\b(?:collect|collected|collection|collections|received|receive|receipts|got|came\s+in|come\s+in|came|"
    r"aaya|aaye|aayi|mila|mile|jama|payments?|vasooli|vasuli|recovery|recovered|money\s+in|inflow|cash\s+in|"
    r"credited|paid|get|money)\b"
)
_SALES = compile_i(
    r"\b(?:sales?|sold|sell|selling|revenue|turnover|business|bikri|bikree|becha|beche|bechi|billing|billed|"
    r"invoiced|kamai|earn|earning|earnings|earned|income|galla|gallah|dhandha|dhanda|profit)\b"
)
_QUERY = compile_i(
    r"\b(?:how\s+much|how\s+many|what|what's|whats|which|who|show|list|tell|total|summary|report|kitna|kitne|"
    r"kitni|kya|kaun|kis|kiska|kiske|kisne|give\s+me|send\s+me|get\s+me|check|hisab|hisaab|status|any)\b"
)
_FROM_BY = frozenset({"from", "by", "frm"})
_PREPOSITIONS = frozenset(
    {
        "through",
        "thru",
        "via",
        "on",
        "in",
        "using",
        "pe",
        "mein",
        "me",
        "se",
        "as",
        "towards",
        "against",
        "for",
        "today",
        "yesterday",
        "now",
        "just",
        "only",
        "cash",
    }
)
_VERB_ANCHORS = frozenset(
    {
        "paid",
        "pays",
        "payed",
        "gave",
        "sent",
        "transferred",
        "deposited",
        "cleared",
        "settled",
        "ne",
        "se",
        "payment",
        "has",
        "have",
        "ka",
        "ki",
        "ke",
        "just",
        "already",
    }
)


_WHO = frozenset({"who", "whom", "whose", "which", "kis", "kiska", "kiske", "kiski", "kaun", "kaunse", "kisne"})
_GAVE = frozenset({"gaya", "gayi", "gaye", "gya", "gyi", "diya", "diye", "di", "dia"})


def _amount(p: Prepared) -> Decimal | None:
    """The payment amount: a marked amount first, else the first number not followed by a unit."""
    m = re.search(rf"\brs\s*({_N})|({_N})\s*rs\b", p.low)
    if m:
        return Decimal(m.group(1) or m.group(2))
    toks = p.tokens
    for k, t in enumerate(toks):
        if t.is_num:
            nxt = toks[k + 1].low if k + 1 < len(toks) else ""
            if nxt in UNIT_ALIASES or nxt in ("%", "percent"):
                continue
            return Decimal(t.low)
    return None


def _payer(p: Prepared, ctx: Context) -> NameSpan | None:
    """Who paid: after "from"/"by", else before the paying verb, else anywhere."""
    toks = p.tokens
    for k, t in enumerate(toks):
        if t.low in _FROM_BY:
            span = name_forward(p, k + 1)
            if span:
                return trim_to_known(span, p, ctx.customers)
    for k, t in enumerate(toks):
        gave = t.low == "de" and k + 1 < len(toks) and toks[k + 1].low in _GAVE  # "Lakshmi de gayi 500"
        if (t.low in _VERB_ANCHORS or gave) and k > 0:
            span = name_backward(p, k)
            if span:
                return trim_to_known(span, p, ctx.customers)
    span = customer_anywhere(p, ctx.customers)
    if span:
        return span
    # "payment received 500 Mahesh": a trailing name
    if toks and toks[-1].is_word:
        k = len(toks) - 1
        while k > 0 and toks[k - 1].is_word:
            k -= 1
        span = name_forward(p, k)
        if span and span.end == len(toks):
            return span
    return None


def _is_stock_receipt(p: Prepared) -> bool:
    """Whether "received 50 bags of cement" is goods, not money (a unit or product after the number)."""
    if re.search(r"\brs\b", p.low):
        return False
    items = [i for i in parse_items(re.sub(r"\b(?:from|by)\s+.*$", "", p.low)) if i.product and i.quantity]
    if not items:
        return False
    toks = p.tokens
    for k, t in enumerate(toks):
        if t.is_num and k + 1 < len(toks):
            nxt = toks[k + 1].low
            after = " ".join(x.low for x in toks[k + 1 : k + 3])
            if find_method(after):
                continue  # "2000 google pay se": the way it was paid, not goods
            if _WEAK_PAY.match(after) or _STRONG_PAY.match(after):
                continue  # "500 mil gaye": the verb, not goods
            if nxt in UNIT_ALIASES or (
                toks[k + 1].is_word
                and nxt not in NAME_STOP
                and nxt not in FILLER
                and nxt not in _PREPOSITIONS
            ):
                return True
    return False


def detect_unpaid(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "who hasn't paid me?", "pending payments?", "how much does Mahesh owe?"."""
    low = p.low
    if not _UNPAID.search(low) and not _NEGATED_PAY.search(low):
        return None
    if re.search(r"\b(?:stock|inventory|invoice\s+number)\b", low) and "balance" in low:
        return None
    amount = _amount(p)
    if amount is not None and _STRONG_PAY.search(low) and not _NEGATED_PAY.search(low) and not p.question:
        return None  # "Mahesh paid 500 of his pending dues" records a payment
    span = customer_anywhere(p, ctx.customers, skip_first=True)
    customer = span.name if span else None
    if customer and (customer.lower() in ("me", "everyone") or set(customer.lower().split()) <= _WHO):
        customer = None  # "kis kis ka paisa baaki hai?": whose, not a customer called Kis Kis
    return result(p, "unpaid_query", 0.9, customer=customer, period=find_period(low))


def detect_payment(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "Mahesh paid 700", "got 3000 from Rekha on PhonePe", "Meena ne 2000 diye"."""
    low = p.low
    # "Rekha ko 500 paytm kiye" is the owner paying Rekha
    strong = _STRONG_PAY.search(low) or (_DID.search(low) if find_method(low) and " ko " not in f" {low} " else None)
    weak = _WEAK_PAY.search(low)
    if not strong and not weak:
        has_num = any(t.is_num for t in p.tokens)
        lead = name_forward(p, 0) if p.tokens else None
        if find_method(low) and has_num and re.search(r"\b(?:from|by)\s+[a-z]", low):
            weak = re.search(r"\b(?:from|by)\b", low)
        elif find_method(low) and lead and lead.end < len(p.tokens) and p.tokens[lead.end].is_num:
            weak = re.search(r"\d", low)  # "Rekha 3000 gpay": a name, an amount and a method
        else:
            return None
    if _NEGATED_PAY.search(low) or _OWNER_PAID.search(low):
        return None
    if not strong and _is_stock_receipt(p):
        return None
    if strong and not weak and _is_stock_receipt(p) and not re.search(r"\b(?:paid|payment|diye|jama)\b", low):
        return None
    amount = _amount(p)
    if amount is None and not strong:
        return None
    if p.question and amount is None:
        return None
    span = _payer(p, ctx)
    if span is None and p.tokens:
        lead = name_forward(p, 0)
        if lead and lead.end < len(p.tokens) and p.tokens[lead.end].is_num:
            span = trim_to_known(lead, p, ctx.customers)
    customer = span.name if span else None
    if customer and customer.lower() in (
        "i",
        "me",
        "we",
        "he",
        "she",
        "they",
        "him",
        "her",
        "them",
        "someone",
    ):
        customer = None
    if amount is None and customer is None:
        return None
    method = find_method(low)
    missing = [s for s, v in (("customer", customer), ("amount", amount)) if v is None]
    conf = 0.95 if strong else 0.85
    return result(
        p,
        "record_payment",
        conf,
        customer=customer,
        amount=amount,
        method=method[0] if method else None,
        method_detail=method[1] if method else None,
        invoice_number=p.invoice_number,
        missing=missing,
    )


def detect_collections(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "what did I collect this week?", "payments today", "how much came in today?"."""
    low = p.low
    if not _COLLECT.search(low):
        return None
    period = find_period(low)
    if not (period or _QUERY.search(low) or p.question):
        return None
    amount = _amount(p)
    if amount is not None and not p.question:
        return None
    if re.search(r"\b(?:link|remind|reminder|send\s+(?:the\s+)?(?:invoice|bill))\b", low):
        return None
    if _is_stock_receipt(p):
        return None  # "aaj 50 kg aloo aaya": goods came in, not money
    span = None
    for k, t in enumerate(p.tokens):
        if t.low in _FROM_BY or t.low == "has":
            span = name_forward(p, k + 1)
            if span:
                break
    method = find_method(low) if re.search(r"\b(?:on|via|by|in|through)\b", low) else None
    return result(
        p,
        "collections_query",
        0.85,
        period=period,
        customer=span.name if span else None,
        method=method[0] if method else None,
        method_detail=method[1] if method else None,
    )


def detect_sales(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "sales this month", "today's sales", "how much did I sell today?"."""
    low = p.low
    if not _SALES.search(low):
        return None
    period = find_period(low)
    if not (period or _QUERY.search(low) or p.question):
        return None
    if re.search(r"\b(?:sold|bech\w*)\b", low) and any(t.is_num for t in p.tokens) and not p.question:
        return None  # "sold 2 fans" is a stock change
    product = None
    m = re.search(r"\bhow\s+(?:many|much)\s+(.+?)\s+(?:did|have|has)\s+(?:i|we)\s+(?:sell|sold)\b", low)
    if m:
        from intents.understand.items import clean_product

        product = clean_product(m.group(1).split()) or None
    return result(p, "sales_query", 0.85, period=period, product=product)
