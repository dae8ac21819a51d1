"""`intents.builder` and the routing of automation sentences, without the graph."""
from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from flows import store
from flows.phrases import draft_from_text
from flows.schema import Blueprint
from intents.builder import (
    YES_PROMPT,
    _fit_sample,
    draft_reply,
    draft_warnings,
    dry_run,
    fill_known_numbers,
    find_flows,
    is_test_request,
    period_since,
)
from intents.handlers.flows import flow_ref, route
from intents.understand import understand
from storage.models import Business, Credential, Event, Message
from tests.unit.builder.conftest import Agent


@pytest.mark.parametrize("text", ["test it", "try it", "Try it out", "test it first", "do a test run",
                                  "dry run", "can you test it", "ok test it please", "what would it send?",
                                  "show me what it would do", "simulate it", "give it a try"])
def test_test_requests(text: str) -> None:
    assert is_test_request(text)


@pytest.mark.parametrize("text", ["test my patience", "try 5 bags cement", "yes", "tried calling Rekha",
                                  "what would Rekha pay?"])
def test_not_test_requests(text: str) -> None:
    assert not is_test_request(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("show my payment automation", "flow_show"),
    ("show automation 2", "flow_show"),
    ("show my automations", "list_flows"),
    ("how did my payment automation do this week?", "flow_stats"),
    ("any automation failed?", "flow_stats"),
    ("rename my payment automation to Thanks", "flow_rename"),
    ("rename automation 2 to Daily sales", "flow_rename"),
    ("change my payment automation to also email me at a@b.co", "flow_edit"),
    ("edit the payment flow: skip the email", "flow_edit"),
    ("in my payment automation, skip the email", "flow_edit"),
    ("test my payment automation", "flow_test"),
    ("try it", "flow_test"),
    ("pause the daily one", "pause_flow"),
    ("delete the payment one", "delete_flow"),
    ("turn the stock alert back on", "resume_flow"),
    ("turn off that automation", "pause_flow"),
    ("invoice Mahesh 3 bags cement at 340", "create_invoice"),
    ("Rekha paid 900", "record_payment"),
])
def test_route(text: str, expected: str) -> None:
    u = understand(text)
    assert route(u, u.intent) == expected


@pytest.mark.parametrize(("text", "ref"), [
    ("delete automation 1", "1"), ("pause flow number 2", "2"), ("turn on automation #3", "3"),
    ("pause the daily one", "daily"), ("pause the payment automation", "payment"), ("pause it", "that"),
])
def test_flow_ref(text: str, ref: str) -> None:
    assert flow_ref(understand(text)) == ref


def _save(agent: Agent, text: str, name: str | None = None, status: str = "active") -> str:
    draft = draft_from_text(text)
    with agent.rt.db.session() as s:
        flow = store.create_flow(s, agent.business_id, name or draft.name, draft.blueprint,
                                 activate=status == "active")
        if status == "paused":
            store.pause(s, agent.business_id, flow.id)
        return flow.id


def test_find_flows(agent: Agent) -> None:
    pay = _save(agent, "When someone pays me, WhatsApp them thanks", "Payment thanks")
    sales = _save(agent, "Every day at 8pm send me today's sales")
    stock = _save(agent, "When stock is low, WhatsApp me", status="paused")
    with agent.rt.db.session() as s:
        def one(ref: str | None, **kw: Any) -> str | None:
            found = find_flows(s, agent.business_id, ref, **kw)
            return found.flow.id if found.flow else None

        assert one("payment thanks") == pay
        assert one("payment") == pay
        assert one("daily sales report") == sales
        assert one("sales") == sales
        assert one("low stock alert") == stock
        assert one("2") == sales and one("second") == sales and one("3rd") == stock
        assert one("9") is None
        assert one("that", last_flow_id=pay) == pay
        assert one("that", prefer="paused") == stock
        assert one("holiday greetings") is None
        assert len(find_flows(s, agent.business_id, "all").choices) == 3


def test_draft_reply_parts() -> None:
    draft = draft_from_text("When someone pays me, WhatsApp them thanks")
    text = draft_reply(draft, ["Google is not connected."])
    assert text.index("When a payment is received") < text.index("Heads-up") < text.index(YES_PROMPT)
    missing = draft_from_text("when someone pays, email me")
    assert YES_PROMPT not in draft_reply(missing, [])
    assert "your email address" in draft_reply(missing, [])


def test_warnings_follow_connections(agent: Agent) -> None:
    bp = draft_from_text("When someone pays me, log it in my sheet and email me at a@b.co").blueprint
    config = SimpleNamespace(whatsapp_transport="outbox")
    with agent.rt.db.session() as s:
        text = " ".join(draft_warnings(s, agent.business_id, config, bp))
        assert "connect google --business +919800000001" in text and "connect smtp" in text
        s.add(Credential(business_id=agent.business_id, service="google", secret=b"x", public={}))
        s.flush()
        text = " ".join(draft_warnings(s, agent.business_id, SimpleNamespace(smtp_url="smtp://x"), bp))
        assert text == ""


