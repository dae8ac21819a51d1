"""Intent handlers: one function per intent, turning an `Understanding` into records and replies.

`HANDLERS` is the explicit table the agent's ``act`` node uses. A handler
gets a `Turn` (the open session, the business, the conversation memory) and
returns an `Outcome`; it never sends WhatsApp messages to third parties
itself: such actions go in ``Outcome.confirm`` and run after the owner's YES.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from intents.handlers import basic
from intents.handlers.types import Outcome, Turn

Handler = Callable[[Turn, Any], Outcome]

HANDLERS: dict[str, Handler] = {
    "greet": basic.greet,
    "help": basic.help_,
    "unknown": basic.unknown,
}

CONFIRMERS: dict[str, Callable[[Turn, dict[str, Any]], Outcome]] = {
}

__all__ = ["CONFIRMERS", "HANDLERS", "Handler", "Outcome", "Turn"]
