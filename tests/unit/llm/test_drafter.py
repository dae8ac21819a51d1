"""`draft_flow`: a flow drafted by the model in a catalogue-constrained schema, validated like any other,
the offline parser when the model fails or drafts something Munshi cannot run; and the same through chat."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from bot.runtime import Runtime, set_runtime
from flows.catalogue import ACTIONS, TRIGGERS
from flows.phrases import draft_from_text
from intents.llm import draft_flow
from intents.llm.drafter import ACTION_NAMES, TRIGGER_NAMES
from tests.openai_stub import OpenAIStub, Reply, completion, error
from tests.unit.builder.conftest import Agent
from tests.unit.llm.answers import plan, reading, step

# The parser drafts only the sheet row of this one.
WORDS = "as soon as money lands from a buyer, drop me a line on WhatsApp and jot it in the Payments sheet"
PARSED = "When someone pays me more than 5000, WhatsApp me"


PAYMENT_PLAN = plan(
    step("whatsapp_1", "whatsapp.send_message", to="owner",
         message="₹{{trigger_data.payment.amount}} received from {{trigger_data.customer.name}}"),
    step("sheet_1", "google_sheets.append_row", spreadsheet="Payments",
         values=["{{trigger_data.customer.name}}", "{{trigger_data.payment.amount}}"]),
)


def test_the_model_drafts_in_the_catalogues_terms(stub: OpenAIStub, llm_config: Config) -> None:
    stub.add(Reply(completion(PAYMENT_PLAN)))
    draft = draft_flow(WORDS, llm_config)
    bp = draft.blueprint
    assert [n.key for n in bp.nodes] == ["payments.payment_received", "whatsapp.send_message",
                                         "google_sheets.append_row"]
    assert [(e.source, e.target) for e in bp.edges] == [("trigger_1", "whatsapp_1"), ("whatsapp_1", "sheet_1")]
    assert bp.node("whatsapp_1").params == {  # type: ignore[union-attr]
        "to": "owner", "message": "₹{{trigger_data.payment.amount}} received from {{trigger_data.customer.name}}"}
    assert bp.node("sheet_1").params["values"][1] == "{{trigger_data.payment.amount}}"  # type: ignore[union-attr]
    assert bp.node("sheet_1").data.error_handling.retry_count == 3  # type: ignore[union-attr]  # like the parser's
    assert draft.name == "Payment: tell me and log it" and draft.ready

    [request] = stub.requests
    fmt = request["json"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["properties"]["trigger"]["enum"] == list(TRIGGERS) == list(TRIGGER_NAMES)
    step_schema = schema["$defs"]["PlanStep"]
    assert step_schema["properties"]["action"]["enum"] == list(ACTION_NAMES)
    assert set(ACTION_NAMES) == set(ACTIONS) - {"logic.condition", "control.for_each"}
    assert step_schema["additionalProperties"] is False
    system, user = request["json"]["messages"]
    assert user == {"role": "user", "content": WORDS}
    assert "- whatsapp.send_message: Send a WhatsApp message; params: to*, message*" in system["content"]
    assert "trigger_data.payment.amount" in system["content"]


def test_a_condition_and_both_branches(stub: OpenAIStub, llm_config: Config) -> None:
    stub.add(Reply(completion(plan(
        step("thank", "whatsapp.send_message", to="{{trigger_data.customer.phone}}", message="Thank you!"),
        condition="trigger_data.payment.amount > 25000",
        otherwise=[step("note", "whatsapp.send_message", to="owner", message="A small payment came in")]))))
    bp = draft_flow("big payers get a thank-you, tell me about the small ones", llm_config).blueprint
    assert [(e.source, e.target, e.branch) for e in bp.edges] == [
        ("trigger_1", "condition_1", None), ("condition_1", "thank", "true"), ("condition_1", "note", "false")]
    assert bp.node("condition_1").params == {"expression": "trigger_data.payment.amount > 25000"}  # type: ignore


def test_schedules_and_json_params(stub: OpenAIStub, llm_config: Config) -> None:
    stub.add(Reply(completion(plan(
        step("sales_1", "reports.sales_summary", period="today"),
        step("post", "http.request", method="POST", url="https://example.com/hook",
             headers='{"X-Shop": "Sharma"}', json='{"sales": "{{sales_1.total}}"}'),
        trigger="schedule.cron", cron="0 21 * * *", timezone="Asia/Kolkata"))))
    bp = draft_flow("at nine every night post my sales to my web hook", llm_config).blueprint
    assert bp.trigger.params == {"cron": "0 21 * * *", "timezone": "Asia/Kolkata"}  # type: ignore[union-attr]
    assert bp.node("post").params["headers"] == {"X-Shop": "Sharma"}  # type: ignore[union-attr]
    assert bp.node("post").params["json"] == {"sales": "{{sales_1.total}}"}  # type: ignore[union-attr]


def _bad_step(**change: Any) -> dict[str, Any]:
    bad = plan(step("whatsapp_1", "whatsapp.send_message", to="owner", message="Paid!"))
    bad["steps"][0].update(change)
    return bad


@pytest.mark.parametrize(("reply", "reason"), [
    (Reply(completion(_bad_step(action="telegram.send_message"))), "does not fit Plan"),
    (Reply(completion({**PAYMENT_PLAN, "trigger": "shopify.order_created"})), "does not fit Plan"),
    (Reply(completion(plan(step("tell", "whatsapp.send_message", to="someone", message="Paid!")))),
     "'someone' is not a phone number"),
    (Reply(completion(plan(step("tell", "whatsapp.send_message", to="owner", message="{{invoice.total}}")))),
     "invoice.total"),
    (Reply(completion(_bad_step(id=""))), "not a blueprint"),
    (Reply(completion(plan(otherwise=[step("x", "reports.unpaid_invoices")]))), "without a condition"),
    (Reply(completion(refusal="I can't help with that.")), "the model refused"),
    (Reply(error("overloaded"), 503), "HTTP 503"),
    (Reply(completion("{\"name\": ")), "does not fit Plan"),
])
def test_a_draft_munshi_cannot_run_falls_back_to_the_parser(stub: OpenAIStub, llm_config: Config,
                                                            caplog: pytest.LogCaptureFixture, reply: Reply,
                                                            reason: str) -> None:
    stub.add(reply, reply)  # the same again for the retry of a 5xx
    with caplog.at_level(logging.WARNING, logger="intents.llm"):
        draft = draft_flow(PARSED, llm_config)
    assert draft.blueprint == draft_from_text(PARSED).blueprint
    assert reason in caplog.text and "drafting offline" in caplog.text


def test_a_timeout_falls_back_to_the_parser(stub: OpenAIStub, llm_config: Config) -> None:
    stub.add(Reply(completion(PAYMENT_PLAN), delay=3), Reply(completion(PAYMENT_PLAN), delay=3))
    assert draft_flow(PARSED, llm_config).blueprint == draft_from_text(PARSED).blueprint
    assert len(stub.requests) == 2


def test_without_a_key_the_parser_drafts(stub: OpenAIStub, tmp_path: Path) -> None:
    offline = Config.from_env({"MUNSHI_HOME": str(tmp_path), "OPENAI_BASE_URL": stub.base_url})
    assert draft_flow(PARSED, offline).blueprint == draft_from_text(PARSED).blueprint
    assert stub.requests == []


# ------------------------------------------------------------------ through chat


@pytest.fixture
def agent(make_config: Any, stub: OpenAIStub, tmp_path: Path) -> Iterator[Agent]:
    """The agent graph on a runtime whose config points at the stub (`tests.unit.builder`'s `Agent`)."""
    rt = Runtime(make_config(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=stub.base_url))
    rt.db.migrate()
    set_runtime(rt)
    a = Agent(rt, tmp_path / "checkpoints.sqlite")
    yield a
    a.close()
    set_runtime(None)
    rt.db.dispose()


def test_chat_drafts_with_the_model_and_switches_it_on_after_yes(agent: Agent, stub: OpenAIStub) -> None:
    stub.add(Reply(completion(reading("build_flow"))), Reply(completion(PAYMENT_PLAN)))
    reply = agent.say(WORDS)
    assert "When a payment is received" in reply and "Reply YES" in reply
    assert [r["json"]["response_format"]["json_schema"]["name"] for r in stub.requests] == ["Reading", "Plan"]
    assert agent.say("yes").startswith("✅")
    [flow] = agent.active()
    assert agent.shape(flow)[:2] == ("payments.payment_received", ["whatsapp.send_message",
                                                                   "google_sheets.append_row"])
    assert len(stub.requests) == 2  # "yes" was read offline
