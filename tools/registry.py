"""The catalogue: an explicit dict from ``service.task`` to its tool (no import-time discovery).

To add a tool, import its module here and list its instance in ``_TOOLS``.
"""
from __future__ import annotations

from bot.errors import ValidationFailed
from tools import (
    business,
    customers,
    delay,
    email,
    google_sheets,
    http,
    inventory,
    invoices,
    payments,
    pdf,
    razorpay,
    reports,
    slack,
    whatsapp,
)
from tools.base import BaseTool

_TOOLS: list[BaseTool] = [
    *invoices.TOOLS,
    *pdf.TOOLS,
    *payments.TOOLS,
    *inventory.TOOLS,
    *customers.TOOLS,
    *reports.TOOLS,
    *business.TOOLS,
    # the integrations of flows (flow engine)
    *whatsapp.TOOLS,
    *google_sheets.TOOLS,
    *email.TOOLS,
    *slack.TOOLS,
    *http.TOOLS,
    *razorpay.TOOLS,
    *delay.TOOLS,
]

REGISTRY: dict[str, BaseTool] = {t.name: t for t in _TOOLS}
assert len(REGISTRY) == len(_TOOLS), "a tool name is listed twice"


def get(name: str) -> BaseTool:
    """Return the tool called ``name`` or raise `ValidationFailed`."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValidationFailed(f"unknown action {name}", tool=name) from None
