"""Building an automation in conversation, through the real pipeline (`bot.console.Console`).

Each line goes the way a WhatsApp message goes: stored, enqueued on RQ, taken
by a worker, understood by the agent (checkpointed in the database), replied
to, and followed by dispatch, so an event a message causes starts the flows
it matches and their steps run before the next line. The outbox holds every
outbound message: replies to the owner and whatever a flow sent to others.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.console import Console
from bot.runtime import set_runtime
from storage.export import export_all
from storage.models import Run

pytestmark = pytest.mark.integration

OWNER = "+919800000001"
REKHA = "+919900112233"


@pytest.fixture
def console(config: Config) -> Iterator[Console]:
    con = Console(config, OWNER)
    yield con
    con.rt.db.dispose()
    set_runtime(None)


class Owner:
    """Types into the console; keeps the replies and what went to anyone else."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.others: list[dict] = []

    def say(self, text: str) -> str:
        out = self.console.feed(text) or []
        replies = [m["body"] for m in out if m["to"] == OWNER]
        self.others += [m for m in out if m["to"] != OWNER]
        assert replies, f"no reply to {text!r}"
        return "\n".join(replies)

    def flows(self) -> list[dict]:
        with self.console.rt.db.session() as s:
            (biz,) = export_all(s, OWNER)["businesses"]
        return biz["flows"]


def test_draft_two_edits_dry_run_yes_then_a_payment_messages_the_customer(console: Console) -> None:
    owner = Owner(console)
    owner.say("Add customer Rekha with phone 9900112233")

    reply = owner.say("Whenever someone pays me, WhatsApp them a thank you note")
    assert "When a payment is received:" in reply and "1. WhatsApp the customer" in reply
    assert "Reply YES to switch it on, or tell me what to change." in reply

    reply = owner.say("also log it in my sheet 'Payments'")
    assert reply.startswith("✏️ Added: Add a row to Google Sheet 'Payments'")
    assert "python -m bot connect google --business +919800000001 --service-account-file key.json" in reply

    reply = owner.say("make the message say "
                      "'Thanks {{trigger_data.customer.name}}, we got ₹{{trigger_data.payment.amount}} 🙏'")
    assert 'now says "Thanks {customer name}, we got ₹{amount} 🙏"' in reply

    reply = owner.say("test it")
    assert "Test run" in reply and "WhatsApp to Rekha (+919900112233)" in reply
    assert "“Thanks Rekha, we got ₹1,500 🙏”" in reply
    assert "Nothing was sent or saved" in reply
    assert owner.others == []  # the dry run sent nothing: only replies to the owner so far
    assert owner.flows() == []  # and nothing is switched on before YES

    reply = owner.say("yes")
    assert "is on" in reply
    (flow,) = owner.flows()
    assert flow["status"] == "active" and flow["version"] == 1
    assert [n["data"]["task"] for n in flow["blueprint"]["nodes"]] == ["payment_received", "send_message",
                                                                       "append_row"]

    owner.say("Rekha paid 900")
    assert [(m["to"], m["body"]) for m in owner.others] == [(REKHA, "Thanks Rekha, we got ₹900 🙏")]
    with console.rt.db.session() as s:
        (run,) = s.scalars(select(Run)).all()
        assert run.status == "succeeded"

    reply = owner.say("how did my payment automation do this week?")
    assert "1 run" in reply and "1 succeeded" in reply


def test_unrelated_command_meanwhile_then_yes_then_the_flow_runs_then_turn_it_off(console: Console) -> None:
    owner = Owner(console)
    owner.say("add 12 bags cement")
    owner.say("warn me when cement is below 5")
    owner.say("When stock of any product is low, message me on WhatsApp")
    reply = owner.say("add 3 bags cement")
    assert "15" in reply and "still waiting" in reply
    reply = owner.say("how much cement do I have?")
    assert "still waiting" not in reply
    assert owner.flows() == []
    owner.say("ok")
    assert [f["status"] for f in owner.flows()] == ["active"]
    reply = owner.say("11 bags cement sold, remove them")  # 4 left: under 5, the flow runs
    assert "Low stock: cement is down to 4" in reply
    assert owner.others == []
    assert "Paused" in owner.say("turn off that automation")
    assert [f["status"] for f in owner.flows()] == ["paused"]


def test_the_draft_waits_across_a_restart(config: Config) -> None:
    first = Console(config, OWNER)
    Owner(first).say("If a payment is more than 20000, email me at boss@example.com")
    first.rt.db.dispose()
    set_runtime(None)
    second = Console(config, OWNER)
    try:
        owner = Owner(second)
        assert "₹50,000" in owner.say("change the amount to 50000")
        owner.say("yes")
        (flow,) = owner.flows()
        assert flow["status"] == "active"
        condition = next(n for n in flow["blueprint"]["nodes"] if n["type"] == "condition")
        assert "50000" in condition["data"]["params"]["expression"]
    finally:
        second.rt.db.dispose()
        set_runtime(None)
