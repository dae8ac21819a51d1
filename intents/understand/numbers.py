"""Numbers as Indian shop owners write them.

Digits ("1500", "2.5"), Indian and western grouping ("1,25,000", "1,800"),
suffixes ("12k", "3.5k", "1.2 lakh", "2 lakhs", "1 crore", "5 hazar") and words
("fifteen", "two thousand five hundred", "twelve hundred", "one and a half",
"a dozen", "half"). `parse_number` reads one whole string; `find_numbers`
finds every number in a sentence; `normalize_numbers` rewrites a sentence so
each number is plain digits, which is what the rest of the engine reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

SMALL: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
HUNDREDS: dict[str, int] = {"hundred": 100, "sau": 100}
SCALES: dict[str, int] = {
    "thousand": 1000,
    "hazar": 1000,
    "hazaar": 1000,
    "hajar": 1000,
    "hajaar": 1000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "lac": 100_000,
    "lacs": 100_000,
    "lakh's": 100_000,
    "million": 1_000_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
}
FRACTIONS: dict[str, Decimal] = {
    "half": Decimal("0.5"),
    "quarter": Decimal("0.25"),
    "dedh": Decimal("1.5"),
    "dhai": Decimal("2.5"),
    "dhaai": Decimal("2.5"),
    "adha": Decimal("0.5"),
    "aadha": Decimal("0.5"),
    "sawa": Decimal("1.25"),
    "sava": Decimal("1.25"),
    "paune": Decimal("0.75"),
}
#: Hindi number words, read only after "saade/sawa/paune" ("saade teen hazaar"), where no other reading fits
HINDI_SMALL: dict[str, int] = {
    "ek": 1,
    "do": 2,
    "teen": 3,
    "char": 4,
    "chaar": 4,
    "paanch": 5,
    "panch": 5,
    "chhe": 6,
    "chhah": 6,
    "che": 6,
    "saat": 7,
    "aath": 8,
    "nau": 9,
    "das": 10,
}
#: "saade N" = N + 0.5, "sawa N" = N + 0.25, "paune N" = N - 0.25
_HINDI_OFFSET: dict[str, Decimal] = {
    "saade": Decimal("0.5"),
    "sade": Decimal("0.5"),
    "saadhe": Decimal("0.5"),
    "sadhe": Decimal("0.5"),
    "sawa": Decimal("0.25"),
    "sava": Decimal("0.25"),
    "paune": Decimal("-0.25"),
}
#: single-character fractions ("2½ kg"); NFKC would turn "2½" into "21⁄2", so these are read first
VULGAR: dict[str, Decimal] = {
    "½": Decimal("0.5"),
    "¼": Decimal("0.25"),
    "¾": Decimal("0.75"),
    "⅛": Decimal("0.125"),
    "⅜": Decimal("0.375"),
    "⅝": Decimal("0.625"),
    "⅞": Decimal("0.875"),
    "⅕": Decimal("0.2"),
    "⅖": Decimal("0.4"),
    "⅗": Decimal("0.6"),
    "⅘": Decimal("0.8"),
}
#: suffix after digits -> multiplier ("12k", "1.2 lakh", "5 hazar", "2 hundred")
DIGIT_SUFFIX: dict[str, int] = {"k": 1000, "cr": 10_000_000, **SCALES, **HUNDREDS}

_WORDS = sorted([*SMALL, *TENS, *HUNDREDS, *SCALES], key=len, reverse=True)
_WORD_ALT = "|".join(re.escape(w) for w in _WORDS)
_SUFFIX_ALT = "|".join(re.escape(w) for w in sorted(DIGIT_SUFFIX, key=len, reverse=True))

_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{2})*,\d{3}(?:\.\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_GROUPED_IN_TEXT = re.compile(
    r"(?<![\d,.])(?:\d{1,3}(?:,\d{2})*,\d{3}|\d{1,3}(?:,\d{3})+)(?:\.\d+)?(?![\d,]\d)"
)
_DIGIT_SCALE = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s*({_SUFFIX_ALT})\b", re.IGNORECASE)
_WORD_SEQ = re.compile(
    rf"\b(?:(?:a|an)\s+(?=(?:hundred|thousand|lakh|lac|crore|million)\b))?(?:{_WORD_ALT})\b"
    rf"(?:(?:\s+|\s*-\s*)(?:and\s+)?(?:{_WORD_ALT})\b)*",
    re.IGNORECASE,
)
_AND_HALF = re.compile(
    rf"\b(\d+(?:\.\d+)?|(?:{_WORD_ALT})(?:\s+(?:{_WORD_ALT}))*)\s+and\s+(?:a\s+)?half\b", re.IGNORECASE
)
_HALF_BEFORE = re.compile(
    r"\b(half|quarter|dedh|dhai|dhaai|adha|aadha|sawa|sava|paune)\s+(?:a\s+|an\s+)?(?=(?:dozen|kg|kgs|kilo|kilos|kilogram|kilograms|"
    r"litre|litres|liter|liters|ltr|ltrs|metre|metres|meter|meters|g|gm|gms|grams|ton|tonne|quintal|"
    r"hour|hours|hr|hrs|day|days|bag|bags|box|boxes|packet|packets|bottle|bottles|bucket|buckets|"
    r"sack|sacks|tin|tins|plate|plates|cup|cups|piece|pieces|ml|m|l)\b)",
    re.IGNORECASE,
)
_SCALE_WORDS = "|".join(re.escape(w) for w in sorted([*SCALES, *HUNDREDS], key=len, reverse=True))
_SMALL_ALT = "|".join(re.escape(w) for w in sorted([*SMALL, *HINDI_SMALL], key=len, reverse=True))
#: "saade teen hazaar" (3500), "sawa 2 lakh" (225000), "paune do kilo" (1.75 kilo)
_HINDI_COMPOUND = re.compile(
    rf"\b(?P<op>{'|'.join(_HINDI_OFFSET)})\s+(?P<n>\d+|{_SMALL_ALT})\b(?:\s*(?P<s>{_SCALE_WORDS})\b)?",
    re.IGNORECASE,
)
#: "dedh lakh" (150000), "dhai hazaar" (2500), "half a lakh", "paune sau" (75)
_FRACTION_SCALE = re.compile(
    rf"\b(?P<f>{'|'.join(FRACTIONS)})\s+(?:a\s+)?(?P<s>{_SCALE_WORDS})\b",
    re.IGNORECASE,
)
#: "1/2 kg", "1 1/2 kg", "3/4 litre", "1/2 dozen": a proper fraction with a small denominator, followed by a
#: word (a unit or a product); "12/3", "26-27/0001" and "1/2/2025" are not fractions
_SLASH_FRACTION = re.compile(
    r"(?<![\w/.,-])(?:(?P<w>\d{1,3})\s+)?(?P<a>\d)\s*[/\u2044]\s*(?P<b>\d{1,2})(?![\d/.,-]|\s*[/-]\s*\d)"
    r"(?=\s*(?:of\s+)?(?P<next>[^\W\d_]+))",
)
#: words after which "1/2" is not a quantity ("due 1/2", "1/2 se")
_NOT_AFTER_FRACTION = frozenset(
    "to from at on by due se tak ko ka ki ke and or till until paid pe par is was am pm".split()
)
_VULGAR_RX = re.compile(rf"(?:(\d+)\s*)?([{''.join(VULGAR)}])")
_MONEY_BEFORE = (
    r"(?:₹|\brs\.?|\binr\b|\brupees?\b|\bpaid\b|\bpays?\b|\breceived\b|\bamount\b|\bpayment\b|\btotal\b"
    r"|\bbalance\b|\bdue\b|\bloan\b|\bcredited\b|\btransferred\b|\bsent\b|\bworth\b)"
)
_MONEY_AFTER = (
    r"(?:rs|rupees?|₹|diye|diya|de\s+diye|bheje|bheja|aaye|aye|aaya|aya|jama|mile|mila|paid|received|via|through|"
    r"neft|rtgs|imps|cheque|upi|gpay|phonepe|paytm|transfer|payment|ka\s+payment)\b"
)
#: "Rs 1.5L", "paid 2L", "1.2 L diye": L for lakh next to money words; elsewhere "5 l milk" is litres
_NUM_L = re.compile(r"(?<!\w)(?<!\d\.)(?P<n>\d+(?:\.\d+)?)\s*[lL]\b")
_MONEY_BEFORE_RX = re.compile(rf"{_MONEY_BEFORE}\s*(?:of\s+)?$", re.IGNORECASE)
_CURRENCY_BEFORE_RX = re.compile(r"(?:₹|\brs\.?|\binr|\brupees?)\s*$", re.IGNORECASE)
#: after "received 2L", a word other than these names a product ("received 5 l oil" is litres)
_AFTER_LAKH_OK = re.compile(
    r"\s*(?:$|[,.;:!?)]|(?:by|via|through|from|se|on|in|ka|ki|ke|to|for|against|cash|online|only|bank|today|"
    r"yesterday|kal|aaj|and|aur|towards|as)\b)",
    re.IGNORECASE,
)
_MONEY_AFTER_RX = re.compile(rf"\s*{_MONEY_AFTER}", re.IGNORECASE)
_A_DOZEN = re.compile(r"\b(?:a|one|ek)\s+(?=dozen\b)", re.IGNORECASE)
#: "one" is a pronoun after these words ("the first one", "that one", "no one")
_ONE_PRONOUN_BEFORE = frozenset(
    {
        "the",
        "this",
        "that",
        "which",
        "no",
        "any",
        "every",
        "each",
        "last",
        "first",
        "second",
        "third",
        "other",
        "same",
        "new",
        "right",
        "wrong",
        "latest",
        "old",
        "next",
        "another",
        "previous",
        "older",
        "newer",
        "earlier",
        "later",
        "some",
        "only",
    }
)


@dataclass(frozen=True)
class NumberMatch:
    """A number found in text: its value and where it was."""

    value: Decimal
    start: int
    end: int
    text: str


def _words_value(tokens: list[str]) -> list[Decimal]:
    """Read number words left to right; a token that cannot continue starts a new number."""
    out: list[Decimal] = []
    total = 0
    current = 0
    last = ""  # kind of the last token: small, teen, tens, hundred, scale
    started = False
    last_scale = 10**12

    def flush() -> None:
        nonlocal total, current, started, last, last_scale
        if started:
            out.append(Decimal(total + current))
        total = current = 0
        started = False
        last = ""
        last_scale = 10**12

    for tok in tokens:
        if tok in ("a", "an"):
            flush()
            current, started, last = 1, True, "small"
            continue
        if tok in SMALL:
            v = SMALL[tok]
            kind = "teen" if v >= 10 else "small"
            if last in ("small", "teen") or (last == "tens" and kind == "teen"):
                flush()
            if last == "tens" and v == 0:
                flush()
            current += v
            started, last = True, kind
        elif tok in TENS:
            if last in ("small", "teen", "tens"):
                flush()
            current += TENS[tok]
            started, last = True, "tens"
        elif tok in HUNDREDS:
            if last == "hundred" or (current % 100 == 0 and current):
                flush()
            current = (current or 1) * 100
            started, last = True, "hundred"
        elif tok in SCALES:
            scale = SCALES[tok]
            if last == "scale" or scale >= last_scale:
                flush()
            total += (current or 1) * scale
            current = 0
            last_scale = scale
            started, last = True, "scale"
    flush()
    return out


def _fmt(d: Decimal) -> str:
    """Plain digits, no exponent, no trailing zeros after the point."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


