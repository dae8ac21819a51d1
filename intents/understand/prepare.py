"""First pass over a message: clean it and pull out the unambiguous entities.

Emails, phone numbers, GSTINs, invoice numbers, HSN codes and GST rates are
found on the raw text and cut out, so their digits never look like
quantities. What is left is normalized: one spelling of "rupees" ("rs"),
plain-digit numbers, "500g" split into "500 g", known typos fixed, spoken
fillers dropped, possessives split ("Rekha's" -> "Rekha 's"). Case is kept
for names; `low` is the lowercase copy the rules read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz import fuzz, process

from intents.understand.gstin import find_gstin
from intents.understand.lexicon import CONTRACTIONS, FILLERS, FUZZY_KEYWORDS, TYPOS
from intents.understand.money import canonical_currency
from intents.understand.numbers import ascii_digits, normalize_numbers, vulgar_fractions
from intents.understand.phones import find_emails, find_phones
from intents.understand.units import UNIT_PATTERN, normalize_unit

_POLITE = re.compile(
    r"^(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+|pls\s+|kindly\s+)?|(?:please|pls|plz|kindly)\s+|"
    r"i\s+(?:want|need|would\s+like)\s+(?:you\s+)?to\s+|(?:i\s+)?(?:want|need)\s+to\s+|let\s+us\s+|let's\s+)+",
    re.IGNORECASE,
)
_ZW = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_QUOTES = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "–": "-", "—": "-", "×": " x "}
)
_GSTIN_RX = re.compile(r"\b[0-9]{2}[A-Za-z]{5}[0-9]{4}[A-Za-z][0-9A-Za-z]{3}\b")
_INV_EXCLUDE = frozenset(
    {
        "rs",
        "inr",
        "gst",
        "hsn",
        "sac",
        "upi",
        "neft",
        "imps",
        "rtgs",
        "ref",
        "utr",
        "txn",
        "covid",
        "ac",
        "tv",
        "led",
        "mp",
        "up",
        "no",
        "km",
        "kg",
        "sq",
        "ft",
        "mm",
        "cm",
    }
)
_INV_LABELLED = re.compile(
    r"\b(?P<kw>inv(?:oice)?|bill)\s*(?:no\.?|number|num|#)\s*[:.\-]?\s*(?P<n>[A-Za-z]{0,6}[-/]?\d[A-Za-z0-9/-]{0,14})",
    re.IGNORECASE,
)
_INV_HASH = re.compile(r"(?<![\w#])#\s*(?P<n>\d{1,8})\b")
_INV_CODE = re.compile(
    r"\b(?P<n>(?P<p>[A-Za-z]{2,6})[-/](?=[A-Za-z0-9/-]*\d)[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*)\b"
)
_INV_GLUED = re.compile(r"\b(?P<n>inv\d{1,8})\b", re.IGNORECASE)
# "show invoice 1", "paid 400 for bill 2", "invoice 3 cancel karo": a bare number right after the word is the
# invoice's sequence when no item can follow it (the end, punctuation, or a word that never starts an item);
# "to"/"for"/"ko" count only when the message does not open with the word ("invoice 5 to Mahesh" bills him),
# and after a paying or making verb the number is an amount ("Mahesh paid the bill 1500", "make a bill 500")
_INV_BARE = re.compile(
    r"\b(?:invoice|bill|inv|invc)\s+(?P<n>\d{1,6})(?=\s*(?:$|[,;!?)]|\.(?:\s|$)|(?P<w>[a-z]+)\b))", re.IGNORECASE
)
_NOT_REF_BEFORE = re.compile(
    r"\b(?:paid|pay|pays|payed|cleared|settled|make|create|generate|raise|prepare|issue|cut|new|naya|another)"
    r"(?:\s+(?:a|an|the|his|her|their|my|new))?\s*$",
    re.IGNORECASE,
)
_INV_BARE_NEXT = frozenset(
    "cancel cancelled delete void send resend share forward bhej bhejo bhejna dikhao dikha show open view "
    "batao please pls plz ka ki ke is was has hai me mein pe par on of from again also too "
    "against dated se wala wali details link pdf copy".split()
)
_HSN = re.compile(r"\b(?:hsn|sac)(?:\s*code)?\s*(?:no\.?|number|is|:|=|-)?\s*(?P<n>\d{4,8})\b", re.IGNORECASE)
_HSN_WORD = re.compile(r"\b(?:hsn|sac)\b", re.IGNORECASE)
_TAX_WORD = re.compile(r"\b(?:gst|igst|cgst|sgst|tax|vat)\b", re.IGNORECASE)
_N = r"\d+(?:\.\d+)?"
_PCT = rf"(?P<r>{_N})\s*(?:%|percent\b|per\s+cent\b|pct\b)"
_GST_PATTERNS = (
    re.compile(
        rf"(?:\b(?:with|plus|including|incl\.?|inclusive\s+of|add|and)\s+|\+\s*|@\s*)?{_PCT}\s*"
        rf"(?:gst|igst|tax|vat)\b(?:\s+(?:extra|included|incl|added|also|lagao|laga\s+do|lagega))?",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?:\b(?:with|plus|including|incl\.?|and)\s+|\+\s*)?\b(?:gst|igst|tax|vat)\s*(?:rate\s*)?"
        rf"(?:@|at|of|is|=|:|-)?\s*(?P<r>{_N})\s*(?:%|percent\b|per\s+cent\b)?",
        re.IGNORECASE,
    ),
    re.compile(rf"(?:\b(?:with|plus)\s+|\+\s*)?(?P<r>{_N})\s*(?:gst|igst)\b", re.IGNORECASE),
)
_PCT_ANY = re.compile(rf"(?:@\s*)?{_PCT}", re.IGNORECASE)
_GLUED_UNIT = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)({UNIT_PATTERN})\b", re.IGNORECASE)
_TIMES = re.compile(r"(\d)\s*[x*]\s*(?=\d|rs\b)", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?<=[^\W\d_])'s\b", re.IGNORECASE)
_PLURAL_POSSESSIVE = re.compile(r"(?<=[^\W\d_]s)'(?=\s)")
_WORD_TOKEN = re.compile(r"[^\s,;:!?()\"]+")
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|how|who|whom|which|when|where|why|is|are|do|does|did|can|could|have|has|any|kitna|"
    r"kitne|kitni|kya|kaun|kis|kiska|kiske|kaunse|kab)\b",
    re.IGNORECASE,
)
TOKEN_RX = re.compile(r"\d+(?:\.\d+)?|'s\b|[^\W\d_](?:[\w'&.-]*[^\W_])?|[^\s\w]", re.UNICODE)


@dataclass
class Tok:
    """One token of the prepared text: its text, lowercase form and span."""

    text: str
    low: str
    start: int
    end: int

    @property
    def is_num(self) -> bool:
        """True for a plain number token."""
        return self.low[:1].isdigit()

    @property
    def is_word(self) -> bool:
        """True for a word token (letters first)."""
        return self.low[:1].isalpha()


@dataclass
class Prepared:
    """A message after the first pass (see module docstring)."""

    raw: str
    text: str
    low: str
    tokens: list[Tok]
    phones: list[str] = field(default_factory=list)
    email: str | None = None
    emails: list[str] = field(default_factory=list)
    gstin: str | None = None
    invoice_number: str | None = None
    hsn: str | None = None
    gst_rate: Decimal | None = None
    tax_word: bool = False
    question: bool = False
    mixed_case: bool = False

    @property
    def phone(self) -> str | None:
        """The first phone number, E.164."""
        return self.phones[0] if self.phones else None

    @property
    def words(self) -> list[str]:
        """Lowercase word tokens."""
        return [t.low for t in self.tokens if t.is_word]


# Slips of speech-to-text that change the meaning of a command (seen with the bundled Whisper model):
# a sentence-initial "and <number>" is "add <number>"; "<qty> <unit> on <product>" is "of <product>";
# "set the stock" heard as "set this stock" (which would read as an invoice edit); and a number heard as its
# homophone where only a number fits: "make it three" is written "Make it free." in every espeak voice.
_NUMBER_HOMOPHONES = {"3": "free|tree", "4": "for|fore", "8": "ate", "1": "won", "2": "too"}
_VOICE_SLIPS = (
    (re.compile(r"^and\s+(?=\d)", re.IGNORECASE), "add "),
    (re.compile(rf"(\d\s*(?:{UNIT_PATTERN}))\s+on\s+(?!(?:credit|udhaar|udhar|upi|cash|card|cheque|account|"
                rf"gpay|phonepe|paytm|the\s+\d|top|sale|order|delivery)\b)(?=[a-z])", re.IGNORECASE), r"\1 of "),
    (re.compile(r"\b(?:this|that)\s+(?=stock\b)", re.IGNORECASE), "the "),
    *(
        (re.compile(rf"\b((?:make|change|set)\s+(?:it|that|this|them)\s+(?:to\s+)?)(?:{sounds})"
                    rf"(?=\s*(?:$|[,.!?]|(?:{UNIT_PATTERN})\b))", re.IGNORECASE), rf"\g<1>{digit}")
        for digit, sounds in _NUMBER_HOMOPHONES.items()
    ),
)


#: plural of an upper-case acronym ("LED TVs", "ACs", "PCs"): the rest of the engine reads lowercase text,
#: where "acs" would not lose its "s" and "pcs" would be the unit pieces
_ACRONYM_PLURAL = re.compile(r"(?<![\w.'])([A-Z]{2,5})s\b")
#: what may follow "3 PCs" for "PCs" to be the product (computers), not the unit: the end, a price, a joiner
_PRODUCT_END = re.compile(
    r"\s*(?:$|[,;.!?]|(?:at|@|for|each|rs|x|and|aur|to|in|into|on|from|of\s+rs)\b|[@₹\d])", re.IGNORECASE
)


#: words before "3 PCs" that leave the product still to be named
_COUNT_OPENERS = frozenset(
    "add added adding sold sell sale bill invoice bought buy purchased received got remove removed of for and aur "
    "stock me mein de do bhejo new plus with qty quantity".split()
)


def _acronym_singular(m: re.Match[str]) -> str:
    """Acronym plural to singular: "TVs" -> "TV".

    "PCs" becomes "p.c." (a product) when no other product is named around it; otherwise it is the unit.
    """
    single = m.group(1)
    if normalize_unit(single) is None:
        return single
    before = re.search(r"(?:^|([^\W\d_][\w'-]*)\s+)\d+(?:\.\d+)?\s*$", m.string[: m.start()])
    if before is None or not _PRODUCT_END.match(m.string, m.end()):
        return m.group(0)
    prev = before.group(1) or ""
    if prev.islower() and prev not in _COUNT_OPENERS:  # "soap 5 PCs": the product came first
        return m.group(0)
    return ".".join(single.lower()) + "."


def _cut(text: str, start: int, end: int, repl: str = " ") -> str:
    return text[:start] + repl + text[end:]


_vocab: frozenset[str] = frozenset()


def register_vocabulary(vocab: frozenset[str]) -> None:
    """Words the engine knows; unknown long words close to a keyword are corrected."""
    global _vocab
    _vocab = vocab


def _fix_word(w: str) -> str:
    low = w.lower()
    if low in TYPOS:
        return TYPOS[low]
    if low in CONTRACTIONS:
        return CONTRACTIONS[low]
    if len(low) >= 6 and low.isalpha() and low not in _vocab and w == low:
        hit = process.extractOne(low, FUZZY_KEYWORDS, scorer=fuzz.ratio, score_cutoff=83)
        if hit and hit[0][0] == low[0] and abs(len(hit[0]) - len(low)) <= 2:
            return hit[0]
    return w


def prepare(raw: str) -> Prepared:
    """Run the first pass over one message."""
    t = unicodedata.normalize("NFKC", vulgar_fractions(raw or ""))
    t = ascii_digits(_ZW.sub("", t).translate(_QUOTES))
    t = re.sub(r"[\r\n]+", ", ", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = _POLITE.sub("", t)

    emails = find_emails(t)
    for _, s, e in reversed(emails):
        t = _cut(t, s, e)
    gstin = find_gstin(t)
    if gstin:
        t = _GSTIN_RX.sub(" ", t, count=1)
    t = re.sub(r"(?i)\bwhatsapp:(?=\+?\d)", "", t)
    phones = find_phones(t)
    for _, s, e in reversed(phones):
        t = _cut(t, s, e)

    invoice_number = None
    m = _INV_LABELLED.search(t)
    if m:
        invoice_number = m.group("n").upper()
        t = _cut(t, m.start(), m.end(), f" {m.group('kw').lower()} ")
    else:
        for rx in (_INV_CODE, _INV_GLUED, _INV_HASH):
            for m in rx.finditer(t):
                prefix = (m.groupdict().get("p") or "").lower()
                if prefix in _INV_EXCLUDE or len(m.group("n")) > 16:
                    continue
                invoice_number = m.group("n").upper()
                before = t[: m.start()].rstrip().lower()
                repl = " " if before.endswith(("invoice", "bill", "inv")) else " invoice "
                t = _cut(t, m.start(), m.end(), repl)
                break
            if invoice_number:
                break
    if invoice_number is None:
        for m in _INV_BARE.finditer(t):
            nxt = (m.group("w") or "").lower()
            opens = not t[: m.start()].strip()
            if _NOT_REF_BEFORE.search(t[: m.start()]):
                continue
            if not nxt or nxt in _INV_BARE_NEXT or (nxt in ("to", "for", "ko") and not opens):
                invoice_number = m.group("n")
                t = _cut(t, m.start("n"), m.end("n"))
                break

    hsn = None
    m = _HSN.search(t)
    if m:
        hsn = m.group("n")
        t = _cut(t, m.start("n"), m.end("n"))
    elif _HSN_WORD.search(t):
        m2 = re.search(r"\b\d{4,8}\b", t)
        if m2:
            hsn = m2.group(0)
            t = _cut(t, m2.start(), m2.end())

    t = _ACRONYM_PLURAL.sub(_acronym_singular, t)
    t = normalize_numbers(t)
    for rx, repl in _VOICE_SLIPS:
        t = rx.sub(repl, t)
    t = canonical_currency(t)
    t = _GLUED_UNIT.sub(r"\1 \2", t)
    t = _TIMES.sub(r"\1 x ", t)

    tax_word = bool(_TAX_WORD.search(t))
    gst_rate = None
    if tax_word:
        for rx in _GST_PATTERNS:
            m = rx.search(t)
            if m:
                gst_rate = Decimal(m.group("r"))
                t = _cut(t, m.start(), m.end())
                break
        else:
            m = _PCT_ANY.search(t)
            if m:
                gst_rate = Decimal(m.group("r"))
                t = _cut(t, m.start(), m.end())

    t = t.replace(";", ",")
    t = re.sub(r"\.{2,}", " ", t)
    question = "?" in t or bool(_QUESTION_START.match(t))
    # words: typos, contractions, fillers
    out_words = []
    for w in t.split(" "):
        core = w.strip(".,!?:")
        if not core:
            out_words.append(w)
            continue
        if core.lower() in FILLERS:
            tail = w[len(w.rstrip(",:")) :]
            out_words.append(tail)
            continue
        fixed = _fix_word(core)
        out_words.append(w.replace(core, fixed, 1) if fixed != core else w)
    t = " ".join(x for x in out_words if x)
    t = _POSSESSIVE.sub(" 's", t)
    t = _PLURAL_POSSESSIVE.sub(" 's", t)
    t = re.sub(r"\s+", " ", t).strip(" ,")
    t = re.sub(r"[.!?]+$", "", t).strip()
    t = re.sub(r"\s+([,.:!?])", r"\1", t)
    mixed = any(c.isupper() for c in t[1:])
    toks = [Tok(m.group(0), m.group(0).lower(), m.start(), m.end()) for m in TOKEN_RX.finditer(t)]
    return Prepared(
        raw=raw,
        text=t,
        low=t.lower(),
        tokens=toks,
        phones=[p for p, _, _ in phones],
        email=emails[0][0] if emails else None,
        emails=[e for e, _, _ in emails],
        gstin=gstin,
        invoice_number=invoice_number,
        hsn=hsn,
        gst_rate=gst_rate,
        tax_word=tax_word,
        question=question,
        mixed_case=mixed,
    )
