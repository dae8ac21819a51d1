"""Descriptions in owners' own words, through the whole agent: draft, YES, and the flow that is switched on.

Each case is one description and what the active flow must be: its trigger,
the actions it must include (in order), and whether it has a check or a wait.
The first cases are the dev set's ``d-wf`` sentences; the rest say the same
kinds of thing in other words, Hinglish included.
"""
from __future__ import annotations

import pytest

from tests.unit.builder.conftest import Agent

PAY = "payments.payment_received"
RZP = "razorpay.payment_received"
CRON = "schedule.cron"
WA = "whatsapp.send_message"
PDF = "whatsapp.send_document"
MAIL = "email.send"
SHEET = "google_sheets.append_row"
SALES = "reports.sales_summary"
UNPAID = "reports.unpaid_invoices"

CASES: list[tuple[str, str, list[str], dict[str, bool]]] = [
    # the dev set's sentences
    ("Whenever someone pays me, WhatsApp them a thank you note", PAY, [WA], {}),
    ("When a Razorpay payment comes in, log it in my Google Sheet", RZP, [SHEET], {}),
    ("Every day at 8pm send me today's sales", CRON, [SALES, WA], {}),
    ("If a payment is more than 20000, email me at boss@example.com", PAY, [MAIL], {"condition": True}),
    ("When stock of any product is low, message me on WhatsApp", "inventory.stock_low", [WA], {}),
    # payments, in other words
    ("When a customer pays, send them a WhatsApp saying thanks", PAY, [WA], {}),
    ("whenever I receive a payment, message the customer a thank you", PAY, [WA], {}),
    ("jab bhi koi payment kare, usko WhatsApp pe thank you bhejo", PAY, [WA], {}),
    ("Every time money comes in, add it to my Google Sheet 'Collections'", PAY, [SHEET], {}),
    ("When a Razorpay payment is captured, WhatsApp me the amount", RZP, [WA], {}),
    ("If someone pays more than 25000, WhatsApp me", PAY, [WA], {"condition": True}),
    ("if a payment is above ₹50,000 email me at owner@shop.in", PAY, [MAIL], {"condition": True}),
    ("when Ramesh pays me, send me a message", PAY, [WA], {"condition": True}),
    ("Whenever a customer pays by UPI, WhatsApp me", PAY, [WA], {"condition": True}),
    ("When someone pays me, WhatsApp them a thank you and add a row to my sheet", PAY, [WA, SHEET], {}),
    ("When a payment comes in, thank the customer on WhatsApp, then wait 1 day and ask for a review", PAY,
     [WA, "delay.wait", WA], {"delay": True}),
    ("when someone pays me, wait 2 hours and then WhatsApp them thanks", PAY, ["delay.wait", WA], {"delay": True}),
    ("When I get a payment, post it on Slack", PAY, ["slack.post_message"], {}),
    ("When a payment is received, send a POST to https://example.com/hook", PAY, ["http.request"], {}),
    ("if anyone pays more than 10k, email me at a@b.co and WhatsApp me", PAY, [MAIL, WA], {"condition": True}),
    ("When a payment of more than 5000 comes in, WhatsApp the customer 'Thank you for your business!'", PAY,
     [WA], {"condition": True}),
    ("automatically thank customers on WhatsApp when they pay", PAY, [WA], {}),
    ("send me a WhatsApp whenever someone pays", PAY, [WA], {}),
    ("Whenever someone pays me, email them a receipt", PAY, [MAIL], {}),
    # schedules
    ("Every Friday at 6pm send me this week's sales", CRON, [SALES, WA], {}),
    ("every morning at 9 send me the list of unpaid invoices", CRON, [UNPAID, WA], {}),
    ("daily at 8pm WhatsApp me today's sales summary", CRON, [SALES, WA], {}),
    ("on the 1st of every month at 10am send me the monthly sales", CRON, [SALES, WA], {}),
    ("Every Monday at 10am send me who owes me money", CRON, [UNPAID, WA], {}),
    ("every night at 10 pm send me the day's sales", CRON, [SALES, WA], {}),
    ("every hour send me the sales", CRON, [SALES, WA], {}),
    # invoices
    ("When an invoice is created, WhatsApp the customer the invoice PDF", "invoices.invoice_created", [PDF], {}),
    ("whenever I make a bill, send it to the customer on WhatsApp", "invoices.invoice_created", [WA], {}),
    ("when a new invoice is made, log it in my sheet 'Invoices'", "invoices.invoice_created", [SHEET], {}),
    ("when an invoice is created, email me at billing@shop.in", "invoices.invoice_created", [MAIL], {}),
    ("two days after an invoice, if it is still unpaid, remind the customer on WhatsApp",
     "invoices.invoice_overdue", [WA], {}),
    ("If an invoice is still unpaid after 7 days, send the customer a reminder", "invoices.invoice_overdue",
     [WA], {}),
    # stock
    ("When stock runs low, WhatsApp me", "inventory.stock_low", [WA], {}),
    ("when cement stock is low, message my distributor at 99887 76655", "inventory.stock_low", [WA],
     {"condition": True}),
    ("When any product is running out, email me at store@example.com", "inventory.stock_low", [MAIL], {}),
    ("when stock of rice is low, WhatsApp me", "inventory.stock_low", [WA], {"condition": True}),
    # webhooks
    ("When a webhook comes in, WhatsApp me", "webhook.received", [WA], {}),
    # more ways of saying it: lower case as voice notes come out, Hinglish, lakhs, "via", "once"
    ("whenever a payment comes in send the customer a thank you message on whatsapp", PAY, [WA], {}),
    ("jab bhi stock kam ho mujhe whatsapp karo", "inventory.stock_low", [WA], {}),
    ("when I get paid above 1 lakh, email me at ca@firm.in", PAY, [MAIL], {"condition": True}),
    ("If a customer pays less than 500, WhatsApp me", PAY, [WA], {"condition": True}),
    ("every saturday at 7pm send me the weekly sales report", CRON, [SALES, WA], {}),
    ("each weekday at 9am send me the unpaid invoices list", CRON, [UNPAID, WA], {}),
    ("When a payment arrives, record it in the sheet called 'Daily Cash'", PAY, [SHEET], {}),
    ("when someone pays in cash, add it to my sheet", PAY, [SHEET], {"condition": True}),
    ("when a bill is generated, email the customer", "invoices.invoice_created", [MAIL], {}),
    ("after an invoice is created, wait 3 days and if it is still unpaid whatsapp the customer",
     "invoices.invoice_overdue", [WA], {}),
    ("when any item goes below its low stock level, email me at stock@shop.in and whatsapp me",
     "inventory.stock_low", [MAIL, WA], {}),
    ("once a payment is received, wait 10 minutes then send them a thank you", PAY, ["delay.wait", WA],
     {"delay": True}),
    ("Send me a WhatsApp every day at 7am with yesterday's sales", CRON, [SALES, WA], {}),
    ("when a razorpay payment is received, add a row to sheet 'Online'", RZP, [SHEET], {}),
    ("if someone pays more than 2000 via razorpay, thank them on whatsapp", RZP, [WA], {"condition": True}),
    ("when I receive money, notify me on slack", PAY, ["slack.post_message"], {}),
    ("when my stock of sugar is low, message my supplier at 98765 43210", "inventory.stock_low", [WA],
     {"condition": True}),
    ("whenever there's a payment, tell me on whatsapp and log it", PAY, [WA, SHEET], {}),
    ("at the end of every day send me the sales", CRON, [SALES, WA], {}),
    # Hinglish events: "har payment pe", "payment aane par", "bill banne pe"
    ("har payment pe customer ko thank you message bhejo", PAY, [WA], {}),
    ("har payment par mujhe whatsapp karo", PAY, [WA], {}),
    ("payment aane pe customer ko thanks bhejo", PAY, [WA], {}),
    ("paise milte hi mujhe batao", PAY, [WA], {}),
    ("har ek payment ke baad sheet mein entry karo", PAY, [SHEET], {}),
    ("har naye bill pe customer ko pdf bhejo", "invoices.invoice_created", [PDF], {}),
    ("bill banne pe mujhe email karo at hisab@shop.in", "invoices.invoice_created", [MAIL], {}),
    ("stock kam hone pe mujhe whatsapp karo", "inventory.stock_low", [WA], {}),
    # Hinglish schedules (the times are checked below)
    ("roz raat 9 baje mujhe aaj ki sales bhejo", CRON, [SALES, WA], {}),
    ("rozana subah 8:30 baje mujhe unpaid bills bhejo", CRON, [UNPAID, WA], {}),
    ("har shukravar shaam 6 baje hafte ki sales bhejo", CRON, [SALES, WA], {}),
    ("har mahine 5 tarikh ko subah 10 baje mujhe baki payments ki list bhejo", CRON, [UNPAID, WA], {}),
    # the invoice PDF, however it is called
    ("when a new invoice gets created send the pdf to the customer", "invoices.invoice_created", [PDF], {}),
    ("whenever I make a bill, whatsapp the PDF to the customer", "invoices.invoice_created", [PDF], {}),
    ("when an invoice is created, send the customer a pdf copy", "invoices.invoice_created", [PDF], {}),
    ("when an invoice is raised, share it as a PDF with the customer", "invoices.invoice_created", [PDF], {}),
    ("jab bhi bill bane customer ko pdf bhej do", "invoices.invoice_created", [PDF], {}),
]


