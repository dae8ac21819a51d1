"""`BaseTool`: one action of the catalogue, shared by the chat agent and the flow engine.

A tool declares its canonical ``name`` (``service.task``, the names of
``spec/blueprint.md``), a ``description`` written for a language model, a
pydantic ``Params`` model, the keys of its output, whether it writes, and
whether running it twice with the same idempotency key is harmless.
Parameters are validated before anything is sent or written.
"""
from __future__ import annotations

import functools
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError

from bot.errors import ValidationFailed


@dataclass
class ToolContext:
    """What a tool may use: the open database session and whose business it is.

    ``idempotency_key`` is stable per (run, step) for flow steps, so a retried
    step never sends twice; ``dry_run`` asks the tool to describe, not do.
    """

    session: Any  # sqlalchemy.orm.Session (kept loose to avoid an import cycle)
    business_id: int
    idempotency_key: str | None = None
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


#: Names whose values are credentials: headers, params, JSON fields and URL query names.
_SECRET_NAME = re.compile(r"auth|token|secret|key|pass|cookie|sig|credential|webhook.?url", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def secret_name(name: str) -> bool:
    """Does a header, parameter, field or query value of this name carry a credential?"""
    return _SECRET_NAME.search(name) is not None


class BaseTool(ABC):
    """One action: validate params, then run."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[BaseModel]]
    outputs: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[bool] = True
    idempotent: ClassVar[bool] = False

    def validate(self, raw: dict[str, Any]) -> BaseModel:
        """Return the typed params or raise `ValidationFailed` with plain reasons."""
        try:
            return self.Params.model_validate(raw)
        except ValidationError as exc:
            reasons = [f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()]
            raise ValidationFailed(f"{self.name}: " + "; ".join(reasons), tool=self.name) from exc

    def __call__(self, ctx: ToolContext, raw: dict[str, Any]) -> dict[str, Any]:
        return self.run(ctx, self.validate(raw))

    @abstractmethod
    def run(self, ctx: ToolContext, params: Any) -> dict[str, Any]:
        """Do the action and return its output (the keys named in ``outputs``)."""

    def describe(self, ctx: ToolContext, params: Any) -> str:
        """What a dry run would do, in plain words (override for a better sentence)."""
        return f"{self.name} with {params.model_dump(exclude_none=True)}"
