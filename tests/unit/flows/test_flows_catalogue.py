"""flows.catalogue: the names of spec/blueprint.md, their params, outputs and sample events."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

import tools.registry
from flows import catalogue
from flows.catalogue import ACTIONS, TRIGGERS, action_spec, known_actions, sample_event, trigger_spec
from tools.base import BaseTool

SPEC_TRIGGERS = {
    "payments.payment_received",
    "razorpay.payment_received",
    "invoices.invoice_created",
    "invoices.invoice_overdue",
    "inventory.stock_low",
    "schedule.cron",
    "webhook.received",
}
SPEC_ACTIONS = {
    "whatsapp.send_message": ("message_id",),
    "whatsapp.send_document": ("message_id",),
    "google_sheets.append_row": ("row",),
    "email.send": ("message_id",),
    "slack.post_message": ("ok",),
    "http.request": ("status", "body"),
    "razorpay.create_payment_link": ("id", "short_url"),
    "reports.unpaid_invoices": ("text", "total", "count"),
    "reports.sales_summary": ("text", "total"),
    "inventory.adjust_stock": ("stock",),
    "delay.wait": ("resumed_at",),
}


@pytest.fixture
def no_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation before the tools land: an empty registry."""
    monkeypatch.setattr(tools.registry, "REGISTRY", {})


def test_triggers_are_exactly_the_spec_names() -> None:
    assert set(TRIGGERS) == SPEC_TRIGGERS


def test_actions_are_the_spec_names_plus_logic() -> None:
    assert set(ACTIONS) == set(SPEC_ACTIONS) | {"logic.condition", "control.for_each"}
    assert ACTIONS["logic.condition"].node_type == "condition"
    assert ACTIONS["control.for_each"].node_type == "loop"


@pytest.mark.parametrize("name, outputs", sorted(SPEC_ACTIONS.items()))
def test_table_outputs_match_the_spec(no_registry: None, name: str, outputs: tuple[str, ...]) -> None:
    spec = action_spec(name)
    assert spec is not None and spec.outputs == outputs and not spec.from_registry


@pytest.mark.parametrize(
    "name, required",
    [
        ("whatsapp.send_message", ("to", "message")),
        ("whatsapp.send_document", ("to", "document")),
        ("google_sheets.append_row", ("spreadsheet", "values")),
        ("email.send", ("to", "subject", "body")),
        ("slack.post_message", ("text",)),
        ("http.request", ("method", "url")),
        ("razorpay.create_payment_link", ("amount", "customer")),
        ("reports.unpaid_invoices", ()),
        ("reports.sales_summary", ("period",)),
        ("inventory.adjust_stock", ("product", "change")),
        ("delay.wait", ("duration",)),
        ("logic.condition", ("expression",)),
        ("control.for_each", ("items",)),
    ],
)
def test_table_required_params(no_registry: None, name: str, required: tuple[str, ...]) -> None:
    spec = action_spec(name)
    assert spec is not None and spec.required_params == required


def test_optional_params_and_kinds(no_registry: None) -> None:
    slack = action_spec("slack.post_message")
    assert slack is not None and slack.optional_params == ("webhook_url",)
    whatsapp = action_spec("whatsapp.send_message")
    assert whatsapp is not None and whatsapp.param("to") is not None
    assert whatsapp.param("to").kind == "phone"  # type: ignore[union-attr]
    assert action_spec("email.send").param("to").kind == "email"  # type: ignore[union-attr]
    assert action_spec("reports.sales_summary").param("period").choices == ("today", "week", "month")  # type: ignore[union-attr]


def test_trigger_params() -> None:
    assert trigger_spec("schedule.cron").required_params == ("cron",)  # type: ignore[union-attr]
    assert trigger_spec("invoices.invoice_overdue").required_params == ("days",)  # type: ignore[union-attr]
    assert trigger_spec("payments.payment_received").required_params == ()  # type: ignore[union-attr]


def test_unknown_names_are_none(no_registry: None) -> None:
    assert action_spec("whatsapp.send_sms") is None
    assert trigger_spec("payments.paid") is None


