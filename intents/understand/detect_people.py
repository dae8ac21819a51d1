"""Customers, the business profile, GST details, and reminders."""

from __future__ import annotations

import re

from intents.understand.common import compile_i, result
from intents.understand.gstin import find_state, state_from_gstin, valid_gstin
from intents.understand.items import clean_product
from intents.understand.parties import (
    NameSpan,
    customer_anywhere,
    name_backward,
    name_forward,
    title_name,
    trim_to_known,
)
from intents.understand.prepare import Prepared
from intents.understand.schema import Context, Understanding

_MY = r"(?:my|our|mera|meri|mere|hamara|hamari|humara|humari|apna|apni)"
_BIZ = r"(?:shop|business|store|company|firm|dukaan|dukan|brand|outlet|agency|enterprise|showroom)"
_CUSTOMER_NOUN = r"(?:customer|client|party|grahak|buyer|account)"
#: "customer add karo", "grahak jodo", "customer bana do": the Hinglish order, noun first
_ADD_VERB_AFTER = (
    r"(?:add|save|create|register|enter|bana|banao|banado|jodo|jod|joddo|daalo|dalo|likho|likh)"
    r"(?:\s+(?:karo|kar\s+do|kardo|karna|karein|kariye|kijiye|lo|le|do|dena|please|pls))*"
)
#: "save contact: Dr. Mehta 98…" (but "save contact number of Rekha" is an update)
_CONTACT = r"contact(?!\s+(?:number|no|num|details|info|of|for)\b)"
_ADD_CUSTOMER = compile_i(
    rf"\b(?:new|add|create|save|register|naya|nayi|enter|make)\s+(?:a\s+)?(?:new\s+)?(?:{_CUSTOMER_NOUN}|{_CONTACT})\b|"
    rf"^{_CUSTOMER_NOUN}\s*[:\-]|\bas\s+(?:a\s+)?(?:new\s+)?{_CUSTOMER_NOUN}\b|^new\s+{_CUSTOMER_NOUN}\b|"
    rf"\b(?:naya\s+|nayi\s+|new\s+)?{_CUSTOMER_NOUN}\s+{_ADD_VERB_AFTER}\b"
)
#: "his number is …", "uska number …": the customer last talked about (the handler reads the memory)
_PRONOUN_OWNER = compile_i(
    r"(?:^|\b(?:and|also|aur|ok|okay|now|change|update|set|save|edit|correct|fix|note|add)\s+)"
    r"(?:his|her|their|uska|uski|uske|iska|iski|iske|unka|unki|unke|inka|inki|inke)\s+(?:new\s+|correct\s+)?"
)
#: "list my customers", "show all customers", "customer list", "mere customers dikhao"
_LIST_CUSTOMERS = compile_i(
    r"^(?:(?:list|show|view|see|display|get|give|send|open|check)\s+(?:me\s+)?(?:a\s+|the\s+)?"
    r"(?:list\s+of\s+)?(?:all\s+)?(?:of\s+)?(?:my\s+|our\s+|the\s+)?(?:all\s+)?|"
    r"(?:all\s+(?:of\s+)?|my\s+|our\s+|all\s+my\s+|mere\s+|mera\s+|hamare\s+|sab(?:hi)?\s+|saare\s+|sare\s+|"
    r"who\s+are\s+(?:all\s+)?(?:my|our)\s+|how\s+many\s+)*)"
    r"(?:customers?|clients?|parties|party|grahak|contacts?|buyers)"
    r"(?:\s+(?:list|ki\s+list|ka\s+list|names?|list\s+with\s+(?:phone\s+)?numbers?|with\s+(?:their\s+)?"
    r"(?:phone\s+)?numbers?|do\s+i\s+have|i\s+have|are\s+there|hai|hain|h))?"
    r"(?:\s+(?:dikhao|dikha\s+do|dikhana|batao|bata\s+do|bhejo|do|please|pls|plz|ji|sir|bhai))*$"
)
_FIELD_WORDS = (
    r"(?P<field>phone\s+number|mobile\s+number|whatsapp\s+number|contact\s+number|phone|number|mobile|"
    r"contact|whatsapp|email\s+id|email\s+address|email|mail\s+id|mail|address|naam|name|gst\s+number|"
    r"gstin|gst\s+no|gst|state)"
)
_FIELD_RX = compile_i(rf"\b{_FIELD_WORDS}\b")
_UPDATE_VERB = compile_i(r"\b(?:change|update|set|edit|correct|fix|replace|save|new|badlo|badal\s+do)\b")
_RENAME = compile_i(r"\brename\s+(?:customer\s+|client\s+)?(?P<old>.+?)\s+(?:to|as)\s+(?P<new>.+)$")
_PROFILE_NAME = compile_i(
    rf"(?:\b{_MY}\s+(?:{_BIZ}\s*(?:'s\s+)?)?(?:name|naam)\s*(?:is|:|=|-|hai)?\s*|"
    rf"\b{_BIZ}\s+(?:(?:ka|ki|ke)\s+)?(?:name|naam)\s*(?:is|:|=|-)?\s*|\b(?:call|rename)\s+{_MY}\s+{_BIZ}\s+(?:to\s+|as\s+)?|"
    rf"\b{_MY}\s+{_BIZ}\s+is\s+called\s+|\bname\s+of\s+{_MY}\s+{_BIZ}\s+is\s+)(?P<v>.+)$"
)
#: "address: 12 MG Road, Pune", "Address - Shop 4, Station Road": a labelled address with no one named is the owner's
_ADDRESS_LABEL = (
    r"^(?:(?:update|change|set|save|new)\s+(?:the\s+)?)?(?:address|addr|pata)\b(?!\s*(?:of|for)\b)\s*"
    r"(?:is\s+|to\s+|[:=-]\s*|hai\s+)?(?=[^\s,]+[\s,]+\w)"  # two words at least
    r"(?=.*[\d,]|(?:shop|flat|house|plot|office|building|near|opp|opposite)\b)"
)
_PROFILE_ADDRESS = compile_i(
    rf"(?:{_ADDRESS_LABEL}|"
    rf"\b{_MY}\s+(?:{_BIZ}\s*(?:'s\s+)?)?(?:address|location|pata)\s*(?:is|:|=|-|hai)?\s*|"
    rf"\b{_BIZ}\s+address\s*(?:is|:|=|-)?\s*|\b(?:we\s+are|we're|i\s+am|i'm|{_MY}\s+{_BIZ}\s+is)\s+(?:located\s+)?at\s+)(?P<v>.+)$"
)
_PROFILE_STATE = compile_i(
    rf"\b(?:we\s+are|we're|i\s+am|i'm|{_MY}\s+{_BIZ}\s+is|we\s+operate|based|located|{_MY}\s+state\s+is|"
    rf"state\s*[:=]|{_MY}\s+state\s*[:=]?)\s*(?:based\s+)?(?:in|from|:)?\s*(?P<v>[a-z][a-z &.]+)$"
)
_PROFILE_GENERIC = compile_i(
    rf"\b{_MY}\s+(?:{_BIZ}\s*(?:'s\s+)?)?(?:gstin|gst\s+number|gst\s+no|gst|email|phone|number|mobile|state)\b"
)
_CUSTOMER_STATE = compile_i(
    r"\b(?:is|are)\s+(?:in|from|based\s+in|located\s+in)\s+(?P<v>[a-z][a-z &.]+)$|"
    r"\bstate\s+(?:is|:|=)\s*(?P<v2>[a-z][a-z &.]+)$"
)
_HSN_OR_TAX = compile_i(r"\b(?:hsn|sac|gst|tax|igst)\b")
_REMIND = compile_i(
    r"\b(?:remind|reminder|reminders|yaad\s+dila\w*|yaad\s+karao|nudge|follow\s*-?\s*up|chase|tagada|tagaada|"
    r"ask\s+\w+(?:\s+\w+)?\s+to\s+pay|ask\s+for\s+(?:the\s+)?(?:payment|money|dues)|collect\s+dues)\b"
)
_ALL = compile_i(
    r"\b(?:everyone|everybody|all|sab|sabko|sabhi|every\s+customer|each\s+customer|defaulters|who\s+owes?|"
    r"whoever|jinka|pending\s+customers|all\s+customers|all\s+of\s+them|anyone\s+who|those\s+who|people\s+who|"
    r"customers\s+who|customers\s+with)\b"
)