def test_warnings_about_customers_and_the_24_hour_rule(agent: Agent) -> None:
    agent.add_customer("Mahesh")
    agent.add_customer("Rekha", "+919900112233")
    bp = draft_from_text("When someone pays me, WhatsApp them thanks").blueprint
    with agent.rt.db.session() as s:
        text = " ".join(draft_warnings(s, agent.business_id, SimpleNamespace(whatsapp_transport="twilio"), bp))
    assert "1 of your customers (Mahesh) has no WhatsApp number" in text
    assert "24 hours" in text


def test_fit_sample_passes_simple_checks() -> None:
    event = {"payment": {"amount": 1500}, "customer": {"name": "Ramesh"}}
    _fit_sample(event, 'trigger_data.payment.amount > 25000 and "ramesh" in lower(trigger_data.customer.name)')
    assert event["payment"]["amount"] == 30000
    _fit_sample(event, "trigger_data.payment.amount < 500")
    assert event["payment"]["amount"] == 250


def test_period_since() -> None:
    now = datetime(2024, 6, 12, 12, 0, tzinfo=UTC)
    assert period_since("this week", now)[1] == "in the last 7 days"
    assert period_since("this month", now)[1] == "in the last 30 days"
    start, words = period_since("how did it do today", now)
    assert words == "today" and start == datetime(2024, 6, 11, 18, 30, tzinfo=UTC)


def test_dry_run_of_a_loop_over_a_webhook_body(agent: Agent) -> None:
    bp = Blueprint.from_dict({
        "nodes": [
            {"id": "trigger_1", "type": "trigger", "data": {"service": "webhook", "task": "received"}},
            {"id": "each", "type": "loop", "data": {"service": "control", "task": "for_each",
                                                    "params": {"items": "{{trigger_data.customers}}"}}},
            {"id": "hello", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
                "to": "{{each.item.phone}}", "message": "Hi {{each.item.name}}"}}},
            {"id": "done", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
                "to": "owner", "message": "Greeted {{each.count}}"}}}],
        "edges": [{"id": "e1", "source": "trigger_1", "target": "each"},
                  {"id": "e2", "source": "each", "target": "hello", "branch": "each"},
                  {"id": "e3", "source": "each", "target": "done", "branch": "done"}]})
    with agent.rt.db.session() as s:
        flow = store.create_flow(s, agent.business_id, "Greeter", bp, activate=True)
        s.add(Event(business_id=agent.business_id, type="webhook.received", key=f"flow:{flow.id}:d1",
                    payload={"customers": [{"name": "Asha", "phone": "+919811111111"},
                                           {"name": "Babu", "phone": "+919822222222"}]}, dispatched=True))
        s.flush()
        text = dry_run(s, agent.business_id, agent.rt.config, bp, flow_id=flow.id, runtime=agent.rt)
    assert "Repeat for each of 2 item(s)" in text
    assert "   1. WhatsApp to +919811111111:\n      “Hi Asha”" in text and "your last call to its webhook" in text
    assert "“Greeted 2”" in text
    with agent.rt.db.session() as s:
        assert s.query(Message).count() == 0


def test_saved_numbers_of_customers_named_are_filled_in(agent: Agent) -> None:
    agent.add_customer("Ramesh Kumar", "+919876543210")
    agent.add_customer("Suresh Patel", "+919811111111")
    agent.add_customer("Suresh Babu", "+919822222222")
    agent.add_customer("Geeta")  # no number: left for the owner to give
    with agent.rt.db.session() as s:
        def fill(text: str) -> str:
            return fill_known_numbers(s, agent.business_id, text)[0]

        assert fill("every Monday WhatsApp Ramesh the unpaid invoices") == \
            "every Monday WhatsApp Ramesh at +919876543210 the unpaid invoices"
        assert fill("tell ramesh kumar") == "tell ramesh kumar at +919876543210"
        assert fill("message Suresh") == "message Suresh"  # two customers are called Suresh
        assert fill("message Suresh Babu") == "message Suresh Babu at +919822222222"
        assert fill("WhatsApp Geeta") == "WhatsApp Geeta"
        assert fill("WhatsApp Ramesh at 99887 76655") == "WhatsApp Ramesh at 99887 76655"
        assert fill("when Ramesh pays, WhatsApp me") == "when Ramesh pays, WhatsApp me"
        _, notes = fill_known_numbers(s, agent.business_id, "remind Ramesh")
        assert notes == ["I used Ramesh Kumar's number from your customers (+919876543210)."]


def test_a_blank_shop_name_is_flagged(agent: Agent) -> None:
    bp = draft_from_text("When an invoice is created, WhatsApp the customer the invoice PDF").blueprint
    config = SimpleNamespace(whatsapp_transport="outbox")
    with agent.rt.db.session() as s:
        assert "shop's name" not in " ".join(draft_warnings(s, agent.business_id, config, bp))
        biz = s.get(Business, agent.business_id)
        biz.name = None
        s.flush()
        assert "my shop name is" in " ".join(draft_warnings(s, agent.business_id, config, bp))
