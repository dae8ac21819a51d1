"""Greeting, help and the polite "not understood"."""
from __future__ import annotations

from typing import Any

from intents import prompts
from intents.handlers.types import Outcome, Turn


def greet(turn: Turn, u: Any) -> Outcome:
    return Outcome([prompts.GREETING])


def help_(turn: Turn, u: Any) -> Outcome:
    return Outcome([prompts.HELP])


def unknown(turn: Turn, u: Any) -> Outcome:
    """Say what was not understood and offer examples close to it; nothing is recorded."""
    from intents.understand import suggest

    text = (u.text or "").strip()
    shown = text if len(text) <= 80 else text[:77] + "…"
    lines = [prompts.NOT_UNDERSTOOD.format(text=shown), prompts.EXAMPLES_LEAD]
    lines += [f"• {s}" for s in suggest(text)[:3]]
    lines.append("Send *help* to see everything I can do.")
    return Outcome(["\n".join(lines)])