def _raw_value(p: Prepared, rx: re.Pattern[str]) -> str | None:
    """The value after a profile phrase, taken from the raw text so case and commas survive."""
    m = rx.search(p.raw.strip().rstrip("."))
    if not m:
        return None
    v = m.group("v").strip(" .:-\"'")
    v = re.sub(r"\s+(?:hai|h|he|rakho|rakh\s+do|kar\s+do|karo)$", "", v, flags=re.IGNORECASE).strip()
    return v or None


def detect_profile(p: Prepared, ctx: Context) -> Understanding | None:
    """The owner's own details: "my GSTIN is ...", "my shop name is ...", "we are in Maharashtra"."""
    low = p.low
    has_my = bool(re.search(rf"\b{_MY}\b|\bwe\b|\bi\s+am\b|\bi'm\b|\bwe're\b", low))
    if p.gstin:
        span = _gst_owner(p, ctx)
        if span is not None:
            return None  # a customer's GSTIN
        if has_my or re.match(r"^(?:gstin|gst\s+number|gst\s+no|gst)\b", low) or len(p.tokens) <= 4:
            state = state_from_gstin(p.gstin) if valid_gstin(p.gstin) else None
            return result(p, "set_profile", 0.95, gstin=p.gstin, state=state)
        return None
    biz_field = rf"\b{_BIZ}\s+(?:(?:ka|ki|ke)\s+)?(?:name|naam|address|pata)\b|^state\s*[:=]|{_ADDRESS_LABEL}"
    if not has_my and not re.search(biz_field, low):
        return None
    if re.search(rf"\b{_MY}\s+{_CUSTOMER_NOUN}", low):
        return None
    name = _raw_value(p, _PROFILE_NAME)
    if name and not re.match(r"^(?:is\s+)?\d", name):
        return result(p, "set_profile", 0.9, name=name)
    address = _raw_value(p, _PROFILE_ADDRESS)
    if address:
        return result(p, "set_profile", 0.9, address=address, state=find_state(address), phone=p.phone)
    m = _PROFILE_STATE.search(low)
    if m:
        state = find_state(m.group("v"))
        if state:
            return result(p, "set_profile", 0.9, state=state)
    if _PROFILE_GENERIC.search(low) and (p.email or p.phone):
        return result(p, "set_profile", 0.85, email=p.email, phone=p.phone)
    return None


