"""Finding a person's (or business's) name inside a message.

Names are read next to an anchor word: after "for", "from", "to", "bill",
"remind"; before "paid", "ne", "ka", "'s". A name is a run of words that are
not known vocabulary, up to the next number or punctuation; in a message
that uses capitals, a capitalized name stops at the first lowercase word.
Known customers (from the context) trim a run that went too far.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from intents.understand.lexicon import words
from intents.understand.names import _HONORIFICS
from intents.understand.prepare import Prepared, Tok
from intents.understand.units import UNIT_ALIASES

#: words that end (or cannot start) a name
NAME_STOP: frozenset[str] = words(
    "for at with of on in via by to from and or the a an is was are were be been has have had will would "
    "shall should can could may might must do does did done paid pay pays paying payed gave give gives sent "
    "send sends transferred transfer deposited cleared settled owes owe owed owing ne ka ki ke ko se liye "
    "wala wale wali hai hain tha thi diye diya di de dena kiye kiya kardiye kardiya bheje bheja bhej bhejo jama "
    "mile mila milo aaye aaya aayi aa liya liye le invoice invoices bill bills billing receipt challan estimate "
    "payment payments "
    "amount rs cash upi gpay phonepe paytm bhim neft imps rtgs cheque check card online bank today yesterday "
    "tomorrow now just already please customer customers client party phone number mobile email mail "
    "address gst gstin state name new my our his her their him them me it its that this these those he "
    "she they who whom someone somebody everyone everybody anyone all every each any about regarding "
    "against as also again pending due dues balance money remind reminder reminders link whatsapp message "
    "sms text make create generate raise prepare cut bana banao banado kar karo karna kardo add added "
    "save register update change set edit rename delete remove cancel show list view get check tell what "
    "how much many which where when why yes no ok okay hi hello namaste thanks thank sir madam ji bhai not "
    "got received receive collected collect credited credit debited total full partial advance rupees "
    "rupee only each per x qty quantity item items stock inventory price rate sold sell sale sales i we "
    "you your us mine ours 's than more less over under above below abhi aaj kal bhi toh "
    "morning evening night week month year daily weekly monthly shop business store company firm "
    "account details detail record entry note still yet ever already again naam so well then oh um uh"
)
_ALLOWED_INSIDE_CAPS = words("and of &")
#: skipped between a name and the verb after it ("Kishore still owes", "Mahesh has already paid")
_ADVERBS = words("still already also just finally totally fully abhi bhi has have had yet now today")
_CONNECTOR_PUNCT = frozenset({"&"})
#: short forms written with a period that does not end the name ("Mohd. Irfan", "Pvt. Ltd.", "St. Mary's")
_ABBREVIATIONS = words(
    "mohd md mohd mohamad st bros pvt ltd co corp inc jr sr dr mr mrs ms smt shri sri kum prof capt col "
    "lt sh pt ch"
)
#: religious prefixes that belong to a firm's name ("Sri Ram Traders") but are a title before a person's
_FIRM_PREFIXES = words("sri shri shree sree")
#: words that make a name a firm's
_FIRM_WORDS = words(
    "traders trader trading stores enterprises enterprise agency agencies industries industry company co corp "
    "bros brothers sons pvt ltd llp mart emporium hardware hardwares electricals electronics textiles medical "
    "medicals kirana suppliers supplier distributors motors works constructions builders associates "
    "corporation centre center sweets jewellers furniture steels cement plywood"
)


@dataclass(frozen=True)
class NameSpan:
    """A name found in the tokens: its words and the token range [start, end)."""

    name: str
    start: int
    end: int


def title_name(name: str) -> str:
    """Title-case a name as written ("ramesh kumar" -> "Ramesh Kumar"; "ABC Traders" stays)."""
    out = []
    for w in name.split():
        if w.islower():
            w = w[:1].upper() + w[1:]
        elif w.isupper() and len(w) > 3 and "." not in w:
            w = w[:1] + w[1:].lower()
        out.append(w)
    return " ".join(out)


def _strip_honorifics(ws: list[str]) -> list[str]:
    """Drop titles ("Mr", "Dr.", "ji"); "Sri"/"Shri" stays when it starts a firm's name ("Sri Ram Traders")."""
    firm = any(w.lower().strip(".") in _FIRM_WORDS for w in ws[1:])
    kept = [
        w
        for k, w in enumerate(ws)
        if w.lower().strip(".") not in _HONORIFICS or (firm and k == 0 and w.lower().strip(".") in _FIRM_PREFIXES)
    ]
    return kept or ws


