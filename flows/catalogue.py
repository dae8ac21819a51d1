"""What a blueprint may name: the triggers and actions of ``spec/blueprint.md``.

Two tables:

- `TRIGGERS`: each trigger ``service.task``, its params, the event data it
  provides (so ``{{trigger_data.payment.amount}}`` can be checked when a flow
  is saved) and a realistic sample event (used for a dry run when no real
  event exists yet).
- `ACTIONS`: each action ``service.task`` with its params and output keys,
  plus the two logic entries ``logic.condition`` (node type ``condition``) and
  ``control.for_each`` (node type ``loop``).

`action_spec` prefers the live `tools.registry.REGISTRY` entry when there is
one (the required fields of its pydantic ``Params`` model and its
``outputs``), so validation follows the real tools once they exist and this
table before they do. Only names of ``spec/blueprint.md`` are listed here;
new tools join through the registry.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ParamKind = Literal[
    "text", "phone", "email", "url", "number", "list", "dict", "choice", "duration",
    "cron", "timezone", "days", "expression", "items", "any",
]
NodeKind = Literal["action", "condition", "loop"]

DEFAULT_TIMEZONE = "Asia/Kolkata"

#: ``{{business.X}}`` names every flow may use.
BUSINESS_FIELDS: tuple[str, ...] = ("name", "phone")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its name, whether it must be given, and what kind of value it takes."""

    name: str
    required: bool = True
    kind: ParamKind = "text"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriggerSpec:
    """One trigger: what fires it and the event data a run starts with.

    ``open_paths`` are dotted paths of the event below which any key may exist
    (the raw Razorpay entity, an invoice's extra fields, a webhook's JSON
    body: ``""`` means the whole event is open).
    """

    name: str
    summary: str
    params: tuple[ParamSpec, ...]
    sample: dict[str, Any] = field(hash=False, compare=False)
    open_paths: tuple[str, ...] = ()

    @property
    def required_params(self) -> tuple[str, ...]:
        """Names of the params that must be given."""
        return tuple(p.name for p in self.params if p.required)

    def sample_event(self) -> dict[str, Any]:
        """A fresh copy of the sample event (safe to change)."""
        return copy.deepcopy(self.sample)

    def provides(self, path: Sequence[str]) -> bool:
        """True when ``trigger_data.<path>`` can exist in this trigger's events."""
        parts = [str(p) for p in path]
        for open_path in self.open_paths:
            prefix = open_path.split(".") if open_path else []
            if parts[: len(prefix)] == prefix:
                return True
        node: Any = self.sample
        for part in parts:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit():
                # Any index of a list is allowed; its items look like the first one.
                node = node[0] if node else None
            else:
                return False
        return True

    def has_field(self, dotted: str) -> bool:
        """``provides`` for a dotted path such as ``"customer.phone"``."""
        return self.provides(dotted.split("."))


@dataclass(frozen=True)
class ActionSpec:
    """One action (or logic node): its params, output keys and node type."""

    name: str
    summary: str
    params: tuple[ParamSpec, ...]
    outputs: tuple[str, ...]
    node_type: NodeKind = "action"
    writes: bool = True
    from_registry: bool = False

    @property
    def required_params(self) -> tuple[str, ...]:
        """Names of the params that must be given."""
        return tuple(p.name for p in self.params if p.required)

    @property
    def optional_params(self) -> tuple[str, ...]:
        """Names of the params that may be left out."""
        return tuple(p.name for p in self.params if not p.required)

    def param(self, name: str) -> ParamSpec | None:
        """The spec of one param, or None."""
        return next((p for p in self.params if p.name == name), None)