def _gst_owner(p: Prepared, ctx: Context) -> NameSpan | None:
    """The customer whose GSTIN/state is being given, if it is not the owner's own."""
    low = p.low
    if re.search(rf"\b{_MY}\b", low) and not re.search(rf"\b{_MY}\s+{_CUSTOMER_NOUN}", low):
        return None
    span = customer_anywhere(p, ctx.customers, skip_first=False)
    if span and span.name.lower() in ("gstin", "gst", "state", "set", "add", "update", "save"):
        return None
    return span


def detect_customer_gst(p: Prepared, ctx: Context) -> Understanding | None:
    """A customer's GSTIN or state: "Mahesh's GSTIN is ...", "Mahesh is in Karnataka"."""
    low = p.low
    if p.gstin:
        if _ADD_CUSTOMER.search(low):
            return None  # "new customer Kamala Stores, 99001 23456, GSTIN …": the add keeps phone and GSTIN
        span = _gst_owner(p, ctx)
        if span is None:
            return None
        state = state_from_gstin(p.gstin) if valid_gstin(p.gstin) else None
        return result(p, "set_customer_gst", 0.9, customer=span.name, gstin=p.gstin, state=state)
    m = _CUSTOMER_STATE.search(low)
    if m and not re.search(rf"\b(?:{_MY}|we|i)\b", low):
        state = find_state(m.group("v") or m.group("v2") or "")
        if state:
            span = None
            for k, t in enumerate(p.tokens):
                if t.low in ("is", "are", "'s", "ka", "ki", "ke") and k > 0:
                    span = name_backward(p, k)
                    if span:
                        break
            if span is None:
                span = customer_anywhere(p, ctx.customers)
            if span:
                return result(p, "set_customer_gst", 0.85, customer=span.name, state=state)
    return None


