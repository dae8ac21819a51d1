"""The agent's nodes: understand → act → (confirm) and the routers between them."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from sqlalchemy import select

from intents.handlers import CONFIRMERS, DIALOGUES, HANDLERS, Outcome, Turn
from intents.state import AgentState
from storage.models import Customer, Product

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """Per-message dependencies handed to the graph as its runtime context (never checkpointed)."""

    runtime: Any  # bot.runtime.Runtime
    business_id: int
    message_id: int | None = None  # the inbound message being handled (its changes name it)

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A database session whose changes name the message being handled (`storage.ledger.record_change`)."""
        with self.runtime.db.session() as session:
            session.info["message_id"] = self.message_id
            yield session


def _context(turn_deps: Deps, expecting: str | None) -> Any:
    from intents.understand import Context, ProductInfo

    with turn_deps.runtime.db.session() as s:
        customers = list(s.scalars(select(Customer.name).where(Customer.business_id == turn_deps.business_id)
                                   .order_by(Customer.updated_at.desc()).limit(500)))
        products = [ProductInfo(name=p.name, unit=p.unit,
                                price=None if p.price_paise is None else p.price_paise / 100)
                    for p in s.scalars(select(Product).where(Product.business_id == turn_deps.business_id)
                                       .order_by(Product.updated_at.desc()).limit(500))]
    return Context(customers=customers, products=products, expecting=expecting)


def understand_node(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Turn the text into an `Understanding`, in light of any question the bot just asked.

    The one place the agent chooses between the offline engine and the model (`intents.llm`).
    The answer to a confirmation (``confirm_node``) is read offline: it is YES, NO or a change to
    the waiting draft, and when it turns out to be a new message it comes back through here.
    """
    from intents.llm import understand_message

    pending = state.get("pending")
    deps = runtime.context
    u = understand_message(state.get("text", ""), _context(deps, pending.get("expecting") if pending else None),
                           deps.runtime.config)
    return {"u": u.model_dump(mode="json"), "redo": False}


def act_node(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Run the handler for the understood intent and keep what it asks the conversation to remember.

    A flow draft set aside for this message (``parked``) comes back to wait for
    its YES once nothing else is waiting, with a one-time reminder.
    """
    from intents.handlers.flows import replaced_note, route, unpark
    from intents.understand import Understanding

    u = Understanding.model_validate(state["u"])
    pending = state.get("pending")
    intent: str = u.intent
    if intent == "answer" and pending:
        intent = pending["intent"]
    intent = route(u, intent)
    handler = HANDLERS.get(intent) or HANDLERS["unknown"]
    deps = runtime.context
    parked = state.get("parked")
    # With a draft set aside (another question was open), "yes", "switch it on", "test it" and
    # "also email me…" are about the draft.
    about_draft = intent in ("yes", "resume_flow", "build_flow", "flow_test")
    dialogue = DIALOGUES.get(parked.get("kind", "")) if parked and about_draft else None
    with deps.session() as session:
        turn = Turn(session=session, business_id=deps.business_id, runtime=deps.runtime,
                    last=dict(state.get("last") or {}), pending=pending if u.intent == "answer" else None)
        if dialogue is not None and parked is not None:
            res = dialogue(turn, parked, u)
            if not res.redo:
                return {"replies": [*(state.get("replies") or []), *res.replies], "pending": None,
                        "confirm": res.confirm, "parked": None,
                        "last": {**(state.get("last") or {}), **res.last}}
        outcome: Outcome = handler(turn, u)
    replies = [*(state.get("replies") or []), *outcome.replies]
    confirm = outcome.confirm
    if parked:
        if confirm is not None and confirm.get("kind") == parked.get("kind"):
            replies.append(replaced_note(parked))  # a new draft takes the waiting one's place
            parked = None
        elif confirm is None and outcome.pending is None:
            confirm, note = unpark(parked)
            replies += note
            parked = None
    return {"replies": replies, "pending": outcome.pending, "confirm": confirm, "parked": parked,
            "last": {**(state.get("last") or {}), **outcome.last}}


def confirm_node(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Wait for the owner's YES (the question was already sent), then do or drop the action.

    Confirmations with a dialogue (a flow draft: `DIALOGUES`) take any answer:
    edits and tests keep them waiting here, and a message about something else
    sets them aside (``parked``) while it is handled as a new message.
    """
    from intents.handlers.flows import unpark
    from intents.understand import understand

    confirm = state.get("confirm") or {}
    answer = interrupt(confirm.get("question", "Reply YES to go ahead."))
    deps = runtime.context
    u = understand(str(answer), _context(deps, "confirm"))
    last = dict(state.get("last") or {})
    dialogue = DIALOGUES.get(confirm.get("kind", ""))
    if dialogue is not None:
        with deps.session() as session:
            turn = Turn(session=session, business_id=deps.business_id, runtime=deps.runtime, last=last)
            res = dialogue(turn, confirm, u)
        if res.redo:
            return {"text": str(answer), "confirm": None, "parked": res.confirm, "redo": True,
                    "replies": res.replies, "pending": None}
        return {"replies": res.replies, "confirm": res.confirm, "redo": False, "pending": None,
                "last": {**last, **res.last}}
    parked = state.get("parked")
    if u.intent == "yes":
        with deps.session() as session:
            turn = Turn(session=session, business_id=deps.business_id, runtime=deps.runtime, last=last)
            outcome = CONFIRMERS[confirm["kind"]](turn, confirm)
        replies, back = list(outcome.replies), outcome.confirm
        if back is None and parked:
            back, note = unpark(parked)
            replies += note
            parked = None
        return {"replies": replies, "confirm": back, "pending": None, "parked": parked, "redo": False,
                "last": {**last, **outcome.last}}
    if u.intent == "no":
        replies = [confirm.get("declined", "OK, I won't do that.")]
        back = None
        if parked:
            back, note = unpark(parked)
            replies += note
        return {"replies": replies, "confirm": back, "parked": None, "redo": False}
    # Something else: handle it as a new message; the waiting action is dropped with a note.
    return {"text": str(answer), "confirm": None, "redo": True,
            "replies": [f"(I set aside the earlier request: {confirm.get('summary', 'not confirmed')}.)"]}


def after_act(state: AgentState) -> Literal["confirm", "__end__"]:
    return "confirm" if state.get("confirm") else "__end__"


def after_confirm(state: AgentState) -> Literal["understand", "confirm", "__end__"]:
    if state.get("redo"):
        return "understand"
    return "confirm" if state.get("confirm") else "__end__"
