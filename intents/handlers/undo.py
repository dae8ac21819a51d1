""" "undo": reverse the owner's latest change and say what it was."""

from __future__ import annotations

from typing import Any

from bot.errors import MunshiError
from intents.handlers.customers import failed, run_tool
from intents.handlers.types import Outcome, Turn


def undo(turn: Turn, u: Any) -> Outcome:
    """ "undo", "undo that", "galti ho gayi, hatao"."""
    try:
        out = run_tool(turn, "business.undo_last")
    except MunshiError as exc:
        return failed(exc)
    if not out["undone"]:
        return Outcome(["There's nothing to undo."])
    summary, kind = out["summary"], out["kind"]
    if kind in ("invoice_created", "customer_added"):
        text = f"↩️ Removed {summary}."
    elif kind == "payment_recorded":
        text = f"↩️ Removed the {summary}."
    elif kind == "invoice_cancelled":
        text = f"↩️ Undid {summary}; it is active again."
    else:
        text = f"↩️ Undid {summary}."
    return Outcome([text], last={"invoice_id": None} if kind == "invoice_created" else {})
