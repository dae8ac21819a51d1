"""flows.validate: each rule has a failing example, and its reason is in plain words."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

import tools.registry
from bot.errors import BlueprintInvalid, FlowError
from flows.schema import Blueprint
from flows.validate import (
    duration_seconds,
    is_cron,
    is_email,
    is_phone,
    is_timezone,
    is_url,
    problems,
    validate,
)
from tests.unit.flows.helpers_flows import chain, edge, node, spec_example, whatsapp
from tools.base import BaseTool


@pytest.fixture(autouse=True)
def no_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules are checked against the blueprint.md table (the tools land separately)."""
    monkeypatch.setattr(tools.registry, "REGISTRY", {})


def reasons(bp: dict[str, Any]) -> list[str]:
    found = problems(bp)
    with pytest.raises(BlueprintInvalid) as info:
        validate(bp)
    assert info.value.reasons == found
    return found


def has(bp: dict[str, Any], *words: str) -> None:
    found = reasons(bp)
    assert any(all(w in r for w in words) for r in found), found


# -- valid blueprints ------------------------------------------------------


def test_the_spec_example_is_valid() -> None:
    validate(spec_example())
    validate(Blueprint.from_dict(spec_example()))
    assert problems(spec_example()) == []


def test_a_rich_valid_flow() -> None:
    bp = {
        "nodes": [
            node("trigger_1", "invoices.invoice_created", node_type="trigger"),
            node(
                "big",
                "logic.condition",
                {"expression": "trigger_data.invoice.total >= 50000"},
                node_type="condition",
            ),
            node(
                "link",
                "razorpay.create_payment_link",
                {"amount": "{{trigger_data.invoice.total}}", "customer": "{{trigger_data.customer}}"},
            ),
            whatsapp("tell", "{{trigger_data.customer.phone}}", "Pay here {{link.short_url}}"),
            node("each", "control.for_each", {"items": "{{trigger_data.invoice.items}}"}, node_type="loop"),
            node(
                "log",
                "google_sheets.append_row",
                {
                    "spreadsheet": "Items",
                    "worksheet": "Sheet1",
                    "values": ["{{each.item}}", "{{each.index}}"],
                },
            ),
            whatsapp(
                "done", "owner", "Invoice {{trigger_data.invoice.number}} logged ({{each.count}} items)"
            ),
            node("wait", "delay.wait", {"duration": "2d"}),
            node(
                "mail",
                "email.send",
                {"to": "a@b.co", "subject": "Small invoice", "body": "{{business.name}}"},
                error_handling={"on_failure": "fallback", "fallback_node": "oops"},
            ),
            whatsapp("oops", "owner", "Email failed for {{trigger_data.invoice.number}}"),
        ],
        "edges": [
            edge("trigger_1", "big"),
            edge("big", "link", "true"),
            edge("link", "tell"),
            edge("tell", "each"),
            edge("each", "log", "each"),
            edge("each", "done", "done"),
            edge("big", "wait", "false"),
            edge("wait", "mail"),
        ],
    }
    assert problems(bp) == []


@pytest.mark.parametrize(
    "to",
    [
        "owner",
        "OWNER",
        "+919876543210",
        "+91 98765 43210",
        "9876543210",
        "+1-415-555-0100",
        "{{trigger_data.customer.phone}}",
    ],
)
def test_accepted_phone_numbers(to: str) -> None:
    validate(chain("payments.payment_received", whatsapp(to=to)))


# -- graph rules -------------------------------------------------------------


def test_no_steps() -> None:
    has({"nodes": [], "edges": []}, "no steps")


def test_no_trigger() -> None:
    has({"nodes": [whatsapp()], "edges": []}, "exactly one trigger", "none")


def test_two_triggers() -> None:
    bp = chain("payments.payment_received", whatsapp())
    bp["nodes"].append(node("trigger_2", "schedule.cron", {"cron": "0 9 * * *"}, node_type="trigger"))
    has(bp, "exactly one trigger", "'trigger_1', 'trigger_2'")


