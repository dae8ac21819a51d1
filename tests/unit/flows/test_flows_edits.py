"""flows.phrases.edit / edit_draft: changing a draft in plain words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import BlueprintInvalid, UnderstandingError
from flows.phrases import Draft, draft_from_text, edit, edit_draft, parse_rename
from flows.schema import Blueprint
from flows.summary import step_order
from flows.validate import problems

WA = "whatsapp.send_message"


def keys(bp: Blueprint) -> list[str]:
    return [bp.node(n).key for n in step_order(bp)]  # type: ignore[union-attr]


def condition(bp: Blueprint) -> str | None:
    found = [n.params["expression"] for n in bp.nodes if n.type == "condition"]
    return found[0] if found else None


@pytest.fixture
def thanks() -> Draft:
    return draft_from_text("When someone pays me, WhatsApp them thanks")


def test_the_issue_dialogue(thanks: Draft) -> None:
    """d-wf-06 and the issue's examples, one after the other; every step stays valid."""
    draft, change = edit_draft(thanks, "also email me at me@example.com")
    assert keys(draft.blueprint) == [WA, "email.send"] and change.startswith("Added: Email me@example.com")
    draft, change = edit_draft(draft, "and log it in my sheet")
    assert keys(draft.blueprint) == [WA, "email.send", "google_sheets.append_row"]
    draft, change = edit_draft(draft, "skip the email")
    assert keys(draft.blueprint) == [WA, "google_sheets.append_row"] and change.startswith("Removed: Email")
    draft, change = edit_draft(draft, "make the message say 'Thanks a lot!'")
    assert draft.blueprint.nodes[1].params["message"] == "Thanks a lot!"
    assert change == 'The WhatsApp message now says "Thanks a lot!".'
    draft, change = edit_draft(draft, "only if it is more than 10000")
    assert condition(draft.blueprint) == "trigger_data.payment.amount > 10000"
    draft, change = edit_draft(draft, "change the amount to 50000")
    assert condition(draft.blueprint) == "trigger_data.payment.amount > 50000"
    assert change == "Now it runs only if the amount is more than ₹50,000."
    draft, change = edit_draft(draft, "wait 3 days instead")
    assert keys(draft.blueprint)[0] == "delay.wait" and change.startswith("It now waits 3 days")
    draft, change = edit_draft(draft, "call it Payment thanks")
    assert draft.name == "Payment thanks" and change == "Renamed it to 'Payment thanks'."
    draft, change = edit_draft(draft, "remove the sheet step")
    assert keys(draft.blueprint) == ["delay.wait", WA]
    assert draft.summary().startswith(
        "Payment thanks\nWhen a payment is received, if the amount is more than"
    )
    assert problems(draft.blueprint) == []


@pytest.mark.parametrize(
    "words, added",
    [
        ("also email me at me@example.com", "email.send"),
        ("and email me at me@example.com too", "email.send"),
        ("and log it in my sheet", "google_sheets.append_row"),
        ("add a step to log it in my sheet 'Accounts'", "google_sheets.append_row"),
        ("also add a row to google sheets", "google_sheets.append_row"),
        ("also post to slack", "slack.post_message"),
        ("and WhatsApp me too", WA),
        ("also let my manager at 9876512345 know", WA),
        ("then call https://example.com/hook", "http.request"),
        ("plus send me a copy on email at a@b.in", "email.send"),
    ],
)
def test_adding_steps(thanks: Draft, words: str, added: str) -> None:
    bp, change = edit(thanks.blueprint, words)
    assert keys(bp) == [WA, added], change
    assert change.startswith("Added:")
    assert problems(bp) == []


def test_added_steps_go_after_the_condition_on_the_true_branch() -> None:
    draft = draft_from_text("If someone pays more than 5000, WhatsApp me")
    bp, _ = edit(draft.blueprint, "also log it in my sheet")
    sheet = next(n for n in bp.nodes if n.key == "google_sheets.append_row")
    whatsapp = next(n for n in bp.nodes if n.key == WA)
    assert [e.source for e in bp.incoming(sheet.id)] == [whatsapp.id]


def test_adding_to_a_flow_with_no_steps() -> None:
    draft = draft_from_text("When someone pays me")
    new, _change = edit_draft(draft, "WhatsApp them a thank you")
    assert keys(new.blueprint) == [WA] and new.ready


def test_adding_a_step_that_needs_more_words_asks() -> None:
    draft = draft_from_text("When someone pays me, WhatsApp them thanks")
    with pytest.raises(UnderstandingError, match="email address"):
        edit(draft.blueprint, "also email me")


