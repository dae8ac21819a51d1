"""Stock: add, remove, set, price, low-stock threshold, and the stock questions."""

from __future__ import annotations

import re
from decimal import Decimal

from intents.understand.common import compile_i, result
from intents.understand.items import FILLER, clean_product, parse_items
from intents.understand.prepare import Prepared
from intents.understand.schema import Context, Item, Understanding
from intents.understand.units import UNIT_PATTERN, normalize_unit

_N = r"\d+(?:\.\d+)?"
_U = rf"(?:{UNIT_PATTERN})"
_BELOW = compile_i(
    rf"(?:\b(?:below|under|less\s+than|lower\s+than|beneath|fewer\s+than|down\s+to|drops?\s+to|dropped\s+to|"
    rf"falls?\s+to|goes\s+to|gets\s+to|reaches|hits|comes\s+to|only)\b|<=?)\s*(?P<n>{_N})\s*(?P<u>{_U})?\b|"
    rf"(?P<n2>{_N})\s*(?P<u2>{_U})?\s*(?:se|say)\s+(?:kam|neeche|niche|kum)\b|"
    rf"(?P<n3>{_N})\s*(?P<u3>{_U})?\s*(?:or\s+(?:less|fewer|below))\b"
)
_NOTIFY = compile_i(
    r"\b(?:notify|tell|alert|alerts|warn|warning|inform|let\s+me\s+know|remind\s+me|message\s+me|ping\s+me|"
    r"whatsapp\s+me|batana|bata\s+dena|bata\s+do|batao|bolna|threshold|minimum|min|reorder|low\s*-?\s*stock|"
    r"when|whenever|if|jab|agar|once)\b"
)
_THRESH_WORD = compile_i(
    rf"\b(?:threshold|minimum\s+stock|min\s+stock|minimum|min|reorder\s+(?:level|point|at|quantity)|"
    rf"low\s*-?\s*stock\s+(?:alert|limit|level|threshold|warning|mark)|alert\s+(?:level|limit|at)|stock\s+alert|"
    rf"safety\s+stock|alert\s+me\s+at)\b.*?(?P<n>{_N})\s*(?P<u>{_U})?"
)
_THIRD_PARTY = compile_i(
    r"\b(?:email|mail|sheet|sheets|slack|webhook|customer|customers|supplier|them|everyone)\b"
)
_GENERIC = frozenset(
    {
        "",
        "any product",
        "anything",
        "any item",
        "any",
        "product",
        "item",
        "something",
        "everything",
        "any stock",
        "stock",
        "any of my product",
        "my product",
        "any good",
        "inventory",
        "items",
        "products",
        "kuch",
        "koi",
        "koi bhi",
        "koi item",
    }
)
_TH_DROP = compile_i(
    r"\b(?:notify|tell|alert|alerts|warn|warning|inform|let|know|remind|message|ping|whatsapp|batana|bata|dena|"
    r"batao|bolna|threshold|minimum|min|reorder|level|point|limit|low|stock|set|the|me|when|whenever|if|jab|"
    r"agar|once|drops?|dropped|goes|go|falls?|gets?|is|are|becomes?|reaches|reach|hits?|comes?|runs?|went|"
    r"below|under|less|than|lower|beneath|fewer|down|to|for|of|at|as|on|mark|safety|my|our|ho|hone|jaye|"
    r"jaaye|hota|hai|pe|par|se|kam|neeche|niche|alert|only|left|remaining|or|please|quantity|qty|level)\b"
)
_LOW_Q = compile_i(
    r"\b(?:low|running\s+(?:out|low)|run\s+out|runs?\s+out|khatam|finish(?:ing|ed)?|reorder|re-?stock|"
    r"out\s+of\s+stock|short|shortage|need\s+to\s+(?:buy|order|restock)|should\s+i\s+(?:buy|order|restock)|"
    r"almost\s+(?:over|gone|finished|out)|kam\s+(?:hai|ho|reh|bacha)|about\s+to\s+finish|to\s+reorder|"
    r"need\s+restocking|over)\b"
)
_LIST = compile_i(
    r"^(?:(?:list|show|see|view|display|get|check|give|send|tell)\s+(?:me\s+)?(?:my\s+|the\s+|all\s+|full\s+|"
    r"complete\s+|entire\s+|current\s+|whole\s+|total\s+)*(?:stock|inventory|products|items|goods|maal|"
    r"stock\s+list|inventory\s+list|product\s+list|catalogue|catalog)|(?:my\s+|full\s+|all\s+|current\s+|"
    r"complete\s+|total\s+)*(?:stock|inventory|products|catalogue|catalog)(?:\s+(?:list|report|summary|status|"
    r"position|details|check))?|what(?:\s+all)?\s+(?:is|do\s+i\s+have|have\s+i\s+got|items\s+do\s+i\s+have|"
    r"do\s+we\s+have)\s+in\s+(?:stock|inventory|the\s+shop|my\s+shop|godown|the\s+store)|(?:pura|poora|sara|"
    r"saara)\s+stock(?:\s+(?:dikhao|batao|bata\s+do))?|stock\s+(?:dikhao|batao|bata\s+do|dikha\s+do)|"
    r"what\s+(?:products|items|stock)\s+do\s+(?:i|we)\s+have|how\s+much\s+stock\s+do\s+(?:i|we)\s+have|"
    r"what(?:\s+is|'s)\s+(?:my\s+|the\s+)?(?:stock|inventory)(?:\s+(?:position|status|like))?)\s*\??$"
)
_QUERY_DROP = compile_i(
    r"\b(?:how|many|much|are|is|do|does|i|we|have|got|left|remaining|remain|available|in|stock|inventory|"
    r"there|any|check|the|of|for|my|our|kitna|kitne|kitni|hai|hain|bacha|bache|bachi|baki|baaki|status|level|"
    r"position|what|what's|whats|show|me|tell|quantity|qty|count|still|currently|now|right|abhi|total|"
    r"running|low|out|khatam|ho|raha|rahi|rahe|price|rate|cost|mrp|current|godown|shop|store|some|enough|"
    r"need|to|order|reorder|please|ka|ki|ke|kya|on|hand|with|us|you|can|tell|check)\b"
)
_STOCK_Q = compile_i(
    r"\b(?:how\s+(?:many|much)|left|remaining|available|in\s+stock|stock|inventory|kitna|kitne|kitni|bacha|bache|"
    r"bachi|do\s+(?:i|we)\s+have|is\s+there|are\s+there|check)\b"
)
_PRICE_Q = compile_i(
    r"\b(?:what\s+is|what's|whats|kya\s+hai|how\s+much\s+is|tell\s+me)\b.*\b(?:price|rate|cost|mrp)\b|"
    r"\b(?:price|rate|cost|mrp)\s+(?:of|for)\b.*\?"
)
_SET = compile_i(
    rf"^(?:i|we)\s+(?:now\s+|currently\s+|still\s+)?(?:have|has|got\s+only|have\s+got)\s+(?:only\s+|just\s+|exactly\s+|a\s+total\s+of\s+|total\s+)?{_N}|"
    rf"\b(?:set|update|correct|change|make|fix|reset|adjust|sahi\s+karo)\s+(?:the\s+)?(?:\w+\s+){{0,3}}?(?:stock|inventory|quantity|qty|count)\b.*\b(?:to|as|=|at|:)\s*{_N}|"
    rf"\b(?:stock|inventory|quantity|qty|count)\s+(?:of|for)\s+.+?\s+(?:is|=|:|should\s+be|now|to)\s*(?:now\s+)?{_N}|"
    rf"\b(?:ka|ki|ke)\s+stock\s+{_N}|\bstock\s+{_N}\s*(?:{_U})?\s*(?:kar\s+do|karo|kardo|set\s+karo|kar\s+dijiye|hai)\b|"
    rf"\b(?:stock|inventory|count)\s+(?:is|=|:|should\s+be|now)\s*(?:now\s+)?{_N}|"
    rf"^(?:opening|closing|current|physical)\s+(?:stock|inventory|count)\b.*{_N}|"
    rf"^(?:stock|inventory)\s+(?:update|count|position|check)\s*[:\-–]\s*.*{_N}|"
    rf"^there\s+(?:are|is)\s+(?:only\s+|just\s+)?{_N}|\b(?:actual|physical|current|real)\s+(?:stock|count)\b.*{_N}|"
    rf"\b{_N}\s*(?:{_U}\s+)?(?:\w+\s+){{1,3}}(?:in\s+stock|left|remaining|in\s+the\s+godown|available)\s*(?:now)?$|"
    rf"\bstock\s+(?:of\s+)?\w+(?:\s+\w+)?\s+(?:is|=)\s+{_N}|"
    rf"^[a-z][a-z ]{{1,30}}?\s+(?:stock|inventory|count)\s+(?:is\s+|=\s*|:\s*|now\s+|to\s+)?{_N}\s*(?:{_U})?$"
)
_UPDATE_HEADER = compile_i(r"^(?:stock|inventory)\s+(?:update|count|position|check)\s*[:\-–]")
_SET_DROP = compile_i(
    r"\b(?:i|we|now|currently|still|have|has|got|only|just|exactly|a|total|set|update|correct|change|make|fix|"
    r"reset|adjust|the|stock|inventory|quantity|qty|count|of|for|to|as|at|is|should|be|in|left|remaining|opening|"
    r"closing|position|check|"
    r"available|ka|ki|ke|kar|do|karo|kardo|dijiye|hai|there|are|actual|physical|current|real|godown|shop|store|"
    r"sahi|my|our|more)\b"
)
_PRICE_WORD = compile_i(
    r"\b(?:price|prices|rate|rates|mrp|cost|selling\s+price|sale\s+price|sp|daam|dam|bhav|bhaav|kimat|keemat|"
    r"charges?)\b"
)
_SELL_AT = compile_i(
    rf"^(?:sell|selling|we\s+sell|i\s+sell)\s+(?:the\s+)?(?P<prod>[a-z][a-z ]*?)\s+(?:at|for|@)\s+"
    rf"(?:rs\s*)?(?P<n>{_N})"
)
_PRICE_DROP = compile_i(
    r"\b(?:price|prices|rate|rates|mrp|cost|selling|sale|sp|daam|dam|bhav|bhaav|kimat|keemat|charge|charges|"
    r"set|change|update|make|new|now|the|of|for|is|to|at|as|should|be|from|today|onwards|ka|ki|ke|kar|do|karo|"
    r"kardo|hai|per|a|an|each|rs|my|our|please|sell|selling|we|i|will|it|its|from\s+now|fix|actually|sorry|ok|okay|so|no|=|:)\b"
)
# What happened to goods, not what the owner did: "2 bags got damaged", "5 came broken", "got wet and spoiled".
_LOSS_WORDS = (r"broke|broken|damaged|lost|stolen|expired|wasted|spoilt|spoiled|rotten|leaked|missing|kharab|"
               r"toot|tut|toota|tute|tuti|chori")
