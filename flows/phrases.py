"""Words to a draft blueprint, offline: a compositional parser of flow descriptions.

`draft_from_text` reads a sentence such as

    "When someone pays me more than 25000, WhatsApp them a thank you note
     and log it in my Google Sheet 'Payments'"

in four passes over the text:

1. *tokens*: quoted text, web addresses, emails and phone numbers are lifted
   out first, so their words never look like instructions;
2. *trigger*: event phrases ("when someone pays me", "when an invoice is
   created", "when stock of cement is low", "two days after an invoice, if
   it is still unpaid", "when I get a webhook") or schedules ("every Friday
   at 6pm", "every month on the 1st at 9am");
3. *conditions*: amounts ("more than 25000", "under ₹500", "between 1k and
   5k"), a customer ("from Ramesh"), a payment method ("by UPI"), a product;
4. *steps*: the rest is split into clauses on commas, "and", "also",
   "then"; each clause is a delay ("wait 2 days", "3 hours later") and/or an
   action (WhatsApp, email, Google Sheet, Slack, HTTP, reports, payment
   link, stock change, invoice PDF), with recipients ("me" → ``owner``,
   "them"/"the customer" → ``{{trigger_data.customer.phone}}``, "my
   distributor at 99887 76655" → ``+919988776655``) and message text (quoted
   text kept as written, otherwise a default that uses the event's
   variables).

The result is a `Draft`: a blueprint that passes `flows.validate.validate`,
a name, ``notes`` (assumptions worth telling the owner) and ``missing``
(what must be answered before the flow can be switched on; steps that lack
it are left out of the blueprint). `edit` / `edit_draft` apply plain-word
changes ("also email me at me@example.com", "skip the email", "make the
message say 'Thanks a lot!'", "change the amount to 50000", "wait 3 days
instead", "call it Payment thanks").

Only names from `flows.catalogue` are ever produced.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from bot.errors import BlueprintInvalid, UnderstandingError
from flows import template
from flows.catalogue import DEFAULT_TIMEZONE, TriggerSpec, trigger_spec
from flows.schema import Blueprint, Edge, ErrorHandling, Node, NodeData, Position
from flows.summary import (
    describe_condition,
    describe_cron,
    describe_duration,
    describe_node,
    describe_text,
    describe_trigger,
    format_time,
    step_order,
    summarize,
)
from flows.validate import validate

# ---------------------------------------------------------------------------
# Draft
# ---------------------------------------------------------------------------


@dataclass
class Draft:
    """A blueprint drafted from words, its name, and what the owner should hear about it.

    ``notes`` are assumptions ("I took 8 as 8:00 am"); ``missing`` lists what
    must be answered before switching the flow on (a step that needs it was
    left out). ``ready`` is True when nothing is missing.
    """

    blueprint: Blueprint
    name: str
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """True when the draft can be switched on as it is."""
        return not self.missing

    def summary(self) -> str:
        """The numbered plain-language summary."""
        return summarize(self.blueprint, self.name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (for the conversation's checkpoint)."""
        return {"blueprint": self.blueprint.to_dict(), "name": self.name, "notes": list(self.notes),
                "missing": list(self.missing)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        """The inverse of `to_dict`."""
        return cls(Blueprint.from_dict(data["blueprint"]), str(data.get("name") or ""),
                   list(data.get("notes") or []), list(data.get("missing") or []))

    def reply(self) -> str:
        """Summary, what is missing, notes, and the YES prompt: a complete chat reply."""
        parts = [self.summary()]
        if self.missing:
            parts.append("Before I can switch it on, I need:\n" + "\n".join(f"- {m}" for m in self.missing))
        if self.notes:
            parts.append("Notes:\n" + "\n".join(f"- {n}" for n in self.notes))
        parts.append("Reply YES to switch it on, or tell me what to change." if self.ready
                     else "Tell me these, or what else to change.")
        return "\n\n".join(parts)


# ---------------------------------------------------------------------------
# Text with its tokens lifted out
# ---------------------------------------------------------------------------

_PH_RE = re.compile("\ue000([qeup])([\ue100-\uefff])\ue001")
_QUOTE_RE = re.compile(r'"([^"\n]+)"|“([^”\n]+)”|‘([^’\n]+)’|(?<![\w])\'([^\'\n]+?)\'(?![\w])')
_URL_RE = re.compile(r"\bhttps?://[^\s,;\"'<>]+|\bwww\.[^\s,;\"'<>]+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)?91[\s-]?|0)?[6-9]\d{2}[\s-]?\d{2}[\s-]?\d{5}(?!\d)"
    r"|(?<![\w+])[6-9]\d{4}[\s-]\d{5}(?!\d)"
    r"|(?<![\w])\+[1-9]\d{0,3}[\s-]?\d[\d\s-]{6,14}\d(?!\d)"
)


def normalize_phone(raw: str) -> str:
    """``99887 76655`` → ``+919988776655``; other numbers to ``+`` and digits."""
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("00"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) == 10 and digits[0] in "6789":
        return "+91" + digits
    return "+" + digits


def _lower(text: str) -> str:
    # Same length as the original, so positions in one are positions in the other.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


@dataclass
class _Text:
    """The sentence with tokens replaced by same-width-free placeholders, in two casings."""

    orig: str
    work: str
    quotes: list[str]
    emails: list[str]
    urls: list[str]
    phones: list[str]

    @classmethod
    def of(cls, text: str) -> _Text:
        tokens: dict[str, list[str]] = {"q": [], "e": [], "u": [], "p": []}

        def lift(kind: str, value: str) -> str:
            tokens[kind].append(value)
            return f"\ue000{kind}{chr(0xE100 + len(tokens[kind]) - 1)}\ue001"

        text = " ".join(text.replace("\u200b", "").split())
        def quote(m: re.Match[str]) -> str:
            value = next(g for g in m.groups() if g is not None).strip()
            return " " + lift("q", value) + " " if value else " "

        text = _QUOTE_RE.sub(quote, text)
        text = text.replace("’", "'").replace("`", "'")
        text = _URL_RE.sub(lambda m: lift("u", _clean_url(m.group(0))) + _url_tail(m.group(0)), text)
        text = _EMAIL_RE.sub(lambda m: lift("e", m.group(0)), text)
        text = _PHONE_RE.sub(lambda m: " " + lift("p", normalize_phone(m.group(0))) + " ", text)
        text = " ".join(text.split())
        return cls(text, _lower(text), tokens["q"], tokens["e"], tokens["u"], tokens["p"])

    def blank(self, start: int, end: int) -> None:
        """Forget ``[start, end)`` (replaced by spaces, so positions stay valid)."""
        pad = " " * (end - start)
        self.orig = self.orig[:start] + pad + self.orig[end:]
        self.work = self.work[:start] + pad + self.work[end:]

    def tokens(self, kind: str, start: int = 0, end: int | None = None) -> list[str]:
        """Values of the placeholders of ``kind`` inside ``[start, end)``."""
        table = {"q": self.quotes, "e": self.emails, "u": self.urls, "p": self.phones}[kind]
        found = _PH_RE.finditer(self.work, start, end or len(self.work))
        return [table[ord(m.group(2)) - 0xE100] for m in found if m.group(1) == kind]


def _clean_url(url: str) -> str:
    url = url.rstrip(".)!?")
    return url if url.lower().startswith("http") else "https://" + url


def _url_tail(url: str) -> str:
    return url[len(url.rstrip(".)!?")):]


# ---------------------------------------------------------------------------
# Numbers, amounts, durations
# ---------------------------------------------------------------------------

_WORD_NUMBERS = {
    "zero": 0, "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "couple": 2, "three": 3, "few": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "k": 1000, "lakh": 100_000, "lakhs": 100_000, "lac": 100_000,
           "lacs": 100_000, "l": 100_000, "crore": 10_000_000, "crores": 10_000_000, "cr": 10_000_000}
_NUMWORD = "|".join(sorted((w for w in _WORD_NUMBERS if w not in ("a", "an")), key=len, reverse=True))
_COUNT = (r"(?:\d+(?:\.\d+)?|a\s+couple\s+of|couple\s+of|a\s+few|half\s+an?|"
          rf"(?:{_NUMWORD})(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?|an?)")
_AMOUNT = (r"(?:₹|rs\.?|inr|rupees)?\s*(?P<num>\d[\d,]*(?:\.\d+)?|"
           rf"\b(?:(?:{_NUMWORD}|hundred|thousand|lakhs?|lacs?|crores?)[\s-]+(?:and[\s-]+)?){{0,6}}"
           rf"(?:{_NUMWORD}|hundred|thousand|lakhs?|lacs?|crores?)\b)"
           r"\s*(?P<mult>k\b|thousand\b|lakhs?\b|lacs?\b|l\b|crores?\b|cr\b)?")
_TIME_UNITS = (r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|am\b|pm\b|a\.m|"
               r"p\.m|%|o'?clock)")


def _count(text: str) -> float:
    """``"two"`` → 2, ``"a couple of"`` → 2, ``"half an"`` → 0.5, ``"12"`` → 12."""
    words = text.strip().lower().replace("-", " ").split()
    if not words:
        return 1
    if words[0] == "half":
        return 0.5
    if re.fullmatch(r"\d+(?:\.\d+)?", words[0]):
        return float(words[0])
    total = 0.0
    for word in words:
        if word in ("of",):
            continue
        total += _WORD_NUMBERS.get(word, 0)
    return total or 1


def _amount(num: str, mult: str | None) -> float | None:
    """``"25,000"`` → 25000; ``("1.5", "lakh")`` → 150000; ``"twenty five thousand"`` → 25000."""
    num = num.strip().lower()
    if re.fullmatch(r"\d[\d,]*(?:\.\d+)?", num):
        value = float(num.replace(",", ""))
    else:
        value, current = 0.0, 0.0
        for word in re.split(r"[\s-]+", num):
            if word in _WORD_NUMBERS:
                current += _WORD_NUMBERS[word]
            elif word == "hundred":
                current = (current or 1) * 100
            elif word in _SCALES:
                value += (current or 1) * _SCALES[word]
                current = 0
        value += current
        if not value:
            return None
    if mult:
        value *= _SCALES.get(mult.strip().lower().rstrip("."), 1)
    return value


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


_UNIT_RE = r"(?P<u>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)"


def _duration(count: float, unit: str) -> str:
    """(2, "days") → ``2d``; (1.5, "hours") → ``90m``; (2, "weeks") → ``14d``."""
    unit = unit.lower()
    seconds_per = 1 if unit.startswith("sec") else 60 if unit.startswith("min") else 3600 \
        if unit.startswith(("hour", "hr")) else 86400 * (7 if unit.startswith("week") else 1)
    seconds = round(count * seconds_per)
    for suffix, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{suffix}"
    return f"{max(seconds, 1)}s"


# ---------------------------------------------------------------------------
# Triggers
# ---------------------------------------------------------------------------

_CONJ_RE = re.compile(
    r"\b(?:when(?:ever)?|whenevr|whenver|wenever|if|once|each\s+time|every\s+time|any\s*time|as\s+soon\s+as|"
    r"after|upon|(?:for|on|with|after)\s+(?:each|every|any|all)|on|"
    # a little Hinglish: "jab bhi", "agar", "jaise hi", "har baar"
    r"jab(?:\s+bhi)?|agar|jaise\s+hi|har\s+baar)\b"
)
_BOUNDARY_RE = re.compile(r"[,.;:!?]|\b(?:then|also)\b")

_PAY_VERB = re.compile(
    r"\b(?:pays|paid|pay|has\s+paid|have\s+paid|makes?\s+(?:a\s+|the\s+)?payments?|"
    r"sends?\s+(?:me\s+|us\s+)?(?:money|a\s+payment|payment)|transfers?\s+(?:me\s+|us\s+)?money|"
    r"settles?\s+(?:up|(?:an?|the|their|his|her)\s+(?:invoice|bill|dues))|"
    r"clears?\s+(?:their|his|her|an?|the)\s+(?:dues|bill|invoice))(?:\s+(?:me|us))?\b(?!\s+(?:link|reminder))"
)
_I_GET_PAID = re.compile(
    r"\b(?:i|we)\s+(?:get|receive|got|recieve|am|are|have)\s+(?:been\s+)?(?:paid|(?:a|any|some|"
    r"the)\s+(?:new\s+)?"
    r"(?:\w+\s+)?payments?|payments?|money)\b(?!\s*links?)"
    # "if I receive more than 50000": an amount straight after the verb.
    r"|\b(?:i|we)\s+(?:get|receive|got)\s+(?=more\s+than|over\s|above\s|less\s+than|under\s|below\s|"
    r"at\s+least|₹|rs\.?\s*\d|inr|\d[\d,]*(?:\.\d+)?\s*(?:k\b|rs|rupees|/-|lakh))"
)
_PAY_NOUN = re.compile(
    r"\b(?:(?:a|an|any|each|every|new|the|some|incoming)\s+)?(?:new\s+)?(?:(?:upi|cash|online|card|bank|"
    r"razorpay|"
    r"customer)\s+)?payments?\b(?!\s*links?)(?!\s+(?:reminders?|requests?|summary|summaries|report|method))"
    r"(?:\s+(?:comes?\s+in|is\s+received|gets?\s+recorded|is\s+recorded|arrives?|is\s+made|lands?|hits|"
    r"is\s+credited|gets\s+credited|received|recorded|comes|is\s+done|happens|goes\s+through|"
    r"is\s+captured|gets\s+captured|captured))?"
)
_PAY_LOOSE = re.compile(
    r"\bpayments?\s+(?:comes?\s+in|is\s+received|arrives?|is\s+made|is\s+recorded|received|lands?|"
    r"is\s+credited)\b"
    r"|\bmoney\s+(?:comes\s+in|is\s+received|arrives|is\s+credited|gets\s+credited|is\s+deposited)\b"
    r"|\b(?:receive|get|got)\s+(?:some\s+)?money\b|\bon\s+payment\b"
    r"|\b(?:every|each|all|any|har(?:\s+ek)?)\s+(?:(?:new|incoming|customer|nayi|naye|naya)\s+)?payments?\b"
    r"(?!\s*links?)"
    r"|\b(?:payments?|paisa|paise|money)\s+(?:aane|milne|aate|milte|jama\s+hone)\s+(?:pe|par|per|ke\s+baad|hi)\b"
)
_RAZORPAY_PAID = re.compile(
    r"\bpayment\s+links?\s+(?:is|are|gets?|was|has\s+been)\s+(?:paid|completed|settled|used)\b"
    r"|\bpays?\s+(?:via|through|using|with|on)\s+(?:a\s+|the\s+|my\s+)?payment\s+link\b"
    r"|\brazorpay\s+(?:payments?|captures?|captured)\b(?!\s*links?)"
    r"(?:\s+(?:is|gets|was|has\s+been)\s+(?:captured|received|made|done|completed|recorded)\b"
    r"|\s+comes?\s+in\b|\s+arrives?\b)?"
)
#: "from a customer", "by any client": words that name no one in particular.
_GENERIC_FROM = re.compile(r"\b(?:from|by)\s+(?:a|an|any|the|my|some|our)\s+(?:customers?|clients?|buyers?|"
                           r"persons?|party|parties|people)\b")
_RAZORPAY_WORD = re.compile(r"(?:\b(?:via|through|on|from|using|with|in|by)\s+)?\brazorpay\b"
                            r"(?!\s*(?:payment\s+)?links?)")
_INVOICE_CREATED = re.compile(
    r"\b(?:(?:a|an|any|each|every|new|the|my)\s+)?(?:new\s+)?(?:invoice|bill)s?\s+(?:is\s+|are\s+|"
    r"gets?\s+|was\s+|"
    r"has\s+been\s+|got\s+)?(?:created|made|raised|generated|issued|added|prepared|cut|sent\s+out)\b"
    r"|\b(?:i|we)\s+(?:create|make|raise|generate|issue|prepare|cut|send\s+out|do)\s+(?:an?\s+|any\s+|"
    r"new\s+|the\s+)?"
    r"(?:new\s+)?(?:invoice|bill)s?\b"
    r"|\b(?:i|we)\s+bill\s+(?:someone|somebody|anyone|anybody|a\s+customer|customers|a\s+client)\b"
    r"|\b(?:invoice|bill)\s+(?:banne|bante|katne|katte|banane)\s+(?:pe|par|per|ke\s+baad|hi)\b"
    r"|\bhar\s+(?:ek\s+)?(?:naye?\s+|nayi\s+|new\s+)?(?:invoice|bill)\s+(?:pe|par|per|ke\s+baad)\b"
)
_INVOICE_NOUN = re.compile(
    r"\b(?:(?:a|an|any|each|every|the)\s+)?(?:new\s+)?(?:invoice|bill)s?\b"
    r"(?!\s+(?:is\s+|gets\s+|was\s+|has\s+been\s+|are\s+)?(?:paid|settled|cleared|unpaid|overdue|pdf|report))"
)
_DAYS_UNIT = r"(?P<u>days?|weeks?)"
_OVERDUE = [
    re.compile(rf"\b(?P<n>{_COUNT})\s+{_DAYS_UNIT}\s+(?:after|from|past|since)\s+(?:(?:an?|the|each|every|"
               rf"any|my)\s+)?"
               r"(?:invoice|bill)s?(?:\s+(?:is\s+|was\s+|has\s+been\s+|gets\s+)?(?:created|issued|sent|"
               r"made|raised|"
               r"generated|due))?\b"),
    re.compile(r"\b(?:invoice|bill)s?\s+(?:is\s+|are\s+|remains?\s+|stays?\s+|has\s+been\s+|"
               r"have\s+been\s+|goes\s+|"
               r"is\s+still\s+|are\s+still\s+|still\s+)?(?:unpaid|not\s+paid|overdue|pending|outstanding|"
               r"due)\s+"
               rf"(?:for|after|beyond|past|by|over|"
               rf"longer\s+than)\s+(?:more\s+than\s+)?(?P<n>{_COUNT})\s+{_DAYS_UNIT}\b"),
    re.compile(r"\b(?:invoice|bill)s?\s+(?:is\s+|are\s+|becomes?\s+|goes\s+|gets\s+)?(?:more\s+than\s+)?"
               rf"(?P<n>{_COUNT})\s+{_DAYS_UNIT}\s+(?:overdue|late|past\s+due|old)\b"),
    re.compile(r"\b(?:invoice|bill)s?\s+(?:is\s+|are\s+)?(?:not|isn't|aren't|hasn't\s+been|has\s+not\s+been|"
               r"is\s+not|are\s+not|haven't\s+been|not\s+been)\s+paid\s+(?:within|in|after|for)\s+"
               rf"(?P<n>{_COUNT})\s+{_DAYS_UNIT}\b"),
    re.compile(rf"\b(?:unpaid|overdue)\s+(?:invoice|bill)s?\s+(?:after|for|older\s+than|of\s+more\s+than)\s+"
               rf"(?P<n>{_COUNT})\s+{_DAYS_UNIT}\b"),
]
_OVERDUE_PLAIN = re.compile(
    r"\b(?:invoice|bill)s?\s+(?:is\s+|are\s+|becomes?\s+|goes\s+|gets\s+|turns\s+)(?:overdue|past\s+due|"
    r"late)\b"
    r"|\boverdue\s+(?:invoice|bill)s?\b|\b(?:invoice|bill)s?\s+(?:is\s+|are\s+)?(?:still\s+)?unpaid\b"
)
_UNPAID_TAIL = re.compile(
    r"(?:,\s*|\b)(?:(?:and|but|if|when|only\s+if|provided|in\s+case)\s+)(?:(?:it|the\s+invoice|the\s+bill|"
    r"they|this|"
    r"the\s+customer)\s*)?(?:is\s+|'s\s+|are\s+|remains?\s+|stays?\s+|has\s+|still\s+)*(?:still\s+)?"
    r"(?:unpaid|not\s+(?:yet\s+)?(?:been\s+)?paid(?:\s+yet)?|hasn't\s+(?:been\s+)?paid(?:\s+yet)?|"
    r"has\s+not\s+(?:been\s+)?paid(?:\s+yet)?|isn't\s+paid(?:\s+yet)?|not\s+cleared|pending|due)\b"
)
_STOCK = [
    # "when cement goes below 10 bags": the number stays for the condition.
    re.compile(r"\b(?P<p>[a-z]+)\s+(?:stock\s+)?(?:goes|falls|drops|gets|is|comes|reaches|dips)\s+"
               r"(?=(?:below|under|less\s+than|lower\s+than)\s+\d)"),
    re.compile(r"\b(?:stock|inventory)\s+of\s+(?P<p>[a-z]+(?:\s+[a-z]+)?)\s+(?:is\s+|goes\s+|falls\s+|drops\s+)"
               r"(?=(?:below|under|less\s+than|lower\s+than)\s+\d)"),
    re.compile(r"\b(?:stock|inventory)\s+(?:of\s+(?P<p>[a-z][a-z ]{0,30}?)\s+)?(?:level\s+|levels\s+)?"
               r"(?:is\s+|are\s+|goes\s+|"
               r"gets\s+|runs\s+|falls\s+|drops\s+|becomes\s+|is\s+running\s+|is\s+getting\s+|is\s+going\s+)?"
               r"(?:low|short|out|down|kam|below\s+(?:the\s+|its\s+|their\s+|my\s+)?(?:set\s+)?(?:threshold|minimum|limit|reorder\s+level|"
               r"alert\s+level))\b"),
    re.compile(r"\b(?P<p>[a-z]+)\s+(?:stock|inventory)\s+(?:level\s+)?(?:is\s+|are\s+|goes\s+|gets\s+|runs\s+|falls\s+|"
               r"drops\s+|"
               r"becomes\s+)?(?:running\s+|getting\s+)?(?:low|short|out|down)\b"),
    re.compile(r"\b(?:low|short)\s+(?:on\s+)?(?:stock|inventory)\b|\blow[\s-]stock\b|\bout\s+of\s+stock\b|"
               r"\bstock[\s-]?outs?\b"),
    re.compile(r"\b(?:running|run|runs|going|goes|getting|gets)\s+(?:low|short|out)(?:\s+(?:on|"
               r"of)\s+(?P<p>[a-z]+))?\b"),
    re.compile(r"\b(?:any\s+|a\s+|the\s+)?(?:product|item)s?\s+(?:is\s+|are\s+|goes\s+|runs\s+|gets\s+)?"
               r"(?:running\s+)?(?:low|out\s+of\s+stock|short)\b"),
    re.compile(r"\b(?P<p>[a-z]+)\s+(?:is|are)\s+(?:running|getting|going|almost)\s+(?:low|out|short|"
               r"finished|over)\b"),
]
_WEBHOOK = re.compile(r"\bweb\s*-?hooks?\b(?:\s+(?:url\s+|endpoint\s+)?(?:gets?|receives?|is\s+called|"
                      r"is\s+hit|"
                      r"comes\s+in|arrives?|fires?)(?:\s+(?:a|an|with)\s+)?(?:\s*(?:post|request|call|hit|"
                      r"data|"
                      r"event|message))?)?")
_WEBHOOK_LOOSE = re.compile(
    r"\b(?:get|receive|gets|receives|got)\s+(?:a\s+|an?\s+\w+\s+)?web\s*-?hooks?\b"
    r"|\bmy\s+(?:webhook\s+)?(?:url|endpoint|link)\s+(?:is\s+called|gets?\s+(?:a\s+)?(?:post|request|hit|"
    r"called)|"
    r"receives)|\bweb\s*-?hooks?\s+(?:comes?\s+in|arrives?|is\s+received|fires?|is\s+called|hits)"
)

_GENERIC_WHO = {
    "someone", "somebody", "anyone", "anybody", "customer", "customers", "a customer", "any customer",
    "the customer", "client", "clients", "a client", "people", "they", "he", "she", "who", "buyer", "buyers",
    "a buyer", "my customer", "my customers", "my client", "party", "a party", "person", "a person",
    "everyone",
    "somebody else", "someone else", "it", "that", "this", "them", "user", "users", "a user", "the",
    "my", "any", "each", "every", "also", "and", "then",
}
_PRODUCT_STOP = {
    "any", "a", "an", "the", "my", "our", "product", "products", "item", "items", "stock", "anything",
    "something",
    "every", "each", "some", "all", "of", "when", "if", "whenever", "i", "we", "it", "its", "is", "level",
    "once", "whatever", "this", "that", "thing", "things", "me", "us", "you", "they", "goods", "inventory",
}


@dataclass
class _Trigger:
    name: str
    params: dict[str, Any]
    start: int
    end: int
    who: str | None = None
    product: str | None = None
    freq: str | None = None
    notes: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    method: str | None = None


def _conj_start(work: str, pos: int) -> int | None:
    """Where the 'when/if/every time…' that governs ``pos`` starts, if one is close before it."""
    boundary = 0
    for m in _BOUNDARY_RE.finditer(work, 0, pos):
        boundary = m.end()
    window_start = max(boundary, pos - 60)
    last = None
    # "for every" may overlap the phrase it governs ("for every new invoice").
    for m in _CONJ_RE.finditer(work, window_start, min(len(work), pos + 20)):
        if m.start() <= pos:
            last = m.start()
    return last


def _clause_end(work: str, pos: int) -> int:
    m = _BOUNDARY_RE.search(work, pos)
    return m.start() if m else len(work)


def _event_matches(work: str) -> list[tuple[_Trigger, bool]]:
    """Every event trigger phrase, with whether a 'when/if…' governs it."""
    found: list[tuple[_Trigger, bool]] = []

    def add(name: str, m: re.Match[str], conj_only: bool, **extra: Any) -> None:
        start = _conj_start(work, m.start())
        if start is None and conj_only:
            return
        found.append((_Trigger(name, {}, start if start is not None else m.start(), m.end(), **extra),
                      start is not None))

    for m in _PAY_VERB.finditer(work):
        before = work[max(0, m.start() - 40):m.start()].split()
        last = before[-1] if before else ""
        if last in ("i", "we", "to", "please", "will", "must", "should", "can") or last in _NEGATION_WORDS:
            continue  # "I pay", "hasn't paid": never a payment coming in
        name = _who_name(before)
        add("payments.payment_received", m, conj_only=m.group(0).startswith("pay ") or m.group(0) == "pay",
            who=name if name else None)
    for m in _I_GET_PAID.finditer(work):
        add("payments.payment_received", m, conj_only=False)
    for m in _PAY_NOUN.finditer(work):
        add("payments.payment_received", m, conj_only=True)
    for m in _PAY_LOOSE.finditer(work):
        add("payments.payment_received", m, conj_only=False)
    for m in _RAZORPAY_PAID.finditer(work):
        add("razorpay.payment_received", m, conj_only=False)
    for m in _INVOICE_CREATED.finditer(work):
        add("invoices.invoice_created", m, conj_only=False)
    for m in _INVOICE_NOUN.finditer(work):
        add("invoices.invoice_created", m, conj_only=True)
    for pattern in _STOCK:
        for m in pattern.finditer(work):
            product = m.groupdict().get("p")
            product = _product_name(product)
            add("inventory.stock_low", m, conj_only=False, product=product)
    for m in _WEBHOOK.finditer(work):
        add("webhook.received", m, conj_only=True)
    for m in _WEBHOOK_LOOSE.finditer(work):
        add("webhook.received", m, conj_only=False)
    return found


def _who_name(before: list[str]) -> str | None:
    """The payer's name in "when Ramesh pays" (None for "someone", "a customer"…)."""
    words: list[str] = []
    for word in reversed(before[-3:]):
        if word in _CONJ_WORDS or not _name_like(word):
            break
        words.insert(0, word)
    name = " ".join(words)
    if not name or name in _GENERIC_WHO:
        return None
    return name


def _product_name(raw: str | None) -> str | None:
    if not raw:
        return None
    words = [w for w in raw.split() if w not in _PRODUCT_STOP]
    if not words or any(w in _ACTION_WORDS for w in words):
        return None
    return " ".join(words)


def _overdue_match(work: str) -> _Trigger | None:
    best: _Trigger | None = None
    for pattern in _OVERDUE:
        for m in pattern.finditer(work):
            count = _count(m.group("n"))
            days = round(count * (7 if m.group("u").startswith("week") else 1))
            start = _conj_start(work, m.start())
            trig = _Trigger("invoices.invoice_overdue", {"days": max(days, 1)},
                            start if start is not None else m.start(), m.end())
            if best is None or trig.start < best.start:
                best = trig
    if best is None:
        for m in _OVERDUE_PLAIN.finditer(work):
            start = _conj_start(work, m.start())
            if start is None:
                continue
            within = re.search(rf"\b(?:after|in|within|for)\s+(?P<n>{_COUNT})\s+{_DAYS_UNIT}\b", work)
            if within:
                count = _count(within.group("n")) * (7 if within.group("u").startswith("week") else 1)
                best = _Trigger("invoices.invoice_overdue", {"days": max(round(count), 1)}, start, m.end(),
                                spans=[(start, m.end()), within.span()])
            else:
                best = _Trigger("invoices.invoice_overdue", {"days": 7}, start, m.end(),
                                notes=["I assumed an invoice counts as unpaid 7 days after it is issued; "
                                       "say e.g. 'after 3 days' to change it."])
            break
    return best


# -- schedules --------------------------------------------------------------

#: "hasn't paid", "doesn't pay", "payment na kare", "paisa nahi aaya", "payment is still pending": money NOT
#: coming in. Such words describe an overdue reminder, never a payment received.
_NOT_PAID = re.compile(
    r"\b(?:hasn't|hasnt|has\s+not|haven't|havent|have\s+not|hadn't|had\s+not|doesn't|doesnt|does\s+not|"
    r"don't|dont|do\s+not|didn't|didnt|did\s+not|won't|wont|will\s+not|isn't|is\s+not|aren't|are\s+not|not|"
    r"never|yet\s+to|fails?\s+to|failed\s+to)\s+(?:yet\s+|still\s+)?(?:been\s+)?(?:paid|pays|pay|payed|cleared|"
    r"settled|cleared\s+(?:the|their|his|her)\s+(?:dues|bill|invoice))\b"
    r"|\b(?:payments?|paisa|paise|money|amount|bill|invoice|dues?)\s+(?:is\s+|are\s+|has\s+|have\s+|was\s+)?"
    r"(?:still\s+)?(?:not|doesn't|does\s+not|didn't|did\s+not|hasn't|has\s+not|haven't|isn't|never|na|nahi|"
    r"nahin|nhi)\s+(?:yet\s+)?(?:been\s+)?(?:come|comes|came|come\s+in|arrive|arrives|arrived|received|made|done|"
    r"recorded|credited|cleared|paid|aaye|aaya|aayi|aata|aate|aaega|aayega|mile|mila|mili|milta|mile|kare|"
    r"karein|kre|kiya|kiye|ki|kari|karta|karte|de|den|diya|diye|dete|deta|hua|hui|ho|hota|jama)\b"
    r"|\b(?:pay|payment|paisa|paise|bhugtan)\s+(?:na|nahi|nahin|nhi)\b"
    r"|\b(?:na|nahi|nahin|nhi)\s+(?:pay|payment|paisa|paise|bhugtan)\s+(?:kare|karein|kre|kiya|kiye|kari|"
    r"karta|karte|de|den|diya|diye|dete|deta)\b"
    r"|\b(?:payments?|paisa|paise|money|amount|dues?)\s+(?:\w+\s+){0,3}?(?:is\s+|are\s+|still\s+|remains?\s+|"
    r"stays?\s+|hai\s+)*(?:unpaid|overdue|pending|outstanding|baaki|baki|bakaya)\b"
    r"|\b(?:customers?|clients?|someone|somebody|anyone|anybody|they|he|she|parties|party|jinka|jiska|jinke|jiske)"
    r"\s+(?:\w+\s+){0,3}?(?:unpaid|overdue|baaki|baki|bakaya|udhaar|udhar)\b"
)
#: how long it has been unpaid: "in a week", "for 5 days", "7 din mein", "10 din se", "2 hafte"
_UNPAID_FOR = re.compile(
    r"\b(?:(?:in|within|for|after|beyond|past|over|by|of|since|till|until)\s+)?(?:(?:more\s+than|over|about|"
    rf"around|at\s+least|the\s+(?:first|next|last))\s+)?(?P<n>{_COUNT})\s+(?P<u>days?|weeks?|months?|din|dino|"
    r"dinon|hafte|hafta|haftey|mahine|mahina)\b(?:\s+(?:mein|me|main|tak|se|ke\s+andar|ke\s+baad|baad|"
    r"later|after))?"
)


def _days_of(count: float, unit: str) -> int:
    """(2, "weeks") → 14; (7, "din") → 7; (1, "month") → 30."""
    unit = unit.lower()
    size = 7 if unit.startswith(("week", "haft")) else 30 if unit.startswith(("month", "mahin")) else 1
    return max(round(count * size), 1)


def _not_paid_match(work: str) -> _Trigger | None:
    """"If someone hasn't paid in a week", "jo customer 7 din mein payment na kare": the overdue trigger."""
    m = _NOT_PAID.search(work)
    if m is None:
        return None
    boundary = 0
    for b in _BOUNDARY_RE.finditer(work, 0, m.start()):
        boundary = b.end()
    clause_end = _clause_end(work, m.end())
    start = _conj_start(work, m.start())
    start = start if start is not None and start >= boundary else m.start()
    spans = [(start, m.end())]
    notes: list[str] = []
    within = _UNPAID_FOR.search(work, boundary, clause_end)
    if within:
        days = _days_of(_count(within.group("n")), within.group("u"))
        spans.append(within.span())
    else:
        days = 7
        notes.append("I assumed an invoice counts as unpaid 7 days after it is issued; say e.g. 'after 3 days' "
                     "to change it.")
    return _Trigger("invoices.invoice_overdue", {"days": days}, min(s for s, _ in spans),
                    max(e for _, e in spans), notes=notes, spans=spans)


_DOW = {"sunday": 0, "sun": 0, "monday": 1, "mon": 1, "tuesday": 2, "tue": 2, "tues": 2, "wednesday": 3,
        "wed": 3, "thursday": 4, "thu": 4, "thur": 4, "thurs": 4, "friday": 5, "fri": 5, "saturday": 6,
        "sat": 6, "ravivar": 0, "raviwar": 0, "itwar": 0, "somvar": 1, "somwar": 1, "mangalvar": 2,
        "mangalwar": 2, "budhvar": 3, "budhwar": 3, "guruvar": 4, "guruwar": 4, "shukravar": 5, "shukrawar": 5,
        "shanivar": 6, "shaniwar": 6}
_HI_DOW_RE = (r"(?:ravivar|raviwar|itwar|somvar|somwar|mangalvar|mangalwar|budhvar|budhwar|guruvar|guruwar|"
              r"shukravar|shukrawar|shanivar|shaniwar)")
_DOW_RE = (r"(?:sunday|monday|tuesday|wednesday|thursday|friday|saturday|sun|mon|tues|tue|wed|thurs|thur|"
           rf"thu|fri|sat|{_HI_DOW_RE})s?")
_TOD = {"morning": 9, "afternoon": 14, "evening": 19, "night": 21, "tonight": 21, "noon": 12, "midday": 12,
        "subah": 9, "savere": 9, "dopahar": 14, "shaam": 19, "sham": 19, "raat": 21,
        "midnight": 0, "end of the day": 21, "end of day": 21, "close of business": 20, "closing time": 20}
_SCHED_INTERVAL = re.compile(r"\b(?:every|each)\s+(?P<n>\d+|" + _NUMWORD + r")\s+(?P<u>minutes?|mins?|"
                                                                           r"hours?|hrs?|days?)\b")
_SCHED_UNIT = re.compile(
    r"\b(?:every|each)\s+(?:single\s+)?(?P<u>hour|day|morning|afternoon|evening|night|week|month|weekday|"
    r"weekend|working\s+day|business\s+day|work\s+day)s?\b(?!\s+(?:later|after|before))"
    r"|\b(?P<adv>hourly|daily|weekly|monthly|nightly|everyday|every\s*day)\b"
    r"|\b(?P<hi>roz(?:ana)?|pratidin|har\s+(?:din|roz|hafte|mahine|ghante))\b"
)
_HINGLISH_UNIT = {"har ghante": "hour", "har hafte": "week", "har mahine": "month"}
_SCHED_DOW = re.compile(
    rf"\b(?:every|each|on|all|har)\s+(?P<days>{_DOW_RE}(?:\s*(?:,|and|&|or|aur)\s*{_DOW_RE})*)\b"
    rf"|\b(?P<hday>{_HI_DOW_RE})\s+ko\b"
    rf"|\b(?P<plural>(?:sundays|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays))\b"
    rf"|\b(?P<range>mon(?:day)?\s*(?:-|to|till|through)\s*(?:fri|sat)(?:day)?)\b"
    r"|\b(?P<weekdays>(?:on\s+)?weekdays)\b"
)
_SCHED_MONTHDAY = re.compile(
    r"\b(?:on\s+)?(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:day\s+)?(?:of\s+)?(?:every|each|"
    r"the)\s+month\b"
    r"|\b(?:every|each)\s+month\s+on\s+the\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\bmonthly\s+on\s+the\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(?:on\s+)?(?:the|every|each)\s+(?P<first>first|second|third|fifth|tenth|fifteenth|twentieth)\s+"
    r"(?:day\s+)?of\s+(?:every|each|the)\s+month\b"
    r"|\b(?:at\s+the\s+)?(?P<start>start|beginning)\s+of\s+(?:every|each|the)\s+month\b"
    r"|\bon\s+the\s+(?P<d4>\d{1,2})(?:st|nd|rd|th)\b"
    r"|\b(?P<d5>\d{1,2})\s+(?:tarikh|tareekh|taarikh)\b"
)
_SCHED_TIME = re.compile(
    r"\b(?:at\s+)?(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ap>am|pm|a\.m\.?|p\.m\.?)(?![a-z])"
    r"|\bat\s+(?P<h2>\d{1,2})(?:[:.](?P<m2>\d{2}))?(?:\s*o'?clock)?\b(?!\s*(?:%|days?|hours?|minutes?|mins?))"
    r"|\b(?:at\s+)?(?P<word>noon|midday|midnight)\b"
    r"|\b(?P<h3>\d{1,2})(?:[:.](?P<m3>\d{2}))?\s*baje\b"
)
_SCHED_TOD = re.compile(r"\b(?:in\s+the\s+|every\s+|each\s+|at\s+|by\s+)?(?P<tod>morning|afternoon|"
                        r"subah|savere|dopahar|shaam|sham|raat|"
                        r"evening|night|tonight|"
                        r"end\s+of\s+(?:the\s+)?day|close\s+of\s+business|closing\s+time)\b")


def _find_schedule(work: str, *, allow_time_only: bool) -> _Trigger | None:
    """A cron trigger from "every Friday at 6pm"-style words, or None."""
    spans: list[tuple[int, int]] = []
    notes: list[str] = []
    minute, hour, dom, dow = "0", None, "*", "*"
    freq: str | None = None
    tod_hour: int | None = None

    m = _SCHED_INTERVAL.search(work)
    if m:
        n = int(_count(m.group("n")))
        unit = m.group("u")
        spans.append(m.span())
        if unit.startswith("min"):
            return _Trigger("schedule.cron", {"cron": f"*/{max(n, 5)} * * * *", "timezone": DEFAULT_TIMEZONE},
                            m.start(), m.end(), freq="minute",
                            notes=["The shortest schedule I set is every 5 minutes."] if n < 5 else [])
        if unit.startswith(("hour", "hr")):
            return _Trigger("schedule.cron", {"cron": f"0 */{max(n, 1)} * * *", "timezone": DEFAULT_TIMEZONE},
                            m.start(), m.end(), freq="hour")
        dom, freq = f"*/{max(n, 1)}", "day"
    for m in _SCHED_DOW.finditer(work):
        spans.append(m.span())
        if m.group("days") or m.group("plural") or m.group("hday"):
            text = m.group("days") or m.group("plural") or m.group("hday")
            days = sorted({_DOW[d.rstrip("s") if d.rstrip("s") in _DOW else d]
                           for d in re.findall(_DOW_RE, text)})
            dow = ",".join(str(d) for d in days)
        elif m.group("range"):
            dow = "1-5" if "fri" in m.group("range") else "1-6"
        else:
            dow = "1-5"
        freq = "week"
        break
    m = _SCHED_MONTHDAY.search(work)
    if m and (freq is None or freq == "day") and dow == "*":
        day = m.group("d") or m.group("d2") or m.group("d3") or m.group("d4") or m.group("d5")
        if day is None and m.group("first"):
            day = str({"first": 1, "second": 2, "third": 3, "fifth": 5, "tenth": 10, "fifteenth": 15,
                       "twentieth": 20}[m.group("first")])
        elif day is None and m.group("start"):
            day = "1"
        if day is not None and 1 <= int(day) <= 31 and (m.group("d4") is None or re.search(r"\bmonth", work)):
            dom, freq = str(int(day)), "month"
            spans.append(m.span())
            if int(day) > 28:
                notes.append(f"Months without a {day}th day are skipped.")
    unit_match = None
    for m in _SCHED_UNIT.finditer(work):
        unit_match = m
        break
    if unit_match:
        hi = " ".join((unit_match.group("hi") or "").split())
        unit = _HINGLISH_UNIT.get(hi, "day" if hi else (unit_match.group("u") or unit_match.group("adv") or ""))
        unit = unit.replace(" ", "")
        spans.append(unit_match.span())
        if unit in ("hour", "hourly"):
            if freq is None:
                return _Trigger("schedule.cron", {"cron": "0 * * * *", "timezone": DEFAULT_TIMEZONE},
                                unit_match.start(), unit_match.end(), freq="hour")
        elif unit in ("weekday", "workingday", "businessday", "workday"):
            dow, freq = "1-5", "week"
        elif unit == "weekend":
            dow, freq = "0,6", "week"
        elif unit in ("week", "weekly"):
            if dow == "*":
                dow = "1"
                notes.append("I set it for Mondays; say another day to change it.")
            freq = "week"
        elif unit in ("month", "monthly"):
            if dom == "*":
                dom = "1"
                notes.append("I set it for the 1st of the month; say another date to change it.")
            freq = "month"
        else:
            freq = freq or "day"
            if unit in _TOD:
                tod_hour = _TOD[unit]
    tm = _SCHED_TOD.search(work)
    if tm and tod_hour is None:
        tod_hour = _TOD[" ".join(tm.group("tod").split())]
        spans.append(tm.span())
    m = _SCHED_TIME.search(work)
    if m:
        spans.append(m.span())
        if m.group("word"):
            hour, minute = _TOD[m.group("word")], "0"
        else:
            h = int(m.group("h") or m.group("h2") or m.group("h3"))
            mins = int(m.group("m") or m.group("m2") or m.group("m3") or 0)
            ap = (m.group("ap") or "").replace(".", "")
            if h > 23 or mins > 59:
                return None
            if ap == "pm" and h < 12:
                h += 12
            elif ap == "am" and h == 12:
                h = 0
            elif not ap and h <= 12:
                if tod_hour is not None and tod_hour >= 12 and h < 12:
                    h += 12
                elif tod_hour is None:
                    guess = h + 12 if 1 <= h <= 6 else h
                    notes.append(f"I took {h} as {format_time(guess, mins)}.")
                    h = guess
            hour, minute = h, str(mins)
    if freq is None:
        if not (allow_time_only and m):
            return None
        freq = "day"
        notes.append("I set it to run every day.")
    if hour is None:
        hour = tod_hour if tod_hour is not None else 9
        if tod_hour is None:
            notes.append("I set the time to 9:00 am; say e.g. 'at 8pm' to change it.")
    cron = f"{minute} {hour} {dom} * {dow}"
    start = min(s for s, _ in spans)
    end = max(e for _, e in spans)
    return _Trigger("schedule.cron", {"cron": cron, "timezone": DEFAULT_TIMEZONE}, start, end, freq=freq,
                    notes=notes, spans=spans)


def _find_trigger(t: _Text) -> _Trigger | None:
    work = t.work
    overdue = _overdue_match(work)
    if overdue is not None:
        return overdue
    events = _event_matches(work)
    schedule = _find_schedule(work, allow_time_only=False)
    if schedule is None:
        # "if someone hasn't paid in a week": money NOT coming in is never a payment received.
        not_paid = _not_paid_match(work)
        if not_paid is not None:
            return not_paid
    governed = [trig for trig, conj in events if conj]
    if schedule is not None:
        governed.append(schedule)
    pool = governed or [trig for trig, _ in events]
    if not pool:
        found = _find_schedule(work, allow_time_only=True)
        if found is None:
            # "if the amount is over 10000, …": amounts come with payments.
            m = re.search(r"\b(?:the\s+)?amount\b", work)
            start = _conj_start(work, m.start()) if m else None
            if m and start is not None and _AMOUNT_COND.search(work, m.end()):
                return _Trigger("payments.payment_received", {}, start, m.end(),
                                notes=["I took this to be about payments you receive."])
        return found
    # Ties (several phrases governed by the same "when") go to the most specific reading.
    return min(pool, key=lambda trig: (trig.start, trig.name == "schedule.cron",
                                       trig.name == "payments.payment_received",
                                       trig.name == "inventory.stock_low" and trig.product is None))


# ---------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------

_OPS = [
    (r"more\s+than|greater\s+than|bigger\s+than|larger\s+than|higher\s+than|over|above|exceeds?|exceeding|"
     r"in\s+excess\s+of|beyond|>", ">"),
    (r"at\s+least|not\s+less\s+than|minimum(?:\s+of)?|min|>=", ">="),
    (r"less\s+than|fewer\s+than|under|below|smaller\s+than|lower\s+than|<", "<"),
    (r"at\s+most|not\s+more\s+than|up\s*to|maximum(?:\s+of)?|max|<=", "<="),
    (r"exactly|equal\s+to|equals|=", "=="),
]
_OP_WORDS = "|".join(f"(?:{words})" for words, _ in _OPS)
_AMOUNT_COND = re.compile(
    rf"(?<![\w])(?:is\s+|of\s+|for\s+|worth\s+)?(?P<op>{_OP_WORDS})\s*(?:of\s+)?{_AMOUNT}"
    rf"(?:\s*(?:rs\.?|rupees|inr|/-))?(?!\s*{_TIME_UNITS})(?!\d)"
    r"(?:\s+(?P<suffix>or\s+more|or\s+above|and\s+above|or\s+less|or\s+below|and\s+below))?"
)
_AMOUNT_ORMORE = re.compile(
    rf"(?<![\w]){_AMOUNT}\s*(?:rs\.?|rupees|inr|/-)?\s+(?P<suffix>or\s+more|or\s+above|and\s+above|\+|"
    rf"or\s+less|"
    r"or\s+below|and\s+below)\b"
)
_BETWEEN = re.compile(
    r"\bbetween\s+(?:₹|rs\.?|inr)?\s*(?P<a>\d[\d,]*(?:\.\d+)?)\s*(?P<am>k|thousand|lakhs?)?\s+(?:and|to|-)\s+"
    r"(?:₹|rs\.?|inr)?\s*(?P<b>\d[\d,]*(?:\.\d+)?)\s*(?P<bm>k|thousand|lakhs?)?\b(?!\s*" + _TIME_UNITS + ")"
)
_METHOD = re.compile(
    r"\b(?:by|via|through|thru|using|in|on|with|over)\s+(?P<m>upi|cash|credit\s+card|debit\s+card|card|"
    r"cheque|check|"
    r"bank\s+transfer|neft|rtgs|imps|net\s*banking|gpay|google\s+pay|phone\s*pe|paytm)\b"
    r"|\b(?P<m2>upi|cash|card|cheque)\s+payments?\b"
)
_METHOD_MAP = {"gpay": "upi", "google pay": "upi", "phonepe": "upi", "phone pe": "upi", "paytm": "upi",
               "credit card": "card", "debit card": "card", "check": "cheque", "bank transfer": "bank",
               "neft": "bank", "rtgs": "bank", "imps": "bank", "netbanking": "bank", "net banking": "bank"}
_FROM_NAME = re.compile(r"\b(?:from|by)\s+(?P<name>[a-z][a-z.'-]*(?:\s+[a-z][a-z.'-]*){0,2})")
_FOR_NAME = re.compile(r"\bfor\s+(?P<name>[a-z][a-z.'-]*(?:\s+[a-z][a-z.'-]*){0,2})")

_CONJ_WORDS = {"when", "whenever", "if", "once", "after", "as", "soon", "each", "every", "time", "any",
               "anytime",
               "upon", "for", "on", "with", "only"}
_ACTION_WORDS = {
    "whatsapp", "message", "msg", "text", "sms", "send", "email", "mail", "log", "add", "post", "tell",
    "notify",
    "thank", "thanks", "remind", "call", "alert", "ping", "inform", "record", "save", "put", "write",
    "create",
    "make", "share", "forward", "reply", "wait", "then", "also", "and", "slack", "sheet", "update", "let",
}
_NAME_STOP = _GENERIC_WHO | _ACTION_WORDS | _CONJ_WORDS | {
    "a", "an", "the", "my", "our", "your", "their", "his", "her", "razorpay", "upi", "cash", "card", "bank",
    "cheque", "check", "online", "gpay", "paytm", "phonepe", "google", "me", "us", "him", "there", "now",
    "today",
    "tomorrow", "more", "over", "above", "less", "under", "below", "than", "rs", "inr", "rupees", "which",
    "new", "payment", "payments", "invoice", "invoices", "link", "website", "shop", "store", "app", "net",
    "neft",
    "imps", "rtgs", "transfer", "or", "i", "we", "you", "yes", "no", "amount", "all", "anyone", "someone",
    "somebody", "anybody", "customer", "customers", "client", "clients", "is", "are", "was", "were", "has",
    "have", "comes", "come", "in", "it", "pays", "paid", "pay", "gets", "get", "of", "to", "at", "up",
    "money", "credit", "debit", "stock", "product", "web", "webhook", "phone", "number", "sale", "sales",
    "bill", "bills", "order", "orders", "unpaid", "overdue", "not", "still", "again", "just", "only",
    "pdf", "copy", "same", "day", "week", "month", "morning", "evening", "night", "week's", "today's",
}


#: Words that negate what follows ("hasn't paid", "na kare"): never a name, never a payment coming in.
_NEGATION_WORDS = frozenset({
    "not", "never", "no", "don't", "dont", "didn't", "didnt", "doesn't", "doesnt", "hasn't", "hasnt", "haven't",
    "havent", "hadn't", "hadnt", "won't", "wont", "isn't", "isnt", "aren't", "arent", "wasn't", "weren't",
    "can't", "cant", "cannot", "couldn't", "wouldn't", "shouldn't", "yet", "na", "nahi", "nahin", "nhi", "mat",
})
#: Verb and helper words that can sit where a name would ("if someone hasn't paid", "once he has paid").
_VERB_WORDS = frozenset({
    "has", "have", "had", "does", "do", "did", "will", "would", "shall", "should", "can", "could", "may",
    "might", "must", "is", "are", "was", "were", "be", "been", "being", "already", "finally", "also", "always",
    "still", "ever", "fully", "partly", "actually", "just", "even", "who", "whom", "whose", "which", "that",
    "jo", "jis", "jinka", "jiska", "jinhone", "jisne", "koi", "bhi", "log", "kare", "karo", "kar",
})


def _name_like(word: str) -> bool:
    """Could ``word`` be part of a person's name? Never a stop word, a verb fragment or a contraction."""
    clean = word.strip(".'-")
    if not clean or clean in _NAME_STOP or clean in _NEGATION_WORDS or clean in _VERB_WORDS:
        return False
    if re.search(r"n't$|'(?:s|ll|ve|d|re|m|t)$", word):  # "hasn't", "customer's", "they'll"
        return False
    return bool(re.fullmatch(r"[a-z][a-z.'-]*", word))


@dataclass
class _Cond:
    kind: str  # amount | name | method | product
    expression: str
    text: str


def _amount_field(trigger: str) -> str | None:
    return {
        "payments.payment_received": "trigger_data.payment.amount",
        "razorpay.payment_received": "trigger_data.payment.amount",
        "invoices.invoice_created": "trigger_data.invoice.total",
        "invoices.invoice_overdue": "trigger_data.invoice.total",
        "inventory.stock_low": "trigger_data.product.stock",
        "webhook.received": "trigger_data.amount",
    }.get(trigger)


def _op_of(words: str) -> str:
    words = " ".join(words.split())
    for pattern, op in _OPS:
        if re.fullmatch(pattern, words):
            return op
    return ">"


def _literal(value: float | int) -> str:
    return str(_number(value))


def _name_from(t: _Text, start: int, raw: str) -> str | None:
    """A person's name at ``start`` (first word any non-stop word; more words only when Capitalised)."""
    words = raw.split()
    taken: list[str] = []
    offset = start
    for i, word in enumerate(words):
        pos = t.work.find(word, offset)
        offset = pos + len(word)
        clean = word.strip(".'-")
        if not clean or not _name_like(word):
            break
        if i > 0 and not t.orig[pos:pos + 1].isupper():
            break
        taken.append(clean)
    return " ".join(taken) or None


def _find_conditions(t: _Text, trig: _Trigger, notes: list[str]) -> list[_Cond]:
    """Amount, customer, method and product conditions; their words are blanked from ``t``."""
    conds: list[_Cond] = []
    field_name = _amount_field(trig.name)
    spans: list[tuple[int, int]] = []

    def amount_cond(op: str, value: float | None, span: tuple[int, int], text: str) -> None:
        if value is None:
            return
        spans.append(span)
        if field_name is None:
            notes.append(f"I left out '{text.strip()}': a schedule has no amount to compare.")
            return
        conds.append(_Cond("amount", f"{field_name} {op} {_literal(value)}", text))

    work = t.work
    for m in _BETWEEN.finditer(work):
        low = _amount(m.group("a"), m.group("am"))
        high = _amount(m.group("b"), m.group("bm"))
        if low is not None and high is not None and field_name:
            conds.append(_Cond("amount", f"{field_name} >= {_literal(low)} and {field_name} <= "
                                         f"{_literal(high)}",
                               m.group(0)))
            spans.append(m.span())
        elif low is not None:
            amount_cond(">=", low, m.span(), m.group(0))
    for m in _AMOUNT_COND.finditer(work):
        if any(s <= m.start() < e for s, e in spans):
            continue
        op = _op_of(m.group("op"))
        suffix = m.group("suffix") or ""
        if op == ">" and ("more" in suffix or "above" in suffix):
            op = ">="
        elif op == "<" and ("less" in suffix or "below" in suffix):
            op = "<="
        amount_cond(op, _amount(m.group("num"), m.group("mult")), m.span(), m.group(0))
    for m in _AMOUNT_ORMORE.finditer(work):
        if any(s <= m.start() < e for s, e in spans):
            continue
        suffix = m.group("suffix")
        op = ">=" if ("more" in suffix or "above" in suffix or suffix == "+") else "<="
        amount_cond(op, _amount(m.group("num"), m.group("mult")), m.span(), m.group(0))
    for s, e in spans:
        t.blank(s, e)

    spec = trigger_spec(trig.name)
    has_customer = spec is not None and spec.has_field("customer.name") and trig.name != "webhook.received"
    window_end = _clause_end(t.work, trig.end)
    if has_customer:
        name = trig.who
        if name:
            conds.append(_Cond("name", _name_expr(name), name))
        else:
            pattern_list = [_FROM_NAME] + ([_FOR_NAME] if trig.name.startswith("invoices.") else [])
            for pattern in pattern_list:
                named = pattern.search(t.work, trig.start, window_end)
                if named:
                    found = _name_from(t, named.start("name"), named.group("name"))
                    if found:
                        conds.append(_Cond("name", _name_expr(found), found))
                        t.blank(named.start(), named.start("name") + len(found))
                        break
    if trig.method:
        expression = f'lower(str(trigger_data.payment.method)) == "{trig.method}"'
        conds.append(_Cond("method", expression, trig.method))
    if trig.name == "inventory.stock_low" and any(c.kind == "amount" for c in conds):
        notes.append("This runs when a product falls to its own low-stock level, so make sure that level is "
                     "at or above the number you gave (e.g. 'set low stock level of cement to 10').")
    if trig.name == "inventory.stock_low" and trig.product:
        expression = f'"{trig.product}" in lower(str(trigger_data.product.name))'
        conds.append(_Cond("product", expression, trig.product))
    return conds


def _name_expr(name: str) -> str:
    clean = re.sub(r"[^a-z .'-]", "", name.lower()).strip()
    return f'"{clean}" in lower(str(trigger_data.customer.name))'


# ---------------------------------------------------------------------------
# Delays
# ---------------------------------------------------------------------------

_DELAY = [
    re.compile(rf"\bwait(?:\s+for)?\s+(?:about\s+|around\s+|another\s+)?(?P<n>{_COUNT})\s+{_UNIT_RE}\b"),
    re.compile(rf"\b(?:after|in)\s+(?:about\s+|around\s+|another\s+)?(?P<n>{_COUNT})\s+{_UNIT_RE}\b"
               r"(?!\s+(?:of|from|after|before))"),
    re.compile(rf"\b(?P<n>{_COUNT})\s+{_UNIT_RE}\s+(?:later|after\s+that|afterwards|after\s+this)\b"),
    re.compile(r"\b(?P<next>(?:the\s+)?next\s+day|the\s+day\s+after|next\s+morning|the\s+following\s+day|"
               r"half\s+an\s+hour\s+later|after\s+half\s+an\s+hour|wait\s+half\s+an\s+hour|"
               r"wait\s+(?:a\s+)?(?:little|bit|while))\b"),
]


def _find_delay(work: str, start: int, end: int) -> tuple[str, tuple[int, int]] | None:
    for pattern in _DELAY:
        m = pattern.search(work, start, end)
        if not m:
            continue
        if m.groupdict().get("next"):
            text = m.group("next")
            if "half" in text:
                return "30m", m.span()
            if "little" in text or "bit" in text or "while" in text:
                return "1h", m.span()
            return "1d", m.span()
        duration = _duration(_count(m.group("n")), m.group("u"))
        if _duration_days(duration) <= 365:
            return duration, m.span()
    return None


def _duration_days(duration: str) -> float:
    size = {"s": 1, "m": 60, "h": 3600, "d": 86400}[duration[-1]]
    return int(duration[:-1]) * size / 86400


# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------

_SPLIT_RE = re.compile(
    r"\s*(?:[,;!?]|\.(?=\s|$)|\band\s+then\b|\bthen\b|\balso\b|\band\b|\bplus\b|\bas\s+well\s+as\b|&|"
    r"\bafter\s+that\b"
    r"|\bafterwards\b)\s*"
)
_ELSE_RE = re.compile(r"\b(?:otherwise|else|if\s+not|or\s+else)\b")

_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("payment_link", re.compile(r"\bpay(?:ment)?\s+links?\b|\brazorpay\s+link\b|\blink\s+to\s+pay\b")),
    ("unpaid", re.compile(r"\bunpaid\b|\boutstanding\b|\boverdue\s+(?:invoices|bills|payments|list)\b|"
                          r"\bpending\s+(?:invoices|bills|payments|dues|amounts?)\b|\bdues\b|\bwho\s+(?:owes|"
                          r"hasn't\s+paid|has\s+not\s+paid)\b|\breceivables\b|\budh(?:a)?ar\b|\bbaa?ki\b")),
    ("sales", re.compile(r"\bsales\b|\bsold\b|\brevenue\b|\bturnover\b|\bcollections?\b|\bearnings\b|"
                         r"\bbusiness\s+(?:summary|report)\b|\b(?:daily|weekly|monthly)\s+(?:summary|"
                         r"report)\b|"
                         r"\bday'?s\s+(?:summary|report|total)\b|\bsummary\b|\bhow\s+much\s+(?:i|we)\s+"
                         r"(?:sold|made|earned)\b|\breport\b")),
    ("sheet", re.compile(r"\b(?:google\s+)?(?:spread)?sheets?\b|\bexcel\b|\badd\s+(?:a\s+)?(?:new\s+)?row\b|"
                         r"\b(?:log|record|note\s+down|save|track|keep\s+track\s+of|store|write\s+down|"
                         r"enter)\s+"
                         r"(?:it|this|that|them|the\s+\w+|each|every|all|these)\b|\bappend\b|\bledger\b|"
                         r"\blog\s+(?:in|to|into)\b|\bkeep\s+a\s+record\b")),
    ("email", re.compile(r"\be-?mails?\b|\bmail\s+(?:me|it|them|the|us|to)\b|\bgmail\b")),
    ("slack", re.compile(r"\bslack\b")),
    ("http", re.compile(r"\ue000u|\bwebhook\b|\bapi\b|\bendpoint\b|\bhttp\b|\bzapier\b|\bn8n\b|\bmake\.com\b|"
                        r"\bpost\s+(?:it\s+|the\s+\w+\s+)?to\s+(?:my\s+)?"
                        r"(?:server|url|endpoint|website|crm)\b")),
    ("stock", re.compile(r"\b(?:add|increase|reduce|decrease|remove|deduct|subtract|top\s+up|restock|bump|"
                         r"raise|"
                         r"lower)\b[^.]*\bstock\b|\bstock\s+(?:of\s+\w+\s+)?(?:by|up|down)\b|\brestock\b|"
                         r"\b(?:add|reduce|deduct|remove)\s+\d+")),
    # a PDF here is always the invoice's: "send the pdf to the customer", "whatsapp them a pdf copy"
    ("document", re.compile(r"\b(?:invoice|bill)\s*(?:pdf|copy|document)\b|\bpdf\b|\b(?:send|share|forward|"
                            r"whatsapp)\s+"
                            r"(?:\w+\s+){0,3}?(?:a|the)\s+copy\b|\b(?:pdf|copy)\s+of\s+(?:the\s+|their\s+)?"
                            r"(?:invoice|bill)\b|\b(?:send|whatsapp|share|"
                            r"forward)\s+(?:\w+\s+){0,3}?(?:the|a|their|"
                            r"his|her|this|that)\s+(?:invoice|bill)\b(?!\s+(?:number|total|amount))")),
    ("phone_call", re.compile(r"\b(?:call|phone|ring)\s+(?:me|them|him|her|the\s+customer|my\s+\w+)\b")),
    ("whatsapp", re.compile(r"\bwhats\s*apps?\b|\bwa\b|\bmessage\b|\bmsg\b|\btext\b|\bsms\b|\bnotify\b|"
                            r"\balert\b|"
                            r"\btell\b|\binform\b|\bping\b|\blet\s+(?:\S+\s+){1,4}?know\b|"
                            r"\bremind(?:er)?s?\b|\bthank|\bthanks\b|\bsend\b|\bgreet|\bwish\b|"
                            r"\bconfirm(?:ation)?\b|"
                            r"\breceipt\b|\bnote\b|\bupdate\s+(?:me|them|him|her)\b|\bask\s+(?:them|him|"
                            r"her|the\s+"
                            r"customer|for)\b|\breach\s+out\b|\bfollow\s+up\b|\bnudge\b|\bnotification\b|"
                            r"\bforward\b|\bshare\b|\bbhej(?:o|do|na)?\b|\bbata(?:o|na|\s+do|\s+dena)?\b|\b(?:re)?order\s+(?:more|some|new|stock|from)\b")),
]