def test_duplicate_node_ids() -> None:
    bp = chain("payments.payment_received", whatsapp("wa"), whatsapp("wa"))
    has(bp, "same id 'wa'")


def test_duplicate_edge_ids() -> None:
    bp = chain("payments.payment_received", whatsapp("a"), whatsapp("b"))
    for e in bp["edges"]:
        e["id"] = "e1"
    has(bp, "Two links have the same id 'e1'")


@pytest.mark.parametrize("bad_id", ["send-1", "1st", "send 1", "wa.x"])
def test_node_ids_must_be_usable_in_variables(bad_id: str) -> None:
    has(chain("payments.payment_received", whatsapp(bad_id)), f"'{bad_id}'", "letters, digits and _")


@pytest.mark.parametrize("reserved", ["trigger_data", "business", "len", "true"])
def test_reserved_ids(reserved: str) -> None:
    has(chain("payments.payment_received", whatsapp(reserved)), "reserved word")


def test_edge_to_a_missing_step() -> None:
    bp = chain("payments.payment_received", whatsapp())
    bp["edges"].append(edge("wa", "ghost"))
    has(bp, "'ghost' that does not exist")


def test_cycle() -> None:
    bp = chain("payments.payment_received", whatsapp("a"), whatsapp("b"))
    bp["edges"].append(edge("b", "a"))
    has(bp, "goes round in a circle", "a → b → a")


def test_self_loop() -> None:
    bp = chain("payments.payment_received", whatsapp("a"))
    bp["edges"].append(edge("a", "a"))
    has(bp, "circle")


def test_unreachable_step() -> None:
    bp = chain("payments.payment_received", whatsapp("a"))
    bp["nodes"].append(whatsapp("island"))
    has(bp, "step 'island' can never run".capitalize())


def test_nothing_leads_into_the_trigger() -> None:
    bp = chain("payments.payment_received", whatsapp("a"))
    bp["edges"].append(edge("a", "trigger_1"))
    found = reasons(bp)
    assert any("circle" in r or "lead into the trigger" in r for r in found)


def test_edge_into_trigger_without_cycle() -> None:
    bp = chain("payments.payment_received", whatsapp("a"))
    bp["nodes"].append(whatsapp("b"))
    bp["edges"].append(edge("b", "trigger_1"))
    has(bp, "Nothing may lead into the trigger")


# -- catalogue rules ---------------------------------------------------------


def test_unknown_trigger() -> None:
    has(
        chain("payments.paid", whatsapp()), "'payments.paid', which is not a trigger I know", "Known triggers"
    )


def test_action_used_as_trigger() -> None:
    has(chain("whatsapp.send_message", whatsapp()), "it is an action, not a trigger")


def test_unknown_action() -> None:
    has(
        chain("payments.payment_received", node("x", "whatsapp.send_sms", {"to": "owner"})),
        "'whatsapp.send_sms', which is not an action I know",
    )


def test_trigger_used_as_action() -> None:
    has(
        chain("payments.payment_received", node("x", "schedule.cron", {"cron": "0 9 * * *"})),
        "that is a trigger",
    )


def test_condition_node_must_use_logic_condition() -> None:
    bp = chain("payments.payment_received", node("c", "email.send", {}, node_type="condition"), whatsapp())
    bp["edges"][1]["branch"] = "true"
    has(bp, "condition step", "'logic.condition'")


def test_loop_node_must_use_for_each() -> None:
    bp = chain(
        "payments.payment_received",
        node("l", "logic.condition", {"expression": "true"}, node_type="loop"),
        whatsapp(),
    )
    bp["edges"][1]["branch"] = "each"
    has(bp, "loop step", "'control.for_each'")


def test_logic_condition_on_an_action_node() -> None:
    has(
        chain("payments.payment_received", node("c", "logic.condition", {"expression": "true"})),
        "its type must be 'condition'",
    )


