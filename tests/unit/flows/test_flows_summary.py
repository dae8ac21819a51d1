"""flows.summary: blueprints in plain, numbered words."""

from __future__ import annotations

import pytest

from flows.phrases import draft_from_text
from flows.schema import Blueprint
from flows.summary import (
    describe_condition,
    describe_cron,
    describe_duration,
    describe_text,
    format_time,
    label,
    step_order,
    summarize,
)
from tests.unit.flows.helpers_flows import chain, edge, node, spec_example, whatsapp


def test_the_issue_example() -> None:
    draft = draft_from_text(
        "When someone pays me, WhatsApp them 'Payment of {amount} received, thank you!' "
        "and add a row to my Google Sheet 'Payments'"
    )
    assert summarize(draft.blueprint) == (
        "When a payment is received:\n"
        '1. WhatsApp the customer: "Payment of ₹{amount} received, thank you!"\n'
        "2. Add a row to Google Sheet 'Payments': customer name, customer phone, amount, payment method, "
        "payment reference"
    )


def test_the_spec_example_with_a_name() -> None:
    assert summarize(Blueprint.from_dict(spec_example()), "Big payments") == (
        "Big payments\n"
        "When a payment is received, if the amount is more than ₹10,000:\n"
        '1. WhatsApp the customer: "Payment of ₹{amount} received. Thank you!"'
    )


def test_otherwise_and_numbering_across_branches() -> None:
    bp = draft_from_text(
        "If a payment is over 25000 WhatsApp me, otherwise just thank the customer"
    ).blueprint
    text = summarize(bp)
    assert text.splitlines()[0] == "When a payment is received, if the amount is more than ₹25,000:"
    assert text.splitlines()[1].startswith("1. WhatsApp you:")
    assert text.splitlines()[2] == "Otherwise:"
    assert text.splitlines()[3].startswith("2. WhatsApp the customer:")
    assert len(step_order(bp)) == 2


def test_a_condition_in_the_middle_and_a_loop() -> None:
    bp = Blueprint.from_dict(
        {
            "nodes": [
                node("t", "invoices.invoice_created", node_type="trigger"),
                whatsapp("first"),
                node(
                    "big",
                    "logic.condition",
                    {"expression": "trigger_data.invoice.total >= 50000"},
                    node_type="condition",
                ),
                node(
                    "each", "control.for_each", {"items": "{{trigger_data.invoice.items}}"}, node_type="loop"
                ),
                node(
                    "log", "google_sheets.append_row", {"spreadsheet": "Items", "values": ["{{each.item}}"]}
                ),
                whatsapp("done", message="Logged {{each.count}} items"),
            ],
            "edges": [
                edge("t", "first"),
                edge("first", "big"),
                edge("big", "each", "true"),
                edge("each", "log", "each"),
                edge("each", "done", "done"),
            ],
        }
    )
    assert summarize(bp) == (
        "When an invoice is created:\n"
        '1. WhatsApp you: "Hello"\n'
        "If the invoice total is at least ₹50,000:\n"
        "   For each item of {invoice items}:\n"
        "      2. Add a row to Google Sheet 'Items': each item\n"
        '   3. WhatsApp you: "Logged {each count} items"'
    )
    assert step_order(bp) == ["first", "log", "done"]


def test_a_merge_is_mentioned_once() -> None:
    bp = Blueprint.from_dict(
        {
            "nodes": [
                node("t", "payments.payment_received", node_type="trigger"),
                node(
                    "c",
                    "logic.condition",
                    {"expression": "trigger_data.payment.amount > 5"},
                    node_type="condition",
                ),
                whatsapp("a"),
                whatsapp("b"),
                whatsapp("after"),
            ],
            "edges": [
                edge("t", "c"),
                edge("c", "a", "true"),
                edge("c", "b", "false"),
                edge("a", "after"),
                edge("b", "after"),
            ],
        }
    )
    text = summarize(bp)
    assert text.count("3. WhatsApp you") == 1 and "(then continue with step 2)" in text