def detect_product_tax(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "cement HSN 2523 gst 28%", "GST on cement is 28%", "set HSN of paint to 3208"."""
    low = p.low
    if not (p.hsn or (p.gst_rate is not None and p.tax_word)):
        return None
    if re.search(r"\b(?:invoice|bill|receipt|paid|payment)\b", low) or any(t.is_num for t in p.tokens):
        return None
    rest = re.sub(
        r"\b(?:hsn|sac|code|gst|igst|tax|rate|set|update|change|add|of|on|for|is|to|the|as|=|:|with|"
        r"and|ka|ki|ke|hai|lagao|laga|do|kar|karo|percent|pc|slab|applicable|number|no)\b",
        " ",
        low,
    )
    product = clean_product(re.findall(r"[a-z][a-z'&-]*", rest))
    if not product:
        return None
    return result(p, "set_product_tax", 0.9, product=product, hsn=p.hsn, gst_rate=p.gst_rate)


#: words between "add customer" and the name
_ADD_FILLER = frozenset(
    {":", "-", ",", "named", "called", "name", "is", "naam", "add", "karo", "kar", "do", "kardo", "banao", "jodo"}
)


def detect_list_customers(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "list my customers", "show all customers", "customer list", "mere customers dikhao"."""
    low = re.sub(r"[?.!]+$", "", p.low.strip()).strip()
    if low in ("customer", "client", "party", "grahak", "contact"):
        return None  # one bare word is more likely a name being asked for than a list request
    if _LIST_CUSTOMERS.match(low):
        return result(p, "list_customers", 0.9)
    return None


def detect_add_customer(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "New customer: Rekha Nair, 9900112233", "add customer Mahesh Gupta", "add Rekha 9900112233"."""
    low = p.low
    m = _ADD_CUSTOMER.search(low)
    span = None
    if m:
        k = next((i for i, t in enumerate(p.tokens) if t.start >= m.end()), len(p.tokens))
        while k < len(p.tokens) and p.tokens[k].low in _ADD_FILLER:
            k += 1
        span = name_forward(p, k)
        a = next((i for i, t in enumerate(p.tokens) if t.start >= m.start()), 0)
        if span is None and m.group(0).lower().startswith("as"):
            span = name_backward(p, a)
        if span is None:
            span = name_backward(p, a)
        if span is None and a > 0 and p.tokens[a - 1].low in ("ko", "as"):
            span = name_backward(p, a - 1)  # "Ramesh ko customer add karo"
    elif (p.phone or p.email) and re.match(r"^(?:add|save|create|register)\s+", low):
        span = name_forward(p, 1)
        if span is None:
            return None
        if re.search(r"\b(?:number|phone|email|mobile)\b", low) and re.search(r"'s|\b(?:of|for|ka|ki|ke)\b", low):
            return None  # "save Rekha's number ...", "save contact number of Rekha ..." are updates
    else:
        return None
    address = None
    am = re.search(
        r"\b(?:address|addr|from|at|in)\s*(?:is|:|-)?\s*(?P<a>[A-Za-z][^,]*(?:,[^,0-9@]+)*)$", p.text
    )
    if am and m and am.start() > m.end():
        cand = am.group("a").strip()
        if not re.search(r"\b(?:phone|email|number|mobile)\b", cand, re.I):
            address = cand
    name = span.name if span else None
    return result(
        p,
        "add_customer",
        0.95,
        customer=name,
        name=name,
        phone=p.phone,
        email=p.email,
        gstin=p.gstin,
        address=address,
        missing=[] if name else ["customer"],
    )


def detect_update_customer(p: Prepared, ctx: Context) -> Understanding | None:
    """A customer's phone, email, address or name: "Rekha's email is ...", "rename Ramesh to Ramesh Kumar"."""
    low = p.low
    m = _RENAME.search(p.text)
    if m and not re.search(rf"\b(?:{_MY}|shop|business|store|product|item)\b", low):
        return result(
            p,
            "update_customer",
            0.9,
            customer=title_name(m.group("old").strip()),
            name=title_name(m.group("new").strip(" .")),
        )
    fm = _FIELD_RX.search(low)
    if not fm or re.search(r"\b(?:invoice|bill|receipt)\b", low):
        return None
    if re.search(rf"\b{_MY}\b", low) and not re.search(rf"\b{_MY}\s+{_CUSTOMER_NOUN}", low):
        return None
    field = fm.group("field").lower()
    toks = p.tokens
    span = None
    pm = _PRONOUN_OWNER.search(low)
    if pm and pm.end() == fm.start() and field not in ("state",) and not field.startswith("gst"):
        # "his number is 98…", "uska number 98… hai": no name, the handler takes the customer last talked about
        span = NameSpan("", 0, 0)
    fi = next((i for i, t in enumerate(toks) if t.start >= fm.start()), None)
    if span is None and fi is not None and fi > 0 and toks[fi - 1].low in ("'s", "ka", "ki", "ke"):
        span = name_backward(p, fi - 1)
        if span is None and fi > 1:
            span = name_backward(p, fi - 2)
    if span is None and fi is not None:
        # "phone of Rekha is ...", "number for Mahesh"
        fe = next((i for i, t in enumerate(toks) if t.start >= fm.end()), len(toks))
        if fe < len(toks) and toks[fe].low in ("of", "for"):
            span = name_forward(p, fe + 1)
    if span is None:
        # "update Rekha phone 98..."
        vm = _UPDATE_VERB.search(low)
        if vm:
            k = next((i for i, t in enumerate(toks) if t.start >= vm.end()), None)
            if k is not None:
                span = name_forward(p, k)
    if span is None:
        span = customer_anywhere(p, ctx.customers)
    if span is None:
        return None
    if span.name:
        span = trim_to_known(span, p, ctx.customers)
    slots: dict[str, object] = {}
    missing: list[str] = []
    if field in ("email", "email id", "email address", "mail", "mail id"):
        slots["email"] = p.email
        if not p.email:
            missing.append("email")
    elif field in ("address",):
        v = re.search(r"\baddress\s+(?:(?:of|for)\s+.+?\s*(?=\bis\b|[:=-]))?(?:is|:|-|to|=)?\s*(?P<v>.+)$", p.raw, re.I)
        if v:
            slots["address"] = v.group("v").strip(" .")
        else:
            missing.append("address")
    elif field in ("name", "naam"):
        v = re.search(r"\b(?:name|naam)\s+(?:is|:|-|to|=|as)?\s*(?P<v>.+)$", p.text, re.I)
        if v:
            slots["name"] = title_name(v.group("v").strip(" ."))
        else:
            missing.append("name")
    elif field in ("state",):
        return None
    elif field.startswith("gst"):
        return None
    else:
        slots["phone"] = p.phone
        if not p.phone:
            missing.append("phone")
        if p.email:
            slots["email"] = p.email
    if (
        not slots.get("phone")
        and not slots.get("email")
        and not slots.get("address")
        and not slots.get("name")
        and not _UPDATE_VERB.search(low)
        and not re.search(r"\b(?:is|hai)\b", low)
    ):
        return None
    return result(p, "update_customer", 0.9, customer=span.name or None, missing=missing, **slots)


def detect_remind(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "remind Ramesh", "remind everyone who owes me", "Ramesh ko yaad dilao"."""
    low = p.low
    m = _REMIND.search(low)
    if not m:
        return None
    if re.search(r"\bremind\s+me\b", low) and not re.search(
        r"\b(?:customer|customers|everyone|all|them)\b", low
    ):
        return None
    all_customers = bool(_ALL.search(low))
    customer = None
    if not all_customers:
        toks = p.tokens
        k = next((i for i, t in enumerate(toks) if t.start >= m.end()), len(toks))
        while k < len(toks) and toks[k].low in ("to", "for", "about", "a", "the"):
            k += 1
        span = name_forward(p, k)
        if span is None:
            for i, t in enumerate(toks):
                if t.low in ("to", "ko") and i > 0:
                    span = name_forward(p, i + 1) if t.low == "to" else name_backward(p, i)
                    if span:
                        break
        if span is None:
            span = customer_anywhere(p, ctx.customers)
        if span:
            span = trim_to_known(span, p, ctx.customers)
            customer = span.name
        if customer and customer.lower() in ("him", "her", "them", "customer", "customers", "me"):
            customer = None
    missing = [] if customer or all_customers else ["customer"]
    return result(
        p,
        "remind",
        0.9,
        customer=customer,
        all_customers=all_customers,
        invoice_number=p.invoice_number,
        missing=missing,
    )