def test_a_missing_thing_supplied_later_is_no_longer_missing() -> None:
    draft = draft_from_text("When stock is low, WhatsApp my distributor")
    assert not draft.ready
    new, _ = edit_draft(draft, "WhatsApp my distributor at 98765 11111")
    assert new.ready and keys(new.blueprint) == [WA]
    assert new.blueprint.nodes[1].params["to"] == "+919876511111"


@pytest.mark.parametrize(
    "words, left",
    [
        ("skip the email", [WA, "google_sheets.append_row"]),
        ("remove the email", [WA, "google_sheets.append_row"]),
        ("don't send the email", [WA, "google_sheets.append_row"]),
        ("no need for the sheet", [WA, "email.send"]),
        ("remove the sheet step", [WA, "email.send"]),
        ("drop the google sheet", [WA, "email.send"]),
        ("delete the whatsapp", ["email.send", "google_sheets.append_row"]),
        ("don't message them", ["email.send", "google_sheets.append_row"]),
        ("remove step 2", [WA, "google_sheets.append_row"]),
        ("remove the second step", [WA, "google_sheets.append_row"]),
        ("delete the last step", [WA, "email.send"]),
        ("skip step one", ["email.send", "google_sheets.append_row"]),
    ],
)
def test_removing_steps(words: str, left: list[str]) -> None:
    draft = draft_from_text("When someone pays, WhatsApp them, email me at a@b.in and log it in my sheet")
    bp, change = edit(draft.blueprint, words)
    assert keys(bp) == left, change
    assert change.startswith("Removed:")
    assert problems(bp) == []


def test_removing_one_of_two_whatsapps_needs_to_know_which() -> None:
    draft = draft_from_text("When someone pays, WhatsApp them and WhatsApp me")
    with pytest.raises(UnderstandingError, match="Which one"):
        edit(draft.blueprint, "remove the whatsapp")
    bp, _ = edit(draft.blueprint, "remove the whatsapp to me")
    assert [n.params["to"] for n in bp.nodes if n.key == WA] == ["{{trigger_data.customer.phone}}"]
    bp, _ = edit(draft.blueprint, "remove both whatsapps")
    assert keys(bp) == []


def test_removing_a_report_removes_what_used_it() -> None:
    draft = draft_from_text("Every day at 8pm send me today's sales")
    bp, change = edit(draft.blueprint, "remove the sales summary")
    assert keys(bp) == [] and "1 step(s) that used it" in change
    assert problems(bp) == []


def test_removing_the_condition_keeps_the_true_branch() -> None:
    draft = draft_from_text("If a payment is over 25000 WhatsApp me, otherwise thank the customer")
    bp, _ = edit(draft.blueprint, "remove the condition")
    assert condition(bp) is None
    assert [n.params["to"] for n in bp.nodes if n.key == WA] == ["owner"]


def test_removing_a_step_that_is_not_there() -> None:
    with pytest.raises(UnderstandingError, match="not in this automation"):
        edit(draft_from_text("When someone pays, WhatsApp me").blueprint, "skip the email")
    with pytest.raises(UnderstandingError, match="no step 5"):
        edit(draft_from_text("When someone pays, WhatsApp me").blueprint, "remove step 5")


@pytest.mark.parametrize(
    "words, text",
    [
        ("make the message say 'Thanks a lot!'", "Thanks a lot!"),
        ('change the message to "Thank you so much!"', "Thank you so much!"),
        ("the message should say Thanks, visit again", "Thanks, visit again"),
        ("make it say 'Dhanyavaad {name}'", "Dhanyavaad {{trigger_data.customer.name}}"),
        ("change the text to: Got ₹{amount}, thanks!", "Got ₹{{trigger_data.payment.amount}}, thanks!"),
        ("say 'Shukriya!' instead", "Shukriya!"),
        ("make the thank you note say 'Thanks!'", "Thanks!"),
    ],
)
def test_changing_the_message(thanks: Draft, words: str, text: str) -> None:
    bp, change = edit(thanks.blueprint, words)
    assert bp.nodes[1].params["message"] == text
    assert change.startswith("The WhatsApp message now says")


def test_changing_the_customer_message_when_there_are_two() -> None:
    draft = draft_from_text("When someone pays, WhatsApp me and WhatsApp them")
    bp, _ = edit(draft.blueprint, "make the message say 'Thanks!'")
    assert {n.params["to"]: n.params["message"] for n in bp.nodes if n.key == WA}[
        "{{trigger_data.customer.phone}}"
    ] == "Thanks!"


def test_changing_email_text_and_subject() -> None:
    draft = draft_from_text("When someone pays, email me at a@b.in")
    bp, _ = edit(draft.blueprint, "change the email subject to 'Money in'")
    bp, _ = edit(bp, "make the email say 'See the sheet'")
    mail = next(n for n in bp.nodes if n.key == "email.send")
    assert mail.params["subject"] == "Money in" and mail.params["body"] == "See the sheet"


