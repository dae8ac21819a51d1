"""The agent's nodes: understand → act → (confirm) and the routers between them."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from sqlalchemy import select

from intents.handlers import CONFIRMERS, HANDLERS, Outcome, Turn
from intents.state import AgentState
from storage.models import Customer, Product

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """Per-message dependencies handed to the graph as its runtime context (never checkpointed)."""

    runtime: Any  # bot.runtime.Runtime
    business_id: int


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
    """Turn the text into an `Understanding`, in light of any question the bot just asked."""
    from intents.understand import understand

    pending = state.get("pending")
    u = understand(state.get("text", ""), _context(runtime.context, pending and pending.get("expecting")))
    return {"u": u.model_dump(mode="json"), "redo": False}


def act_node(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Run the handler for the understood intent and keep what it asks the conversation to remember."""
    from intents.understand import Understanding

    u = Understanding.model_validate(state["u"])
    pending = state.get("pending")
    intent = u.intent
    if intent == "answer" and pending:
        intent = pending["intent"]
    handler = HANDLERS.get(intent) or HANDLERS["unknown"]
    deps = runtime.context
    with deps.runtime.db.session() as session:
        turn = Turn(session=session, business_id=deps.business_id, runtime=deps.runtime,
                    last=dict(state.get("last") or {}), pending=pending if u.intent == "answer" else None)
        outcome: Outcome = handler(turn, u)
    return {"replies": [*(state.get("replies") or []), *outcome.replies],
            "pending": outcome.pending, "confirm": outcome.confirm,
            "last": {**(state.get("last") or {}), **outcome.last}}


def confirm_node(state: AgentState, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Wait for the owner's YES (the question was already sent), then do or drop the action."""
    from intents.understand import understand

    confirm = state.get("confirm") or {}
    answer = interrupt(confirm.get("question", "Reply YES to go ahead."))
    u = understand(str(answer))
    deps = runtime.context
    if u.intent == "yes":
        with deps.runtime.db.session() as session:
            turn = Turn(session=session, business_id=deps.business_id, runtime=deps.runtime,
                        last=dict(state.get("last") or {}))
            outcome = CONFIRMERS[confirm["kind"]](turn, confirm)
        return {"replies": outcome.replies, "confirm": None, "pending": None,
                "last": {**(state.get("last") or {}), **outcome.last}}
    if u.intent == "no":
        return {"replies": [confirm.get("declined", "OK, I won't do that.")], "confirm": None}
    # Something else: handle it as a new message; the waiting action is dropped with a note.
    return {"text": str(answer), "confirm": None, "redo": True,
            "replies": [f"(I set aside the earlier request: {confirm.get('summary', 'not confirmed')}.)"]}


def after_act(state: AgentState) -> Literal["confirm", "__end__"]:
    return "confirm" if state.get("confirm") else "__end__"


def after_confirm(state: AgentState) -> Literal["understand", "__end__"]:
    return "understand" if state.get("redo") else "__end__"