_ME_RE = re.compile(r"\b(?:me|myself|owner|us|mujhe|mujhko)\b")
_CUSTOMER_RE = re.compile(
    r"\b(?:them|him|her|they|the\s+customer|customers?|the\s+client|clients?|the\s+payer|payer|"
    r"the\s+buyer|buyer|"
    r"the\s+person|that\s+person|the\s+party|whoever|the\s+sender|their|usko|unko|use)\b"
)
_THIRD_RE = re.compile(
    r"\b(?:my|our|the)\s+(?P<who>distributor|supplier|manager|accountant|partner|wife|husband|son|"
    r"daughter|brother|"
    r"sister|staff|employee|team|vendor|dealer|agent|ca|boss|assistant|store\s+manager|delivery\s+boy|driver|"
    r"wholesaler|salesman|cashier)\b"
)
_SAYING_RE = re.compile(
    r"\b(?:saying|that\s+says|which\s+says|with\s+(?:the\s+|a\s+)?(?:message|text|note|words)|message:|text:|"
    r"to\s+say|telling\s+(?:them|him|her|me|the\s+customer)(?:\s+that)?)\s+(?P<msg>.+)$"
)
_PLEASE_RE = re.compile(
    r"\bto\s+(?P<what>(?:send|bring|deliver|pay|visit|come|check|restock|supply|ship|collect|clear|settle|"
    r"call\s+(?:me|us)|contact\s+(?:me|us))\b.+)$"
)
_UNIT_WORD_RE = re.compile(r"\b(?:bags?|units?|pieces?|pcs|kgs?|boxes?|packets?|litres?|liters?|bottles?|"
                           r"cartons?|sacks?|tons?|dozens?)\s*$")