def test_changing_the_message_needs_words() -> None:
    with pytest.raises(UnderstandingError, match="What should the message say"):
        edit(draft_from_text("When someone pays, WhatsApp them").blueprint, "change the message to")


@pytest.mark.parametrize(
    "words, expression",
    [
        ("change the amount to 50000", "trigger_data.payment.amount > 50000"),
        ("make it 10000 instead", "trigger_data.payment.amount > 10000"),
        ("make it less than 2000", "trigger_data.payment.amount < 2000"),
        ("only above 1 lakh", "trigger_data.payment.amount > 100000"),
        ("change the limit to 30k", "trigger_data.payment.amount > 30000"),
    ],
)
def test_changing_the_condition(words: str, expression: str) -> None:
    draft = draft_from_text("If someone pays more than 25000, WhatsApp me")
    bp, change = edit(draft.blueprint, words)
    assert condition(bp) == expression, change


def test_adding_conditions_to_a_flow_without_one(thanks: Draft) -> None:
    bp, _ = edit(thanks.blueprint, "only for payments above 5000")
    assert condition(bp) == "trigger_data.payment.amount > 5000"
    bp, _ = edit(bp, "only from Ramesh")
    assert condition(bp) == (
        'trigger_data.payment.amount > 5000 and "ramesh" in lower(str(trigger_data.customer.name))'
    )
    bp, _ = edit(bp, "only from Suresh")
    assert '"suresh"' in (condition(bp) or "") and '"ramesh"' not in (condition(bp) or "")
    bp, _ = edit(thanks.blueprint, "change the amount to 50000")
    assert condition(bp) == "trigger_data.payment.amount >= 50000"


def test_changing_amounts_of_steps() -> None:
    draft = draft_from_text("When I get a webhook, add 20 bags of cement to stock")
    bp, _ = edit(draft.blueprint, "change the amount to 50")
    assert next(n for n in bp.nodes if n.key == "inventory.adjust_stock").params["change"] == 50


@pytest.mark.parametrize(
    "words, duration",
    [
        ("wait 3 days instead", "3d"),
        ("make it 1 day", "1d"),
        ("wait 2 hours", "2h"),
        ("after 30 minutes instead", "30m"),
    ],
)
def test_changing_the_wait(words: str, duration: str) -> None:
    draft = draft_from_text("When someone pays, wait 2 days and then thank them")
    bp, _ = edit(draft.blueprint, words)
    assert [n.params["duration"] for n in bp.nodes if n.key == "delay.wait"] == [duration]


def test_adding_a_wait_before_the_first_step(thanks: Draft) -> None:
    bp, change = edit(thanks.blueprint, "wait 2 hours before sending")
    assert keys(bp) == ["delay.wait", WA] and "before the next step" in change
    draft = draft_from_text("If someone pays more than 5000, WhatsApp me")
    bp, _ = edit(draft.blueprint, "wait 10 minutes first")
    assert keys(bp) == ["delay.wait", WA] and condition(bp)
    assert problems(bp) == []


@pytest.mark.parametrize(
    "words, cron",
    [
        ("make it 9pm instead", "0 21 * * *"),
        ("do it at 7:30 am", "30 7 * * *"),
        ("change it to every Friday", "0 20 * * 5"),
        ("every Monday at 10am instead", "0 10 * * 1"),
        ("run it on weekdays", "0 20 * * 1-5"),
    ],
)
def test_changing_the_schedule(words: str, cron: str) -> None:
    draft = draft_from_text("Every day at 8pm send me today's sales")
    new, change = edit_draft(draft, words)
    assert new.blueprint.trigger.params["cron"] == cron  # type: ignore[union-attr]
    assert change.startswith("It now runs:")
    assert new.name.startswith("Every")  # the generated name follows the schedule


def test_changing_overdue_days() -> None:
    draft = draft_from_text("two days after an invoice, if it is still unpaid, remind the customer")
    bp, _ = edit(draft.blueprint, "make it 5 days")
    assert bp.trigger.params == {"days": 5}  # type: ignore[union-attr]


def test_switching_to_razorpay_payments(thanks: Draft) -> None:
    bp, change = edit(thanks.blueprint, "make it when a razorpay payment comes in instead")
    assert bp.trigger.key == "razorpay.payment_received"  # type: ignore[union-attr]
    assert change == "It now starts: When a Razorpay payment is received."


def test_a_trigger_switch_that_breaks_variables_is_refused(thanks: Draft) -> None:
    with pytest.raises(UnderstandingError, match="cannot switch the trigger"):
        edit(thanks.blueprint, "make it every day at 9pm instead")


