"""Overdue-payment reminders described in words, and the guards around them.

- A description of a standing reminder rule ("remind customers about unpaid
  invoices after 3 days", "jo customer 7 din mein payment na kare unko
  reminder bhejo") drafts an ``invoices.invoice_overdue`` flow, not the
  one-off "who owes me" answer; "yes" switches it on.
- Money *not* coming in ("hasn't paid", "na kare", "payment is still
  pending") never becomes a ``payment_received`` trigger, and a verb fragment
  ("hasn't", "has", "finally") never becomes a customer-name check.
- A sheet's own name ("named Collections") never reads as a step.
- The one-off requests ("remind everyone who owes me", "who hasn't paid
  me?") keep their meaning.
"""
from __future__ import annotations

import pytest

from flows.phrases import draft_from_text
from intents.understand.engine import understand
from tests.unit.builder.conftest import Agent

OVERDUE = "invoices.invoice_overdue"
PAY = "payments.payment_received"
WA = "whatsapp.send_message"
SHEET = "google_sheets.append_row"
SALES = "reports.sales_summary"

#: (description, days the invoice stays unpaid, who the WhatsApp goes to)
REMINDERS: list[tuple[str, int, str]] = [
    # the probe's sentences
    ("Remind customers on WhatsApp about unpaid invoices after 3 days", 3, "customer"),
    ("send payment reminders for bills unpaid for 5 days", 5, "customer"),
    ("jo customer 7 din mein payment na kare unko reminder bhejo", 7, "customer"),
    ("If someone hasn't paid in a week, remind them on WhatsApp", 7, "customer"),
    # the same, in other words
    ("remind customers whose invoices are unpaid for more than 10 days", 10, "customer"),
    ("send a whatsapp reminder to customers who haven't paid in 2 weeks", 14, "customer"),
    ("customers who haven't paid for 2 weeks should get a whatsapp reminder", 14, "customer"),
    ("if a customer doesn't pay within 5 days, send them a reminder", 5, "customer"),
    ("if payment doesn't come in 5 days, remind the customer", 5, "customer"),
    ("if the payment is still pending after 5 days, remind the customer", 5, "customer"),
    ("agar customer 10 din tak payment na kare to usko whatsapp pe reminder bhejo", 10, "customer"),
    ("jinka paisa 15 din se baaki hai unko reminder bhejo", 15, "customer"),
    ("if a customer never pays within 10 days, whatsapp me", 10, "owner"),
    ("remind customers 3 days after the invoice if not paid", 3, "customer"),
]


def _shape(draft_text: str) -> tuple[str, dict[str, object], list[str], list[str], list[str]]:
    """(trigger key, trigger params, action keys, node types, recipients) of a drafted description."""
    bp = draft_from_text(draft_text).blueprint
    trigger = bp.trigger
    assert trigger is not None
    actions = [n for n in bp.nodes if n.type == "action"]
    return (trigger.key, dict(trigger.params), [n.key for n in actions], [n.type for n in bp.nodes],
            [str(n.params.get("to", "")) for n in actions if n.key == WA])


@pytest.mark.parametrize(("text", "days", "to"), [pytest.param(*c, id=c[0][:48]) for c in REMINDERS])
def test_a_reminder_rule_is_read_as_an_automation(text: str, days: int, to: str) -> None:
    assert understand(text).intent == "build_flow"
    key, params, actions, kinds, recipients = _shape(text)
    assert key == OVERDUE
    assert params == {"days": days}
    assert actions == [WA]
    assert "condition" not in kinds
    assert len(recipients) == 1
    if to == "owner":
        assert recipients == ["owner"]
    else:
        assert "trigger_data.customer.phone" in recipients[0]


@pytest.mark.parametrize(("text", "intent"), [
    ("remind everyone who owes me", "remind"),
    ("who hasn't paid me?", "unpaid_query"),
    ("who owes me money", "unpaid_query"),
    ("remind all customers with pending payments", "remind"),
    ("send payment reminders to everyone", "remind"),
    ("sab ko yaad dilao jinka paisa baaki hai", "remind"),
    ("Mahesh ko reminder bhejo", "remind"),
    ("remind Mahesh about the bill pending for 10 days", "remind"),
    ("who hasn't paid in the last 7 days?", "unpaid_query"),
    ("which invoices are unpaid for more than 30 days", "unpaid_query"),
    ("send me the list of bills unpaid for 30 days", "unpaid_query"),
    ("Mahesh has not paid for 2 weeks", "unpaid_query"),
])
def test_one_off_requests_and_questions_stay_what_they_were(text: str, intent: str) -> None:
    assert understand(text).intent == intent