@pytest.mark.parametrize(("text", "trigger", "actions", "flags"),
                         [pytest.param(*c, id=c[0][:48]) for c in CASES])
def test_a_description_becomes_the_right_flow(agent: Agent, text: str, trigger: str, actions: list[str],
                                               flags: dict[str, bool]) -> None:
    reply = agent.say(text)
    assert "Reply YES to switch it on" in reply, reply
    assert agent.flows() == []
    agent.say("yes")
    (flow,) = agent.active()
    got_trigger, got_actions, kinds = agent.shape(flow)
    assert got_trigger == trigger
    assert got_actions == actions
    assert ("condition" in kinds) == flags.get("condition", False)
    assert ("delay.wait" in got_actions) == flags.get("delay", False)


@pytest.mark.parametrize(("text", "cron"), [
    ("roz raat 9 baje mujhe aaj ki sales bhejo", "0 21 * * *"),
    ("rozana subah 8:30 baje mujhe unpaid bills bhejo", "30 8 * * *"),
    ("har din dopahar 2 baje mujhe sales bhejo", "0 14 * * *"),
    ("har shukravar shaam 6 baje hafte ki sales bhejo", "0 18 * * 5"),
    ("har ravivar aur budhvar raat 8 baje sales bhejo", "0 20 * * 0,3"),
    ("har hafte somvar ko subah 9 baje hafte ki sales bhejo", "0 9 * * 1"),
    ("har mahine 5 tarikh ko subah 10 baje mujhe unpaid bills bhejo", "0 10 5 * *"),
])
def test_a_hinglish_schedule_runs_when_it_says(agent: Agent, text: str, cron: str) -> None:
    assert "Reply YES to switch it on" in agent.say(text)
    agent.say("haan")
    (flow,) = agent.active()
    trigger = next(n for n in flow.blueprint["nodes"] if n["type"] == "trigger")
    assert trigger["data"]["params"]["cron"] == cron