_CUSTOMER = {"name": "Ramesh Kumar", "phone": "+919876543210", "email": "ramesh@example.com"}
_INVOICE = {
    "number": "INV-0001",
    "customer": "Ramesh Kumar",
    "items": [{"product": "cement", "quantity": 5, "unit": "bag", "unit_price": 300, "amount": 1500}],
    "subtotal": 1500,
    "tax": 0,
    "total": 1500,
    "status": "issued",
    "created_at": "2024-06-03T11:20:00+05:30",
}
_PAYMENT = {"amount": 1500, "method": "upi", "reference": "UPI-412345678901"}

TRIGGERS: dict[str, TriggerSpec] = {
    t.name: t
    for t in (
        TriggerSpec(
            "payments.payment_received",
            "a payment is received",
            (),
            {"payment": dict(_PAYMENT), "customer": dict(_CUSTOMER), "invoice": copy.deepcopy(_INVOICE)},
            open_paths=("invoice",),
        ),
        TriggerSpec(
            "razorpay.payment_received",
            "a Razorpay payment is received",
            (),
            {
                "payment": {"amount": 1500, "method": "upi", "reference": "pay_DESyzxuld02Zul"},
                "customer": dict(_CUSTOMER),
                "invoice": None,
                "razorpay": {
                    "id": "pay_DESyzxuld02Zul", "entity": "payment", "amount": 150000,
                    "currency": "INR", "status": "captured", "method": "upi",
                    "vpa": "ramesh@okaxis", "email": "ramesh@example.com", "contact": "+919876543210",
                },
            },
            open_paths=("invoice", "razorpay"),
        ),
        TriggerSpec(
            "invoices.invoice_created",
            "an invoice is created",
            (),
            {"invoice": copy.deepcopy(_INVOICE), "customer": dict(_CUSTOMER)},
            open_paths=("invoice",),
        ),
        TriggerSpec(
            "invoices.invoice_overdue",
            "an invoice is still unpaid some days after it was issued",
            (ParamSpec("days", kind="days"),),
            {"invoice": copy.deepcopy(_INVOICE), "customer": dict(_CUSTOMER), "days_overdue": 2},
            open_paths=("invoice",),
        ),
        TriggerSpec(
            "inventory.stock_low",
            "a product's stock is low",
            (),
            {"product": {"name": "cement", "stock": 4, "unit": "bag", "low_stock_threshold": 10}},
        ),
        TriggerSpec(
            "schedule.cron",
            "on a schedule",
            (ParamSpec("cron", kind="cron"), ParamSpec("timezone", required=False, kind="timezone")),
            {"fired_at": "2024-06-07T20:00:00+05:30"},
        ),
        TriggerSpec(
            "webhook.received",
            "your webhook URL receives a POST",
            (),
            {
                "order_id": "A-1001",
                "amount": 1500,
                "customer": dict(_CUSTOMER),
                "headers": {"Content-Type": "application/json"},
            },
            # The body is whatever the caller sends.
            open_paths=("",),
        ),
    )
}

_PHONE_TO = ParamSpec("to", kind="phone")

