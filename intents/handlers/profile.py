"""The business profile in chat: name, address, GSTIN (checksum validated) and state."""

from __future__ import annotations

from typing import Any

from bot.errors import MunshiError
from intents.handlers.customers import failed, field, run_tool
from intents.handlers.types import Outcome, Turn


def set_profile(turn: Turn, u: Any) -> Outcome:
    """ "my GSTIN is 27AAPFU0939F1ZV", "my shop is Sharma Hardware", "address: 12 MG Road, Pune"."""
    changes = dict(field(u, "changes") or {})
    params = {k: changes.get(k) or field(u, k) for k in ("name", "address", "gstin", "state")}
    if not any(params.values()):
        return Outcome(
            [
                "What should I save? e.g. *my GSTIN is 27AAPFU0939F1ZV*, *my shop is Sharma Hardware* "
                "or *address: 12 MG Road, Pune*"
            ]
        )
    try:
        out = run_tool(turn, "business.update_profile", **params)
    except MunshiError as exc:
        return failed(exc)
    labels = {"name": "name", "address": "address", "gstin": "GSTIN", "state": "state"}
    shown = "\n".join(f"• {labels[k]}: {out[k]}" for k in out["changed"])
    text = f"🏪 Saved your business details:\n{shown}"
    if "gstin" in out["changed"]:
        text += "\nYour invoices are now GST tax invoices."
    return Outcome([text + "\nReply *undo* to change it back."])
