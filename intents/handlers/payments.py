"""Payment handlers: record money received, and the money questions (who owes, what came in, what sold)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.errors import MunshiError, NotFound
from intents.handlers.customers import (
    answer_amount,
    ask_which,
    dstr,
    failed,
    field,
    find_customer,
    merge_customer_answer,
    run_tool,
)
from intents.handlers.types import Outcome, Turn
from storage.ledger import dec, inr, invoice_due, outstanding, to_paise
from storage.models import Invoice, Payment, PaymentAllocation
from tools.invoices import resolve_invoice
from tools.payments import METHOD_LABELS, canonical_method
from tools.reports import collections_report, sales_report, unpaid_report

_DETAIL_LABELS = {
    "gpay": "GPay",
    "phonepe": "PhonePe",
    "paytm": "Paytm",
    "bhim": "BHIM",
    "amazonpay": "Amazon Pay",
    "neft": "NEFT",
    "imps": "IMPS",
    "rtgs": "RTGS",
    "credit": "credit card",
    "debit": "debit card",
}


def _pending(slots: dict[str, Any], expecting: str, **extra: Any) -> dict[str, Any]:
    return {"intent": "record_payment", "expecting": expecting, "slots": slots, **extra}


def record_payment(turn: Turn, u: Any) -> Outcome:
    """ "Mahesh paid 700", "got 3000 from Rekha on PhonePe", "Tarun ne 1200 bhej diye"."""
    pending = turn.pending
    if pending:
        slots = dict(pending.get("slots") or {})
        expecting = pending.get("expecting")
        if expecting in ("customer", "choice"):
            asked = merge_customer_answer(u, pending, slots)
            if asked is not None:
                return asked
        elif expecting in ("amount", "unit_price"):
            amount = answer_amount(u)
            if amount is None or amount <= 0:
                return Outcome(["How much was paid? Send just the amount, e.g. *1500*."], pending=pending)
            slots["amount"] = str(amount)
        if field(u, "method") and not slots.get("method"):
            slots["method"], slots["method_detail"] = field(u, "method"), field(u, "method_detail")
    else:
        slots = {
            "customer": field(u, "customer"),
            "customer_id": None,
            "new_customer": False,
            "amount": dstr(field(u, "amount")) or dstr(field(u, "price")),
            "method": field(u, "method"),
            "method_detail": field(u, "method_detail"),
            "invoice": field(u, "invoice_number"),
            "full": bool(_FULL.search(field(u, "text") or "")),
        }
    return _proceed(turn, slots)


def _due_for(turn: Turn, slots: dict[str, Any], invoice: Invoice | None) -> int | Outcome:
    """What "paid in full" means: the invoice's due, else everything the customer owes."""
    if invoice is not None:
        return invoice_due(invoice)
    match = find_customer(turn, slots["customer"])
    if match.options:
        return ask_which({"intent": "record_payment", "slots": slots}, match, "paid")
    if match.customer_id is None:
        return 0
    slots.update(customer_id=match.customer_id, customer=match.name)
    return sum(o.due_paise for o in outstanding(turn.session, turn.business_id, match.customer_id))


_FULL = re.compile(
    r"\b(?:full|fully|in full|whole|entire|complete|completely|all|everything|pura|poora|"
    r"sab|saara|sara|clear(?:ed)?|settled?)\b",
    re.IGNORECASE,
)


