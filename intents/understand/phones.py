"""Phone numbers (to E.164) and email addresses found in text.

Indian mobiles are written every which way: "9988776655", "99887 76655",
"+91-99887-76655", "09988776655", "91 9988776655", "whatsapp:+919988776655".
"""

from __future__ import annotations

import re

from intents.understand.numbers import ascii_digits

_SEPARATORS = re.compile(r"[\s\-().]")
_CANDIDATE = re.compile(
    r"(?:whatsapp:)?(?<![\w+])(?:\+|00)?\d(?:[\s\-().]{0,2}\d){7,14}(?!\d)",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)


def to_e164(s: str | None, default_cc: str = "91") -> str | None:
    """A phone number in E.164 ("+919988776655"), or None when `s` is not one.

    Without a country code, a 10-digit number is an Indian mobile (starts 6-9),
    optionally written with a leading 0 or 91.
    """
    if not s:
        return None
    t = ascii_digits(s).strip()
    if t.lower().startswith("whatsapp:"):
        t = t[len("whatsapp:") :]
    t = _SEPARATORS.sub("", t)
    if t.startswith("00"):
        t = "+" + t[2:]
    if t.startswith("+"):
        digits = t[1:]
        if not digits.isdigit():
            return None
        if digits.startswith("91"):
            rest = digits[2:]
            return "+" + digits if len(rest) == 10 and rest[0] in "6789" else None
        return "+" + digits if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    if not t.isdigit():
        return None
    if len(t) == 11 and t.startswith("0"):
        t = t[1:]
    elif len(t) == 12 and t.startswith(default_cc) and default_cc == "91":
        t = t[2:]
    if len(t) == 10 and t[0] in "6789" and default_cc == "91":
        return "+91" + t
    if default_cc != "91" and 6 <= len(t) <= 12:
        return f"+{default_cc}{t.lstrip('0')}"
    return None


_SHAPES = {(10,), (11,), (12,), (5, 5), (3, 3, 4), (4, 3, 3), (3, 4, 3), (2, 4, 4), (4, 6), (6, 4)}


def _looks_like_phone(raw: str) -> bool:
    """Digit groups shaped like a written phone number, so "15000 20000" is not one."""
    t = raw.lower().removeprefix("whatsapp:")
    if t.startswith("+") or t.startswith("00"):
        return True
    groups = [g for g in re.split(r"[\s\-().]+", t) if g]
    if len(groups) > 1 and groups[0] in ("91", "0", "091"):
        groups = groups[1:]
    return tuple(len(g) for g in groups) in _SHAPES


def find_phones(text: str, default_cc: str = "91") -> list[tuple[str, int, int]]:
    """Every phone number in `text` as (E.164, start, end)."""
    out: list[tuple[str, int, int]] = []
    for m in _CANDIDATE.finditer(text):
        raw = m.group(0).strip(" -.(")
        if not _looks_like_phone(raw):
            continue
        e164 = to_e164(raw, default_cc)
        if e164:
            out.append((e164, m.start(), m.start() + len(m.group(0).rstrip(" -.("))))
    return out


def find_phone(text: str, default_cc: str = "91") -> str | None:
    """The first phone number in `text`, in E.164, or None."""
    found = find_phones(text, default_cc)
    return found[0][0] if found else None


def find_emails(text: str) -> list[tuple[str, int, int]]:
    """Every email address in `text` as (lowercased address, start, end)."""
    return [(m.group(0).lower(), m.start(), m.end()) for m in _EMAIL.finditer(text)]


def find_email(text: str) -> str | None:
    """The first email address in `text`, lowercased, or None."""
    m = _EMAIL.search(text)
    return m.group(0).lower() if m else None