# Whoever supplied the goods: "returned 5 bags to the supplier" takes them out of stock.
_TO_SUPPLIER = (r"to\s+(?:the\s+|my\s+)?(?:supplier|vendor|company|dealer|distributor|wholesaler|manufacturer|"
                r"factory|seller)s?")
_REMOVE = compile_i(
    r"\b(?:remove|removed|minus|reduce|reduced|deduct|deducted|subtract|subtracted|take\s+out|took\s+out|"
    rf"taken\s+out|break|breaks|damage|waste|{_LOSS_WORDS}|"
    rf"sold|sell|used|consumed|returned\s+to|returned(?=.*\b{_TO_SUPPLIER}\b)|gave\s+away|given\s+away|nikal|nikalo|"
    r"nikala|nikal\s+do|hatao|hata\s+do|kam\s+karo|kam\s+kar\s+do|bech|becha|beche|bechi|bik|"
    r"bika|bike|decrease|decreased|write\s+off|written\s+off|writeoff|leak|less|out)\b"
)
_LOSS = compile_i(rf"\b(?:{_LOSS_WORDS})\b")
_ARRIVAL_ONLY = compile_i(r"got|came|come")
_ADD = compile_i(
    r"\b(?:add|added|adding|restock|restocked|stock\s+in|stocked|received|receive|got|bought|buy|purchased|"
    r"purchase|arrived|came|come|new\s+stock|inward|incoming|daal\s+do|dal\s+do|daalo|daal\s+de|aaya|aaye|aayi|"
    r"aa\s+gaya|aa\s+gaye|mangaya|mangwaya|kharida|kharide|le\s+liya|plus|increase|increased|top\s+up|refill|"
    r"refilled|unloaded|delivered|delivery|fresh\s+stock|jodo|jod\s+do|put)\b"
)
_STOCK_CMD_DROP = compile_i(
    r"\b(?:to|into|in|from)\s+(?:my\s+|the\s+|our\s+)?(?:stock|inventory|godown|shop|store|warehouse)\b|"
    r"\b(?:new\s+stock|stock\s+in|fresh\s+stock|top\s+up|take\s+out|took\s+out|taken\s+out|gave\s+away|"
    r"given\s+away|write\s+off|written\s+off|returned\s+to\s+\w+|"
    rf"{_TO_SUPPLIER}|"
    r"daal\s+do|dal\s+do|daal\s+de|nikal\s+do|"
    r"hata\s+do|kam\s+karo|kam\s+kar\s+do|aa\s+gaya|aa\s+gaye|le\s+liya|jod\s+do|ho\s+gaye|ho\s+gaya|"
    r"ho\s+gayi)\b|\bfrom\s+[a-z]+(?:\s+[a-z]+)?\s*$|\bby\b|\bstock\s*:|\binventory\s*:"
)


def _unit_phrase(text: str) -> tuple[str, str | None]:
    """Cut "per bucket" / "/kg" / "a bag" / "each" out of text; return (rest, unit)."""
    m = re.search(rf"(?:\bper\b|/|\ba\b|\ban\b|\bevery\b|\bek\b)\s*(?P<u>{_U})\b", text, re.I)
    if m:
        return text[: m.start()] + " " + text[m.end() :], normalize_unit(m.group("u"))
    return re.sub(r"\beach\b", " ", text), None


def _single(items: list[Item]) -> dict[str, object]:
    """Top-level product/quantity/unit slots when a stock change names exactly one item."""
    if len(items) != 1:
        return {}
    it = items[0]
    return {"product": it.product or None, "quantity": it.quantity, "unit": it.unit, "price": it.unit_price}


def _stock_missing(items: list[Item]) -> list[str]:
    if not items:
        return ["product", "quantity"]
    missing = []
    if any(not i.product for i in items):
        missing.append("product")
    if any(i.quantity is None for i in items):
        missing.append("quantity")
    return missing


def detect_threshold(p: Prepared, ctx: Context) -> Understanding | None:
    """A low-stock threshold: "notify me when cement drops under 5 bags", "cement threshold 5"."""
    low = p.low
    m = _BELOW.search(low)
    n = u = None
    if m and _NOTIFY.search(low):
        n = m.group("n") or m.group("n2") or m.group("n3")
        u = m.group("u") or m.group("u2") or m.group("u3")
        if m.group(0).lower().startswith("only") and not re.search(
            r"\b(?:left|remaining|bache|bacha)\b", low
        ):
            n = None
    if n is None:
        m = _THRESH_WORD.search(low)
        if not m:
            return None
        n, u = m.group("n"), m.group("u")
    if _THIRD_PARTY.search(low) or re.search(r"\b(?:payment|paid|pays|invoice|sales)\b", low):
        return None
    assert m is not None
    if m.re is _THRESH_WORD:
        rest = low[: m.start("n")] + " " + low[m.end("u") if m.group("u") else m.end("n") :]
    else:
        rest = low[: m.start()] + " " + low[m.end() :]
    rest = re.sub(rf"\b{_N}\b", " ", rest)
    rest = _TH_DROP.sub(" ", rest)
    product = clean_product([w for w in re.findall(r"[a-z][a-z'-]*", rest) if w not in FILLER])
    if product in _GENERIC or not product:
        return None  # "when stock of any product is low..." is an automation
    return result(p, "set_threshold", 0.9, product=product, threshold=Decimal(n), unit=normalize_unit(u))


def detect_low_stock(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "anything low on stock?", "anything running out?", "what should I reorder?"."""
    low = p.low
    if not _LOW_Q.search(low) or any(t.is_num for t in p.tokens):
        return None
    if not (
        p.question
        or re.search(r"\b(?:anything|what|which|show|list|any|items|products|kya|kaun|kuch|tell)\b", low)
        or re.fullmatch(
            r"(?:low\s+stock|running\s+out|out\s+of\s+stock|low\s+stock\s+items|low\s+items|"
            r"reorder\s+list|shortage|short\s+items)",
            low,
        )
    ):
        return None
    rest = _QUERY_DROP.sub(" ", low)
    rest = re.sub(
        r"\b(?:anything|something|which|items?|products?|what|things?|kuch|kaun|kaunse|sa|se|"
        r"should|buy|restock|about|finish|almost|over|gone|finished|short|shortage|list|soon)\b",
        " ",
        rest,
    )
    product = clean_product(re.findall(r"[a-z][a-z'-]*", rest))
    if product and product not in _GENERIC:
        return result(p, "stock_query", 0.8, product=product)
    return result(p, "low_stock_query", 0.9)


def detect_stock_list(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "list my stock", "show inventory", "what's in stock?"."""
    if _LIST.search(p.low.strip()):
        return result(p, "stock_list", 0.9)
    return None


def detect_stock_set(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "I have 8 geysers in stock", "sugar ka stock 40 kar do", "set cement stock to 20"."""
    low = p.low
    if not _SET.search(low):
        return None
    if re.search(r"\b(?:price|rate|threshold|alert|invoice|bill|paid|payment)\b", low):
        return None
    verb = _ADD.search(low) or _REMOVE.search(low)
    set_words = r"\b(?:set|update|correct|fix|reset|adjust|change|make|i\s+have|we\s+have)\b"
    header = _UPDATE_HEADER.match(low)  # "stock update: 10 fans added" adds
    if verb and not re.search(set_words, low[header.end() if header else 0: verb.start()]):
        return None  # "put 5 more geysers in stock" adds
    seg = _SET_DROP.sub(" ", low)
    found = [i for i in parse_items(seg) if i.product or i.quantity is not None]
    if not found:
        return None
    items = [i for i in found if i.product]
    if not items:
        return result(
            p, "stock_set", 0.6, quantity=found[0].quantity, unit=found[0].unit, missing=["product"]
        )
    return result(p, "stock_set", 0.9, items=items, missing=_stock_missing(items), **_single(items))


def detect_set_price(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "cement price 355", "Price of paint is 650 per bucket", "sell cement at 360"."""
    low = p.low
    m = _SELL_AT.search(low)
    if m and not re.search(rf"^\w+\s+{_N}", low):
        rest, unit = _unit_phrase(low[m.end() :])
        product = clean_product(m.group("prod").split())
        if product:
            return result(p, "set_price", 0.85, product=product, price=Decimal(m.group("n")), unit=unit)
    if not _PRICE_WORD.search(low) or not any(t.is_num for t in p.tokens):
        return None
    if p.question or re.search(r"\b(?:invoice|bill|paid|payment|change\s+it|make\s+it|should\s+be)\b", low):
        if not re.search(r"\b(?:of|for)\b", low) or (
            "should be" in low and not re.search(r"\b(?:of|for)\s+[a-z]", low)
        ):
            return None
    text, unit = _unit_phrase(low)
    nums = list(re.finditer(rf"(?:\brs\s*)?(?P<n>{_N})(?:\s*rs\b)?", text))
    if not nums:
        return None
    # "price for 1 kg rice is 55": the last number is the price, a unit after an earlier one is the price unit
    pm = nums[-1]
    price = Decimal(pm.group("n"))
    if len(nums) > 1 and unit is None:
        after = text[nums[0].end() :].split()
        if after and normalize_unit(after[0]):
            unit = normalize_unit(after[0])
    rest = re.sub(rf"\b{_N}\b", " ", text)
    rest = _PRICE_DROP.sub(" ", rest)
    toks = [w for w in re.findall(r"[a-z][a-z'&-]*", rest) if not normalize_unit(w) or len(w) > 3]
    if unit is None:
        for w in re.findall(r"[a-z]+", rest):
            if normalize_unit(w) and w not in ("a", "an"):
                unit = normalize_unit(w)
                toks = [t for t in toks if t != w]
                break
    product = clean_product(toks)
    if not product:
        return None
    return result(p, "set_price", 0.9, product=product, price=price, unit=unit)


def _stock_items(p: Prepared) -> list[Item]:
    seg = _STOCK_CMD_DROP.sub(" ", p.low)
    seg = _REMOVE.sub(" ", seg)
    seg = _ADD.sub(" ", seg)
    seg = re.sub(
        r"\b(?:them|it|these|those|today|yesterday|aaj|abhi|just|now|and\s+remove|stock|inventory)\b", " ", seg
    )
    return [i for i in parse_items(seg) if i.product]


def detect_stock_change(p: Prepared, ctx: Context) -> Understanding | None:
    """stock_add / stock_remove: "add 25 bags of cement", "3 tiles broke, remove them", "sold 2 fans"."""
    low = p.low
    rm = _REMOVE.search(low)
    add = _ADD.search(low)
    if not rm and not add:
        return None
    if re.search(r"\b(?:customer|client|payment|automation|flow|invoice|bill|gstin|phone|email)\b", low):
        return None
    items = _stock_items(p)
    if not items:
        return None
    if not any(i.quantity is not None for i in items) and not re.search(r"\b(?:stock|inventory)\b", low):
        return None
    if any(i.quantity is not None for i in items):
        items = [i for i in items if i.quantity is not None]
    intent = (
        "stock_remove"
        if rm and (not add or rm.start() < add.start() or add.group(0) == "plus"
                   or (_LOSS.search(low) and _ARRIVAL_ONLY.fullmatch(add.group(0))))
        else "stock_add"
    )
    return result(p, intent, 0.9, items=items, missing=_stock_missing(items), **_single(items))


def detect_stock_query(p: Prepared, ctx: Context) -> Understanding | None:
    """Reads "rice stock?", "how many fans are left?", "cement kitna hai", "price of cement?"."""
    low = p.low
    if re.search(r"\b(?:customers?|clients?|parties|invoices?|bills?|payments?|automations?|flows?)\b", low):
        return None
    price_q = bool(_PRICE_Q.search(low))
    if not (_STOCK_Q.search(low) or price_q):
        return None
    if any(t.is_num for t in p.tokens):
        return None
    if not (
        p.question
        or price_q
        or re.search(r"\b(?:check|kitna|kitne|kitni|left|status|bacha|bache)\b", low)
        or re.search(r"\bstock$", low)
        or len(p.tokens) <= 5
    ):
        return None
    rest = _QUERY_DROP.sub(" ", low)
    words = re.findall(r"[a-z][a-z'&-]*", rest)
    if len(words) > 1:
        words = [w for w in words if not normalize_unit(w)] or words
    product = clean_product(words)
    if not product or product in _GENERIC:
        return result(p, "stock_list", 0.7)
    return result(p, "stock_query", 0.85, product=product)
