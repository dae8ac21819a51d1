"""The agent's state, checkpointed per business between messages."""
from __future__ import annotations

from typing import Any, TypedDict


class AgentState(TypedDict, total=False):
    """What the conversation remembers.

    ``text``: the message being handled. ``u``: its understanding (a dumped
    `Understanding`). ``replies``: this turn's replies to the owner.
    ``pending``: an action waiting for a missing slot (what was asked is
    ``pending["expecting"]``). ``confirm``: an action waiting for the owner's
    YES. ``last``: the records the owner last touched ("change it", "send it").
    ``parked``: a flow draft's confirmation set aside while an unrelated
    message is handled; it comes back to ``confirm`` when nothing else waits.
    """

    text: str
    u: dict[str, Any]
    replies: list[str]
    pending: dict[str, Any] | None
    confirm: dict[str, Any] | None
    last: dict[str, Any]
    redo: bool  # the answer to a confirmation was a new message: understand it next
    parked: dict[str, Any] | None
