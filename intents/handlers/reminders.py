"""Reminders: "remind Ramesh" / "remind everyone who owes me".

The owner first sees the list (who, how much, and who is skipped for having
no phone number) and says YES; then each customer gets one polite WhatsApp
with the amount due (and a Razorpay payment link when Razorpay is connected),
sent through the channel with an idempotency key per confirmation, so a
retried job never sends a second reminder.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from intents.handlers.customers import deliver, field, find_customer
from intents.handlers.types import Outcome, Turn
from storage.ledger import inr, outstanding
from storage.models import Business, Customer


def remind(turn: Turn, u: Any) -> Outcome:
    """List whom a reminder would go to and ask for YES."""
    customer_id = None
    if field(u, "customer") and not field(u, "all_customers"):
        match = find_customer(turn, field(u, "customer"))
        if match.options:
            return Outcome([f"Which {match.name}? " + ", ".join(o[1] for o in match.options)])
        if match.customer_id is None:
            return Outcome([f"I don't have a customer called {field(u, 'customer')}."])
        customer_id = match.customer_id
    owed = outstanding(turn.session, turn.business_id, customer_id)
    if not owed:
        name = field(u, "customer")
        return Outcome(
            [f"{name} owes you nothing. ✅" if customer_id else "Nobody owes you anything right now. 🎉"]
        )
    reachable = [o for o in owed if o.customer.phone]
    skipped = [o for o in owed if not o.customer.phone]
    skip_text = ""
    if skipped:
        names = ", ".join(o.customer.name for o in skipped)
        skip_text = (
            f"\nNo WhatsApp number saved for {names}, so I'll skip "
            f"{'them' if len(skipped) > 1 else 'this one'}. Save one with e.g. "
            f"*{skipped[0].customer.name}'s number is 98765 43210*."
        )
    if not reachable:
        names = ", ".join(f"{o.customer.name} ({inr(o.due_paise)})" for o in skipped)
        return Outcome(
            [
                f"I can't remind {names}: no WhatsApp number is saved. Save one with e.g. "
                f"*{skipped[0].customer.name}'s number is 98765 43210*, then ask again."
            ]
        )
    listed = "\n".join(f"• {o.customer.name}: {inr(o.due_paise)} ({o.customer.phone})" for o in reachable)
    count = len(reachable)
    question = (
        f"Send a polite payment reminder to {count} customer{'s' if count > 1 else ''}?\n{listed}"
        f"{skip_text}\nReply *YES* to send."
    )
    return Outcome(
        [question],
        confirm={
            "kind": "send_reminders",
            "question": question,
            "customers": [[o.customer.id, o.due_paise] for o in reachable],
            "skipped": [o.customer.name for o in skipped],
            "nonce": uuid.uuid4().hex[:12],
            "summary": f"payment reminders to {count} customer{'s' if count > 1 else ''}",
            "declined": "OK, no reminders sent.",
        },
    )


def confirm_reminders(turn: Turn, confirm: dict[str, Any]) -> Outcome:
    """After YES: one WhatsApp per customer still owing, with the amount due now."""
    biz = turn.session.get(Business, turn.business_id)
    shop = f" from {biz.name}" if biz and biz.name else ""
    sent, settled, failed = [], [], []
    for customer_id, _ in confirm.get("customers") or []:
        customer = turn.session.get(Customer, customer_id)
        if customer is None or customer.business_id != turn.business_id or not customer.phone:
            continue
        owed = outstanding(turn.session, turn.business_id, customer_id)
        if not owed:
            settled.append(customer.name)  # paid between the question and the YES
            continue
        due = owed[0].due_paise
        numbers = ", ".join(i.number for i in owed[0].invoices[:5])
        body = (
            f"Namaste {customer.name} ji 🙏\nThis is a gentle reminder{shop}: {inr(due)} is due "
            f"(invoice{'s' if len(owed[0].invoices) > 1 else ''} {numbers})."
        )
        link = _link(turn, owed[0].invoices[-1], due, f"remind-{customer_id}-{confirm.get('nonce')}")
        if link:
            body += f"\nPay online: {link}"
        body += "\nPlease ignore this if you have already paid. Thank you!"
        error = deliver(turn, customer.phone, body, f"reminder-{customer_id}-{confirm.get('nonce')}")
        if error:
            failed.append(f"{customer.name} ({error})")
            continue
        sent.append(f"{customer.name} ({inr(due)})")
    lines = [f"✅ Reminder sent to {', '.join(sent)}." if sent else "No reminders were sent."]
    if settled:
        lines.append(f"Already paid up, so not reminded: {', '.join(settled)}.")
    if failed:
        lines.append(f"⚠️ Couldn't send to {', '.join(failed)}.")
    if confirm.get("skipped"):
        lines.append(f"Skipped (no phone): {', '.join(confirm['skipped'])}.")
    return Outcome(["\n".join(lines)])


def _link(turn: Turn, invoice: Any, due_paise: int, key: str) -> str | None:
    """A Razorpay payment link for what is due, when Razorpay is connected (else None)."""
    from tools import registry

    if "razorpay.create_payment_link" not in registry.REGISTRY:
        return None
    from intents.handlers.invoices import _razorpay_ready, create_link

    if not _razorpay_ready(turn):
        return None
    return create_link(turn, invoice, Decimal(due_paise) / 100, key)[0]