@pytest.mark.parametrize("text", [
    "If someone hasn't paid in a week, remind them on WhatsApp",
    "if someone hasn't paid, remind them",
    "when a customer doesn't pay, remind them",
    "if a customer has not paid yet, WhatsApp me",
    "if the payment is not received in 3 days, message the customer",
    "agar payment na aaye 4 din mein to mujhe batao",
    "jo customer payment na kare unko reminder bhejo",
])
def test_money_not_coming_in_is_never_a_payment_received(text: str) -> None:
    key, params, _actions, kinds, _to = _shape(text)
    assert key == OVERDUE, text
    assert "condition" not in kinds  # no 'customer name includes "Hasn'T"'
    assert int(str(params["days"])) >= 1


def test_no_days_given_assumes_a_week_and_says_so() -> None:
    draft = draft_from_text("if someone hasn't paid, remind them")
    assert draft.blueprint.trigger is not None and draft.blueprint.trigger.params == {"days": 7}
    assert any("7 days" in note for note in draft.notes)


@pytest.mark.parametrize(("text", "name"), [
    ("when Mahesh pays, WhatsApp me", "mahesh"),
    ("when Ramesh Kumar pays me, send me a message", "ramesh kumar"),
    ("when a payment comes from Suresh, whatsapp me", "suresh"),
    ("once he has paid, thank him on whatsapp", None),
    ("when the customer finally pays, thank them on whatsapp", None),
    ("if someone already paid, thank them on whatsapp", None),
    ("whenever a customer has paid, send them a thank you", None),
])
def test_a_name_check_comes_only_from_a_name(text: str, name: str | None) -> None:
    bp = draft_from_text(text).blueprint
    assert bp.trigger is not None and bp.trigger.key == PAY
    checks = [str(n.params.get("expression")) for n in bp.nodes if n.type == "condition"]
    if name is None:
        assert checks == []
    else:
        assert checks == [f'"{name}" in lower(str(trigger_data.customer.name))']


@pytest.mark.parametrize(("text", "actions", "sheet"), [
    ("when a payment comes, add it to my sheet named Collections", [SHEET], "Collections"),
    ("when a payment comes, add it to my Collections sheet", [SHEET], "Collections"),
    ("when someone pays, log it in the sheet called Daily Sales", [SHEET], "Daily Sales"),
    ("when a payment comes, add it to my sheet named Collections and WhatsApp me", [SHEET, WA], "Collections"),
    # a real report still comes before the row
    ("every day at 9pm add today's sales to my sales sheet", [SALES, SHEET], "Sales"),
])
def test_a_sheet_name_is_not_a_step(text: str, actions: list[str], sheet: str) -> None:
    bp = draft_from_text(text).blueprint
    got = [n for n in bp.nodes if n.type == "action"]
    assert [n.key for n in got] == actions
    (row,) = [n for n in got if n.key == SHEET]
    assert row.params["spreadsheet"] == sheet


# ---------------------------------------------------------------------------------------- dialogue

@pytest.mark.parametrize(("text", "word", "days"), [
    ("If someone hasn't paid in a week, remind them on WhatsApp", "yes", 7),
    ("Remind customers on WhatsApp about unpaid invoices after 3 days", "yes", 3),
    ("jo customer 7 din mein payment na kare unko reminder bhejo", "haan", 7),
])
def test_description_summary_yes_switches_on_the_overdue_flow(agent: Agent, text: str, word: str,
                                                              days: int) -> None:
    reply = agent.say(text)
    assert f"still unpaid {days} days after it was issued" in reply, reply
    assert "Reply YES to switch it on" in reply
    assert "received your payment" not in reply
    assert agent.flows() == []
    reply = agent.say(word)
    assert "is on" in reply, reply
    (flow,) = agent.active()
    trigger, actions, kinds = agent.shape(flow)
    assert (trigger, actions) == (OVERDUE, [WA])
    assert "condition" not in kinds
    node = next(n for n in flow.blueprint["nodes"] if n["type"] == "trigger")
    assert node["data"]["params"] == {"days": days}


def test_sheet_named_collections_dialogue(agent: Agent) -> None:
    reply = agent.say("when a payment comes, add it to my sheet named Collections")
    assert "sales" not in reply.lower().split("reply yes")[0].split("heads-up")[0], reply
    agent.say("yes")
    (flow,) = agent.active()
    assert agent.shape(flow)[:2] == (PAY, [SHEET])


def test_remind_everyone_who_owes_me_is_still_a_one_off(agent: Agent) -> None:
    reply = agent.say("remind everyone who owes me")
    assert "Reply YES to switch it on" not in reply
    assert agent.flows() == []
    assert agent.waiting is None or agent.waiting.get("kind") != "flow_draft"
