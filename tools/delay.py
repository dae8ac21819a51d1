"""``delay.wait``: pause a flow run for a while (``30m``, ``2h``, ``3d``).

A wait never holds a worker: the engine stores when the run should go on,
marks the run ``waiting`` and schedules a job for that moment (RQ's
``enqueue_at``; the periodic recovery enqueues it again if that job is ever
lost, so a wait survives restarts of the workers and of Redis).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator

from bot.errors import FlowError
from flows.validate import MAX_DELAY_SECONDS, duration_seconds
from storage.models import utcnow
from tools.base import BaseTool, ToolContext


class WaitParams(BaseModel):
    duration: str = Field(description="how long to wait: 30m, 2h, 3d (or seconds: 45s)")

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != value or value in (float("inf"), float("-inf")):  # NaN, Infinity: JSON from Python
                raise ValueError("the wait is not a number of seconds")
            value = f"{int(value)}s"
        text = str(value).strip().lower()
        try:
            seconds = duration_seconds(text)
        except FlowError as exc:
            raise ValueError(exc.message) from None
        if seconds <= 0:
            raise ValueError("a wait must be longer than zero")
        if seconds > MAX_DELAY_SECONDS:
            raise ValueError("a wait may be at most a year")
        return text

    @property
    def seconds(self) -> int:
        return duration_seconds(self.duration)


class Wait(BaseTool):
    name = "delay.wait"
    description = "Wait for a while (e.g. 30m, 2h, 3d) before the flow's next step."
    Params = WaitParams
    outputs = ("resumed_at",)
    writes = False
    idempotent = True

    def until(self, params: WaitParams, now: datetime) -> datetime:
        """When a wait that starts at ``now`` ends."""
        return now + timedelta(seconds=params.seconds)

    def run(self, ctx: ToolContext, params: WaitParams) -> dict[str, Any]:
        # The engine never calls this (it suspends the run instead); a direct call only says when.
        now = ctx.extra.get("now") or utcnow()
        return {"resume_at": self.until(params, now).isoformat()}

    def describe(self, ctx: ToolContext, params: WaitParams) -> str:
        return f"wait {params.duration}"


TOOLS: list[BaseTool] = [Wait()]