_REMIND_TO_RE = re.compile(r"\bremind\s+(?:me|them|him|her|the\s+customer|us)\s+(?:to|about)\s+(?P<what>.+)$")
_FRIENDLY = {
    "amount": "trigger_data.payment.amount", "payment": "trigger_data.payment.amount",
    "name": "trigger_data.customer.name", "customer": "trigger_data.customer.name",
    "customer name": "trigger_data.customer.name", "customer_name": "trigger_data.customer.name",
    "phone": "trigger_data.customer.phone", "method": "trigger_data.payment.method",
    "invoice": "trigger_data.invoice.number", "invoice number": "trigger_data.invoice.number",
    "invoice_number": "trigger_data.invoice.number", "number": "trigger_data.invoice.number",
    "total": "trigger_data.invoice.total", "invoice total": "trigger_data.invoice.total",
    "product": "trigger_data.product.name", "stock": "trigger_data.product.stock",
    "unit": "trigger_data.product.unit", "days": "trigger_data.days_overdue",
    "business": "business.name", "shop": "business.name", "business name": "business.name",
    "shop name": "business.name",
}
_IO_HANDLING = {"retry_count": 3, "retry_delay": 5, "backoff": "exponential", "on_failure": "stop"}
_IO_KEYS = {"whatsapp.send_message", "whatsapp.send_document", "google_sheets.append_row", "email.send",
            "slack.post_message", "http.request", "razorpay.create_payment_link"}