def _abbreviated(tok: Tok) -> bool:
    """A word that a period after it shortens: an initial ("R", "R.K"), or a short form ("Mohd", "Pvt")."""
    return tok.is_word and (len(tok.low) == 1 or "." in tok.low or tok.low in _ABBREVIATIONS)


def _inner_period(toks: list[Tok], k: int) -> bool:
    """Is token `k` a period inside a name ("Mohd. Irfan", "R.K. Enterprises"), not the end of a sentence?"""
    return (
        toks[k].low == "."
        and k > 0
        and k + 1 < len(toks)
        and _abbreviated(toks[k - 1])
        and toks[k - 1].end == toks[k].start
        and (is_name_word(toks[k + 1]) or toks[k + 1].low in _HONORIFICS)
    )


def _initial(toks: list[Tok], k: int) -> bool:
    """A capital initial that is also a stop word ("A. Kumar", "I. Khan"): a name word after all."""
    return toks[k].text.isupper() and len(toks[k].low) == 1 and k + 1 < len(toks) and _inner_period(toks, k + 1)


def _span_words(toks: list[Tok]) -> list[str]:
    """The words of a name span, each inner period kept on the word it shortens ("Mohd.", "R.K.")."""
    out: list[str] = []
    for t in toks:
        if t.low == "." and out:
            out[-1] += "."
        else:
            out.append(t.text)
    return out


def is_name_word(tok: Tok) -> bool:
    """Could this token be part of a name?"""
    return (
        tok.is_word
        and tok.low not in NAME_STOP
        and tok.low not in UNIT_ALIASES
        and len(tok.low) <= 30
        and not tok.low.startswith("'")
    )


def _caps(tok: Tok) -> bool:
    return tok.text[:1].isupper()


def name_forward(p: Prepared, i: int, max_words: int = 5) -> NameSpan | None:
    """The name starting at token `i`, or None when token `i` cannot start one."""
    toks = p.tokens
    while i + 1 < len(toks) and (
        (toks[i].low in _HONORIFICS and toks[i].low not in ("ji", "bhai") and toks[i].low not in _FIRM_PREFIXES)
        or (toks[i].low == "." and i > 0 and toks[i - 1].low in _HONORIFICS)
    ):
        i += 1
    if i < len(toks) and toks[i].low == ".":
        i += 1
    if (
        i >= len(toks)
        or not (is_name_word(toks[i]) or _initial(toks, i))
        or (toks[i].low in _HONORIFICS and i + 1 >= len(toks))
    ):
        return None
    caps_mode = p.mixed_case and _caps(toks[i])
    j = i
    n = 0
    while j < len(toks) and n < max_words:
        t = toks[j]
        if (
            caps_mode
            and j > i
            and t.low in _ALLOWED_INSIDE_CAPS
            and j + 1 < len(toks)
            and _caps(toks[j + 1])
            and is_name_word(toks[j + 1])
        ):
            j += 1
            continue
        if j > i and _inner_period(toks, j) and (not caps_mode or _caps(toks[j + 1])):
            j += 1
            continue
        if not is_name_word(t) and t.low not in _HONORIFICS and not _initial(toks, j):
            break
        if caps_mode and j > i and not _caps(t):
            break
        j += 1
        n += 1
    if j == i:
        return None
    ws = _strip_honorifics(_span_words(toks[i:j]))
    if all(w.lower() in _HONORIFICS for w in ws) or not any(len(w) >= 2 for w in ws):
        return None
    return NameSpan(title_name(" ".join(ws)), i, j)


def name_backward(p: Prepared, i: int, max_words: int = 4) -> NameSpan | None:
    """The name that ends just before token `i`."""
    toks = p.tokens
    j = i - 1
    while j >= 0 and (toks[j].low in _HONORIFICS or toks[j].low in _ADVERBS):
        j -= 1
    i = j + 1
    if j < 0 or not is_name_word(toks[j]):
        return None
    caps_mode = p.mixed_case and _caps(toks[j])
    k = j
    n = 0
    while k >= 0 and n < max_words:
        t = toks[k]
        if k < j and _inner_period(toks, k) and (not caps_mode or _caps(toks[k - 1])):
            k -= 1
            continue
        if not is_name_word(t) and t.low not in _HONORIFICS and not (k < j and _initial(toks, k)):
            break
        if caps_mode and not _caps(t):
            break
        k -= 1
        n += 1
    start = k + 1
    # a sentence-initial capital is not evidence of a name ("Today Mahesh paid")
    ws = _strip_honorifics(_span_words(toks[start:i]))
    if not ws or all(w.lower() in _HONORIFICS for w in ws) or not any(len(w) >= 2 for w in ws):
        return None
    return NameSpan(title_name(" ".join(ws)), start, i)