def test_required_params() -> None:
    has(
        chain("payments.payment_received", node("wa", "whatsapp.send_message", {"to": "owner"})),
        "Step 'wa' (whatsapp.send_message) is missing 'message'",
    )


@pytest.mark.parametrize("empty", ["", "   ", None, []])
def test_empty_values_count_as_missing(empty: Any) -> None:
    has(
        chain(
            "payments.payment_received",
            node("s", "google_sheets.append_row", {"spreadsheet": "P", "values": empty}),
        ),
        "missing 'values'",
    )


def test_trigger_params_are_required() -> None:
    has(chain("schedule.cron", whatsapp()), "The trigger 'trigger_1' (schedule.cron) is missing 'cron'")
    has(chain("invoices.invoice_overdue", whatsapp()), "missing 'days'")


# -- branches ---------------------------------------------------------------


def _with_condition(branch: str | None) -> dict[str, Any]:
    bp = chain(
        "payments.payment_received",
        node(
            "c", "logic.condition", {"expression": "trigger_data.payment.amount > 5"}, node_type="condition"
        ),
        whatsapp(),
    )
    if branch is None:
        bp["edges"][1].pop("branch", None)
    else:
        bp["edges"][1]["branch"] = branch
    return bp


def test_condition_edges_need_true_or_false() -> None:
    has(_with_condition(None), "from the condition 'c' has no branch", "'true' or 'false'")
    has(_with_condition("each"), "branch 'each'", "'true' or 'false'")
    validate(_with_condition("false"))


def test_condition_leading_nowhere() -> None:
    bp = chain(
        "payments.payment_received",
        node("c", "logic.condition", {"expression": "true"}, node_type="condition"),
    )
    has(bp, "The condition 'c' leads nowhere")


def test_loop_edges_need_each_or_done() -> None:
    bp = chain(
        "invoices.invoice_created",
        node("l", "control.for_each", {"items": "{{trigger_data.invoice.items}}"}, node_type="loop"),
        whatsapp(),
    )
    bp["edges"][1]["branch"] = "true"
    found = reasons(bp)
    assert any("branch 'true'" in r and "'each' or 'done'" in r for r in found), found
    assert any("no 'each' link" in r for r in found), found


def test_plain_steps_have_no_branches() -> None:
    bp = chain("payments.payment_received", whatsapp("a"), whatsapp("b"))
    bp["edges"][1]["branch"] = "true"
    has(bp, "only condition and loop steps have branches")


# -- error handling ------------------------------------------------------------


def _handling(**handling: Any) -> dict[str, Any]:
    wa = whatsapp("a")
    wa["data"]["error_handling"] = handling
    bp = chain("payments.payment_received", wa)
    bp["nodes"].append(whatsapp("rescue", message="failed"))
    return bp


def test_fallback_needs_a_node() -> None:
    has(_handling(on_failure="fallback"), "names no fallback_node")


def test_fallback_node_must_exist() -> None:
    has(
        _handling(on_failure="fallback", fallback_node="ghost"), "falls back to 'ghost', which does not exist"
    )


def test_fallback_to_itself() -> None:
    has(_handling(on_failure="fallback", fallback_node="a"), "cannot fall back to itself")


def test_fallback_to_the_trigger() -> None:
    has(_handling(on_failure="fallback", fallback_node="trigger_1"), "cannot fall back to the trigger")


def test_fallback_node_without_fallback() -> None:
    has(_handling(on_failure="stop", fallback_node="rescue"), "on_failure is 'stop'")


def test_fallback_makes_its_node_reachable() -> None:
    validate(_handling(on_failure="fallback", fallback_node="rescue", retry_count=2))


def test_error_handling_not_on_the_trigger() -> None:
    bp = chain("payments.payment_received", whatsapp())
    bp["nodes"][0]["data"]["error_handling"] = {"retry_count": 1}
    has(bp, "The trigger 'trigger_1' cannot have error handling")


# -- values -------------------------------------------------------------------


