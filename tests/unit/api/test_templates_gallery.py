"""The built-in templates (`flows.templates`) and stripping a flow for publishing."""
from __future__ import annotations

import pytest

from flows.schema import Blueprint
from flows.summary import summarize
from flows.templates import BUILTIN, CATEGORIES, strip_private, strip_text
from flows.validate import problems


@pytest.mark.parametrize("template", BUILTIN, ids=lambda t: t.id)
def test_every_builtin_template_is_valid_and_summarises(template):
    assert problems(template.blueprint) == []
    assert template.category in CATEGORIES
    assert summarize(Blueprint.from_dict(template.blueprint), template.name)
    text = str(template.blueprint)
    assert "+91" not in text and "@" not in text  # no made-up contacts


def test_ids_are_unique_and_categories_are_covered():
    assert len({t.id for t in BUILTIN}) == len(BUILTIN)
    assert {"payments", "collections", "invoices", "inventory", "reports", "records"} <= {t.category for t in BUILTIN}


@pytest.mark.parametrize(("text", "expected"), [
    ("call 98765 43210 now", "call <phone number> now"),
    ("WhatsApp +91 98765-43210", "WhatsApp <phone number>"),
    ("mail ravi.k@shop.co.in please", "mail <email> please"),
    ("see https://docs.google.com/spreadsheets/d/abc123/edit", "see <spreadsheet>"),
    ("₹{{trigger_data.payment.amount}} on 12/06/2026 for 250 bags", "₹{{trigger_data.payment.amount}} on 12/06/2026 "
                                                                   "for 250 bags"),
])
def test_strip_text(text, expected):
    assert strip_text(text) == expected


def test_strip_private_keeps_variables_and_reports_what_went():
    bp = {"nodes": [
        {"id": "t", "type": "trigger", "data": {"service": "payments", "task": "payment_received", "params": {}}},
        {"id": "w", "type": "action", "data": {"service": "whatsapp", "task": "send_message",
                                               "params": {"to": "{{trigger_data.customer.phone}}", "message": "Hi"}}},
        {"id": "h", "type": "action", "data": {"service": "http", "task": "request", "params": {
            "method": "POST", "url": "https://example.com/hook", "headers": {"Authorization": "Bearer abc"}}}},
        {"id": "s", "type": "action", "data": {"service": "slack", "task": "post_message", "params": {
            "text": "paid", "webhook_url": "https://hooks.slack.com/services/T/B/C"}}},
    ], "edges": []}
    out, removed = strip_private(bp)
    params = {n["id"]: n["data"]["params"] for n in out["nodes"]}
    assert params["w"]["to"] == "{{trigger_data.customer.phone}}"
    assert params["h"]["headers"] == {"Authorization": "<secret>"}
    assert params["s"]["webhook_url"] == "<web address>"
    assert sorted(removed) == ["h: HTTP headers", "s: webhook URL"]
    assert bp["nodes"][2]["data"]["params"]["headers"]["Authorization"] == "Bearer abc"  # the flow itself unchanged