_ID_PREFIX = {
    "whatsapp.send_message": "whatsapp", "whatsapp.send_document": "document",
    "google_sheets.append_row": "sheet",
    "email.send": "email", "slack.post_message": "slack", "http.request": "http",
    "razorpay.create_payment_link": "payment_link", "reports.unpaid_invoices": "unpaid",
    "reports.sales_summary": "sales", "inventory.adjust_stock": "stock", "delay.wait": "wait",
    "logic.condition": "condition", "control.for_each": "loop",
}


@dataclass
class _Step:
    key: str
    params: dict[str, Any]
    id: str = ""
    #: A delivery the words did not ask for (a report's default WhatsApp to the owner).
    implicit: bool = False


class _Builder:
    """Turns clauses into steps for one trigger, collecting notes and missing things."""

    def __init__(self, trigger: str, params: dict[str, Any], freq: str | None, used_ids: set[str]) -> None:
        self.trigger = trigger
        self.trigger_params = params
        self.spec: TriggerSpec | None = trigger_spec(trigger)
        self.freq = freq
        self.notes: list[str] = []
        self.missing: list[str] = []
        self.used_ids = set(used_ids)
        self.last_report: str | None = None
        self.last_link: str | None = None
        #: Who the previous message went to ("WhatsApp them a receipt and email": the customer too).
        self.last_audience: str | None = None

    # -- helpers ------------------------------------------------------------

    def has(self, dotted: str) -> bool:
        known = self.spec is not None and self.spec.has_field(dotted)
        return (known and self.trigger != "webhook.received") \
            or (self.trigger == "webhook.received" and dotted.startswith(("customer.", "amount")))

    def new_id(self, key: str) -> str:
        prefix = _ID_PREFIX.get(key, key.split(".")[0])
        n = 1
        while f"{prefix}_{n}" in self.used_ids:
            n += 1
        self.used_ids.add(f"{prefix}_{n}")
        return f"{prefix}_{n}"

    def step(self, key: str, params: dict[str, Any]) -> _Step:
        return _Step(key, params, self.new_id(key))

    def friendly(self, text: str) -> str:
        """Turn ``{amount}``-style words in quoted text into variables this trigger has."""
        def swap(m: re.Match[str]) -> str:
            word = " ".join(m.group(1).lower().replace("_", " ").split())
            ref = _FRIENDLY.get(word)
            if ref and (ref.startswith("business.") or self.has(ref.removeprefix("trigger_data."))):
                if ref == "trigger_data.invoice.total" and self.trigger.startswith("payments"):
                    ref = "trigger_data.payment.amount"
                return "{{" + ref + "}}"
            return m.group(0)
        return re.sub(r"(?<!\{)\{\s*([A-Za-z_ ]{1,20})\s*\}(?!\})", swap, text)

    # -- recipients and texts ----------------------------------------------------

    def message_start(self, t: _Text, s: int, e: int) -> int:
        """Where the message text of a clause begins (recipients are named before it)."""
        starts = [m.start() for m in _PH_RE.finditer(t.work, s, e) if m.group(1) == "q"]
        for pattern in (_SAYING_RE, _REMIND_TO_RE, _PLEASE_RE):
            m = pattern.search(t.work, s, e)
            if m:
                starts.append(m.start(m.lastindex or 0) if pattern is not _SAYING_RE else m.start())
        return min(starts, default=e)

    def recipients(self, t: _Text, s: int, e: int, *, default_customer: bool) -> list[tuple[str, str]]:
        """Every (``to``, audience) a clause names, in order; audience is owner | customer | other.

        "me" → ``owner``; "them", "the customer" → the customer's phone
        variable; a phone number as written. Someone named without a number
        ("my distributor") is added to ``missing``. With nobody named, the
        customer when ``default_customer`` and the trigger has one, else the owner.
        """
        cut = self.message_start(t, s, e)
        w = t.work[s:cut]
        found: list[tuple[int, str, str]] = []
        asked = False
        for m in _PH_RE.finditer(t.work, s, cut):
            if m.group(1) == "p":
                found.append((m.start(), t.tokens("p", m.start(), m.end())[0], "other"))
        me = _ME_RE.search(w)
        if me:
            found.append((s + me.start(), "owner", "owner"))
        for third in _THIRD_RE.finditer(w):
            if not any(0 <= pos - (s + third.end()) <= 30 for pos, _, kind in found if kind == "other"):
                who = third.group("who")
                self.missing.append(f"the WhatsApp number of your {who} (say e.g. 'my {who} at 98765 43210')")
                asked = True
        customer = _CUSTOMER_RE.search(w)
        if customer:
            if self.has("customer.phone"):
                found.append((s + customer.start(), "{{trigger_data.customer.phone}}", "customer"))
            else:
                self.missing.append("who to message: this trigger has no customer "
                                    "(say 'me' or a phone number)")
                asked = True
        if not found and not asked:
            if default_customer and self.has("customer.phone"):
                found.append((s, "{{trigger_data.customer.phone}}", "customer"))
            else:
                found.append((s, "owner", "owner"))
        if any(kind == "customer" for _, _, kind in found) and self.trigger == "webhook.received":
            self.notes.append("I assumed the webhook sends the customer's phone as customer.phone.")
        out: list[tuple[str, str]] = []
        for _, to, kind in sorted(found):
            if to not in [o for o, _ in out]:
                out.append((to, kind))
        return out

    def recipient(self, t: _Text, s: int, e: int, *, default_customer: bool) -> tuple[str | None, str]:
        """The first of `recipients`, or (None, "other") when the one named has no number."""
        found = self.recipients(t, s, e, default_customer=default_customer)
        return found[0] if found else (None, "other")

    def said(self, t: _Text, s: int, e: int) -> str | None:
        quotes = t.tokens("q", s, e)
        if quotes:
            return self.friendly(quotes[0])
        m = _SAYING_RE.search(t.work, s, e)
        if m:
            text = t.orig[m.start("msg"):e].strip(" ,.;")
            text = _untoken(t, text)
            if text:
                return text[0].upper() + text[1:]
        return None

    def default_message(self, audience: str, w: str) -> str:
        trig = self.trigger
        if self.last_report and re.search(r"\b(?:it|this|that|report|summary|list|sales|them)\b", w):
            return "{{" + self.last_report + ".text}}"
        if trig in ("payments.payment_received", "razorpay.payment_received"):
            if audience == "customer":
                if re.search(r"\b(?:review|feedback|rating)\b", w):
                    return ("Hello {{trigger_data.customer.name}}, thank you for shopping with "
                            "{{business.name}}! "
                            "We would love your feedback.")
                return ("Thank you {{trigger_data.customer.name}}! We received your payment of "
                        "{{trigger_data.payment.amount}}.")
            return ("Payment received: {{trigger_data.payment.amount}} from {{trigger_data.customer.name}} "
                    "({{trigger_data.payment.method}}).")
        if trig == "invoices.invoice_created":
            if audience == "customer":
                return ("Hello {{trigger_data.customer.name}}, your invoice "
                        "{{trigger_data.invoice.number}} for "
                        "{{trigger_data.invoice.total}} is ready. Thank you for your business!")
            return ("New invoice {{trigger_data.invoice.number}} for {{trigger_data.invoice.total}} to "
                    "{{trigger_data.customer.name}}.")
        if trig == "invoices.invoice_overdue":
            if audience == "customer":
                return ("Hello {{trigger_data.customer.name}}, this is a reminder that invoice "
                        "{{trigger_data.invoice.number}} for {{trigger_data.invoice.total}} is still unpaid. "
                        "Please pay at your earliest convenience. Thank you!")
            return ("Invoice {{trigger_data.invoice.number}} for {{trigger_data.invoice.total}} to "
                    "{{trigger_data.customer.name}} is still unpaid after "
                    "{{trigger_data.days_overdue}} days.")
        if trig == "inventory.stock_low":
            if audience == "other":
                return "Hello, please send more {{trigger_data.product.name}}. Thank you! - {{business.name}}"
            return ("Low stock: {{trigger_data.product.name}} is down to {{trigger_data.product.stock}} "
                    "{{trigger_data.product.unit}}.")
        if trig == "webhook.received":
            return "New webhook call: {{trigger_data}}"
        if self.last_report:
            return "{{" + self.last_report + ".text}}"
        return "Reminder from {{business.name}}."

    def subject(self) -> str:
        return {
            "payments.payment_received": "Payment of {{trigger_data.payment.amount}} from "
                                         "{{trigger_data.customer.name}}",
            "razorpay.payment_received": "Razorpay payment of {{trigger_data.payment.amount}} from "
                                         "{{trigger_data.customer.name}}",
            "invoices.invoice_created": "Invoice {{trigger_data.invoice.number}} for "
                                        "{{trigger_data.invoice.total}}",
            "invoices.invoice_overdue": "Invoice {{trigger_data.invoice.number}} is still unpaid",
            "inventory.stock_low": "Low stock: {{trigger_data.product.name}}",
            "webhook.received": "Webhook received",
        }.get(self.trigger, "Update from {{business.name}}")

    # -- actions --------------------------------------------------------------

    def clause(self, kind: str, t: _Text, s: int, e: int) -> list[_Step]:
        method = getattr(self, f"_{kind}")
        steps: list[_Step] = method(t, s, e)
        return steps

    def _whatsapp(self, t: _Text, s: int, e: int) -> list[_Step]:
        w = t.work[s:e]
        customer_intent = bool(re.search(r"\b(?:thank|thanks|receipt|remind|reminder|confirm|greet|wish|"
                                         r"review|"
                                         r"feedback)", w))
        steps: list[_Step] = []
        for to, audience in self.recipients(t, s, e, default_customer=customer_intent):
            text = self.said(t, s, e)
            if text is None:
                m = _REMIND_TO_RE.search(w)
                please = _PLEASE_RE.search(w)
                if m:
                    what = t.orig[s + m.start("what"):e].strip(" ,.;")
                    text = f"Reminder: {_untoken(t, what)}"
                elif please and audience != "owner":
                    what = _untoken(t, t.orig[s + please.start("what"):e].strip(" ,.;"))
                    if self.trigger == "inventory.stock_low" and _UNIT_WORD_RE.search(what.lower()):
                        what += " of {{trigger_data.product.name}}"
                    text = f"Please {what}. Thank you! - {{{{business.name}}}}"
                else:
                    text = self.default_message(audience, w)
            steps.append(self.step("whatsapp.send_message", {"to": to, "message": text}))
            self.last_audience = audience
        return steps

    def _phone_call(self, t: _Text, s: int, e: int) -> list[_Step]:
        self.notes.append("I cannot make phone calls; I can WhatsApp instead (say 'WhatsApp me').")
        return []

    def _email(self, t: _Text, s: int, e: int) -> list[_Step]:
        w = t.work[s:e]
        emails = t.tokens("e", s, e)
        if emails:
            to = ",".join(emails) if len(emails) > 1 else emails[0]
            audience = "other"
        elif (_CUSTOMER_RE.search(w) or (self.last_audience == "customer" and not _ME_RE.search(w))) \
                and self.has("customer.email"):
            to, audience = "{{trigger_data.customer.email}}", "customer"
            self.notes.append("The email goes only to customers who have an email address saved.")
        else:
            self.missing.append("your email address (say e.g. 'email me at you@example.com')")
            return []
        quotes = t.tokens("q", s, e)
        subject = self.subject()
        body = None
        sm = re.search(r"\bsubject\b", w)
        if sm and quotes:
            subject_quote_pos = [m for m in _PH_RE.finditer(t.work, s, e) if m.group(1) == "q"]
            after = [m for m in subject_quote_pos if m.start() > s + sm.start()]
            if after:
                subject = self.friendly(t.quotes[ord(after[0].group(2)) - 0xE100])
                quotes = [q for q in quotes if q != t.quotes[ord(after[0].group(2)) - 0xE100]]
        if quotes:
            body = self.friendly(quotes[0])
        if body is None:
            said = self.said(t, s, e) if not quotes else None
            body = said or self.default_message("customer" if audience == "customer" else "owner", w)
        if self.last_report and body == "{{" + self.last_report + ".text}}":
            what = "sales summary" if self.last_report.startswith("sales") else "unpaid invoices"
            subject = f"Your {what}"
        return [self.step("email.send", {"to": to, "subject": subject, "body": body})]

    def _sheet(self, t: _Text, s: int, e: int) -> list[_Step]:
        w = t.work[s:e]
        quotes = t.tokens("q", s, e)
        spreadsheet = quotes[0] if quotes else None
        worksheet = quotes[1] if len(quotes) > 1 else None
        if spreadsheet is None:
            m = re.search(r"\b(?:sheet|spreadsheet)\s+(?:called|"
                          r"named)\s+(?P<n>[a-z0-9][\w-]*(?:\s+[a-z0-9][\w-]*)?)", w)
            if not m:
                m = re.search(r"\b(?:my|the|our)\s+(?P<n>[a-z0-9][\w-]*)\s+(?:google\s+)?(?:spread)?sheet\b",
                              w)
            if m and m.group("n") not in ("google", "the", "a", "my", "new", "excel", "spread"):
                raw = t.orig[s + m.start("n"):s + m.end("n")]
                spreadsheet = raw[0].upper() + raw[1:]
        wm = re.search(r"\b(?:worksheet|tab|sheet\s+tab)\s+(?:called\s+|named\s+)?(?P<n>[a-z0-9][\w-]*)", w)
        if worksheet is None and wm and wm.group("n") not in ("called", "named", "in", "of"):
            raw = t.orig[s + wm.start("n"):s + wm.end("n")]
            worksheet = raw[0].upper() + raw[1:]
        if spreadsheet is None:
            spreadsheet = {
                "payments.payment_received": "Payments", "razorpay.payment_received": "Payments",
                "invoices.invoice_created": "Invoices", "invoices.invoice_overdue": "Unpaid invoices",
                "inventory.stock_low": "Low stock", "schedule.cron": "Reports",
                "webhook.received": "Webhooks",
            }.get(self.trigger, "Munshi")
            self.notes.append(f"I named the Google Sheet '{spreadsheet}'; say e.g. \"use the sheet "
                              f"'Accounts'\" "
                              "to change it.")
        values = self.row_values()
        return [self.step("google_sheets.append_row",
                          {"spreadsheet": spreadsheet, "worksheet": worksheet or "Sheet1", "values": values})]

    def row_values(self) -> list[Any]:
        trig = self.trigger
        if trig in ("payments.payment_received", "razorpay.payment_received"):
            return ["{{trigger_data.customer.name}}", "{{trigger_data.customer.phone}}",
                    "{{trigger_data.payment.amount}}", "{{trigger_data.payment.method}}",
                    "{{trigger_data.payment.reference}}"]
        if trig == "invoices.invoice_created":
            return ["{{trigger_data.invoice.number}}", "{{trigger_data.customer.name}}",
                    "{{trigger_data.invoice.total}}", "{{trigger_data.invoice.status}}"]
        if trig == "invoices.invoice_overdue":
            return ["{{trigger_data.invoice.number}}", "{{trigger_data.customer.name}}",
                    "{{trigger_data.invoice.total}}", "{{trigger_data.days_overdue}}"]
        if trig == "inventory.stock_low":
            return ["{{trigger_data.product.name}}", "{{trigger_data.product.stock}}",
                    "{{trigger_data.product.unit}}", "{{trigger_data.product.low_stock_threshold}}"]
        if trig == "schedule.cron":
            values: list[Any] = ["{{trigger_data.fired_at}}"]
            if self.last_report:
                values.append("{{" + self.last_report + ".total}}")
            return values
        self.notes.append("The sheet row holds the webhook's whole body in one cell.")
        return ["{{trigger_data}}"]

    def _slack(self, t: _Text, s: int, e: int) -> list[_Step]:
        w = t.work[s:e]
        text = self.said(t, s, e) or self.default_message("owner", w)
        params: dict[str, Any] = {"text": text}
        urls = t.tokens("u", s, e)
        if urls:
            params["webhook_url"] = urls[0]
        return [self.step("slack.post_message", params)]

    def _http(self, t: _Text, s: int, e: int) -> list[_Step]:
        w = t.work[s:e]
        urls = t.tokens("u", s, e)
        if not urls:
            self.missing.append("the web address (URL) to call")
            return []
        reads = re.search(r"\b(?:get|fetch|load|open)\b", w) and not re.search(r"\bpost\b", w)
        method = "GET" if reads else "POST"
        params: dict[str, Any] = {"method": method, "url": urls[0], "headers": {}}
        if method != "GET":
            params["json"] = ({"fired_at": "{{trigger_data.fired_at}}"} if self.trigger == "schedule.cron"
                              else "{{trigger_data}}")
        return [self.step("http.request", params)]

    def _report(self, key: str, params: dict[str, Any], t: _Text, s: int, e: int) -> list[_Step]:
        report = self.step(key, params)
        self.last_report = report.id
        w = t.work[s:e]
        text = "{{" + report.id + ".text}}"
        if t.tokens("e", s, e) or re.search(r"\be-?mail\b", w):
            delivered = self._email(t, s, e)
            if delivered:
                delivered[0].params["body"] = text
                delivered[0].params["subject"] = ("Your sales summary" if key == "reports.sales_summary"
                                                  else "Your unpaid invoices")
            return [report, *delivered]
        if re.search(r"\bslack\b", w):
            return [report, self.step("slack.post_message", {"text": text})]
        if re.search(r"\bsheet\b", w):
            return [report, *self._sheet(t, s, e)]
        steps = [report]
        # "check unpaid invoices and post them to Slack": a later step may deliver it instead.
        implicit = not re.search(r"\b(?:send|whatsapp|message|tell|text|me|us|notify|share|forward|give|"
                                 r"msg|sms)\b|\ue000p", w)
        for to, _audience in self.recipients(t, s, e, default_customer=False):
            delivery = self.step("whatsapp.send_message", {"to": to, "message": text})
            delivery.implicit = implicit
            steps.append(delivery)
        return steps

    def _sales(self, t: _Text, s: int, e: int) -> list[_Step]:
        w = t.work[s:e]
        if re.search(r"\b(?:week|hafte|hafta)", w):
            period = "week"
        elif re.search(r"\b(?:month|mahine|mahina)", w):
            period = "month"
        elif re.search(r"\b(?:today|day|daily|tonight|aaj|din)", w):
            period = "today"
        else:
            period = {"week": "week", "month": "month"}.get(self.freq or "", "today")
        return self._report("reports.sales_summary", {"period": period}, t, s, e)

    def _unpaid(self, t: _Text, s: int, e: int) -> list[_Step]:
        return self._report("reports.unpaid_invoices", {}, t, s, e)

    def _payment_link(self, t: _Text, s: int, e: int) -> list[_Step]:
        w = t.work[s:e]
        m = re.search(rf"\b(?:for|of)\s+{_AMOUNT}", w)
        amount: Any = None
        if m and m.group("num"):
            amount = _amount(m.group("num"), m.group("mult"))
            amount = _number(amount) if amount is not None else None
        if amount is None:
            if self.trigger.startswith("invoices."):
                amount = "{{trigger_data.invoice.total}}"
            elif self.trigger == "webhook.received":
                amount = "{{trigger_data.amount}}"
                self.notes.append("I assumed the webhook sends the amount as 'amount'.")
            else:
                self.missing.append("the amount for the payment link (say e.g. 'a payment link for 500')")
                return []
        if not self.has("customer.phone"):
            self.missing.append("which customer the payment link is for")
            return []
        description = ("Invoice {{trigger_data.invoice.number}}" if self.trigger.startswith("invoices.")
                       else "Payment to {{business.name}}")
        link = self.step("razorpay.create_payment_link", {
            "amount": amount, "customer": "{{trigger_data.customer}}", "description": description})
        self.last_link = link.id
        steps = [link]
        if re.search(r"\b(?:send|whatsapp|share|message|text|them|him|her|customer|forward)\b", w):
            to, _audience = self.recipient(t, s, e, default_customer=True)
            if to is not None:
                shown = ("{{trigger_data.invoice.total}} for invoice {{trigger_data.invoice.number}}"
                         if self.trigger.startswith("invoices.") else "the amount due")
                message = self.said(t, s, e) or (
                    "Hello {{trigger_data.customer.name}}, please pay " + shown
                    + " using this link: {{" + link.id + ".short_url}}")
                if "{{" + link.id + ".short_url}}" not in message:
                    message += " {{" + link.id + ".short_url}}"
                steps.append(self.step("whatsapp.send_message", {"to": to, "message": message}))
        return steps

    def _stock(self, t: _Text, s: int, e: int) -> list[_Step]:
        w = t.work[s:e]
        nm = re.search(r"(?<![\w.])(?P<n>\d+(?:\.\d+)?)(?![\d])", w)
        if not nm:
            self.missing.append("by how much to change the stock (say e.g. 'add 50 bags of cement to stock')")
            return []
        change = float(nm.group("n"))
        if re.search(r"\b(?:reduce|decrease|remove|deduct|subtract|lower|minus|down)\b", w):
            change = -change
        product: str | None = None
        pm = re.search(r"\d+\s+(?:(?:bags?|units?|pieces?|pcs|kg|kgs|boxes?|packets?|litres?|liters?|"
                       r"bottles?|cartons?|sacks?|tons?|nos?)\s+)?(?:of\s+)?(?P<p>[a-z]+)", w) \
            or re.search(r"\bstock\s+of\s+(?P<p>[a-z]+)", w) or re.search(r"\b(?P<p>[a-z]+)\s+stock\b", w)
        if pm:
            product = _product_name(pm.group("p"))
            if product in ("to", "by", "in", "from", "bags", "units"):
                product = None
        if product is None:
            if self.trigger == "inventory.stock_low":
                product = "{{trigger_data.product.name}}"
            else:
                self.missing.append("which product's stock to change")
                return []
        return [self.step("inventory.adjust_stock", {"product": product, "change": _number(change)})]

    def _document(self, t: _Text, s: int, e: int) -> list[_Step]:
        if not self.has("invoice"):
            return self._whatsapp(t, s, e)
        to, _audience = self.recipient(t, s, e, default_customer=True)
        if to is None:
            return []
        if self.trigger.startswith(("payments", "razorpay")):
            self.notes.append("The invoice PDF is sent only when the payment is for an invoice.")
        caption = self.said(t, s, e) or "Invoice {{trigger_data.invoice.number}} from {{business.name}}"
        return [self.step("whatsapp.send_document",
                          {"to": to, "document": "invoice_pdf", "caption": caption})]