def _proceed(turn: Turn, slots: dict[str, Any]) -> Outcome:
    invoice: Invoice | None = None
    if slots.get("invoice"):
        try:
            invoice = resolve_invoice(turn.session, turn.business_id, slots["invoice"])
        except NotFound:
            return Outcome([f"I can't find invoice {slots['invoice']}. Send *list invoices* to see them."])
        if slots.get("customer_id") is None and not slots.get("customer"):
            slots.update(customer_id=invoice.customer_id, customer=invoice.customer.name)
    if not slots.get("amount") and slots.get("full") and (slots.get("customer") or invoice is not None):
        due = _due_for(turn, slots, invoice)
        if isinstance(due, Outcome):
            return due
        if due:
            slots["amount"] = str(Decimal(due) / 100)
    if not slots.get("amount"):
        who = f" {slots['customer']}" if slots.get("customer") else ""
        return Outcome([f"How much did{who or ' they'} pay?"], pending=_pending(slots, "amount"))
    if slots.get("customer_id") is None and not slots.get("new_customer"):
        if not slots.get("customer"):
            return Outcome(
                [f"Who paid {inr(to_paise(slots['amount']))}? Send the customer's name."],
                pending=_pending(slots, "customer"),
            )
        match = find_customer(turn, slots["customer"])
        if match.options:
            return ask_which({"intent": "record_payment", "slots": slots}, match, "paid")
        if match.customer_id is not None:
            slots.update(customer_id=match.customer_id, customer=match.name)
        else:
            slots["new_customer"] = True
    method = canonical_method(slots.get("method")) or canonical_method(slots.get("method_detail"))
    try:
        out = run_tool(
            turn,
            "payments.record_payment",
            amount=slots["amount"],
            customer_id=slots.get("customer_id"),
            customer=None if slots.get("customer_id") else slots.get("customer"),
            method=method,
            invoice=invoice.number if invoice else None,
        )
    except MunshiError as exc:
        return failed(exc)
    payment = turn.session.get(Payment, out["id"])
    assert payment is not None
    name = payment.customer.name if payment.customer else "someone"
    how = METHOD_LABELS.get(method or "", "")
    detail = _DETAIL_LABELS.get((slots.get("method_detail") or "").lower())
    if detail and detail.lower() != how.lower():
        how = f"{how} · {detail}" if how else detail
    lines = [f"💰 Got {inr(payment.amount_paise)} from {name}" + (f" ({how})" if how else "") + "."]
    for alloc in turn.session.scalars(
        select(PaymentAllocation)
        .where(PaymentAllocation.payment_id == payment.id)
        .order_by(PaymentAllocation.id)
    ):
        inv = turn.session.get(Invoice, alloc.invoice_id)
        assert inv is not None
        due = inv.total_paise - inv.paid_paise
        state = "paid in full ✅" if due <= 0 else f"{inr(due)} still due"
        lines.append(f"• {inr(alloc.amount_paise)} → {inv.number}: {state}")
    advance = dec(out.get("advance")) or 0
    if advance and out["applied"]:
        lines.append(f"{inr(to_paise(advance))} more than the open bills — kept as advance.")
    elif not out["applied"]:
        lines.append(f"{name} had no unpaid bills, so it's kept as an advance.")
    if out["customer"] and slots.get("new_customer"):
        lines.append(f"👤 New customer {name} added.")
    lines.append("Reply *undo* to remove it.")
    return Outcome(["\n".join(lines)], last={"payment_id": payment.id, "customer_id": payment.customer_id})


def unpaid_query(turn: Turn, u: Any) -> Outcome:
    """ "who hasn't paid me?", "pending payments?", "how much does Mahesh owe?"."""
    customer_id = None
    if field(u, "customer") and not field(u, "all_customers"):
        match = find_customer(turn, field(u, "customer"))
        if match.options:
            return Outcome([f"Which {match.name}? " + ", ".join(o[1] for o in match.options)])
        if match.customer_id is None:
            return Outcome([f"I don't have a customer called {field(u, 'customer')}."])
        customer_id = match.customer_id
        report = unpaid_report(turn.session, turn.business_id, customer_id)
        if not report["count"]:
            return Outcome([f"{match.name} owes you nothing. ✅"])
        return Outcome(
            [report["text"] + f"\nSend *remind {match.name}* to send a polite reminder."],
            last={"customer_id": customer_id},
        )
    report = unpaid_report(turn.session, turn.business_id)
    text = report["text"]
    if report["count"]:
        text += "\nSend *remind everyone who owes me* to send them a polite reminder."
    return Outcome([text])


def collections_query(turn: Turn, u: Any) -> Outcome:
    """ "what did I collect this week?", "aaj kitna aaya?"."""
    return Outcome(
        [collections_report(turn.session, turn.business_id, field(u, "period") or "today")["text"]]
    )


def sales_query(turn: Turn, u: Any) -> Outcome:
    """ "today's sales", "how much did I sell this month?"."""
    return Outcome([sales_report(turn.session, turn.business_id, field(u, "period") or "today")["text"]])
