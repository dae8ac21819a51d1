"""Units of measure and counting, their spellings, and conversions.

`normalize_unit("kgs") == "kg"`; `convert(500, "g", "kg") == Decimal("0.5")`;
`singularize("potatoes") == "potato"`. A unit word counts as a unit only
next to a quantity ("5 bags", "2kg"); the engine decides that, not this module.
"""

from __future__ import annotations

import re
from decimal import Decimal

_ALIASES: dict[str, tuple[str, ...]] = {
    "kg": (
        "kg",
        "kgs",
        "kilo",
        "kilos",
        "kilogram",
        "kilograms",
        "kilogramme",
        "kilogrammes",
        "kgm",
        "kilo gram",
    ),
    "g": ("g", "gm", "gms", "gram", "grams", "gramme", "grammes", "grm", "grms", "gr"),
    "mg": ("mg", "milligram", "milligrams"),
    "litre": ("litre", "litres", "liter", "liters", "ltr", "ltrs", "lt", "lit", "l", "lts"),
    "ml": ("ml", "mls", "millilitre", "millilitres", "milliliter", "milliliters"),
    "dozen": ("dozen", "dozens", "dz", "dzn", "doz"),
    "bag": ("bag", "bags"),
    "box": ("box", "boxes", "bx", "dibba", "dibbe", "dabba", "dabbe", "dibbi", "dibbiyan", "dabbi"),
    "packet": (
        "packet",
        "packets",
        "pkt",
        "pkts",
        "pack",
        "packs",
        "pckt",
        "pckts",
        "pouch",
        "pouches",
        "paket",
    ),
    "piece": ("piece", "pieces", "pc", "pcs", "nos", "unit", "units", "pcs.", "peice", "peices"),
    "bottle": ("bottle", "bottles", "btl", "btls", "botal"),
    "hour": ("hour", "hours", "hr", "hrs"),
    "day": ("day", "days"),
    "bucket": ("bucket", "buckets", "balti"),
    "metre": ("metre", "metres", "meter", "meters", "mtr", "mtrs", "m"),
    "cm": ("cm", "cms", "centimetre", "centimetres", "centimeter", "centimeters"),
    "mm": ("mm", "millimetre", "millimetres", "millimeter", "millimeters"),
    "foot": ("foot", "feet", "ft"),
    "inch": ("inch", "inches"),
    "sqft": ("sqft", "sq ft", "sq.ft", "square feet", "square foot"),
    "ton": ("ton", "tons", "tonne", "tonnes"),
    "quintal": ("quintal", "quintals", "qtl", "qtls"),
    "tin": ("tin", "tins", "peepa", "peepe"),
    "roll": ("roll", "rolls"),
    "pair": ("pair", "pairs", "jodi", "jode"),
    "set": ("set", "sets"),
    "sack": ("sack", "sacks", "bori", "boriya"),
    "carton": ("carton", "cartons", "ctn", "ctns"),
    "jar": ("jar", "jars"),
    "can": ("can", "cans"),
    "bundle": ("bundle", "bundles", "bdl", "bdls"),
    "sheet": ("sheet", "sheets"),
    "plate": ("plate", "plates"),
    "strip": ("strip", "strips"),
    "tray": ("tray", "trays"),
    "crate": ("crate", "crates"),
    "cup": ("cup", "cups"),
    "drum": ("drum", "drums"),
    "coil": ("coil", "coils"),
    "loaf": ("loaf", "loaves"),
    "ream": ("ream", "reams"),
}

#: alias (lowercase) -> canonical unit
UNIT_ALIASES: dict[str, str] = {a: canon for canon, aliases in _ALIASES.items() for a in aliases}
CANONICAL_UNITS: frozenset[str] = frozenset(_ALIASES)
#: units that measure rather than count; never a product name on their own
MEASURES: frozenset[str] = frozenset(
    {
        "kg",
        "g",
        "mg",
        "litre",
        "ml",
        "metre",
        "cm",
        "mm",
        "foot",
        "inch",
        "sqft",
        "ton",
        "quintal",
        "hour",
        "day",
        "dozen",
    }
)
#: regex alternation of every alias, longest first (for building patterns elsewhere)
UNIT_PATTERN: str = "|".join(re.escape(a) for a in sorted(UNIT_ALIASES, key=len, reverse=True))

# factor to a base unit within one dimension
_DIMENSIONS: dict[str, dict[str, Decimal]] = {
    "mass": {
        "mg": Decimal("0.001"),
        "g": Decimal(1),
        "kg": Decimal(1000),
        "quintal": Decimal(100000),
        "ton": Decimal(1000000),
    },
    "volume": {"ml": Decimal(1), "litre": Decimal(1000)},
    "length": {
        "mm": Decimal("0.001"),
        "cm": Decimal("0.01"),
        "metre": Decimal(1),
        "inch": Decimal("0.0254"),
        "foot": Decimal("0.3048"),
    },
    "count": {"piece": Decimal(1), "pair": Decimal(2), "dozen": Decimal(12)},
    "time": {"hour": Decimal(1)},
}


class UnitConversionError(ValueError):
    """Two units cannot be converted into each other (e.g. kg and litre)."""

    def __init__(self, from_unit: str | None, to_unit: str | None) -> None:
        super().__init__(f"cannot convert {from_unit or 'no unit'} to {to_unit or 'no unit'}")
        self.from_unit = from_unit
        self.to_unit = to_unit