#: A sheet's own name ("my sheet named Collections", "the sheet called Daily Sales", "my Collections
#: sheet") is a name, not a step: "Collections" must not add a sales report.
_SHEET_NAMED = re.compile(
    r"\b(?:(?:spread)?sheets?|excel|tab|worksheet|workbook|file)\s+(?:called|named|titled)\s+"
    r"(?P<n>[a-z0-9][\w-]*(?:\s+(?!(?:and|then|also|with|on|in|for|every|each|too|please|pls|as|at|to|"
    r"of|by)\b)[a-z0-9][\w-]*)?)"
    r"|\b(?:my|the|our)\s+(?P<m>[a-z0-9][\w-]*)\s+(?=(?:google\s+)?(?:spread)?sheet\b)"
)


def _without_sheet_names(w: str) -> str:
    """``w`` with sheet names blanked (same length), so a name never reads as a kind of step."""
    def blank(m: re.Match[str]) -> str:
        group = "n" if m.group("n") else "m"
        if group == "m" and m.group("m") in ("google", "new", "excel", "spread", "own", "a"):
            return m.group(0)
        s, e = m.start(group) - m.start(), m.end(group) - m.start()
        text = m.group(0)
        return text[:s] + " " * (e - s) + text[e:]
    return _SHEET_NAMED.sub(blank, w)