def test_no_trigger_and_no_steps() -> None:
    assert summarize(Blueprint.from_dict({"nodes": [whatsapp()], "edges": []})) == "(no trigger yet)"
    assert (
        summarize(Blueprint.from_dict(chain("payments.payment_received")))
        == "When a payment is received:\n(no steps yet)"
    )


@pytest.mark.parametrize(
    "sentence, first_line",
    [
        (
            "When a Razorpay payment comes in, log it in my Google Sheet",
            "When a Razorpay payment is received:",
        ),
        ("When an invoice is created, WhatsApp me", "When an invoice is created:"),
        (
            "two days after an invoice, if it is still unpaid, remind the customer",
            "When an invoice is still unpaid 2 days after it was issued:",
        ),
        ("When stock of any product is low, message me", "When a product's stock is low:"),
        ("When I get a webhook, post to Slack", "When your webhook URL receives a POST:"),
        ("Every day at 8pm send me today's sales", "Every day at 8:00 pm:"),
        (
            "When cement stock is low, WhatsApp me",
            'When a product\'s stock is low, if the product includes "Cement":',
        ),
        (
            "When someone pays by UPI, thank them",
            'When a payment is received, if the payment method is "UPI":',
        ),
        (
            "When Ramesh pays, WhatsApp me",
            'When a payment is received, if the customer name includes "Ramesh":',
        ),
    ],
)
def test_trigger_lines(sentence: str, first_line: str) -> None:
    assert summarize(draft_from_text(sentence).blueprint).splitlines()[0] == first_line


@pytest.mark.parametrize(
    "sentence, step",
    [
        ("Every day at 8pm send me today's sales", "1. Work out today's sales"),
        ("Every friday at 6pm send me the week's sales", "1. Work out this week's sales"),
        ("Every morning send me unpaid invoices", "1. Make the list of unpaid invoices"),
        ("When someone pays, wait 2 days and thank them", "1. Wait 2 days"),
        (
            "When someone pays, email me at a@b.in",
            '1. Email a@b.in: "Payment of ₹{amount} from {customer name}"',
        ),
        ("When someone pays, post to slack", '1. Post to Slack: "Payment received: ₹{amount}'),
        ("When someone pays, POST to https://x.in/h", "1. Send a POST request to https://x.in/h"),
        (
            "When an invoice is created, send the customer a payment link",
            "1. Create a Razorpay payment link for ₹{invoice total} (Invoice {invoice number})",
        ),
        (
            "When an invoice is created, WhatsApp them the invoice PDF",
            '1. WhatsApp the customer the invoice PDF ("Invoice {invoice number} from {your business name}")',
        ),
        ("When stock is low, add 50 to stock", "1. Change the stock of {product} by +50"),
        ("When someone pays, WhatsApp +91 98765 43210", "1. WhatsApp +919876543210:"),
    ],
)
def test_step_lines(sentence: str, step: str) -> None:
    lines = summarize(draft_from_text(sentence).blueprint).splitlines()
    assert any(line.startswith(step) for line in lines), lines


