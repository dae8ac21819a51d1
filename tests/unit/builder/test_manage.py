"""Managing automations by chat: list, show, pause / resume, delete, rename, runs, RETRY, edit a live flow."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows.phrases import Draft, draft_from_text
from intents.handlers.flows import confirm_flow_draft
from intents.handlers.types import Turn
from storage.models import FlowVersion, Run, utcnow
from tests.unit.builder.conftest import Agent

THANKS = "Whenever someone pays me, WhatsApp them a thank you note"
SALES = "Every day at 8pm send me today's sales"


def _two(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    agent.say(SALES)
    agent.say("yes")


def test_nothing_to_manage_yet(agent: Agent) -> None:
    assert "no automations yet" in agent.say("show my automations")
    assert "no automations yet" in agent.say("turn off that automation")


def test_list_and_show_one(agent: Agent) -> None:
    _two(agent)
    reply = agent.say("show my automations")
    assert "1. ✅ Payment: WhatsApp customer — on, no runs" in reply
    assert "2. ✅ Every day at 8:00 pm" in reply
    reply = agent.say("show my payment automation")
    assert "When a payment is received:" in reply and "Status: on · version 1" in reply
    reply = agent.say("show automation 2")
    assert "Every day at 8:00 pm:" in reply


def test_turn_off_that_automation_pauses_the_one_just_switched_on(agent: Agent) -> None:
    _two(agent)
    reply = agent.say("turn off that automation")
    assert "Paused “Every day at 8:00 pm" in reply
    statuses = {f.trigger: f.status for f in agent.flows()}
    assert statuses == {"payments.payment_received": "active", "schedule.cron": "paused"}


def test_pause_by_name_number_and_all(agent: Agent) -> None:
    _two(agent)
    assert "Paused “Payment" in agent.say("pause the payment automation")
    assert "already paused" in agent.say("pause automation 1")
    assert "Paused 1 automation" in agent.say("turn off all automations")
    assert agent.active() == []


@pytest.mark.parametrize(("words", "paused"), [
    ("switch off the payment automation", "payments.payment_received"),
    ("disable automation 2", "schedule.cron"),
    ("payment wala automation band karo", "payments.payment_received"),
    ("stop the daily sales automation", "schedule.cron"),
    ("put the sales automation on hold", "schedule.cron"),
    ("turn off the sales flow", "schedule.cron"),
    ("pause my 8pm automation", "schedule.cron"),
    ("stop sending the thank you messages", "payments.payment_received"),
    ("turn off automation number 1", "payments.payment_received"),
])
def test_pause_in_other_words(agent: Agent, words: str, paused: str) -> None:
    _two(agent)
    reply = agent.say(words)
    assert "Paused" in reply, reply
    assert [f.trigger for f in agent.flows() if f.status == "paused"] == [paused]


def test_resume_is_confirmed_first(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    agent.say("turn it off")
    reply = agent.say("turn it back on")
    assert "Reply YES to switch it on" in reply and agent.active() == []
    assert "on again" in agent.say("yes")
    assert len(agent.active()) == 1


def test_resume_declined_stays_off(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    agent.say("pause it")
    agent.say("resume the payment automation")
    agent.say("no")
    assert agent.active() == []


def test_delete_is_confirmed(agent: Agent) -> None:
    _two(agent)
    reply = agent.say("delete the payment automation")
    assert "Reply YES to delete" in reply
    assert "kept" in agent.say("no")
    assert len(agent.flows()) == 2
    agent.say("delete automation 1")
    assert "Deleted" in agent.say("yes")
    assert [f.trigger for f in agent.flows()] == ["schedule.cron"]


def test_ambiguous_reference_asks_which(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    agent.say("If someone pays more than 25000, WhatsApp me")
    agent.say("yes")
    reply = agent.say("pause the payment automation")
    assert "Which automation?" in reply
    agent.say("2")
    statuses = [f.status for f in agent.flows()]
    assert statuses == ["active", "paused"]


def test_rename(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    reply = agent.say("rename my payment automation to Thank-you note")
    assert "Renamed" in reply
    (flow,) = agent.flows()
    assert flow.name == "Thank-you note" and flow.version == 1


def test_edit_an_active_flow_makes_a_new_version_only_on_yes(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    reply = agent.say("change my payment automation to also email me at me@example.com")
    assert "Added: Email me@example.com" in reply and "version 1" in reply
    assert "Reply YES to save this as the new version" in reply
    (flow,) = agent.flows()
    assert flow.version == 1 and len(agent.shape(flow)[1]) == 1
    agent.say("no")
    assert agent.flows()[0].version == 1
    agent.say("edit the payment flow: also email me at me@example.com")
    reply = agent.say("yes")
    assert "version 2" in reply
    (flow,) = agent.flows()
    assert flow.version == 2 and flow.status == "active"
    assert agent.shape(flow)[1] == ["whatsapp.send_message", "email.send"]
    with agent.rt.db.session() as s:
        assert sorted(v.version for v in s.scalars(select(FlowVersion))) == [1, 2]


def test_also_right_after_switching_on_changes_that_flow(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    reply = agent.say("also email me at me@example.com")
    assert "Reply YES to save this as the new version" in reply
    agent.say("yes")
    assert agent.flows()[0].version == 2


def test_test_a_saved_flow(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    reply = agent.say("test my payment automation")
    assert "Test run" in reply and "Nothing was sent" in reply
    assert agent.sent_to_others() == []


def _run(agent: Agent, status: str, error: str | None = None, days_ago: float = 0) -> str:
    flow = agent.flows()[0]
    when = utcnow() - timedelta(days=days_ago)
    with agent.rt.db.session() as s:
        run = Run(flow_id=flow.id, business_id=agent.business_id, flow_version=flow.version,
                  event_key=f"e-{status}-{days_ago}-{error}", status=status, error=error, created_at=when,
                  finished_at=when, trigger_data={})
        s.add(run)
        s.flush()
        return run.id


def test_how_did_my_automation_do(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    _run(agent, "succeeded")
    _run(agent, "succeeded", days_ago=2)
    _run(agent, "failed", "Email is not connected", days_ago=1)
    _run(agent, "failed", "too old", days_ago=20)
    reply = agent.say("how did my payment automation do this week?")
    assert "3 runs, 1 failed in the last 7 days; 2 succeeded" in reply
    assert "Email is not connected" in reply and "too old" not in reply
    assert "RETRY" in reply
    assert "4 runs" in agent.say("how did my automations do this month?")


def test_retry_puts_the_failed_run_back(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    assert "no failed flow" in agent.say("retry")
    run_id = _run(agent, "failed", "WhatsApp was down")
    reply = agent.say("RETRY")
    assert "Trying" in reply
    with agent.rt.db.session() as s:
        assert s.get(Run, run_id).status == "queued"


def test_yes_validates_before_switching_on(agent: Agent) -> None:
    draft = draft_from_text(THANKS)
    data = draft.to_dict()
    node = next(n for n in data["blueprint"]["nodes"] if n["type"] == "action")
    node["data"]["params"]["message"] = "Hi {{trigger_data.customer.nickname}}"
    bad = Draft.from_dict(data)
    with agent.rt.db.session() as s:
        turn = Turn(session=s, business_id=agent.business_id, runtime=agent.rt)
        out = confirm_flow_draft(turn, {"kind": "flow_draft", "draft": bad.to_dict()})
    assert "can't switch it on" in out.replies[0] and "nickname" in out.replies[0]
    assert out.confirm is not None  # still waiting for a change
    assert agent.flows() == []