@pytest.mark.parametrize("to", ["12345", "call me", "+91 12", "98765", "+0919876543210", "5876543210"])
def test_bad_phone_numbers(to: str) -> None:
    has(chain("payments.payment_received", whatsapp(to=to)), "is not a phone number")


@pytest.mark.parametrize("address", ["boss", "boss@", "boss@example", "a b@example.com", "owner"])
def test_bad_emails(address: str) -> None:
    has(
        chain(
            "payments.payment_received", node("m", "email.send", {"to": address, "subject": "s", "body": "b"})
        ),
        "is not an email address",
    )


def test_several_emails_and_variables_are_fine() -> None:
    validate(
        chain(
            "payments.payment_received",
            node("m", "email.send", {"to": "a@b.co, c@d.in", "subject": "s", "body": "b"}),
        )
    )
    validate(
        chain(
            "payments.payment_received",
            node("m", "email.send", {"to": "{{trigger_data.customer.email}}", "subject": "s", "body": "b"}),
        )
    )


@pytest.mark.parametrize("url", ["example.com/hook", "ftp://example.com", "https://", "http://exa mple.com"])
def test_bad_urls(url: str) -> None:
    has(
        chain("payments.payment_received", node("h", "http.request", {"method": "POST", "url": url})),
        "is not a web address",
    )
    has(
        chain(
            "payments.payment_received", node("s", "slack.post_message", {"text": "x", "webhook_url": url})
        ),
        "is not a web address",
    )


def test_choices() -> None:
    has(
        chain(
            "payments.payment_received", node("h", "http.request", {"method": "FETCH", "url": "https://x.in"})
        ),
        "'method' must be one of GET, POST",
    )
    has(
        chain(
            "schedule.cron",
            node("r", "reports.sales_summary", {"period": "year"}),
            trigger_params={"cron": "0 9 * * *"},
        ),
        "'period' must be one of today, week, month",
    )


@pytest.mark.parametrize(
    "cron", ["0 20 * *", "0 0 20 * * *", "61 9 * * *", "0 25 * * *", "every day", "@daily"]
)
def test_bad_cron(cron: str) -> None:
    has(chain("schedule.cron", whatsapp(), trigger_params={"cron": cron}), "is not a valid schedule")


def test_bad_timezone() -> None:
    has(
        chain("schedule.cron", whatsapp(), trigger_params={"cron": "0 9 * * *", "timezone": "India/Delhi"}),
        "'India/Delhi' is not a timezone",
    )
    validate(
        chain("schedule.cron", whatsapp(), trigger_params={"cron": "0 9 * * 1-5", "timezone": "Asia/Dubai"})
    )


@pytest.mark.parametrize("days", [0, -2, "two", 2.5, 1000, True])
def test_bad_overdue_days(days: Any) -> None:
    has(chain("invoices.invoice_overdue", whatsapp(), trigger_params={"days": days}), "whole number of days")


@pytest.mark.parametrize(
    "duration, words",
    [
        ("2 days", "is not a duration"),
        ("0m", "longer than zero"),
        ("400d", "at most a year"),
        ("soon", "is not a duration"),
    ],
)
def test_bad_durations(duration: str, words: str) -> None:
    has(chain("payments.payment_received", node("w", "delay.wait", {"duration": duration})), words)