ACTIONS: dict[str, ActionSpec] = {
    a.name: a
    for a in (
        ActionSpec("whatsapp.send_message", "Send a WhatsApp message",
                   (_PHONE_TO, ParamSpec("message")), ("message_id",)),
        ActionSpec("whatsapp.send_document", "Send a document on WhatsApp",
                   (_PHONE_TO, ParamSpec("document"), ParamSpec("caption", required=False)),
                   ("message_id",)),
        ActionSpec("google_sheets.append_row", "Add a row to a Google Sheet",
                   (ParamSpec("spreadsheet"), ParamSpec("worksheet", required=False),
                    ParamSpec("values", kind="list")), ("row",)),
        ActionSpec("email.send", "Send an email",
                   (ParamSpec("to", kind="email"), ParamSpec("subject"), ParamSpec("body")),
                   ("message_id",)),
        ActionSpec("slack.post_message", "Post a message to Slack",
                   (ParamSpec("text"), ParamSpec("webhook_url", required=False, kind="url")), ("ok",)),
        ActionSpec("http.request", "Call a web address (HTTP request)",
                   (ParamSpec("method", kind="choice", choices=("GET", "POST", "PUT", "PATCH", "DELETE")),
                    ParamSpec("url", kind="url"), ParamSpec("headers", required=False, kind="dict"),
                    ParamSpec("json", required=False, kind="any")), ("status", "body")),
        ActionSpec("razorpay.create_payment_link", "Create a Razorpay payment link",
                   (ParamSpec("amount", kind="number"), ParamSpec("customer", kind="any"),
                    ParamSpec("description", required=False)), ("id", "short_url")),
        ActionSpec("reports.unpaid_invoices", "List the unpaid invoices", (),
                   ("text", "total", "count"), writes=False),
        ActionSpec("reports.sales_summary", "Summarise sales",
                   (ParamSpec("period", kind="choice", choices=("today", "week", "month")),),
                   ("text", "total"), writes=False),
        ActionSpec("inventory.adjust_stock", "Change a product's stock",
                   (ParamSpec("product"), ParamSpec("change", kind="number")), ("stock",)),
        ActionSpec("delay.wait", "Wait before the next step",
                   (ParamSpec("duration", kind="duration"),), ("resumed_at",), writes=False),
        ActionSpec("logic.condition", "Check a condition",
                   (ParamSpec("expression", kind="expression"),), ("result",),
                   node_type="condition", writes=False),
        ActionSpec("control.for_each", "Repeat for each item",
                   # item/index inside the repeat; count (and items) throughout.
                   (ParamSpec("items", kind="items"),), ("item", "index", "count", "items"),
                   node_type="loop", writes=False),
    )
}

#: Services whose tasks are graph logic, not tools.
LOGIC_NAMES = ("logic.condition", "control.for_each")


def trigger_spec(name: str) -> TriggerSpec | None:
    """The trigger called ``name`` (``service.task``), or None."""
    return TRIGGERS.get(name)


def _registry() -> dict[str, Any]:
    # Imported late: the tools import storage and other heavy modules, and the
    # registry may grow while this module is already loaded.
    try:
        from tools.registry import REGISTRY
    except ImportError:  # pragma: no cover - the tools package always exists in the repo
        return {}
    return REGISTRY


def action_spec(name: str) -> ActionSpec | None:
    """The action (or logic node) called ``name``, or None when it does not exist.

    A tool in the live registry wins: its ``Params`` model says which params
    are required (by alias when a field has one) and its ``outputs`` which
    keys later steps may read. Param kinds (phone, email…) come from this
    table when the names match, so validation of values keeps working.
    """
    table = ACTIONS.get(name)
    tool = _registry().get(name) if name not in LOGIC_NAMES else None
    if tool is None:
        return table
    params: list[ParamSpec] = []
    for field_name, info in tool.Params.model_fields.items():
        pname = info.alias or field_name
        known = table.param(pname) if table else None
        kind: ParamKind = known.kind if known else "any"
        choices = known.choices if known else ()
        params.append(ParamSpec(pname, required=info.is_required(), kind=kind, choices=choices))
    outputs = tuple(tool.outputs) or (table.outputs if table else ())
    summary = table.summary if table else (tool.description.strip().splitlines() or [name])[0]
    return ActionSpec(name, summary, tuple(params), outputs, "action",
                      writes=bool(tool.writes), from_registry=True)


def known_actions() -> list[str]:
    """Every action name a blueprint may use (this table plus the registry), sorted."""
    return sorted(set(ACTIONS) | set(_registry()))


def sample_event(trigger: str) -> dict[str, Any]:
    """A realistic event for ``trigger`` (a copy), for dry runs; ``{}`` if unknown."""
    spec = TRIGGERS.get(trigger)
    return spec.sample_event() if spec else {}


def sample_business() -> dict[str, Any]:
    """A sample ``business`` scope for dry runs and tests."""
    return {"name": "Sharma Hardware", "phone": "+919800000001"}