def ascii_digits(text: str) -> str:
    """Devanagari and other decimal digits become 0-9; digit-like signs that are not decimal become spaces."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            value = unicodedata.decimal(ch, None)
            out.append(" " if value is None else str(value))
        else:
            out.append(ch)
    return "".join(out)


def _clean(d: Decimal) -> Decimal:
    """Drop trailing zeros ("3500.0" -> "3500") without switching to exponent form."""
    return Decimal(_fmt(d))


def parse_number(s: str) -> Decimal | None:
    """Read one number written any common way; None when `s` is not a number.

    >>> parse_number("1,25,000"), parse_number("3.5k"), parse_number("two thousand five hundred")
    (Decimal('125000'), Decimal('3500'), Decimal('2500'))
    """
    if s is None:
        return None
    t = ascii_digits(s).strip().lower().rstrip(".").strip()
    t = re.sub(r"\s+", " ", t)
    if not t:
        return None
    try:
        if _PLAIN.fullmatch(t):
            return Decimal(t)
        if _GROUPED.fullmatch(t):
            return Decimal(t.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - regexes allow only valid literals
        return None
    m = re.fullmatch(rf"(\d+(?:\.\d+)?|\d{{1,3}}(?:,\d{{2,3}})+)\s*({_SUFFIX_ALT})", t)
    if m:
        return _clean(Decimal(m.group(1).replace(",", "")) * DIGIT_SUFFIX[m.group(2)])
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)\s+)?(?:a\s+)?dozens?", t)
    if m:
        return (Decimal(m.group(1)) if m.group(1) else Decimal(1)) * 12
    m = re.fullmatch(r"half (?:a )?dozen", t)
    if m:
        return Decimal(6)
    if t in FRACTIONS:
        return FRACTIONS[t]
    m = re.fullmatch(r"(.+?)\s+and\s+(?:a\s+)?half", t)
    if m:
        base = parse_number(m.group(1))
        return None if base is None else _clean(base + Decimal("0.5"))
    m = re.fullmatch(r"(.+?)\s+point\s+((?:(?:zero|one|two|three|four|five|six|seven|eight|nine)\s*)+)", t)
    if m:
        base = parse_number(m.group(1))
        if base is None:
            return None
        digits = "".join(str(SMALL[w]) for w in m.group(2).split())
        return Decimal(f"{_fmt(base)}.{digits}")
    m = re.fullmatch(
        r"(\d+(?:\.\d+)?)\s+(.+)", t
    )  # "2 thousand five hundred" is rare; "2 thousand" is handled above
    if m and _WORD_SEQ.fullmatch(m.group(2)):
        return None
    if _WORD_SEQ.fullmatch(t):
        tokens = [w for w in re.split(r"[\s-]+", t) if w and w != "and"]
        values = _words_value(tokens)
        if len(values) == 1:
            return values[0]
    if _HINDI_COMPOUND.fullmatch(t) or _FRACTION_SCALE.fullmatch(t) or "/" in t or not t.isascii():
        n = normalize_numbers(t)  # "dhai hazaar", "saade teen sau", "1 1/2", "2½"
        if n != t and _PLAIN.fullmatch(n):
            return Decimal(n)
    return None


def _replace_words(m: re.Match[str]) -> str:
    """Turn one run of number words into digits (several numbers stay several)."""
    text = m.group(0)
    tokens = [w for w in re.split(r"[\s-]+", text.lower()) if w and w != "and"]
    if tokens == ["one"]:
        before = m.string[: m.start()].split()
        after = m.string[m.end() :].lstrip().lower()
        if (
            (before and before[-1].lower() in _ONE_PRONOUN_BEFORE)
            or after.startswith("of ")
            or after.startswith("by one")
        ):
            return text
    return " ".join(_fmt(v) for v in _words_value(tokens))


def _and_half(m: re.Match[str]) -> str:
    """Reads "one and a half" / "2 and half" -> "1.5" / "2.5"."""
    base = parse_number(m.group(1))
    return m.group(0) if base is None else _fmt(base + Decimal("0.5"))


def vulgar_fractions(text: str) -> str:
    """Single-character fractions as decimals: "2½ kg" -> "2.5 kg", "¾ litre" -> "0.75 litre".

    Run before NFKC, which splits "2½" into "21⁄2".
    """
    if text.isascii():
        return text
    return _VULGAR_RX.sub(lambda m: _fmt(Decimal(m.group(1) or 0) + VULGAR[m.group(2)]), text)


def _slash_fraction(m: re.Match[str]) -> str:
    a, b = int(m.group("a")), int(m.group("b"))
    if not 0 < a < b or b not in (2, 4, 5, 8, 10) or m.group("next").lower() in _NOT_AFTER_FRACTION:
        return m.group(0)
    whole = Decimal(m.group("w") or 0)
    return _fmt(whole + Decimal(a) / Decimal(b))


def _hindi_compound(m: re.Match[str]) -> str:
    n = m.group("n").lower()
    base = Decimal(n) if n.isdigit() else Decimal(SMALL.get(n, HINDI_SMALL.get(n, 0)))
    if base == 0:
        return m.group(0)
    value = base + _HINDI_OFFSET[m.group("op").lower()]
    scale = m.group("s")
    if scale:
        value *= SCALES.get(scale.lower()) or HUNDREDS[scale.lower()]
    return _fmt(value)


def _fraction_scale(m: re.Match[str]) -> str:
    scale = m.group("s").lower()
    return _fmt(FRACTIONS[m.group("f").lower()] * (SCALES.get(scale) or HUNDREDS[scale]))


def _lakh_l(m: re.Match[str]) -> str:
    before = m.string[max(0, m.start() - 30) : m.start()]
    if (
        _CURRENCY_BEFORE_RX.search(before)
        or _MONEY_AFTER_RX.match(m.string, m.end())
        or (_MONEY_BEFORE_RX.search(before) and _AFTER_LAKH_OK.match(m.string, m.end()))
    ):
        return _fmt(Decimal(m.group("n")) * 100_000)
    return m.group(0)


def normalize_numbers(text: str) -> str:
    """Rewrite every number in `text` as plain digits.

    >>> normalize_numbers("eight bags at three hundred rupees, 1,25,000 and 3.5k, half kg")
    '8 bags at 300 rupees, 125000 and 3500, 0.5 kg'
    """
    t = _GROUPED_IN_TEXT.sub(lambda m: m.group(0).replace(",", ""), ascii_digits(vulgar_fractions(text)))
    t = _SLASH_FRACTION.sub(_slash_fraction, t)
    t = _HINDI_COMPOUND.sub(_hindi_compound, t)
    t = _FRACTION_SCALE.sub(_fraction_scale, t)
    t = _NUM_L.sub(_lakh_l, t)
    t = _AND_HALF.sub(_and_half, t)
    t = _HALF_BEFORE.sub(lambda m: _fmt(FRACTIONS[m.group(1).lower()]) + " ", t)
    t = _A_DOZEN.sub("1 ", t)
    t = _DIGIT_SCALE.sub(lambda m: _fmt(Decimal(m.group(1)) * DIGIT_SUFFIX[m.group(2).lower()]), t)
    t = _WORD_SEQ.sub(_replace_words, t)
    t = _DIGIT_SCALE.sub(lambda m: _fmt(Decimal(m.group(1)) * DIGIT_SUFFIX[m.group(2).lower()]), t)
    t = re.sub(
        r"\b(dedh|dhai|dhaai)\b", lambda m: _fmt(FRACTIONS[m.group(1).lower()]), t, flags=re.IGNORECASE
    )
    return t


_NUM_IN_NORMALIZED = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])|(?<![\w.])\d+(?:\.\d+)?(?=[a-zA-Z])")


def find_numbers(text: str) -> list[NumberMatch]:
    """Every number in `text`, in order; spans refer to ``normalize_numbers(text)``."""
    norm = normalize_numbers(text)
    return [
        NumberMatch(Decimal(m.group(0)), m.start(), m.end(), m.group(0))
        for m in _NUM_IN_NORMALIZED.finditer(norm)
    ]


def fmt_decimal(d: Decimal) -> str:
    """Plain digits for a Decimal ("1500", "2.5"): no exponent, no trailing zeros."""
    return _fmt(d)
