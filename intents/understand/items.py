"""Item lists: "2 fans at Rs 1,800 each and 4 tube lights at Rs 250 each".

Input is prepared text (plain-digit numbers, "rs" for rupees). A list is cut
into chunks at commas, "and", "&", "+"; each chunk is read as quantity, unit,
product and price in any of the orders owners write ("8 bags cement 345",
"cement 8 bags @345", "1 AC service 1200", "30 kg potatoes at 22 per kg").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from intents.understand.lexicon import words
from intents.understand.numbers import fmt_decimal
from intents.understand.schema import Item
from intents.understand.units import MEASURES, UNIT_PATTERN, normalize_unit, singularize

_N = r"\d+(?:\.\d+)?"
_U = rf"(?:{UNIT_PATTERN})"
_EACH = r"(?:each|apiece|ea|only|per\s+piece|per\s+pc|per\s+item|per\s+unit|a\s+piece|ek|har\s+ek)"
_PER_UNIT = rf"(?:\s*(?:/|\bper\b|\ba\b|\ban\b|\beach\b|\bevery\b|\bka\b|\bki\b)\s*(?P<pu>{_U})\b)"
_PRICE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # at 345 / @110 / rate 55 / x 345, with optional rs, per unit, each
    re.compile(
        rf"(?:@|\bat\b|\brate\b|\bprice\b|\bx\b|\bdaam\b|\bbhav\b|\bbhaav\b)\s*(?:of\s+)?(?:rs\s*)?(?P<p>{_N})"
        rf"(?:\s*rs\b)?{_PER_UNIT}?(?:\s*\b{_EACH}\b)?"
    ),
    # for 400 each / for rs 400 / for 1200 (at the end)
    re.compile(
        rf"\bfor\s+(?P<rs1>rs\s*)?(?P<p>{_N})(?P<rs2>\s*rs\b)?{_PER_UNIT}?(?P<each>\s*\b{_EACH}\b)?"
        rf"(?=\s*$|\s*[,.])"
    ),
    re.compile(rf"\bfor\s+(?:rs\s*)?(?P<p>{_N})(?:\s*rs\b)?(?:{_PER_UNIT}|\s*\b{_EACH}\b)"),
    re.compile(rf"\bfor\s+rs\s*(?P<p>{_N})|\bfor\s+(?P<p2>{_N})\s*rs\b"),
    # rs 55 / 55 rs [each | per kg]
    re.compile(
        rf"(?:\brs\s*(?P<p>{_N})|(?P<p2>{_N})\s*rs\b)(?:{_PER_UNIT}|\s*(?P<pu2>{_U})\b(?!\s+(?:of\s+)?[a-z]))?"
        rf"(?:\s*\b{_EACH}\b)?"
    ),
    # 90 each
    re.compile(rf"(?P<p>{_N})\s*\b{_EACH}\b"),
    # 22 per kg / 345/bag
    re.compile(rf"(?P<p>{_N})\s*(?:/|\bper\b)\s*(?P<pu>{_U})\b"),
)
_SPLIT = re.compile(r"\s*(?:,|\band\b|\baur\b|\bplus\b|\balso\b|\+|&|\n|;|\bthen\b)\s*", re.IGNORECASE)
_TOKEN = re.compile(rf"{_N}|[^\W\d_][\w'&.-]*[\w]|[^\W\d_]", re.UNICODE)

#: words never part of a product name
FILLER = words(
    "the a an of some more extra new additional another also and with to in into from for on at by my our "
    "this that these those it them its total worth only each per item items qty quantity nos please pls "
    "stock inventory godown shop store rs price rate x add added adding put remove removed sold sell "
    "ka ki ke ko se wala wale wali hai hain tha the diya diye do kar karo kardo de dena bhi aur "
    "i we have has had got received bought purchased new_stock is are was were be been now today yesterday "
    "units unit pieces pc pcs bill invoice customer via using pay paid cash upi gst including incl plus "
    "broke broken damaged lost expired returned wasted used nikal nikalo hatao hata kam ho gaye gayi gaya "
    "mein me main just about around approx approximately around nearly roughly le liya naam update updated "
    "naya nayi naye bhai bhaiya sir ji madam boss yaar liye liyee vaaste vaste waaste waste bana banao banado "
    "banaa banaao"
)
#: product words that are priced, not counted ("AC service 1200" is one service at 1200)
SERVICE_WORDS = words(
    "service servicing repair repairing charge charges fee fees labour labor installation install fitting "
    "visit consultation rent rental delivery transport transportation work job checkup cleaning wash "
    "stitching alteration tuition class classes coaching commission"
)


#: "5 types of rice" names no unit (every other word between a quantity and "of" is one: "2 loaves of bread")
_NOT_UNITS = words("type types kind kinds sort sorts variety varieties brand brands size sizes colour colours color")
#: a product name ends before these words ("geyser damaged in transport", "cement from Ambuja")
_CUT_AT = words("in during while because due since from for by after before when as they it was were got")


_PER_PIECE = re.compile(r"\b(?:each|apiece|ea|per\s+(?:piece|pc|item|unit)|a\s+piece|har\s+ek)\b")


@dataclass
class Draft:
    """An item as read, before validation."""

    product: str = ""
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    price_unit: str | None = None
    product_from_unit: bool = False  # "2 buckets": the unit word stood in for the product

    def to_item(self) -> Item:
        """The public `Item` (product may be empty: the caller decides)."""
        pu = self.price_unit
        unit = self.unit
        if pu and not unit and self.quantity is not None and pu != self.product:
            unit = pu
        if pu == unit:
            pu = None
        return Item(
            product=self.product, quantity=self.quantity, unit=unit, unit_price=self.unit_price, price_unit=pu
        )

    @property
    def empty(self) -> bool:
        """Nothing useful was read."""
        return not self.product and self.quantity is None and self.unit_price is None


def _take_price(chunk: str) -> tuple[str, Decimal | None, str | None]:
    """Cut the price phrase out of a chunk; returns (rest, price, price_unit)."""
    for rx in _PRICE_PATTERNS:
        m = rx.search(chunk)
        if not m:
            continue
        gd = m.groupdict()
        p = gd.get("p") or gd.get("p2")
        if p is None:
            continue
        pu_word = gd.get("pu") or gd.get("pu2")
        pu = normalize_unit(pu_word) if pu_word else None
        rest = (chunk[: m.start()] + " " + chunk[m.end() :]).strip()
        return rest, Decimal(p), pu
    return chunk, None, None


def clean_product(tokens: list[str]) -> str:
    """Product name from leftover words: fillers out, lowercase, last word singular."""
    for k, t in enumerate(tokens):
        if k > 0 and t in _CUT_AT and any(x not in FILLER for x in tokens[:k]):
            tokens = tokens[:k]
            break
    kept = [t for t in tokens if t not in FILLER and not t.isdigit()]
    while kept and kept[-1] in ("s", "'s"):
        kept.pop()
    if not kept:
        return ""
    name = " ".join(kept)
    name = re.sub(r"[^\w\s&'-]", "", name).strip(" '-")
    return singularize(name)


def parse_chunk(chunk: str, unit_as_product: bool = True) -> Draft:
    """Read one item ("8 bags cement at 345") into a `Draft`."""
    c = chunk.lower().strip(" .:-")
    rest, price, price_unit = _take_price(c)
    toks = _TOKEN.findall(rest)
    d = Draft(unit_price=price, price_unit=price_unit)
    nums = [i for i, t in enumerate(toks) if t[0].isdigit()]
    used: set[int] = set()
    if nums:
        qi = nums[0]
        d.quantity = Decimal(toks[qi])
        used.add(qi)
        j = qi + 1
        while j < len(toks) and toks[j] in ("more", "extra", "new", "additional", "big", "small", "full"):
            j += 1
        if j < len(toks) and normalize_unit(toks[j]) and not toks[j][0].isdigit():
            # "2 l" is litre, but "5 m" is metre only before a product or at the end
            d.unit = normalize_unit(toks[j])
            used.add(j)
            if j + 1 < len(toks) and toks[j + 1] == "of":
                used.add(j + 1)
        elif (
            j + 2 < len(toks)
            and toks[j + 1] == "of"
            and toks[j].isalpha()
            and len(toks[j]) > 2  # not "1st of every month"
            and toks[j] not in FILLER
            and toks[j] not in _NOT_UNITS
            and not toks[j + 2][0].isdigit()
        ):
            d.unit = singularize(toks[j])  # "3 sheets of plywood", "2 jars of pickle": any counting word
            used.update({j, j + 1})
        if d.unit_price is None and len(nums) >= 2:
            pi = nums[-1]
            d.unit_price = Decimal(toks[pi])
            used.add(pi)
            if pi + 1 < len(toks) and normalize_unit(toks[pi + 1]):
                d.price_unit = normalize_unit(toks[pi + 1])
                used.add(pi + 1)
    else:
        for i, t in enumerate(toks):
            if t in ("a", "an", "one", "ek") and i + 1 < len(toks) and normalize_unit(toks[i + 1]):
                d.quantity, d.unit = Decimal(1), normalize_unit(toks[i + 1])
                used.update({i, i + 1})
                if i + 2 < len(toks) and toks[i + 2] == "of":
                    used.add(i + 2)
                break
            if t in ("dozen", "dozens") and i == 0:
                d.quantity, d.unit = Decimal(1), "dozen"
                used.add(i)
                break
    product_toks = [t for i, t in enumerate(toks) if i not in used]
    # a unit word left among the product words ("cement bags 8") is the unit
    if d.unit is None:
        for i, t in enumerate(product_toks):
            u = normalize_unit(t)
            if u and len([x for x in product_toks if x not in FILLER]) > 1 and len(t) > 2:
                d.unit = u
                product_toks.pop(i)
                break
    # "half a dozen padlocks at 180 each": the price is per piece, so the dozens become pieces
    if d.unit == "dozen" and d.quantity is not None and d.unit_price is not None and d.price_unit is None:
        if _PER_PIECE.search(c):
            d.quantity, d.unit = Decimal(fmt_decimal(d.quantity * 12)), None
    d.product = clean_product(product_toks)
    if not d.product and d.unit and unit_as_product and d.unit not in MEASURES:
        d.product, d.unit, d.product_from_unit = d.unit, None, True
    # "AC service 1200": a service with one bare number after it is priced, not counted
    if (
        d.unit_price is None
        and d.unit is None
        and len(nums) == 1
        and d.quantity is not None
        and d.product
        and set(d.product.split()) & SERVICE_WORDS
        and _number_after_product(toks, nums[0])
    ):
        d.unit_price, d.quantity = d.quantity, Decimal(1)
    return d


def _number_after_product(toks: list[str], qi: int) -> bool:
    return any(t not in FILLER and not t[0].isdigit() for t in toks[:qi])


def split_chunks(segment: str) -> list[str]:
    """Cut an item list into chunks (decimal points and "rs 1,800" are safe: numbers are plain already)."""
    return [c for c in _SPLIT.split(segment) if c and c.strip(" .:-")]


def parse_items(segment: str, unit_as_product: bool = True) -> list[Item]:
    """Every item in `segment`; chunks holding only a price or only a product are merged with a neighbour."""
    drafts: list[Draft] = []
    for chunk in split_chunks(segment):
        d = parse_chunk(chunk, unit_as_product)
        if d.empty:
            continue
        if drafts:
            prev = drafts[-1]
            # "cement, 8 bags" / "8 bags, cement"
            if (
                (not d.product or d.product_from_unit)
                and d.quantity is not None
                and prev.product
                and prev.quantity is None
            ):
                prev.quantity = d.quantity
                prev.unit = (
                    prev.unit or d.unit or (normalize_unit(d.product) if d.product_from_unit else None)
                )
                prev.unit_price = prev.unit_price or d.unit_price
                continue
            # "8 bags cement, at 345"
            if not d.product and d.quantity is None and d.unit_price is not None and prev.unit_price is None:
                prev.unit_price, prev.price_unit = d.unit_price, d.price_unit
                continue
            if d.product and d.quantity is None and prev.product_from_unit:
                prev.unit, prev.product, prev.product_from_unit = (
                    normalize_unit(prev.product),
                    d.product,
                    False,
                )
                prev.unit_price = prev.unit_price or d.unit_price
                continue
            if d.product and prev.quantity is not None and not prev.product:
                prev.product = d.product
                prev.unit_price = prev.unit_price or d.unit_price
                continue
        drafts.append(d)
    return [d.to_item() for d in drafts]