def _kind_of(w: str) -> str | None:
    w = _without_sheet_names(w)
    for kind, pattern in _KINDS:
        if pattern.search(w):
            return kind
    return None


def _clauses(work: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SPLIT_RE.finditer(work, start, end):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        spans.append((pos, end))
    return [(s, e) for s, e in spans if work[s:e].strip()]


_NOISE = re.compile(r"^(?:[\s\W]|\b(?:me|us|it|is|are|and|also|then|please|just|too|when|if|a|an|the|on|"
                    r"in|to|"
                    r"for|of|with|by|please|pls|kindly|automatically|immediately|right\s+away|as\s+well|"
                    r"every\s+time|each\s+time|that|this|do|so|can|you|could|would|i|want|need|like|s|"
                    r"gets|get|comes|come|received|happens|only|but|someone|anyone|my|make|sure|arrives?|"
                    r"lands?|in|made|done|recorded|captured|credited|is\s+received|goes\s+through|"
                    r"kare|karo|kar\s+do|ho|to|pe|par|ko|koi|bhi)\b)*$")


def _steps_for(builder: _Builder, t: _Text, start: int, end: int) -> list[_Step]:
    """Parse ``t.work[start:end]`` into steps (delays in place, actions in order)."""
    spans = _clauses(t.work, start, end)
    merged: list[list[int]] = []
    for s, e in spans:
        w = t.work[s:e]
        has_kind = _kind_of(w) is not None
        has_delay = _find_delay(t.work, s, e) is not None
        gap = t.work[merged[-1][1]:s] if merged else ""
        if has_kind or has_delay or not merged:
            merged.append([s, e, int(has_kind or has_delay)])
        elif merged[-1][2] and not re.search(r"[.;!?]|\bthen\b|\balso\b", gap):
            merged[-1][1] = e  # a continuation ("… with the name and amount")
        else:
            merged.append([s, e, 0])
    steps: list[_Step] = []
    for s, e, meaningful in merged:
        if not meaningful:
            if not _NOISE.match(t.work[s:e]):
                builder.notes.append(f"I did not understand '{' '.join(_restore(t, s, e).split())}', so I "
                                     f"left it out.")
            continue
        delay = _find_delay(t.work, s, e)
        if delay:
            steps.append(builder.step("delay.wait", {"duration": delay[0]}))
            t.blank(*delay[1])
        kind = _kind_of(t.work[s:e])
        if kind:
            steps.extend(builder.clause(kind, t, s, e))
    for step in [s for s in steps if s.implicit]:
        wanted = str(step.params.get("message"))
        if any(other is not step and not other.implicit and wanted in str(other.params.values())
               for other in steps[steps.index(step) + 1:]):
            steps.remove(step)
    return steps


def _untoken(t: _Text, text: str) -> str:
    """Put lifted tokens (quotes, emails, URLs, phones) back into ``text``."""
    tables = {"q": t.quotes, "e": t.emails, "u": t.urls, "p": t.phones}
    return _PH_RE.sub(lambda m: tables[m.group(1)][ord(m.group(2)) - 0xE100], text)


def _restore(t: _Text, s: int, e: int) -> str:
    return _untoken(t, t.orig[s:e])


# ---------------------------------------------------------------------------
# Building the blueprint
# ---------------------------------------------------------------------------


def _node(step: _Step, node_type: str, x: int, y: int) -> Node:
    service, task = step.key.split(".", 1)
    handling = ErrorHandling.model_validate(_IO_HANDLING) if step.key in _IO_KEYS else None
    return Node(id=step.id, type=node_type,  # type: ignore[arg-type]
                data=NodeData(service=service, task=task, params=step.params, error_handling=handling),
                position=Position(x=x, y=y))


def _assemble(trigger: _Step, condition: str | None, yes: list[_Step], no: list[_Step],
              cond_id: str = "condition_1") -> Blueprint:
    nodes = [_node(trigger, "trigger", 250, 50)]
    edges: list[Edge] = []

    def link(source: str, target: str, branch: str | None = None) -> None:
        edges.append(Edge(id=f"e{len(edges) + 1}", source=source, target=target,
                          branch=branch))  # type: ignore[arg-type]

    head, branch, y = trigger.id, None, 200
    if condition:
        nodes.append(_node(_Step("logic.condition", {"expression": condition}, cond_id), "condition", 250, y))
        link(trigger.id, cond_id)
        head, branch, y = cond_id, "true", y + 150
    for step in yes:
        nodes.append(_node(step, "action", 250, y))
        link(head, step.id, branch)
        head, branch, y = step.id, None, y + 150
    head, branch, y = cond_id, "false", 350
    for step in no if condition else []:
        nodes.append(_node(step, "action", 550, y))
        link(head, step.id, branch)
        head, branch, y = step.id, None, y + 150
    return Blueprint(nodes=nodes, edges=edges)


_TRIGGER_SHORT = {
    "payments.payment_received": "Payment", "razorpay.payment_received": "Razorpay payment",
    "invoices.invoice_created": "New invoice", "invoices.invoice_overdue": "Unpaid invoice",
    "inventory.stock_low": "Low stock", "webhook.received": "Webhook",
}
_STEP_SHORT = {
    "google_sheets.append_row": "sheet row", "email.send": "email", "slack.post_message": "Slack",
    "http.request": "web call", "razorpay.create_payment_link": "payment link", "reports.unpaid_invoices":
    "unpaid invoices", "reports.sales_summary": "sales summary", "inventory.adjust_stock": "stock change",
    "whatsapp.send_document": "invoice PDF",
}


def _flow_name(bp: Blueprint) -> str:
    trigger = bp.trigger
    if trigger is None:
        return "New automation"
    if trigger.key == "schedule.cron":
        head = describe_cron(trigger.params.get("cron", ""))
    else:
        head = _TRIGGER_SHORT.get(trigger.key, trigger.key)
    parts: list[str] = []
    for node in bp.nodes:
        if node.type != "action" or node.key == "delay.wait":
            continue
        if node.key == "whatsapp.send_message":
            to = str(node.params.get("to", ""))
            short = ("WhatsApp me" if to == "owner" else
                     "WhatsApp customer" if "customer" in to else "WhatsApp")
        else:
            short = _STEP_SHORT.get(node.key, node.key)
        if short not in parts:
            parts.append(short)
    name = f"{head}: {', '.join(parts)}" if parts else head
    return name if len(name) <= 60 else name[:59].rstrip(", ") + "…"


def looks_like_flow(text: str) -> bool:
    """True when ``text`` reads like an automation ("when…", "every Friday…", "if someone pays…")."""
    t = _Text.of(text)
    if _overdue_match(t.work) or _find_schedule(t.work, allow_time_only=False):
        return True
    if any(conj for _, conj in _event_matches(t.work)):
        return _kind_of(t.work) is not None
    return False


#: Longer messages are not one automation; they are refused before any parsing.
MAX_TEXT_LENGTH = 2000


def _check_length(text: str) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise UnderstandingError("That is too long for one automation; describe it in a few short sentences.")


def draft_from_text(text: str) -> Draft:
    """Draft a blueprint from a description in words; raise `UnderstandingError` when no trigger is found.

    The blueprint always passes `validate`. Steps that need something the
    words did not say (an email address, a phone number) are left out and
    listed in ``missing``; assumptions are listed in ``notes``.
    """
    _check_length(text)
    t = _Text.of(text)
    trig = _find_trigger(t)
    if trig is None:
        raise UnderstandingError(
            "I could not tell when this automation should run. Start with e.g. 'When someone pays me…', "
            "'When an invoice is created…', 'When stock is low…' or 'Every day at 8pm…'."
        )
    notes = list(trig.notes)
    if trig.name in ("payments.payment_received", "razorpay.payment_received"):
        # "a UPI payment", "pays by cash": read before the trigger's words are blanked.
        paid_by = _METHOD.search(t.work, max(0, trig.start - 20), _clause_end(t.work, trig.end))
        if paid_by:
            raw = " ".join((paid_by.group("m") or paid_by.group("m2")).split())
            trig.method = _METHOD_MAP.get(raw, raw)
            t.blank(*paid_by.span())
    if trig.name == "payments.payment_received":
        # "When a Razorpay payment comes in", "a payment via Razorpay": only Razorpay's webhook.
        clause = t.work[trig.start:_clause_end(t.work, trig.end)]
        if _RAZORPAY_WORD.search(clause):
            trig.name = "razorpay.payment_received"
            for m in _RAZORPAY_WORD.finditer(t.work, trig.start, _clause_end(t.work, trig.end)):
                t.blank(*m.span())
    for s, e in trig.spans or [(trig.start, trig.end)]:
        t.blank(s, e)
    unpaid = None
    if trig.name.startswith("invoices."):
        unpaid = _UNPAID_TAIL.search(t.work)
        if unpaid:
            t.blank(*unpaid.span())
    for generic in _GENERIC_FROM.finditer(t.work):
        t.blank(*generic.span())
    conds = _find_conditions(t, trig, notes)
    builder = _Builder(trig.name, trig.params, trig.freq, {"trigger_1", "condition_1"})
    builder.notes.extend(notes)
    m_else = _ELSE_RE.search(t.work)
    if m_else and conds:
        yes = _steps_for(builder, t, 0, m_else.start())
        no = _steps_for(builder, t, m_else.end(), len(t.work))
    else:
        if m_else:
            t.blank(*m_else.span())
        yes = _steps_for(builder, t, 0, len(t.work))
        no = []
    # "When an invoice is created, wait 2 days and if it is still unpaid…" is the overdue trigger.
    if unpaid is not None and trig.name == "invoices.invoice_created":
        trig.name = "invoices.invoice_overdue"
        days_waits = [s for s in yes if s.key == "delay.wait" and str(s.params["duration"]).endswith("d")]
        delay = days_waits[0] if days_waits else None
        if delay is not None:
            trig.params = {"days": int(str(delay.params["duration"])[:-1])}
            yes.remove(delay)
        else:
            trig.params = {"days": 7}
            builder.notes.append("I assumed an invoice counts as unpaid 7 days after it is issued; "
                                 "say e.g. 'after 3 days' to change it.")
    if not yes and not no:
        builder.missing.append("what to do (e.g. 'WhatsApp me', 'email me at you@example.com', "
                               "'add a row to my sheet')")
    trigger = _Step(trig.name, dict(trig.params), "trigger_1")
    condition = " and ".join(c.expression for c in conds) or None
    if condition and not yes and not no:
        # A check with nothing after it is not a valid graph; say it again with the steps.
        builder.notes.append("I left out the check (" + ", ".join(c.text.strip() for c in conds)
                             + ") until there is a step to run; say it again together with the steps.")
        condition = None
    bp = _assemble(trigger, condition, yes, no)
    validate(bp)
    return Draft(bp, _flow_name(bp), _dedupe(builder.notes), _dedupe(builder.missing))


def _dedupe(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


Part = tuple[str, str, dict[str, Any]]
"""One step given by its parts: ``(id, service.task, params)``."""


def draft_from_parts(trigger: str, params: dict[str, Any], condition: str | None, yes: list[Part],
                     no: list[Part], *, name: str = "", notes: list[str] | None = None,
                     missing: list[str] | None = None) -> Draft:
    """The graph `draft_from_text` builds (trigger → optional check → the steps of each branch), from parts
    chosen elsewhere (a language model): validated (`BlueprintInvalid`), laid out, retried like the parser's
    steps, and named like them unless ``name`` is given."""
    bp = _assemble(_Step(trigger, dict(params), "trigger_1"), condition,
                   [_Step(key, dict(p), node_id) for node_id, key, p in yes],
                   [_Step(key, dict(p), node_id) for node_id, key, p in no])
    validate(bp)
    return Draft(bp, name.strip()[:80] or _flow_name(bp), _dedupe(notes or []), _dedupe(missing or []))


# ---------------------------------------------------------------------------
# Plain-word edits
# ---------------------------------------------------------------------------

_RENAME_RE = re.compile(
    r"^\s*(?:please\s+|ok\s+|okay\s+)?(?:(?:call|name|title)\s+(?:it|(?:this|the)\s+(?:flow|automation|workflow)|"
    r"this)"
    r"(?:\s+as)?|rename\s+(?:it|this|the\s+(?:flow|automation|workflow))?\s*(?:to|as)?|"
    r"change\s+the\s+name\s+to|(?:its|the)\s+name\s+(?:is|should\s+be))\s+(?P<name>.+?)\s*[.!]?\s*$",
    re.IGNORECASE,
)
_REMOVE_RE = re.compile(
    r"\b(?:skip|remove|delete|drop|cut|don't|do\s+not|dont|no\s+need\s+(?:for|to)|without|get\s+rid\s+of|"
    r"take\s+out|take\s+away|leave\s+out|stop|no\s+more|forget)\b"
)
_TARGETS: list[tuple[str, re.Pattern[str]]] = [
    ("payment_link", re.compile(r"\bpay(?:ment)?\s+link")),
    ("condition", re.compile(r"\b(?:condition|check|limit|threshold|filter|amount\s+check|minimum)\b")),
    ("delay.wait", re.compile(r"\b(?:wait|waiting|delay|pause)\b")),
    ("email.send", re.compile(r"\be-?mails?\b|\bmail\b")),
    ("google_sheets.append_row", re.compile(r"\bsheets?\b|\brow\b|\bspreadsheet\b|\blog(?:ging)?\b|"
                                            r"\brecord\b")),
    ("slack.post_message", re.compile(r"\bslack\b")),
    ("http.request", re.compile(r"\bhttp\b|\bweb\s*hook\b|\bapi\b|\brequest\b|\burl\b|\bweb\s+call\b|"
                                r"\bpost\b")),
    ("reports.sales_summary", re.compile(r"\bsales\b|\bsummary\b")),
    ("reports.unpaid_invoices", re.compile(r"\bunpaid\b|\boutstanding\b")),
    ("inventory.adjust_stock", re.compile(r"\bstock\b")),
    ("whatsapp.send_document", re.compile(r"\bpdf\b|\bdocument\b|\binvoice\s+copy\b")),
    ("whatsapp.send_message", re.compile(r"\bwhats\s*apps?\b|\bmessages?\b|\bmsg\b|\btext\b|\bthank|\bnote\b|"
                                         r"\bnotification\b|\breminder\b|\bsms\b")),
]
_STEP_N_RE = re.compile(r"\bstep\s+(?:number\s+)?(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|"
                        r"ten)\b"
                        r"|\b(?P<ord>first|second|third|fourth|fifth|last)\s+step\b")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_MESSAGE_NOUN = (r"(?:message|text|msg|note|body|wording|words|reminder|whatsapp|thank[\s-]?you(?:\s+note)?|"
                 r"greeting|receipt|email|mail|slack\s+post|caption)")
_MESSAGE_RE = re.compile(
    r"\b(?:make|change|set|update|edit|replace|let)\s+(?:the\s+|my\s+|that\s+|this\s+)?(?:whatsapp\s+|"
    r"email\s+|slack\s+|customer'?s?\s+|thank[\s-]?you\s+)?"
    rf"(?P<what>{_MESSAGE_NOUN})\s+(?:to\s+)?(?:say|read|be|to|as|into|with)\s*:?\s*(?P<msg>.*)$"
    r"|\b(?:make|let)\s+it\s+(?:say|read)\s*:?\s*(?P<msg4>.*)$"
    rf"|\b(?:the\s+)?(?:whatsapp\s+|email\s+|slack\s+)?(?P<what2>{_MESSAGE_NOUN})\s+(?:should|must|will|can)\s+"
    r"(?:say|read|be)\s*:?\s*(?P<msg2>.*)$"
    r"|^\s*(?:say|write|send)\s+(?P<msg3>\ue000q.\ue001)\s*(?:instead)?\b"
)
_SUBJECT_RE = re.compile(r"\b(?:make|change|set|update)\s+(?:the\s+)?(?:email\s+)?subject(?:\s+line)?\s+"
                         r"(?:to\s+)?(?:say\s+|be\s+|read\s+)?:?\s*(?P<msg>.+)$")
_SHEET_NAME_RE = re.compile(
    r"\b(?:use|change\s+(?:it|the\s+sheet)\s+to|call\s+the\s+sheet|rename\s+the\s+sheet\s+to|"
    r"put\s+it\s+in)\s+"
    r"(?:the\s+|my\s+)?(?:(?:google\s+)?(?:spread)?sheet\s+(?:called\s+|named\s+)?)?(?P<name>\ue000q.\ue001)"
)
_INSTEAD_RE = re.compile(r"\binstead\b|\brather\b|\bchange\s+(?:the\s+)?(?:recipient|number|email|address)\b|"
                         r"\bsend\s+it\s+to\b|\bnot\s+(?:to\s+)?(?:me|the\s+customer|them)\b")


def parse_rename(text: str) -> str | None:
    """The new name in "call it Payment thanks" / "rename it to 'X'", or None."""
    m = _RENAME_RE.match(text)
    if not m:
        return None
    name = m.group("name").strip().strip("\"'“”‘’").strip()
    return name[:80] or None


def edit(blueprint: Blueprint, text: str) -> tuple[Blueprint, str]:
    """Apply one plain-word change; return the new blueprint and what changed, in words.

    Raises `UnderstandingError` when the words are not a change it knows (or
    lack something it needs, such as an email address) and
    `bot.errors.BlueprintInvalid` if the change would make the flow invalid.
    A rename ("call it …") leaves the blueprint as it is; use `edit_draft`
    to get the new name.
    """
    new_bp, description, _name, _notes = _apply_edit(blueprint, text)
    return new_bp, description


def edit_draft(draft: Draft, text: str) -> tuple[Draft, str]:
    """`edit` for a `Draft`: also handles renames and keeps the notes.

    Returns the new draft and the change in words.
    """
    new_bp, description, name, notes = _apply_edit(draft.blueprint, text)
    missing = _still_missing(draft.missing, draft.blueprint, new_bp)
    if name is None:
        # A name the owner never chose follows the flow; one they gave is kept.
        name = _flow_name(new_bp) if draft.name == _flow_name(draft.blueprint) else draft.name
    return Draft(new_bp, name, _dedupe(draft.notes + notes), missing), description


def _sentence(text: str) -> str:
    return text if text.endswith((".", '"', "!", "?")) else text + "."


_MISSING_KINDS = (("email address", "email.send"), ("WhatsApp number", "whatsapp.send_message"),
                  ("who to message", "whatsapp.send_message"), ("web address", "http.request"),
                  ("payment link", "razorpay.create_payment_link"), ("stock", "inventory.adjust_stock"))


def _still_missing(missing: list[str], old: Blueprint, new: Blueprint) -> list[str]:
    """Drop what an edit has supplied (a step of that kind was added; any step for 'what to do')."""
    before = {n.id for n in old.nodes}
    added = {n.key for n in new.nodes if n.id not in before}
    has_action = any(n.key != "delay.wait" for n in new.nodes if n.type == "action")
    out = []
    for item in missing:
        if item.startswith("what to do") and has_action:
            continue
        if any(words in item and key in added for words, key in _MISSING_KINDS):
            continue
        out.append(item)
    return out


def _copy(bp: Blueprint) -> Blueprint:
    return Blueprint.from_dict(bp.to_dict())


def _apply_edit(bp: Blueprint, text: str) -> tuple[Blueprint, str, str | None, list[str]]:
    _check_length(text)
    name = parse_rename(text)
    if name:
        return _copy(bp), f"Renamed it to '{name}'.", name, []
    trigger = bp.trigger
    if trigger is None:
        raise UnderstandingError("This automation has no trigger yet; describe it again from the start.")
    t = _Text.of(text)
    w = t.work
    bp = _copy(bp)

    if _REMOVE_RE.search(w):
        result = _remove(bp, t)
        if result is not None:
            validate(result[0])
            return result[0], result[1], None, []

    m = _SUBJECT_RE.search(w)
    if m:
        node = _pick(bp, "email.send", t)
        value = _edit_text(t, m.start("msg"), len(w), trigger.key)
        node.data.params["subject"] = value
        validate(bp)
        return bp, f"The email subject now says \"{describe_text(value, bp)}\".", None, []

    m = _MESSAGE_RE.search(w)
    group = next((g for g in ("msg", "msg2", "msg3", "msg4") if m and m.group(g) is not None), None)
    # "change the email to boss@x.in" / "set the whatsapp to 98765…" are recipients, not text.
    if m and group and not re.fullmatch(r"\s*\ue000[ep].\ue001\s*(?:instead)?\s*", m.group(group)):
        value = _edit_text(t, m.start(group), len(w), trigger.key)
        if not value:
            raise UnderstandingError("What should the message say? Put it in quotes, e.g. "
                                     "make the message say 'Thanks a lot!'")
        what = (m.group("what") or m.group("what2") or "message")
        key = "email.send" if re.search(r"\be-?mail\b|\bbody\b", w) or what == "body" else \
            "slack.post_message" if "slack" in w else "message"
        node, param = _message_node(bp, key, t)
        node.data.params[param] = value
        validate(bp)
        return bp, f"The {describe_kind(node)} now says \"{describe_text(value, bp)}\".", None, []

    m = _SHEET_NAME_RE.search(w)
    if m and any(n.key == "google_sheets.append_row" for n in bp.nodes):
        node = _pick(bp, "google_sheets.append_row", t)
        node.data.params["spreadsheet"] = t.tokens("q", m.start("name"), m.end("name"))[0]
        validate(bp)
        return bp, f"The row now goes to Google Sheet '{node.data.params['spreadsheet']}'.", None, []

    changed = _edit_trigger(bp, t)
    if changed:
        return bp, changed, None, []

    kind = _kind_of(w)
    if _INSTEAD_RE.search(w) and kind in ("whatsapp", "email", None):
        result_text = _edit_recipient(bp, t)
        if result_text:
            validate(bp)
            return bp, result_text, None, []

    spec_trigger = trigger.key
    builder = _Builder(spec_trigger, trigger.params, _freq_of(trigger), {n.id for n in bp.nodes})
    probe = _Trigger(spec_trigger, trigger.params, 0, 0)
    notes: list[str] = []
    conds = _find_conditions(t, probe, notes)
    delay = _find_delay(t.work, 0, len(t.work))
    if conds and kind is None:
        return _edit_condition(bp, conds, t)
    if kind is None and delay is None and _nodes_of(bp, "delay.wait"):
        # "make it 1 day" with a wait in the flow: the wait.
        plain = re.search(rf"\b(?P<n>{_COUNT})\s+{_UNIT_RE}\b", w)
        if plain:
            delay = (_duration(_count(plain.group("n")), plain.group("u")), plain.span())
    if kind is None and delay is not None:
        return _edit_delay(bp, delay[0])
    if kind is None and re.search(rf"\b(?:amount|limit|threshold|minimum|it)\b.*?{_AMOUNT}", w):
        m2 = re.search(rf"{_AMOUNT}", w)
        amount = _amount(m2.group("num"), m2.group("mult")) if m2 and m2.group("num") else None
        if amount is not None:
            return _edit_amount(bp, amount, builder)

    for node in bp.nodes:
        if node.key in ("reports.sales_summary", "reports.unpaid_invoices"):
            builder.last_report = node.id
    steps = _steps_for(builder, t, 0, len(t.work))
    if any(s.key != "delay.wait" for s in steps):
        bp = _append(bp, steps)
        validate(bp)
        added = "; ".join(describe_node(n, bp) for n in bp.nodes if n.id in {s.id for s in steps})
        return bp, _sentence(f"Added: {added}"), None, builder.notes
    if builder.missing:
        raise UnderstandingError("I need " + "; ".join(builder.missing) + ".")
    raise UnderstandingError(
        "I did not understand that change. You can say e.g. 'also email me at you@example.com', "
        "'skip the email', \"make the message say 'Thanks!'\", 'change the amount to 50000', "
        "'wait 3 days instead' or 'call it Payment thanks'."
    )


def describe_kind(node: Node) -> str:
    """``whatsapp.send_message`` → ``WhatsApp message`` (for change descriptions)."""
    return {
        "whatsapp.send_message": "WhatsApp message", "email.send": "email",
        "slack.post_message": "Slack message",
        "whatsapp.send_document": "document caption",
    }.get(node.key, node.key)


def _freq_of(trigger: Node) -> str | None:
    if trigger.key != "schedule.cron":
        return None
    fields = str(trigger.params.get("cron", "")).split()
    if len(fields) == 5:
        if fields[2] != "*":
            return "month"
        if fields[4] != "*":
            return "week"
    return "day"


def _edit_text(t: _Text, start: int, end: int, trigger: str) -> str:
    quotes = t.tokens("q", start, end)
    builder = _Builder(trigger, {}, None, set())
    if quotes:
        return builder.friendly(quotes[0])
    raw = " ".join(_restore(t, start, end).split()).strip(" .")
    raw = re.sub(r"\s+instead$", "", raw, flags=re.IGNORECASE)
    return builder.friendly(raw[:1].upper() + raw[1:]) if raw else ""


def _nodes_of(bp: Blueprint, key: str) -> list[Node]:
    if key == "condition":
        return [n for n in bp.nodes if n.type == "condition"]
    return [n for n in bp.nodes if n.key == key]


def _audience_filter(nodes: list[Node], w: str) -> list[Node]:
    if len(nodes) < 2:
        return nodes
    if re.search(r"\b(?:to\s+me|me)\b", w):
        mine = [n for n in nodes if n.params.get("to") == "owner"]
        if mine:
            return mine
    if _CUSTOMER_RE.search(w):
        theirs = [n for n in nodes if "customer" in str(n.params.get("to", ""))]
        if theirs:
            return theirs
    return nodes


def _pick(bp: Blueprint, key: str, t: _Text) -> Node:
    nodes = _audience_filter(_nodes_of(bp, key), t.work)
    if not nodes:
        raise UnderstandingError(f"This automation has no {key.split('.')[0].replace('_', ' ')} step.")
    return nodes[0]


def _message_node(bp: Blueprint, key: str, t: _Text) -> tuple[Node, str]:
    if key == "email.send":
        return _pick(bp, "email.send", t), "body"
    if key == "slack.post_message":
        return _pick(bp, "slack.post_message", t), "text"
    nodes = _audience_filter(_nodes_of(bp, "whatsapp.send_message"), t.work)
    if nodes:
        # The customer's message is the one people mean first.
        customer = [n for n in nodes if "customer" in str(n.params.get("to", ""))]
        return (customer or nodes)[0], "message"
    alternatives = (("slack.post_message", "text"), ("email.send", "body"),
                    ("whatsapp.send_document", "caption"))
    for alt, param in alternatives:
        found = _nodes_of(bp, alt)
        if found:
            return found[0], param
    raise UnderstandingError("This automation sends no message to change.")


def _remove_node(bp: Blueprint, node_id: str) -> list[str]:
    """Remove a node, joining its parents to its children; also remove steps that used its output."""
    removed = [node_id]
    incoming = bp.incoming(node_id)
    outgoing = bp.outgoing(node_id)
    node = bp.node(node_id)
    keep = [e for e in bp.edges if e.source != node_id and e.target != node_id]
    if node is not None and node.type == "condition":
        # Dropping a check keeps the steps of its true branch; the false branch goes with it.
        outgoing = [e for e in outgoing if e.branch != "false"]
        for e in bp.outgoing(node_id):
            if e.branch == "false":
                removed += _subtree(bp, e.target)
    for inc in incoming:
        for out in outgoing:
            keep.append(Edge(id=f"e_{inc.source}_{out.target}", source=inc.source, target=out.target,
                             branch=inc.branch))
    bp.edges = keep
    bp.nodes = [n for n in bp.nodes if n.id not in removed]
    bp.edges = [e for e in bp.edges if e.source not in removed and e.target not in removed]
    for other in list(bp.nodes):
        if bp.node(other.id) is not None and any(
                r.split(".")[0] == node_id for r in template.references(other.params)):
            removed += _remove_node(bp, other.id)
    # A check or loop left with nothing after it goes too.
    for other in list(bp.nodes):
        dead_end = other.type in ("condition", "loop") and not bp.outgoing(other.id)
        if dead_end and bp.node(other.id) is not None:
            removed += _remove_node(bp, other.id)
    _renumber_edges(bp)
    return removed


def _subtree(bp: Blueprint, start: str) -> list[str]:
    seen = [start]
    todo = [start]
    while todo:
        for e in bp.outgoing(todo.pop()):
            if e.target not in seen:
                seen.append(e.target)
                todo.append(e.target)
    return seen


def _renumber_edges(bp: Blueprint) -> None:
    for i, edge in enumerate(bp.edges, start=1):
        edge.id = f"e{i}"


def _remove(bp: Blueprint, t: _Text) -> tuple[Blueprint, str] | None:
    w = t.work
    order = step_order(bp)
    m = _STEP_N_RE.search(w)
    targets: list[Node] = []
    if m:
        if m.group("ord") == "last":
            index = len(order)
        else:
            raw = m.group("n") or m.group("ord")
            index = int(raw) if raw.isdigit() else _ORDINALS.get(raw, int(_count(raw)))
        if not 1 <= index <= len(order):
            raise UnderstandingError(f"There is no step {index}; the steps go from 1 to {len(order)}.")
        node = bp.node(order[index - 1])
        targets = [node] if node else []
    else:
        for key, pattern in _TARGETS:
            if pattern.search(w):
                targets = _audience_filter(_nodes_of(bp, key), w)
                if targets:
                    break
        if not targets:
            if any(p.search(w) for _, p in _TARGETS):
                raise UnderstandingError("That step is not in this automation.")
            return None
    kinds = {n.key for n in targets}
    if len(targets) > 1 and len(kinds) == 1 and not re.search(r"\b(?:all|both|every)\b", w):
        numbered = [f"{order.index(n.id) + 1}. {describe_node(n, bp)}" for n in targets if n.id in order]
        raise UnderstandingError("Which one? " + " / ".join(numbered) + " (say e.g. 'remove step 2').")
    described = [describe_node(n, bp) if n.type == "action" else "the condition" for n in targets]
    removed: list[str] = []
    for node in targets:
        if bp.node(node.id) is not None:
            removed += _remove_node(bp, node.id)
    extra = [r for r in removed if r not in {n.id for n in targets}]
    note = f" (and {len(extra)} step(s) that used it)" if extra else ""
    if not any(n.type == "action" for n in bp.nodes):
        note += ". The automation has no steps now: tell me what it should do"
    return bp, _sentence("Removed: " + "; ".join(described) + note)


def _append(bp: Blueprint, steps: list[_Step]) -> Blueprint:
    """Add steps after the last step of the main path (through the 'true' branch of a condition)."""
    trigger = bp.trigger
    assert trigger is not None
    tail = trigger.id
    seen = {tail}
    while True:
        outs = bp.outgoing(tail)
        nxt = next((e for e in outs if e.branch in (None, "true", "done")), None)
        if nxt is None or nxt.target in seen:
            break
        tail = nxt.target
        seen.add(tail)
    tail_node = bp.node(tail)
    y = int(tail_node.position.y) + 150 if tail_node and tail_node.position else 200 + 150 * len(bp.nodes)
    branch = "true" if tail_node is not None and tail_node.type == "condition" else None
    for step in steps:
        bp.nodes.append(_node(step, "action", 250, y))
        bp.edges.append(Edge(id=f"e{len(bp.edges) + 1}", source=tail, target=step.id,
                             branch=branch))  # type: ignore[arg-type]
        tail, branch, y = step.id, None, y + 150
    _renumber_edges(bp)
    return bp


_EditResult = tuple[Blueprint, str, str | None, list[str]]


def _edit_condition(bp: Blueprint, conds: list[_Cond], t: _Text) -> _EditResult:
    trigger = bp.trigger
    assert trigger is not None
    if not bp.outgoing(trigger.id):
        raise UnderstandingError("First tell me what the automation should do; then I can add the check.")
    existing = _nodes_of(bp, "condition")
    if existing:
        node = existing[0]
        parts = _split_and(str(node.params.get("expression", "")))
        for cond in conds:
            parts = [p for p in parts if _part_kind(p) != cond.kind] + [cond.expression]
        node.data.params["expression"] = " and ".join(parts)
    else:
        expression = " and ".join(c.expression for c in conds)
        node = _node(_Step("logic.condition", {"expression": expression}, _free_id(bp, "condition")),
                     "condition", 250, 200)
        first = bp.outgoing(trigger.id)
        bp.nodes.insert(1, node)
        for edge in first:
            edge.source = node.id
            edge.branch = "true"
        bp.edges.insert(0, Edge(id="e0", source=trigger.id, target=node.id))
        _renumber_edges(bp)
    validate(bp)
    return bp, f"Now it runs only if {describe_condition(node.params['expression'], bp)}.", None, []


def _split_and(expression: str) -> list[str]:
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return [expression] if expression else []
    if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And):
        return [ast.unparse(v) for v in tree.values]
    return [expression] if expression.strip() else []


def _part_kind(part: str) -> str:
    if "customer.name" in part:
        return "name"
    if "payment.method" in part:
        return "method"
    if "product.name" in part:
        return "product"
    if re.search(r"(?:payment\.amount|invoice\.total|product\.stock|trigger_data\.amount)\s*[<>=!]", part):
        return "amount"
    return "other"


def _free_id(bp: Blueprint, prefix: str) -> str:
    n = 1
    while bp.node(f"{prefix}_{n}") is not None:
        n += 1
    return f"{prefix}_{n}"


def _edit_amount(bp: Blueprint, value: float, builder: _Builder) -> _EditResult:
    number = _number(value)
    for node in _nodes_of(bp, "condition"):
        expr = str(node.params.get("expression", ""))
        new = re.sub(r"((?:payment\.amount|invoice\.total|product\.stock|trigger_data\.amount)\s*(?:>=|<=|"
                     r">|<|==)\s*)"
                     r"-?\d+(?:\.\d+)?", lambda m: m.group(1) + str(number), expr, count=1)
        if new != expr:
            node.data.params["expression"] = new
            validate(bp)
            return bp, f"Now it runs only if {describe_condition(new, bp)}.", None, []
    for key, param in (("razorpay.create_payment_link", "amount"), ("inventory.adjust_stock", "change")):
        nodes = _nodes_of(bp, key)
        if nodes:
            old = nodes[0].params.get(param)
            if key == "inventory.adjust_stock" and isinstance(old, (int, float)) and old < 0:
                number = -abs(number)
            nodes[0].data.params[param] = number
            validate(bp)
            return bp, f"Changed {describe_kind(nodes[0])} {param} to {number}.", None, []
    field_name = _amount_field(builder.trigger)
    if field_name is None:
        raise UnderstandingError("This automation has no amount to change.")
    return _edit_condition(bp, [_Cond("amount", f"{field_name} >= {number}", "")], _Text.of(""))


def _edit_delay(bp: Blueprint, duration: str) -> tuple[Blueprint, str, str | None, list[str]]:
    waits = _nodes_of(bp, "delay.wait")
    if waits:
        for node in waits[:1]:
            node.data.params["duration"] = duration
        validate(bp)
        return bp, f"It now waits {describe_duration(duration)}.", None, []
    trigger = bp.trigger
    assert trigger is not None
    # A new wait goes before the first action of the main path.
    head = trigger.id
    conds = [e for e in bp.outgoing(head) if (bp.node(e.target) or trigger).type == "condition"]
    if conds:
        head = conds[0].target
    outs = [e for e in bp.outgoing(head) if e.branch in (None, "true")]
    step = _Step("delay.wait", {"duration": duration}, _free_id(bp, "wait"))
    node = _node(step, "action", 250, 200)
    bp.nodes.append(node)
    for edge in outs:
        edge.source = step.id
        edge.branch = None
    bp.edges.append(Edge(id="e0", source=head, target=step.id,
                         branch="true" if head != trigger.id else None))  # type: ignore[arg-type]
    _renumber_edges(bp)
    validate(bp)
    return bp, f"It now waits {describe_duration(duration)} before the next step.", None, []


def _edit_trigger(bp: Blueprint, t: _Text) -> str | None:
    """Schedule changes ("at 9pm instead", "every Monday") and trigger swaps.

    Returns the change in words, or None when the words are not about the trigger.
    """
    trigger = bp.trigger
    assert trigger is not None
    w = t.work
    if trigger.key == "schedule.cron":
        new = _find_schedule(w, allow_time_only=True)
        if new is None:
            return None
        old = str(trigger.params.get("cron", "0 9 * * *")).split()
        fields = str(new.params["cron"]).split()
        has_time = bool(_SCHED_TIME.search(w) or _SCHED_TOD.search(w))
        has_days = bool(_SCHED_DOW.search(w) or _SCHED_MONTHDAY.search(w) or _SCHED_UNIT.search(w)
                        or _SCHED_INTERVAL.search(w))
        if len(old) == 5 and has_time and not has_days:
            fields = [fields[0], fields[1], old[2], old[3], old[4]]
        elif len(old) == 5 and has_days and not has_time and fields[0].isdigit() and fields[1].isdigit():
            fields = [old[0], old[1], fields[2], fields[3], fields[4]]
        trigger.data.params["cron"] = " ".join(fields)
        validate(bp)
        return f"It now runs: {describe_trigger(trigger)}."
    if trigger.key == "invoices.invoice_overdue" and not _nodes_of(bp, "delay.wait"):
        m = re.search(rf"\b(?P<n>{_COUNT})\s+{_DAYS_UNIT}\b", w)
        if m and not _kind_of(w):
            days = round(_count(m.group("n")) * (7 if m.group("u").startswith("week") else 1))
            trigger.data.params["days"] = max(days, 1)
            validate(bp)
            return f"It now reminds {trigger.data.params['days']} days after the invoice is issued."
    new_trigger = _find_trigger(t)
    if new_trigger is None or (_kind_of(w) is not None and not re.search(r"\binstead\b|\bchange\b|"
                                                                         r"\bmake\s+it\b", w)):
        return None
    name = new_trigger.name
    if name == "payments.payment_received" and "razorpay" in w:
        name = "razorpay.payment_received"
    if name == trigger.key and new_trigger.params == trigger.params:
        return None
    old_data = trigger.data
    service, task = name.split(".", 1)
    trigger.data = NodeData(service=service, task=task, params=dict(new_trigger.params))
    try:
        validate(bp)
    except BlueprintInvalid as exc:
        trigger.data = old_data
        raise UnderstandingError("I cannot switch the trigger that way: " + "; ".join(exc.reasons)
                                 + " Describe the automation again from the start instead.") from None
    return f"It now starts: {describe_trigger(trigger)}."


def _edit_recipient(bp: Blueprint, t: _Text) -> str | None:
    w = t.work
    emails = t.tokens("e")
    if emails and _nodes_of(bp, "email.send"):
        node = _nodes_of(bp, "email.send")[0]
        node.data.params["to"] = emails[0]
        return f"The email now goes to {emails[0]}."
    nodes = _nodes_of(bp, "whatsapp.send_message")
    if not nodes:
        return None
    phones = t.tokens("p")
    target = nodes[0]
    if phones:
        target.data.params["to"] = phones[0]
        return f"The WhatsApp message now goes to {phones[0]}."
    if re.search(r"\b(?:to\s+me|me)\b", w) and not re.search(r"\bnot\s+(?:to\s+)?me\b", w):
        target.data.params["to"] = "owner"
        return "The WhatsApp message now goes to you."
    if _CUSTOMER_RE.search(w) or re.search(r"\bnot\s+(?:to\s+)?me\b", w):
        spec = trigger_spec(bp.trigger.key) if bp.trigger else None
        if spec is None or not spec.has_field("customer.phone"):
            raise UnderstandingError("This automation has no customer to message.")
        target.data.params["to"] = "{{trigger_data.customer.phone}}"
        return "The WhatsApp message now goes to the customer."
    return None
