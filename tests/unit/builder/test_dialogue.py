"""The conversation around a flow draft: YES / NO, edits, tests, restarts, and other messages in between."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Event, FlowVersion, Invoice, Message, Product, Run
from tests.unit.builder.conftest import Agent

PROMPT = "Reply YES to switch it on, or tell me what to change."
THANKS = "Whenever someone pays me, WhatsApp them a thank you note"


def test_a_description_is_summarised_and_waits_for_yes(agent: Agent) -> None:
    reply = agent.say(THANKS)
    assert "When a payment is received:" in reply
    assert "1. WhatsApp the customer:" in reply
    assert PROMPT in reply
    assert agent.flows() == []  # nothing is stored before YES
    assert agent.waiting is not None and agent.waiting["kind"] == "flow_draft"

    reply = agent.say("yes")
    assert "is on" in reply
    (flow,) = agent.active()
    assert agent.shape(flow)[:2] == ("payments.payment_received", ["whatsapp.send_message"])
    assert flow.version == 1
    assert agent.waiting is None


@pytest.mark.parametrize("word", ["yes", "ok", "confirm", "haan", "👍", "Yes.", "YES please", "haan ji",
                                  "switch it on"])
def test_every_way_of_saying_yes_switches_it_on(agent: Agent, word: str) -> None:
    agent.say(THANKS)
    agent.say(word)
    assert len(agent.active()) == 1, agent.transcript


@pytest.mark.parametrize("word", ["no", "cancel", "nahi", "drop it", "never mind", "forget it"])
def test_no_discards_the_draft(agent: Agent, word: str) -> None:
    agent.say(THANKS)
    reply = agent.say(word)
    assert "dropped" in reply.lower()
    assert agent.flows() == [] and agent.waiting is None


def test_two_edits_each_say_what_changed_then_yes(agent: Agent) -> None:
    agent.say(THANKS)
    reply = agent.say("also email me at me@example.com")
    assert reply.startswith("✏️ Added: Email me@example.com")
    assert "2. Email me@example.com" in reply and PROMPT in reply
    reply = agent.say("make the message say 'Thanks a lot, see you soon!'")
    assert "now says \"Thanks a lot, see you soon!\"" in reply
    assert '1. WhatsApp the customer: "Thanks a lot, see you soon!"' in reply
    assert agent.flows() == []
    agent.say("yes")
    (flow,) = agent.active()
    _, actions, _ = agent.shape(flow)
    assert actions == ["whatsapp.send_message", "email.send"]
    message = next(n for n in flow.blueprint["nodes"] if n["data"]["task"] == "send_message")
    assert message["data"]["params"]["message"] == "Thanks a lot, see you soon!"


def test_removing_a_step_and_changing_the_amount(agent: Agent) -> None:
    agent.say("If someone pays more than 25000, WhatsApp me and email me at boss@example.com")
    assert "Removed" in agent.say("skip the email")
    reply = agent.say("change the amount to 50000")
    assert "₹50,000" in reply
    agent.say("ok")
    (flow,) = agent.active()
    _, actions, kinds = agent.shape(flow)
    assert actions == ["whatsapp.send_message"] and "condition" in kinds
    condition = next(n for n in flow.blueprint["nodes"] if n["type"] == "condition")
    assert "50000" in condition["data"]["params"]["expression"]


def test_changing_the_delay(agent: Agent) -> None:
    agent.say("When someone pays me, wait 2 hours and then WhatsApp them thanks")
    assert "3 days" in agent.say("wait 3 days instead")
    agent.say("yes")
    wait = next(n for n in agent.active()[0].blueprint["nodes"] if n["data"]["service"] == "delay")
    assert wait["data"]["params"]["duration"] == "3d"


def test_rename_while_drafting(agent: Agent) -> None:
    agent.say(THANKS)
    reply = agent.say("call it Payment thanks")
    assert "Renamed it to 'Payment thanks'" in reply and reply.count("Payment thanks") >= 2
    agent.say("yes")
    assert agent.active()[0].name == "Payment thanks"


def test_the_draft_survives_restarts(agent: Agent) -> None:
    agent.say(THANKS)
    agent.restart()
    assert "Added" in agent.say("also email me at me@example.com")
    agent.restart()
    agent.say("haan")
    (flow,) = agent.active()
    assert agent.shape(flow)[1] == ["whatsapp.send_message", "email.send"]


def test_an_unrelated_command_leaves_the_draft_waiting_and_is_mentioned_once(agent: Agent) -> None:
    agent.say(THANKS)
    reply = agent.say("add 25 bags cement")
    assert "25" in reply and "still waiting" in reply
    assert agent.waiting is not None and agent.waiting["kind"] == "flow_draft"
    reply = agent.say("add 5 bags cement")
    assert "30" in reply and "still waiting" not in reply
    with agent.rt.db.session() as s:
        assert s.scalar(select(Product.stock)) == 30
    assert agent.flows() == []
    agent.say("yes")
    assert len(agent.active()) == 1


def test_a_question_asked_meanwhile_is_answered_then_the_draft_comes_back(agent: Agent) -> None:
    agent.say(THANKS)
    assert "bill" in agent.say("invoice Mahesh").lower()
    reply = agent.say("3 bags cement at 340")
    assert "1,020" in reply and "still waiting" in reply
    agent.say("yes")
    assert len(agent.active()) == 1
    with agent.rt.db.session() as s:
        assert len(list(s.scalars(select(Invoice)))) == 1


def test_a_business_confirmation_meanwhile_keeps_its_own_yes(agent: Agent) -> None:
    agent.add_customer("Rekha", "+919900112233")
    agent.say("invoice Rekha 2 bags cement at 300")
    agent.say(THANKS)
    reply = agent.say("send the invoice to Rekha")
    assert "Reply *YES* to send" in reply
    assert agent.waiting is not None and agent.waiting["kind"] == "send_invoice"
    reply = agent.say("yes")
    assert "Sent invoice" in reply and agent.flows() == []
    assert [m.peer for m in agent.sent_to_others()] == ["+919900112233"]
    assert agent.waiting is not None and agent.waiting["kind"] == "flow_draft"
    agent.say("yes")
    assert len(agent.active()) == 1


def test_send_it_after_an_invoice_is_about_the_invoice_not_the_draft(agent: Agent) -> None:
    agent.add_customer("Rekha", "+919900112233")
    agent.say(THANKS)
    agent.say("invoice Rekha 2 bags cement at 300")
    reply = agent.say("send it")
    assert "Reply *YES* to send" in reply
    assert agent.flows() == []


def test_a_new_description_replaces_the_waiting_draft(agent: Agent) -> None:
    agent.say(THANKS)
    reply = agent.say("Every day at 8pm send me today's sales")
    assert "dropped the earlier draft" in reply and "Every day at 8:00 pm" in reply
    agent.say("yes")
    (flow,) = agent.flows()
    assert flow.trigger == "schedule.cron"


def test_managing_other_automations_while_drafting(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("yes")
    agent.say("When stock is low, WhatsApp me")
    reply = agent.say("show my automations")
    assert "1." in reply and "still waiting" in reply
    agent.say("yes")
    assert len(agent.active()) == 2


def test_yes_with_something_missing_keeps_waiting(agent: Agent) -> None:
    reply = agent.say("when someone pays, email me")
    assert "email address" in reply and PROMPT not in reply
    reply = agent.say("yes")
    assert "can't switch it on yet" in reply
    assert agent.flows() == [] and agent.waiting is not None
    reply = agent.say("me@example.com")
    assert "Email me@example.com" in reply and PROMPT in reply
    agent.say("yes")
    assert agent.shape(agent.active()[0])[1] == ["email.send"]


def test_an_edit_that_is_not_understood_keeps_the_draft(agent: Agent) -> None:
    agent.say(THANKS)
    reply = agent.say("make it sparkle")
    assert "did not understand that change" in reply
    assert agent.waiting is not None and agent.waiting["kind"] == "flow_draft"


def test_the_reply_says_what_is_not_connected(agent: Agent) -> None:
    agent.add_customer("Mahesh")
    reply = agent.say("When someone pays me, WhatsApp them thanks, log it in my sheet and email me at a@b.co")
    assert "python -m bot connect google --business +919800000001 --service-account-file key.json" in reply
    assert "python -m bot connect smtp --business +919800000001" in reply
    assert "Mahesh" in reply and "no WhatsApp number" in reply
    agent.say("yes")  # not connected is a warning, not a block
    assert len(agent.active()) == 1


def test_a_flow_is_never_active_without_yes(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("also email me at me@example.com")
    agent.say("test it")
    agent.say("call it Thanks")
    agent.say("add 10 bags cement")
    assert agent.flows() == []
    agent.say("no")
    assert agent.flows() == []


# ------------------------------------------------------------------ dry runs


def test_test_it_with_no_event_uses_a_sample_and_sends_nothing(agent: Agent) -> None:
    agent.add_customer("Rekha", "+919900112233")
    agent.say(THANKS)
    reply = agent.say("test it")
    assert "Test run" in reply and "made-up payment of ₹1,500 from Rekha" in reply
    assert "WhatsApp to Rekha (+919900112233)" in reply
    assert "Thank you Rekha! We received your payment of ₹1,500." in reply
    assert "Nothing was sent or saved" in reply
    assert agent.sent_to_others() == [] and agent.flows() == []
    with agent.rt.db.session() as s:
        assert list(s.scalars(select(Run))) == []
    assert agent.waiting is not None and agent.waiting["kind"] == "flow_draft"


def _payment_event(agent: Agent, amount: int, name: str = "Rekha", phone: str | None = "+919900112233") -> None:
    with agent.rt.db.session() as s:
        s.add(Event(business_id=agent.business_id, type="payments.payment_received", key=f"payment-{amount}",
                    payload={"payment": {"amount": amount, "method": "upi", "reference": None},
                             "customer": {"name": name, "phone": phone, "email": None}, "invoice": None},
                    dispatched=True))


def test_try_it_uses_the_last_real_matching_event(agent: Agent) -> None:
    _payment_event(agent, 300)
    _payment_event(agent, 900)
    agent.say("When someone pays me more than 500, WhatsApp them a thank you and add a row to my sheet")
    reply = agent.say("try it")
    assert "your last payment of ₹900 from Rekha" in reply
    assert "Check: the amount is more than ₹500 → yes" in reply
    assert "Thank you Rekha! We received your payment of ₹900." in reply
    assert "Add a row to Google Sheet 'Payments'" in reply and "Rekha | +919900112233 | 900" in reply
    assert agent.sent_to_others() == []


def test_a_check_the_event_does_not_pass_is_shown(agent: Agent) -> None:
    _payment_event(agent, 300)
    agent.say("If a payment is more than 20000, email me at boss@example.com")
    reply = agent.say("do a dry run")
    assert "no ❌" in reply and "nothing would be sent" in reply


def test_a_customer_without_a_phone_is_flagged_in_the_test(agent: Agent) -> None:
    _payment_event(agent, 700, name="Walk-in", phone=None)
    agent.say(THANKS)
    reply = agent.say("test it")
    assert "Walk-in has no WhatsApp number saved" in reply


def test_a_report_step_shows_the_real_report(agent: Agent) -> None:
    agent.say("invoice Rekha 2 bags cement at 300")
    agent.say("Every day at 8pm send me today's sales")
    reply = agent.say("what would it send?")
    assert "WhatsApp to you (+919800000001)" in reply and "600" in reply
    assert agent.sent_to_others() == []
    with agent.rt.db.session() as s:
        assert s.scalar(select(Message.id).where(Message.direction == "out")) is None


def test_a_sample_is_made_to_pass_the_check(agent: Agent) -> None:
    agent.say("If someone pays more than 25000, WhatsApp me")
    reply = agent.say("test it")
    assert "→ yes" in reply and "₹30,000" in reply


def test_version_rows_only_on_yes(agent: Agent) -> None:
    agent.say(THANKS)
    agent.say("test it")
    with agent.rt.db.session() as s:
        assert list(s.scalars(select(FlowVersion))) == []
    agent.say("yes")
    with agent.rt.db.session() as s:
        assert [v.version for v in s.scalars(select(FlowVersion))] == [1]


def test_a_customer_named_as_recipient_gets_their_saved_number(agent: Agent) -> None:
    agent.add_customer("Ramesh", "+919876543210")
    reply = agent.say("every Monday at 9am WhatsApp Ramesh the unpaid invoices")
    assert "WhatsApp +919876543210" in reply and "Ramesh's number from your customers" in reply
    reply = agent.say("when stock is low, message Ramesh")
    assert "dropped the earlier draft" in reply and "WhatsApp +919876543210" in reply
    assert "+919876543210" in agent.say("also tell Ramesh")


def test_an_edit_after_a_business_question_was_set_aside_goes_to_the_draft(agent: Agent) -> None:
    agent.add_customer("Rekha", "+919900112233")
    agent.say("invoice Rekha 2 bags cement at 300")
    agent.say(THANKS)
    agent.say("send the invoice to Rekha")  # the draft is set aside; the invoice waits for its YES
    reply = agent.say("also email me at me@example.com")  # not a YES: the invoice is dropped, the draft edited
    assert "set aside the earlier request" in reply and "Added: Email me@example.com" in reply
    assert agent.sent_to_others() == []
    agent.say("test it")
    agent.say("yes")
    (flow,) = agent.active()
    assert agent.shape(flow)[1] == ["whatsapp.send_message", "email.send"]