EDITS: list[tuple[str, str, str]] = [
    # (first description, edit in plain words, what the reply must say changed)
    ("When someone pays me, WhatsApp them thanks", "and email me at me@example.com", "Added: Email me@example.com"),
    ("When someone pays me, WhatsApp them thanks", "also log it in my sheet", "Added: Add a row to Google Sheet"),
    ("When someone pays me, WhatsApp them thanks", "plus post it on slack", "Added: Post to Slack"),
    ("When someone pays me, WhatsApp them thanks and email me at a@b.co", "skip the email", "Removed: Email"),
    ("When someone pays me, WhatsApp them thanks and email me at a@b.co", "no need for the email", "Removed"),
    ("When someone pays me, WhatsApp them thanks and log it in my sheet", "remove step 2", "Removed: Add a row"),
    ("When someone pays me, WhatsApp them thanks", "change the message to Thank you ji, aate rahiye",
     'now says "Thank you ji, aate rahiye"'),
    ("When someone pays me, WhatsApp them thanks", "the message should say 'Dhanyavaad!'", "Dhanyavaad!"),
    ("If someone pays more than 25000, WhatsApp me", "make it 10000", "₹10,000"),
    ("If someone pays more than 25000, WhatsApp me", "only above 40000", "₹40,000"),
    ("When someone pays me, wait 2 hours and then WhatsApp them thanks", "wait 1 day instead", "1 day"),
    ("When someone pays me, WhatsApp them thanks and log it in my sheet", "use the sheet 'Accounts'",
     "Google Sheet 'Accounts'"),
    ("When someone pays me, WhatsApp me", "send it to 9988776655 instead", "+919988776655"),
    ("When someone pays me, WhatsApp them thanks", "name it Thank-you bot", "Renamed it to 'Thank-you bot'"),
]


@pytest.mark.parametrize(("text", "edit", "said"), EDITS, ids=[e[1][:40] for e in EDITS])
def test_an_edit_in_plain_words(agent: Agent, text: str, edit: str, said: str) -> None:
    agent.say(text)
    reply = agent.say(edit)
    assert reply.startswith("✏️"), reply
    assert said in reply, reply
    assert "Reply YES to switch it on" in reply
    assert agent.flows() == []
    agent.say("yes")
    assert len(agent.active()) == 1