def _form_rx(form: str) -> str:
    """A name as a pattern: any spacing, and its periods optional ("Mohd. Irfan" matches "mohd irfan")."""
    out = ""
    for w in form.split():
        if out:
            out += r"\s*" if out.endswith(r"\.?") else r"\s+"
        out += re.escape(w.rstrip(".")).replace(r"\.", r"\.?") + (r"\.?" if w.endswith(".") else "")
    return out


@lru_cache(maxsize=64)
def _known_rx(customers: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for every full name and first name of the known customers."""
    forms: set[str] = set()
    for c in customers:
        ws = c.split()
        if not ws:
            continue
        forms.add(" ".join(ws).lower())
        if len(ws[0]) >= 3:
            forms.add(ws[0].lower())
    if not forms:
        return None
    alt = "|".join(_form_rx(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:{alt})(?![\w])", re.IGNORECASE)


def known_customer(p: Prepared, customers: list[str]) -> NameSpan | None:
    """The longest known customer name (full or first name) written in the message."""
    rx = _known_rx(tuple(customers))
    if rx is None:
        return None
    best = None
    for m in rx.finditer(p.text):
        if best is None or (m.end() - m.start()) > (best.end() - best.start()):
            best = m
    if best is None:
        return None
    si = next((k for k, t in enumerate(p.tokens) if t.start >= best.start()), None)
    ei = next((k for k, t in enumerate(p.tokens) if t.end >= best.end()), None)
    if si is None or ei is None:
        return None
    # extend over a following capitalized surname that was written but is unknown
    name = p.text[best.start() : best.end()]
    return NameSpan(title_name(name), si, ei + 1)


def trim_to_known(span: NameSpan, p: Prepared, customers: list[str]) -> NameSpan:
    """Shorten a name run that swallowed following words when its start is a known customer."""
    if not customers or span.end - span.start <= 1:
        return span
    known = {" ".join(c.lower().split()) for c in customers}
    firsts = {c.split()[0].lower() for c in customers if c.split()}
    ws = [t.low for t in p.tokens[span.start : span.end]]
    if " ".join(ws) in known:
        return span
    for k in range(len(ws) - 1, 0, -1):
        if " ".join(ws[:k]) in known:
            return NameSpan(
                title_name(" ".join(t.text for t in p.tokens[span.start : span.start + k])),
                span.start,
                span.start + k,
            )
    if ws[0] in firsts and not any(" ".join(ws[:2]) == " ".join(c.lower().split()[:2]) for c in customers):
        return NameSpan(title_name(p.tokens[span.start].text), span.start, span.start + 1)
    return span


def token_index(p: Prepared, low_word: str, start: int = 0) -> int | None:
    """Index of the first token equal to `low_word` at or after `start`."""
    for k in range(start, len(p.tokens)):
        if p.tokens[k].low == low_word:
            return k
    return None


def text_between(p: Prepared, i: int, j: int) -> str:
    """The prepared text covered by tokens [i, j)."""
    if i >= j or i >= len(p.tokens):
        return ""
    return p.text[p.tokens[i].start : p.tokens[min(j, len(p.tokens)) - 1].end]


def text_without(p: Prepared, i: int, j: int) -> str:
    """The prepared text with tokens [i, j) cut out."""
    if i >= j:
        return p.text
    s = p.tokens[i].start
    e = p.tokens[min(j, len(p.tokens)) - 1].end
    return (p.text[:s] + " " + p.text[e:]).strip()


_ANCHOR_BEFORE = frozenset(
    {"'s", "ka", "ki", "ke", "ne", "ko", "se", "paid", "pays", "owes", "owe", "gave", "sent"}
)
_ANCHOR_AFTER = frozenset(
    {"from", "of", "for", "by", "to", "does", "did", "has", "customer", "client", "party", "remind", "is"}
)


def customer_anywhere(p: Prepared, customers: list[str], skip_first: bool = False) -> NameSpan | None:
    """A customer named anywhere in the message: known names first, then names beside anchor words."""
    known = known_customer(p, customers)
    if known:
        return known
    toks = p.tokens
    for k, t in enumerate(toks):
        if t.low in _ANCHOR_BEFORE and k > 0:
            span = name_backward(p, k)
            if span:
                return trim_to_known(span, p, customers)
    for k, t in enumerate(toks):
        if t.low in _ANCHOR_AFTER:
            span = name_forward(p, k + 1)
            if span:
                return trim_to_known(span, p, customers)
    if p.mixed_case:
        for k, t in enumerate(toks):
            if k == 0 and skip_first:
                continue
            if t.text[:1].isupper() and is_name_word(t):
                span = name_forward(p, k)
                if span:
                    return trim_to_known(span, p, customers)
    return None