@pytest.mark.parametrize(
    "cron, words",
    [
        ("0 20 * * *", "Every day at 8:00 pm"),
        ("30 7 * * *", "Every day at 7:30 am"),
        ("0 0 * * *", "Every day at 12:00 am"),
        ("0 12 * * *", "Every day at 12:00 pm"),
        ("0 18 * * 5", "Every Friday at 6:00 pm"),
        ("0 11 * * 1,4", "Every Monday and Thursday at 11:00 am"),
        ("0 9 * * 1,3,5", "Every Monday, Wednesday and Friday at 9:00 am"),
        ("0 10 * * 1-5", "Every weekday (Monday to Friday) at 10:00 am"),
        ("0 11 * * 0,6", "Every Saturday and Sunday at 11:00 am"),
        ("0 9 1 * *", "On the 1st of every month at 9:00 am"),
        ("0 9 22 * *", "On the 22nd of every month at 9:00 am"),
        ("0 9 13 * *", "On the 13th of every month at 9:00 am"),
        ("0 9 */2 * *", "Every 2 days at 9:00 am"),
        ("0 * * * *", "Every hour"),
        ("15 * * * *", "Every hour at 15 minutes past"),
        ("0 */3 * * *", "Every 3 hours"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("0 9 1 1 *", "On the schedule '0 9 1 1 *'"),
        ("nonsense", "On the schedule 'nonsense'"),
    ],
)
def test_describe_cron(cron: str, words: str) -> None:
    assert describe_cron(cron) == words


def test_describe_cron_mentions_other_timezones() -> None:
    assert describe_cron("0 9 * * *", "Asia/Kolkata") == "Every day at 9:00 am"
    assert describe_cron("0 9 * * *", "Asia/Dubai") == "Every day at 9:00 am (Asia/Dubai time)"


@pytest.mark.parametrize(
    "expression, words",
    [
        ("trigger_data.payment.amount > 25000", "the amount is more than ₹25,000"),
        (
            "trigger_data.payment.amount >= 1000 and trigger_data.payment.amount <= 5000",
            "the amount is at least ₹1,000 and the amount is at most ₹5,000",
        ),
        ("trigger_data.invoice.total < 500", "the invoice total is less than ₹500"),
        ("trigger_data.product.stock < 10", "the stock is less than 10"),
        ('"ramesh" in lower(str(trigger_data.customer.name))', 'the customer name includes "Ramesh"'),
        ('lower(str(trigger_data.payment.method)) == "cash"', 'the payment method is "Cash"'),
        ('trigger_data.customer.name != "Walk-in"', 'the customer name is not "Walk-in"'),
        (
            "trigger_data.payment.amount > 5 or not trigger_data.payment.reference",
            "the amount is more than ₹5 or not (trigger_data.payment.reference)",
        ),
        ("len(trigger_data.tags) > 2", "len(trigger_data.tags) > 2"),
        ("this is not python", "this is not python"),
    ],
)
def test_describe_condition(expression: str, words: str) -> None:
    assert describe_condition(expression) == words


def test_describe_text_and_labels() -> None:
    assert (
        describe_text("Paid ₹{{trigger_data.payment.amount}} by {{trigger_data.customer.name}}")
        == "Paid ₹{amount} by {customer name}"
    )
    assert describe_text("Total {{trigger_data.invoice.total}}") == "Total ₹{invoice total}"
    assert describe_text(["{{trigger_data.payment.amount}}", "x"]) == "amount, x"
    assert label("trigger_data.headers.X-Id") == "headers X-Id"
    bp = draft_from_text("Every day at 8pm send me today's sales").blueprint
    assert label("sales_1.text", bp) == "sales summary"
    assert label("sales_1.other", bp) == "sales 1 other"


@pytest.mark.parametrize(
    "duration, words",
    [
        ("30m", "30 minutes"),
        ("1h", "1 hour"),
        ("2d", "2 days"),
        ("7d", "1 week"),
        ("14d", "2 weeks"),
        ("45s", "45 seconds"),
        ("soon", "soon"),
    ],
)
def test_describe_duration(duration: str, words: str) -> None:
    assert describe_duration(duration) == words


def test_format_time() -> None:
    assert [format_time(h, m) for h, m in ((0, 0), (9, 5), (12, 30), (23, 59))] == [
        "12:00 am",
        "9:05 am",
        "12:30 pm",
        "11:59 pm",
    ]


def test_long_messages_are_shortened() -> None:
    bp = Blueprint.from_dict(chain("payments.payment_received", whatsapp(message="word " * 100)))
    line = summarize(bp).splitlines()[1]
    assert line.endswith('…"') and len(line) < 300


def test_unknown_actions_still_read() -> None:
    bp = Blueprint.from_dict(
        chain("payments.payment_received", node("x", "customers.add_customer", {"name": "R"}))
    )
    assert summarize(bp).splitlines()[1] == "1. Run customers.add_customer"