def normalize_unit(word: str | None) -> str | None:
    """Canonical unit for a spelling ("Kgs" -> "kg", "ltr" -> "litre"); None when not a unit."""
    if not word:
        return None
    w = re.sub(r"\s+", " ", word.strip().lower().rstrip("."))
    if w in UNIT_ALIASES:
        return UNIT_ALIASES[w]
    if w.endswith(".") and w[:-1] in UNIT_ALIASES:  # pragma: no cover - stripped above
        return UNIT_ALIASES[w[:-1]]
    return None


def _dimension(unit: str) -> tuple[str, Decimal] | None:
    for dim, table in _DIMENSIONS.items():
        if unit in table:
            return dim, table[unit]
    return None


def convert(qty: Decimal | int | str, from_unit: str, to_unit: str) -> Decimal:
    """Convert a quantity between units of one kind ("500", "g", "kg" -> 0.5).

    Raises `UnitConversionError` when the units measure different things.
    """
    q = Decimal(str(qty))
    src, dst = normalize_unit(from_unit), normalize_unit(to_unit)
    if src is None or dst is None:
        raise UnitConversionError(from_unit, to_unit)
    if src == dst:
        return q
    a, b = _dimension(src), _dimension(dst)
    if a is None or b is None or a[0] != b[0]:
        raise UnitConversionError(src, dst)
    result = q * a[1] / b[1]
    return result.quantize(Decimal(1)) if result == result.to_integral_value() else result.normalize()


_IRREGULAR: dict[str, str] = {
    "knives": "knife",
    "leaves": "leaf",
    "shelves": "shelf",
    "loaves": "loaf",
    "halves": "half",
    "wives": "wife",
    "lives": "life",
    "wolves": "wolf",
    "thieves": "thief",
    "calves": "calf",
    "men": "man",
    "women": "woman",
    "children": "child",
    "mice": "mouse",
    "feet": "foot",
    "teeth": "tooth",
    "geese": "goose",
    "people": "person",
    "shoes": "shoe",
    "toes": "toe",
    "canoes": "canoe",
    "buses": "bus",
    "gases": "gas",
    "lenses": "lens",
    "bonuses": "bonus",
    "viruses": "virus",
    "cookies": "cookie",
    "movies": "movie",
    "brownies": "brownie",
    "pies": "pie",
    "ties": "tie",
    "veggies": "veggie",
    "smoothies": "smoothie",
    "selfies": "selfie",
    "zombies": "zombie",
    "dies": "die",
    "lies": "lie",
    "sarees": "saree",
    "saris": "sari",
    "series": "series",
    "species": "species",
    "news": "news",
    "dice": "die",
    "oxen": "ox",
    "indices": "index",
    "matrices": "matrix",
    "appendices": "appendix",
    "axes": "axe",
    "batches": "batch",
}
_INVARIANT_ENDINGS = ("ss", "us", "ous", "ics", "ness")
_IS_SINGULAR = frozenset(
    {
        "basis",
        "axis",
        "tennis",
        "analysis",
        "thesis",
        "crisis",
        "diagnosis",
        "oasis",
        "iris",
        "chassis",
        "synopsis",
        "emphasis",
        "hypothesis",
        "paralysis",
        "parenthesis",
        "this",
        "his",
        "is",
        "elvis",
        "trellis",
        "bis",
        "pelvis",
        "mantis",
        "tonsillitis",
    }
)
_INVARIANT: frozenset[str] = frozenset(
    {
        "rice",
        "gas",
        "dal",
        "news",
        "jeans",
        "pants",
        "trousers",
        "scissors",
        "spectacles",
        "chess",
        "lens",
        "bus",
        "plus",
        "yes",
        "this",
        "his",
        "its",
        "was",
        "has",
        "always",
        "series",
        "species",
        "atlas",
        "bias",
        "canvas",
        "ghee",
        "tea",
        "coffee",
        "sugar",
        "oil",
        "paint",
        "cement",
        "sand",
        "wheat",
        "salt",
        "masala",
        "chana",
        "besan",
        "maida",
        "atta",
        "sooji",
        "rava",
        "paneer",
        "dhal",
        "ghas",
        "class",
        "glass",
        "grass",
        "brass",
        "mattress",
        "dress",
        "press",
        "gps",
        "ups",
        "ms",
        "ps",
        "cctv",
        "abs",
        "ds",
        "kps",
        "lays",
        "mrs",
        "texas",
    }
)
_ES_ENDINGS = ("sses", "shes", "ches", "xes", "zes", "oes")


def singularize(word: str) -> str:
    """Singular of an English noun, case kept ("potatoes" -> "potato", "tube lights" -> "tube light").

    Only the last word of a phrase changes. Words already singular come back unchanged.
    """
    if not word:
        return word
    head, _, last = word.rpartition(" ")
    prefix = head + " " if head else ""
    low = last.lower()
    if len(low) <= 3 or (not low.isalpha() and not low.replace("-", "").isalpha()):
        return word
    if low in _INVARIANT or low in _IS_SINGULAR:
        return word
    if low in _IRREGULAR:
        return prefix + _match_case(last, _IRREGULAR[low])
    if low.endswith(_INVARIANT_ENDINGS) or not low.endswith("s"):
        return word
    if low.endswith("ies") and len(low) > 4:
        return prefix + last[:-3] + _match_case(last[-3:], "y")
    if low.endswith(_ES_ENDINGS):
        return prefix + last[:-2]
    return prefix + last[:-1]


def _match_case(original: str, replacement: str) -> str:
    """Give `replacement` the case pattern of `original` (upper, title or lower)."""
    if original.isupper():
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement
