"""Short replies and housekeeping: yes, no, greet, help, undo, retry, dashboard."""

from __future__ import annotations

import re

from intents.understand.common import compile_i, result
from intents.understand.lexicon import (
    GREET_PHRASES,
    HELP_PHRASES,
    NO_PHRASES,
    UNDO_PHRASES,
    YES_PHRASES,
    phrase_rx,
)
from intents.understand.prepare import Prepared
from intents.understand.schema import Context, Understanding

_TAIL = r"(?:\s+(?:ji|sir|bhai|bhaiya|please|pls|munshi|thanks|thank\s+you|boss|madam|yaar|na|bro|dear))*"
_YES = compile_i(rf"^(?:{phrase_rx(YES_PHRASES)})(?:\s+(?:{phrase_rx(YES_PHRASES)}))*{_TAIL}$")
_NO = compile_i(rf"^(?:{phrase_rx(NO_PHRASES)})(?:\s+(?:{phrase_rx(NO_PHRASES)}))*{_TAIL}$")
_GREET = compile_i(rf"^(?:{phrase_rx(GREET_PHRASES)})(?:\s+(?:{phrase_rx(GREET_PHRASES)}))*{_TAIL}$")
_HELP = compile_i(rf"^(?:{phrase_rx(HELP_PHRASES)}){_TAIL}$")
_HELP_START = compile_i(
    r"^(?:how\s+(?:do|can|should|to)\s+(?:i|we|you)?\s*(?:use|start|make|create|add|record|send|set|do|work)\b|"
    r"what\s+(?:all\s+)?(?:can|could)\s+(?:you|u|i)\s+(?:do|say|ask|type|help)\b|"
    r"(?:tum|aap|ap)?\s*kya\s+kya\s+kar\s+(?:sakte|sakti|skte)\b|"
    r"(?:can|could)\s+you\s+help\b|help\s+(?:me\s+)?(?:with|on|please)\b|i\s+need\s+help\b|what\s+commands\b|"
    r"show\s+(?:me\s+)?(?:the\s+)?(?:help|menu|commands|examples)\b)"
)
_UNDO = compile_i(rf"^(?:{phrase_rx(UNDO_PHRASES)}){_TAIL}$")
_UNDO_START = compile_i(
    r"^(?:(?:oops|sorry|oh|arre|arey|no|nahi|wait|galti\s+se|mistake)[\s,!.]*)*(?:please\s+)?"
    r"(?:undo|revert|reverse)\b(?!\s+(?:the\s+)?(?:automation|flow))"
)
_RETRY = compile_i(
    r"^(?:retry|re-?try|rerun|re-run|try\s+again|run\s+(?:it|that|the\s+flow|the\s+automation)\s+again|"
    r"retry\s+(?:the\s+)?(?:run|flow|automation|last\s+run|failed\s+run|failed\s+step|it|that))\b"
)
_DASHBOARD = compile_i(
    r"\b(?:dashboard|login\s+link|log\s*-?\s*in\s+link|login|log\s*-?\s*in|web\s+link|admin\s+panel|web\s+app|"
    r"website\s+link|portal|sign\s*-?\s*in\s+link|magic\s+link)\b"
)
_PUNCT = re.compile(r"[.,!?:;~*]+")


def short_form(p: Prepared) -> str:
    """The message lowercased with punctuation removed (for whole-message matches)."""
    return re.sub(r"\s+", " ", _PUNCT.sub(" ", p.raw.lower())).strip()


def yes_no(p: Prepared) -> str | None:
    """Reads "yes" / "no" when the whole message is a confirmation or a refusal."""
    s = short_form(p)
    if not s:
        return None
    if _NO.match(s):
        return "no"
    if _YES.match(s):
        return "yes"
    return None


def detect_misc(p: Prepared, ctx: Context) -> Understanding | None:
    """Greetings, help, yes/no, undo, retry and the dashboard link."""
    s = short_form(p)
    if not s:
        return None
    if _UNDO.match(s) or _UNDO_START.match(s):
        return result(p, "undo")
    if re.search(r"\bundo\b", s) and len(s.split()) <= 6 and not re.search(r"\b(?:automation|flow|how)\b", s):
        return result(p, "undo", 0.9)
    yn = yes_no(p)
    if yn:
        return result(p, yn)
    if _GREET.match(s):
        return result(p, "greet")
    if _HELP.match(s) or _HELP_START.match(s):
        return result(p, "help")
    if _RETRY.match(s):
        return result(p, "retry_run")
    if _DASHBOARD.search(s) and len(s.split()) <= 10:
        return result(p, "dashboard_link")
    return None
