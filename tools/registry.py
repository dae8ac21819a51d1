"""The catalogue: an explicit dict from ``service.task`` to its tool (no import-time discovery).

To add a tool, import its module here and list its instance in ``_TOOLS``.
"""
from __future__ import annotations

from bot.errors import ValidationFailed
from tools.base import BaseTool

_TOOLS: list[BaseTool] = [
]

REGISTRY: dict[str, BaseTool] = {t.name: t for t in _TOOLS}
assert len(REGISTRY) == len(_TOOLS), "a tool name is listed twice"


def get(name: str) -> BaseTool:
    """Return the tool called ``name`` or raise `ValidationFailed`."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValidationFailed(f"unknown action {name}", tool=name) from None
