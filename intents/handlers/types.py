"""What a handler receives and returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session


@dataclass
class Turn:
    """One message being handled: the database session, whose business, and the memory."""

    session: Session
    business_id: int
    runtime: Any  # bot.runtime.Runtime
    last: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, Any] | None = None


@dataclass
class Outcome:
    """A handler's result.

    ``pending``: keep this action and ask for ``pending["expecting"]`` next.
    ``confirm``: ``{"kind": CONFIRMERS key, "question": text, ...data}``, run on YES.
    ``last``: updates to the conversation's memory of the last records touched.
    """

    replies: list[str]
    pending: dict[str, Any] | None = None
    confirm: dict[str, Any] | None = None
    last: dict[str, Any] = field(default_factory=dict)