def test_numbers_lists_dicts_items_and_text() -> None:
    has(
        chain(
            "payments.payment_received",
            node("s", "inventory.adjust_stock", {"product": "cement", "change": "+5"}),
        ),
        "'change' must be a number",
    )
    has(
        chain(
            "payments.payment_received",
            node("s", "google_sheets.append_row", {"spreadsheet": "P", "values": "a,b"}),
        ),
        "must be a list",
    )
    has(
        chain(
            "payments.payment_received",
            node("h", "http.request", {"method": "GET", "url": "https://x.in", "headers": [1]}),
        ),
        "name/value pairs",
    )
    has(
        chain(
            "payments.payment_received",
            node("l", "control.for_each", {"items": "a"}, node_type="loop"),
            whatsapp(),
        ),
        "'items' must be a list",
    )
    has(chain("payments.payment_received", whatsapp(message={"text": "hi"})), "'message' must be text")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "expression, words",
    [
        ("trigger_data.payment.amount >", "not a valid expression"),
        ("{{trigger_data.payment.amount}} > 5", "without {{ }}"),
        ("trigger_data.__class__", "'__'"),
        ("open('x')", "not allowed"),
    ],
)
def test_bad_conditions(expression: str, words: str) -> None:
    bp = chain(
        "payments.payment_received",
        node("c", "logic.condition", {"expression": expression}, node_type="condition"),
        whatsapp(),
    )
    bp["edges"][1]["branch"] = "true"
    has(bp, words)


# -- variables ----------------------------------------------------------------


def test_unknown_event_field() -> None:
    has(
        chain("payments.payment_received", whatsapp(message="{{trigger_data.payment.amout}}")),
        "uses {{trigger_data.payment.amout}}",
        "gives no 'payment.amout'",
    )


def test_event_field_of_another_trigger() -> None:
    has(
        chain("inventory.stock_low", whatsapp(to="{{trigger_data.customer.phone}}")),
        "the trigger (a product's stock is low) gives no 'customer.phone'",
    )


def test_condition_names_are_checked_too() -> None:
    bp = chain(
        "schedule.cron",
        node(
            "c", "logic.condition", {"expression": "trigger_data.payment.amount > 5"}, node_type="condition"
        ),
        whatsapp(),
        trigger_params={"cron": "0 9 * * *"},
    )
    bp["edges"][1]["branch"] = "true"
    has(bp, "step 'c' uses {{trigger_data.payment.amount}}".capitalize())


def test_business_fields_only() -> None:
    has(
        chain("payments.payment_received", whatsapp(message="{{business.email}}")),
        "only business.name and business.phone exist",
    )
    has(chain("payments.payment_received", whatsapp(message="{{business}}")), "only business.name")
    validate(chain("payments.payment_received", whatsapp(message="{{business.name}} {{business.phone}}")))


def test_reference_to_a_later_step() -> None:
    bp = chain("payments.payment_received", whatsapp("a", message="{{b.message_id}}"), whatsapp("b"))
    has(bp, "step 'b' does not always finish before this step")


def test_reference_to_the_other_branch() -> None:
    bp = {
        "nodes": [
            node("trigger_1", "payments.payment_received", node_type="trigger"),
            node(
                "c",
                "logic.condition",
                {"expression": "trigger_data.payment.amount > 5"},
                node_type="condition",
            ),
            whatsapp("yes"),
            whatsapp("no"),
            whatsapp("after", message="{{yes.message_id}}"),
        ],
        "edges": [
            edge("trigger_1", "c"),
            edge("c", "yes", "true"),
            edge("c", "no", "false"),
            edge("yes", "after"),
            edge("no", "after"),
        ],
    }
    has(bp, "step 'yes' does not always finish")


def test_reference_after_a_merge_to_a_common_step_is_fine() -> None:
    bp = {
        "nodes": [
            node("trigger_1", "payments.payment_received", node_type="trigger"),
            whatsapp("first"),
            node("c", "logic.condition", {"expression": "first.message_id != null"}, node_type="condition"),
            whatsapp("yes"),
            whatsapp("no"),
            whatsapp("after", message="{{first.message_id}} {{c.result}}"),
        ],
        "edges": [
            edge("trigger_1", "first"),
            edge("first", "c"),
            edge("c", "yes", "true"),
            edge("c", "no", "false"),
            edge("yes", "after"),
            edge("no", "after"),
        ],
    }
    validate(bp)


def test_reference_to_own_output() -> None:
    has(
        chain("payments.payment_received", whatsapp("a", message="{{a.message_id}}")),
        "a step cannot use its own output",
    )


