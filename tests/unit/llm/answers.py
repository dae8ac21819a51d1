"""What the stand-in model answers in these tests, shaped like the strict schemas (every key present)."""
from __future__ import annotations

from typing import Any

from intents.llm.drafter import ActionParams, TriggerParams

KEY = "sk-test-munshi-0123456789abcdefXYZ"


def reading(intent: str, **slots: Any) -> dict[str, Any]:
    """A `Reading`: null where nothing was said."""
    base: dict[str, Any] = dict.fromkeys((
        "customer", "amount", "method", "invoice_number", "phone", "email", "gst_rate", "gstin", "state",
        "name", "address", "product", "quantity", "unit", "price", "threshold", "hsn", "period", "changes",
        "flow_ref"))
    return {"intent": intent, **base, "items": [], "all_customers": False, **slots}


def item(product: str, quantity: float | None, unit: str | None, unit_price: float | None) -> dict[str, Any]:
    """One `ReadItem`."""
    return {"product": product, "quantity": quantity, "unit": unit, "unit_price": unit_price, "price_unit": None}


def params(model: type, **given: Any) -> dict[str, Any]:
    """A params object: every key, null where the step takes nothing."""
    return {**dict.fromkeys(model.model_json_schema()["properties"]), **given}  # type: ignore[attr-defined]


def step(step_id: str, action: str, **given: Any) -> dict[str, Any]:
    """One `PlanStep`."""
    return {"id": step_id, "action": action, "params": params(ActionParams, **given)}


def plan(*steps: dict[str, Any], trigger: str = "payments.payment_received", condition: str | None = None,
         otherwise: list[dict[str, Any]] | None = None, **trigger_params: Any) -> dict[str, Any]:
    """A `Plan` of ``steps`` after ``trigger``."""
    return {"name": "Payment: tell me and log it", "trigger": trigger,
            "trigger_params": params(TriggerParams, **trigger_params), "condition": condition,
            "steps": list(steps), "otherwise": otherwise or [], "notes": [], "missing": []}