class _FakeParams(BaseModel):
    to: str
    body_text: str = Field(alias="message")
    template_sid: str | None = None


class _FakeWhatsApp(BaseTool):
    name = "whatsapp.send_message"
    description = "Send a WhatsApp.\nMore words."
    Params = _FakeParams
    outputs = ("message_id", "status")

    def run(self, ctx: Any, params: Any) -> dict[str, Any]:  # pragma: no cover - never run here
        return {}


class _NewParams(BaseModel):
    where: str


class _NewTool(BaseTool):
    name = "sms.send"
    description = "Send an SMS"
    Params = _NewParams
    outputs = ()
    writes = False

    def run(self, ctx: Any, params: Any) -> dict[str, Any]:  # pragma: no cover
        return {}


def test_registry_entry_wins_over_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        tools.registry, "REGISTRY", {"whatsapp.send_message": _FakeWhatsApp(), "sms.send": _NewTool()}
    )
    spec = action_spec("whatsapp.send_message")
    assert spec is not None and spec.from_registry
    # Required fields come from the pydantic model, by alias when there is one.
    assert spec.required_params == ("to", "message")
    assert spec.optional_params == ("template_sid",)
    assert spec.outputs == ("message_id", "status")
    # Kinds still come from the table, so phone checks keep working.
    assert spec.param("to").kind == "phone"  # type: ignore[union-attr]
    new = action_spec("sms.send")
    assert new is not None and new.required_params == ("where",) and new.summary == "Send an SMS"
    assert new.writes is False
    assert "sms.send" in known_actions()


def test_logic_entries_never_come_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools.registry, "REGISTRY", {"logic.condition": _NewTool()})
    spec = action_spec("logic.condition")
    assert spec is not None and spec.node_type == "condition" and not spec.from_registry


def test_known_actions_lists_the_table() -> None:
    assert set(SPEC_ACTIONS) <= set(known_actions())


def test_payment_sample_event_is_realistic() -> None:
    event = sample_event("payments.payment_received")
    assert event["customer"] == {
        "name": "Ramesh Kumar",
        "phone": "+919876543210",
        "email": "ramesh@example.com",
    }
    assert event["payment"]["amount"] == 1500 and event["payment"]["method"] == "upi"
    assert event["invoice"]["number"] == "INV-0001"


def test_sample_events_are_copies() -> None:
    first = sample_event("inventory.stock_low")
    first["product"]["name"] = "changed"
    assert sample_event("inventory.stock_low")["product"]["name"] == "cement"
    assert sample_event("no.such") == {}


@pytest.mark.parametrize("trigger", sorted(SPEC_TRIGGERS))
def test_every_trigger_has_a_sample_and_a_summary(trigger: str) -> None:
    spec = trigger_spec(trigger)
    assert spec is not None and spec.summary and spec.sample_event()


@pytest.mark.parametrize(
    "trigger, path, ok",
    [
        ("payments.payment_received", "payment.amount", True),
        ("payments.payment_received", "payment.amout", False),
        ("payments.payment_received", "customer.phone", True),
        ("payments.payment_received", "customer.address", False),
        ("payments.payment_received", "invoice.due_date", True),  # an invoice has more fields ("...")
        ("payments.payment_received", "product.name", False),
        ("razorpay.payment_received", "razorpay.acquirer_data.rrn", True),
        ("invoices.invoice_created", "invoice.items.0.product", True),
        ("invoices.invoice_overdue", "days_overdue", True),
        ("inventory.stock_low", "product.low_stock_threshold", True),
        ("inventory.stock_low", "customer.phone", False),
        ("schedule.cron", "fired_at", True),
        ("schedule.cron", "payment.amount", False),
        ("webhook.received", "anything.at.all", True),
        ("webhook.received", "headers.X-Signature", True),
    ],
)
def test_event_data_fields(trigger: str, path: str, ok: bool) -> None:
    spec = trigger_spec(trigger)
    assert spec is not None and spec.has_field(path) is ok


def test_business_fields() -> None:
    assert catalogue.BUSINESS_FIELDS == ("name", "phone")
    assert set(catalogue.sample_business()) == {"name", "phone"}
