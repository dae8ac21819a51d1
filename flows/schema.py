"""The blueprint of a flow: a graph of nodes and edges (``spec/blueprint.md``).

The JSON shape is the contract shared with the database, the REST API, the
export and the language model, so the models here mirror it field for field::

    {"nodes": [{"id": "trigger_1", "type": "trigger",
                "data": {"service": "payments", "task": "payment_received", "params": {}},
                "position": {"x": 100, "y": 100}}, ...],
     "edges": [{"id": "e1", "source": "trigger_1", "target": "thank", "branch": "true"}, ...]}

`Blueprint.from_dict` / `Blueprint.to_dict` convert to and from that shape
(``to_dict`` leaves out optional keys that are unset, so a dict read from the
database comes back unchanged). The models only check shapes; the rules that
span the graph (one trigger, no cycles, variables that resolve…) live in
`flows.validate`.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import BlueprintInvalid

NodeType = Literal["trigger", "action", "condition", "loop"]
Branch = Literal["true", "false", "each", "done"]
Backoff = Literal["fixed", "exponential"]
OnFailure = Literal["stop", "continue", "fallback"]

#: Upper bounds that keep a typo from retrying for a day.
MAX_RETRY_COUNT = 10
MAX_RETRY_DELAY = 3600


class _Model(BaseModel):
    # Unknown keys are refused so a typo ("parms", "retries") is reported, not ignored.
    model_config = ConfigDict(extra="forbid")


class ErrorHandling(_Model):
    """What the engine does when a step fails (all optional).

    ``retry_delay`` is in seconds; with ``backoff="exponential"`` attempt *n*
    waits ``retry_delay * 2**(n-1)``. ``on_failure="fallback"`` runs
    ``fallback_node`` instead of stopping the run.
    """

    retry_count: int = Field(default=0, ge=0, le=MAX_RETRY_COUNT)
    retry_delay: int | float = Field(default=0, ge=0, le=MAX_RETRY_DELAY)
    backoff: Backoff = "fixed"
    on_failure: OnFailure = "stop"
    fallback_node: str | None = None


class NodeData(_Model):
    """The catalogue entry a node runs (``service.task``) and its parameters."""

    service: str = Field(min_length=1)
    task: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    error_handling: ErrorHandling | None = None

    @property
    def key(self) -> str:
        """The canonical ``service.task`` name, e.g. ``whatsapp.send_message``."""
        return f"{self.service}.{self.task}"


class Position(_Model):
    """Where an editor draws the node; ignored by the engine."""

    x: int | float = 0
    y: int | float = 0


class Node(_Model):
    """One step of the graph."""

    id: str = Field(min_length=1)
    type: NodeType
    data: NodeData
    position: Position | None = None

    @property
    def key(self) -> str:
        """The node's ``service.task``."""
        return self.data.key

    @property
    def params(self) -> dict[str, Any]:
        """Shortcut for ``data.params``."""
        return self.data.params


class Edge(_Model):
    """A directed link; ``branch`` is set on edges leaving condition and loop nodes."""

    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    branch: Branch | None = None


class Blueprint(_Model):
    """A whole flow graph."""

    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Blueprint:
        """Parse the JSON dict shape, raising `BlueprintInvalid` with plain reasons."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise BlueprintInvalid([_plain(e) for e in exc.errors()]) from exc

    def to_dict(self) -> dict[str, Any]:
        """The JSON dict shape (optional keys that are unset are left out)."""
        out = self.model_dump(mode="json", exclude_none=True)
        for node, raw in zip(self.nodes, out["nodes"], strict=True):
            handling = node.data.error_handling
            if handling is not None:
                # Only the keys that were given, so a stored dict comes back unchanged.
                raw["data"]["error_handling"] = handling.model_dump(
                    mode="json", exclude_unset=True, exclude_none=True
                )
        return out

    def node(self, node_id: str) -> Node | None:
        """The node with this id, or None."""
        return next((n for n in self.nodes if n.id == node_id), None)

    @property
    def trigger(self) -> Node | None:
        """The (first) trigger node, or None."""
        return next((n for n in self.nodes if n.type == "trigger"), None)

    def outgoing(self, node_id: str) -> list[Edge]:
        """Edges leaving ``node_id``, in blueprint order."""
        return [e for e in self.edges if e.source == node_id]

    def incoming(self, node_id: str) -> list[Edge]:
        """Edges arriving at ``node_id``, in blueprint order."""
        return [e for e in self.edges if e.target == node_id]


def _plain(error: Any) -> str:
    """One pydantic error as a short sentence naming where it is."""
    loc = ".".join(str(p) for p in error.get("loc", ())) or "blueprint"
    return f"{loc}: {error.get('msg', 'is not valid')}"
