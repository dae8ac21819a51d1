"""Small builders shared by the flow unit tests."""

from __future__ import annotations

import copy
import itertools
from typing import Any

#: The example of ``spec/blueprint.md``, verbatim.
SPEC_EXAMPLE: dict[str, Any] = {
    "nodes": [
        {
            "id": "trigger_1",
            "type": "trigger",
            "data": {"service": "payments", "task": "payment_received", "params": {}},
            "position": {"x": 100, "y": 100},
        },
        {
            "id": "check_amount",
            "type": "condition",
            "data": {
                "service": "logic",
                "task": "condition",
                "params": {"expression": "trigger_data.payment.amount > 10000"},
            },
        },
        {
            "id": "thank",
            "type": "action",
            "data": {
                "service": "whatsapp",
                "task": "send_message",
                "params": {
                    "to": "{{trigger_data.customer.phone}}",
                    "message": "Payment of ₹{{trigger_data.payment.amount}} received. Thank you!",
                },
                "error_handling": {
                    "retry_count": 3,
                    "retry_delay": 5,
                    "backoff": "exponential",
                    "on_failure": "continue",
                },
            },
        },
    ],
    "edges": [
        {"id": "e1", "source": "trigger_1", "target": "check_amount"},
        {"id": "e2", "source": "check_amount", "target": "thank", "branch": "true"},
    ],
}


def spec_example() -> dict[str, Any]:
    """A fresh copy of the spec example."""
    return copy.deepcopy(SPEC_EXAMPLE)


def node(
    node_id: str, key: str, params: dict[str, Any] | None = None, node_type: str = "action", **data: Any
) -> dict[str, Any]:
    """One node dict: ``node("wa", "whatsapp.send_message", {...})``."""
    service, task = key.split(".", 1)
    return {
        "id": node_id,
        "type": node_type,
        "data": {"service": service, "task": task, "params": params or {}, **data},
    }


def edge(source: str, target: str, branch: str | None = None, edge_id: str | None = None) -> dict[str, Any]:
    """One edge dict."""
    out: dict[str, Any] = {"id": edge_id or f"e_{source}_{target}", "source": source, "target": target}
    if branch:
        out["branch"] = branch
    return out


def chain(
    trigger: str = "payments.payment_received",
    *nodes: dict[str, Any],
    trigger_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A straight blueprint: trigger → nodes[0] → nodes[1] …"""
    all_nodes = [node("trigger_1", trigger, trigger_params, node_type="trigger"), *nodes]
    edges = [edge(a["id"], b["id"]) for a, b in itertools.pairwise(all_nodes)]
    return {"nodes": all_nodes, "edges": edges}


def whatsapp(node_id: str = "wa", to: str = "owner", message: str = "Hello") -> dict[str, Any]:
    """A WhatsApp step."""
    return node(node_id, "whatsapp.send_message", {"to": to, "message": message})