@pytest.mark.parametrize(
    "words, to",
    [
        ("send it to me instead", "owner"),
        ("WhatsApp 98765 43210 instead", "+919876543210"),
    ],
)
def test_changing_the_recipient(thanks: Draft, words: str, to: str) -> None:
    bp, _ = edit(thanks.blueprint, words)
    assert bp.nodes[1].params["to"] == to


def test_changing_the_recipient_back_to_the_customer() -> None:
    draft = draft_from_text("When someone pays, WhatsApp me")
    bp, _ = edit(draft.blueprint, "send it to the customer instead")
    assert bp.nodes[1].params["to"] == "{{trigger_data.customer.phone}}"


def test_changing_the_email_address() -> None:
    draft = draft_from_text("When someone pays, email me at a@b.in")
    bp, _ = edit(draft.blueprint, "use boss@shop.in instead")
    assert next(n for n in bp.nodes if n.key == "email.send").params["to"] == "boss@shop.in"


def test_changing_the_sheet_name() -> None:
    draft = draft_from_text("When someone pays, log it in my sheet")
    bp, _ = edit(draft.blueprint, "use the sheet 'Accounts 2024'")
    assert (
        next(n for n in bp.nodes if n.key == "google_sheets.append_row").params["spreadsheet"]
        == "Accounts 2024"
    )


@pytest.mark.parametrize(
    "words, name",
    [
        ("call it Payment thanks", "Payment thanks"),
        ("Call it 'Big payments'", "Big payments"),
        ("rename it to Thank you flow", "Thank you flow"),
        ("name this automation Daily sales.", "Daily sales"),
        ("rename to Rent reminder", "Rent reminder"),
        ("change the name to Stock alert", "Stock alert"),
    ],
)
def test_rename(thanks: Draft, words: str, name: str) -> None:
    assert parse_rename(words) == name
    new, _change = edit_draft(thanks, words)
    assert new.name == name and new.blueprint.to_dict() == thanks.blueprint.to_dict()
    bp, _ = edit(thanks.blueprint, words)
    assert bp.to_dict() == thanks.blueprint.to_dict()


def test_a_name_the_owner_gave_is_kept_through_edits(thanks: Draft) -> None:
    named, _ = edit_draft(thanks, "call it Thanks")
    changed, _ = edit_draft(named, "also email me at a@b.in")
    assert changed.name == "Thanks"
    auto, _ = edit_draft(thanks, "also email me at a@b.in")
    assert auto.name == "Payment: WhatsApp customer, email"


def test_words_that_are_no_change_raise(thanks: Draft) -> None:
    for words in ("frobnicate it", "hello", "yes please"):
        with pytest.raises(UnderstandingError, match="did not understand"):
            edit(thanks.blueprint, words)


def test_the_original_blueprint_is_not_changed(thanks: Draft) -> None:
    before = thanks.blueprint.to_dict()
    edit(thanks.blueprint, "also email me at a@b.in")
    edit(thanks.blueprint, "skip the whatsapp")
    edit(thanks.blueprint, "make the message say 'x'")
    assert thanks.blueprint.to_dict() == before


def test_notes_from_edits_are_kept(thanks: Draft) -> None:
    new, _ = edit_draft(thanks, "and log it in my sheet")
    assert any("Payments" in n for n in new.notes)


_EDIT_WORDS = st.sampled_from(
    (
        "also and then skip remove delete don't make change the message say 'Thanks!' amount to 50000 "
        "wait 3 days instead call it name rename email me at a@b.co log it in my sheet post to slack "
        "step 2 second last whatsapp me them customer 98765 43210 only from Ramesh above 5000 below "
        "every friday at 9pm condition check https://x.in/h subject 'Hi' use 'Accounts' hours minutes day"
    ).split()
)
_START = st.sampled_from(
    [
        "When someone pays me, WhatsApp them thanks",
        "If someone pays more than 25000, WhatsApp me and log it in my sheet",
        "Every day at 8pm send me today's sales",
        "two days after an invoice, if it is still unpaid, remind the customer",
        "When stock is low, WhatsApp my distributor",
        "If a payment is over 25000 WhatsApp me, otherwise just thank the customer",
        "When someone pays me",
    ]
)


@settings(max_examples=300, deadline=None)
@given(_START, st.lists(st.lists(_EDIT_WORDS, min_size=1, max_size=8), min_size=1, max_size=3))
def test_any_edit_keeps_the_draft_valid_or_says_why_not(start: str, edits: list[list[str]]) -> None:
    draft = draft_from_text(start)
    for words in edits:
        try:
            draft, change = edit_draft(draft, " ".join(words))
        except (UnderstandingError, BlueprintInvalid):
            continue
        assert change
        assert problems(draft.blueprint) == []