def test_reference_to_an_unknown_output() -> None:
    bp = chain("payments.payment_received", whatsapp("a"), whatsapp("b", message="{{a.short_url}}"))
    has(bp, "step 'a' gives only message_id")


def test_reference_to_an_unknown_name() -> None:
    has(
        chain("payments.payment_received", whatsapp(message="{{customer.name}}")),
        "there is no step 'customer'",
    )


def test_reference_to_the_trigger_node_id() -> None:
    has(
        chain("payments.payment_received", whatsapp(message="{{trigger_1.payment.amount}}")),
        "read as trigger_data",
        "{{trigger_data.payment.amount}}",
    )


def test_output_of_a_continue_on_failure_step_is_not_certain() -> None:
    first = whatsapp("a")
    first["data"]["error_handling"] = {"on_failure": "continue"}
    has(
        chain("payments.payment_received", first, whatsapp("b", message="{{a.message_id}}")),
        "step 'a' does not always finish",
    )


def test_a_fallback_cannot_use_the_failed_steps_output() -> None:
    bp = _handling(on_failure="fallback", fallback_node="rescue")
    bp["nodes"][-1]["data"]["params"]["message"] = "{{a.message_id}}"
    has(bp, "Step 'rescue' uses {{a.message_id}}", "does not always finish")


def test_malformed_reference() -> None:
    has(chain("payments.payment_received", whatsapp(message="{{ 1 + 1 }}")), "is not a variable")


def test_webhook_bodies_are_open() -> None:
    validate(
        chain("webhook.received", whatsapp(message="{{trigger_data.order.id}} {{trigger_data.headers.X-Id}}"))
    )


# -- inputs and helpers ----------------------------------------------------------


def test_a_dict_with_a_bad_shape_gives_reasons_not_an_exception() -> None:
    found = problems({"nodes": [{"id": "x"}], "edges": []})
    assert found and all(isinstance(r, str) for r in found)
    with pytest.raises(BlueprintInvalid):
        validate({"nodes": [{"id": "x"}], "edges": []})


def test_every_problem_is_reported_at_once() -> None:
    bp = chain("payments.payment_received", whatsapp("a", to="123"), node("m", "email.send", {"to": "x"}))
    found = reasons(bp)
    assert len(found) >= 4  # bad phone, bad email, missing subject, missing body
    assert isinstance(BlueprintInvalid(found), FlowError)


def test_value_helpers() -> None:
    assert is_phone("+91 98765-43210") and not is_phone("hello")
    assert is_email("a.b+c@shop.co.in") and not is_email("a@b")
    assert is_url("https://hooks.slack.com/services/x") and not is_url("hooks.slack.com")
    assert is_cron("*/15 9-18 * * 1-5") and not is_cron("0 9 * * * *")
    assert is_timezone("Asia/Kolkata") and not is_timezone("Mars/Olympus")
    assert (
        duration_seconds("30m") == 1800
        and duration_seconds("2h") == 7200
        and duration_seconds("3d") == 259200
    )
    assert duration_seconds("5s") == 5
    with pytest.raises(FlowError):
        duration_seconds("3 weeks")


class _Params(BaseModel):
    to: str
    message: str
    content_sid: str


class _StrictWhatsApp(BaseTool):
    name = "whatsapp.send_message"
    description = "Send a WhatsApp"
    Params = _Params
    outputs = ("message_id", "sid")

    def run(self, ctx: Any, params: Any) -> dict[str, Any]:  # pragma: no cover
        return {}


def test_the_live_registry_decides_required_params_and_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools.registry, "REGISTRY", {"whatsapp.send_message": _StrictWhatsApp()})
    has(chain("payments.payment_received", whatsapp()), "missing 'content_sid'")
    params = {"to": "owner", "message": "x", "content_sid": "HX1"}
    validate(
        chain(
            "payments.payment_received",
            node("a", "whatsapp.send_message", params),
            node("b", "whatsapp.send_message", {**params, "message": "{{a.sid}}"}),
        )
    )
