"""Invoice handlers: create (asking for what is missing), correct, cancel, show, list, send, payment link.

Creating asks, one question at a time, for what the message left out: the
customer ("Who is this invoice for?"), which of several customers with that
name, the items, and a price the catalogue doesn't have ("At what price per
bag of cement?"). The slots gathered so far travel in ``Outcome.pending`` and
come back with the answer. Sending an invoice or a payment link messages the
customer, so it waits for the owner's YES (``Outcome.confirm``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from bot.errors import MunshiError, NotFound
from intents.handlers.customers import (
    Match,
    answer_amount,
    ask_which,
    catalogue_name,
    deliver,
    dstr,
    failed,
    field,
    find_customer,
    merge_customer_answer,
    pick_choice,
    run_tool,
)
from intents.handlers.types import Outcome, Turn
from storage.ledger import (
    canonical_unit,
    dec,
    e164,
    inr,
    invoice_due,
    product_key,
    qty_unit,
    to_paise,
    unit_text,
)
from storage.models import Customer, Invoice, InvoiceStatus
from tools.invoices import invoice_row, invoice_text, item_line, recent_invoices, resolve_invoice

# ------------------------------------------------------------------ slots


def _get(item: Any, key: str) -> Any:
    """A field of an `Item` or of its dumped dict."""
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def _item_dict(item: Any) -> dict[str, Any]:
    def get(key: str) -> Any:
        return _get(item, key)

    return {
        "product": get("product"),
        "quantity": dstr(get("quantity")),
        "unit": get("unit"),
        "unit_price": dstr(get("unit_price")),
        "price_unit": get("price_unit"),
    }


def _items_from(u: Any) -> list[dict[str, Any]]:
    items = [_item_dict(i) for i in field(u, "items") or [] if getattr(i, "product", None)]
    if not items and field(u, "product"):
        items = [
            {
                "product": field(u, "product"),
                "quantity": dstr(field(u, "quantity")) or "1",
                "unit": field(u, "unit"),
                "unit_price": dstr(field(u, "price")),
                "price_unit": None,
            }
        ]
    for it in items:
        it["quantity"] = it["quantity"] or "1"
    return items


def _slots_from(u: Any) -> dict[str, Any]:
    return {
        "customer": field(u, "customer"),
        "customer_id": None,
        "new_customer": False,
        "items": _items_from(u),
        "gst_rate": dstr(field(u, "gst_rate")),
    }


def _merge_answer(turn: Turn, u: Any, pending: dict[str, Any]) -> dict[str, Any] | Outcome:
    """The pending slots with the owner's answer to the question asked."""
    slots = dict(pending.get("slots") or {})
    expecting = pending.get("expecting")
    if field(u, "gst_rate") is not None:
        slots["gst_rate"] = dstr(field(u, "gst_rate"))
    if expecting in ("customer", "choice"):
        asked = merge_customer_answer(u, pending, slots)
        if asked is not None:
            return asked
        if expecting == "customer" and not slots.get("items"):
            slots["items"] = _items_from(u)
    elif expecting == "items":
        items = _items_from(u)
        if not items:
            return Outcome([_ask_items_text(slots.get("customer") or "them")], pending=pending)
        slots["items"] = items
        if field(u, "customer") and not slots.get("customer"):
            slots["customer"] = field(u, "customer")
    elif expecting == "unit_price":
        price = answer_amount(u)
        index = int(pending.get("index", 0))
        if price is None or price < 0 or index >= len(slots.get("items") or []):
            return Outcome(
                [pending.get("question") or "At what price? Send just the amount, e.g. *340*."],
                pending=pending,
            )
        item = slots["items"][index]
        item["unit_price"] = str(price)
        answered = field(u, "items") or []
        answered_unit = field(u, "unit") or (getattr(answered[0], "price_unit", None) if answered else None)
        item["price_unit"] = canonical_unit(answered_unit) if answered_unit else item.get("unit")
    return slots


def _ask_items_text(name: str) -> str:
    return f"What should go on the bill for {name}? e.g. *3 bags cement at 340*"


# ------------------------------------------------------------------ create


def create_invoice(turn: Turn, u: Any) -> Outcome:
    """ "bill Mahesh 8 bags cement at 345", or a step of the questions it leads to."""
    if turn.pending:
        merged = _merge_answer(turn, u, turn.pending)
        if isinstance(merged, Outcome):
            return merged
        slots = merged
    else:
        slots = _slots_from(u)
    return _proceed(turn, slots)


def _pending(slots: dict[str, Any], expecting: str, **extra: Any) -> dict[str, Any]:
    return {"intent": "create_invoice", "expecting": expecting, "slots": slots, **extra}


def _proceed(turn: Turn, slots: dict[str, Any]) -> Outcome:
    # 1. who
    if slots.get("customer_id") is None and not slots.get("new_customer"):
        if not slots.get("customer"):
            return Outcome(
                ["Who is this invoice for? Send the customer's name."], pending=_pending(slots, "customer")
            )
        match = find_customer(turn, slots["customer"])
        if match.options:
            return ask_which({"intent": "create_invoice", "slots": slots}, match, "is this bill for")
        if match.customer_id is not None:
            slots.update(customer_id=match.customer_id, customer=match.name)
        else:
            slots["new_customer"] = True
    name = slots.get("customer") or "the customer"
    # 2. what
    if not slots.get("items"):
        return Outcome([_ask_items_text(name)], pending=_pending(slots, "items"))
    for item in slots["items"]:
        if (dec(item.get("quantity")) or 0) <= 0:
            return Outcome(
                [
                    f"How many {item['product']}? The quantity must be more than zero. "
                    f"e.g. *bill {name} 2 {item['product']} at 100*"
                ]
            )
    # 3. prices: the owner's, else the catalogue's, else ask
    for index, item in enumerate(slots["items"]):
        known = catalogue_name(turn, item["product"], fuzzy=item.get("unit_price") is None)
        if known:
            item["product"] = known
        if item.get("unit_price") is None and not _catalogue_price(turn, item["product"]):
            unit = canonical_unit(item.get("unit")) or _catalogue_unit(turn, item["product"])
            per = f"per {unit_text(unit, 1)} of {item['product']}" if unit else f"for one {item['product']}"
            question = f"At what price {per}?"
            return Outcome([question], pending=_pending(slots, "unit_price", index=index, question=question))
    # 4. write it
    try:
        out = run_tool(
            turn,
            "invoices.create_invoice",
            customer_id=slots.get("customer_id"),
            customer=None if slots.get("customer_id") else slots.get("customer"),
            items=[{k: v for k, v in it.items() if v is not None} for it in slots["items"]],
            gst_rate=slots.get("gst_rate"),
        )
    except MunshiError as exc:
        return failed(exc)
    inv = turn.session.get(Invoice, out["id"])
    assert inv is not None
    lines = [invoice_text(inv, header=f"🧾 Invoice *{inv.number}* for {inv.customer.name}")]
    if out.get("customer_created"):
        lines.append(f"👤 New customer {inv.customer.name} added.")
    if out.get("advance_applied"):
        due = invoice_due(inv)
        lines.append(
            f"💰 {inr(to_paise(out['advance_applied']))} {inv.customer.name} paid earlier is applied: "
            + (f"{inr(due)} still due." if due else "paid in full ✅")
        )
    lines += [f"⚠️ {w}" for w in out.get("warnings") or []]
    for product in out.get("low_stock") or []:
        lines.append(f"📉 {product} is running low.")
    lines.append(f"Reply *undo* to remove it, or *send it* to WhatsApp the bill to {inv.customer.name}.")
    return Outcome(["\n".join(lines)], last={"invoice_id": inv.id, "customer_id": inv.customer_id})


def _catalogue_price(turn: Turn, name: str) -> bool:
    from storage.ledger import find_product

    p = find_product(turn.session, turn.business_id, name)
    return bool(p and p.price_paise is not None)


def _catalogue_unit(turn: Turn, name: str) -> str | None:
    from storage.ledger import find_product

    p = find_product(turn.session, turn.business_id, name)
    return p.unit if p else None


# ------------------------------------------------------------------ which invoice


def _target(turn: Turn, u: Any, *, include_cancelled: bool = False) -> Invoice | Outcome:
    """The invoice a message means: its number, else the customer's latest, else the last one touched."""
    ref = field(u, "invoice_number")
    try:
        if ref:
            return resolve_invoice(turn.session, turn.business_id, ref)
    except NotFound:
        return Outcome([f"I can't find invoice {ref}. Send *list invoices* to see the latest ones."])
    if field(u, "customer"):
        match = find_customer(turn, field(u, "customer"))
        ids = [o[0] for o in match.options] if match.options else [match.customer_id]
        from storage.ledger import latest_invoice

        found = [
            inv
            for cid in ids
            if cid is not None
            for inv in [
                latest_invoice(
                    turn.session, turn.business_id, customer_id=cid, include_cancelled=include_cancelled
                )
            ]
            if inv is not None
        ]
        if found:
            return max(found, key=lambda i: i.id)
        return Outcome([f"I don't have an invoice for {field(u, 'customer')} yet."])
    last_id = turn.last.get("invoice_id")
    if last_id:
        inv = turn.session.get(Invoice, last_id)
        if (
            inv is not None
            and inv.business_id == turn.business_id
            and (include_cancelled or inv.status != InvoiceStatus.cancelled)
        ):
            return inv
    try:
        return resolve_invoice(turn.session, turn.business_id)
    except NotFound:
        return Outcome(["You don't have any invoices yet. Try *bill Mahesh 8 bags cement at 345*."])


# ------------------------------------------------------------------ edit


def _line_matches(line: dict[str, Any], name: str | None) -> bool:
    return bool(name) and product_key(line["product"]) == product_key(name)


def edit_invoice(turn: Turn, u: Any) -> Outcome:
    """ "change it to 5 bags", "price should be 360", "make it 7 bags cement", "it was for Rekha"."""
    pending = turn.pending or {}
    if pending.get("expecting") == "choice":
        picked = pick_choice(u, pending.get("options") or [])
        if picked is None:
            return ask_which(
                {k: v for k, v in pending.items() if k != "expecting"},
                Match(name=pending.get("asked_name"), options=pending.get("options")),
            )
        inv = turn.session.get(Invoice, pending["invoice_id"])
        if inv is None:
            return Outcome(["That invoice is gone."])
        customer_id = None if picked == "new" else int(picked[0])
        return _save_edit(
            turn,
            inv,
            None,
            customer_id=customer_id,
            customer=pending.get("asked_name") if picked == "new" else None,
            gst_rate=None,
        )
    target = _target(turn, u)
    if isinstance(target, Outcome):
        return target
    inv = target
    changes = dict(field(u, "changes") or {})
    quantity = dec(changes.get("quantity"))
    qty_unit_ = changes.get("unit")  # the unit of a new quantity ("5 bags")
    price = dec(changes.get("unit_price", changes.get("price")))
    price_unit = changes.get("price_unit") or (field(u, "unit") if price is not None else None)
    if quantity is None and price is None and not changes and field(u, "quantity") is not None:
        quantity, qty_unit_ = dec(field(u, "quantity")), field(u, "unit")
    target_product = field(u, "product")  # which line ("make cement 5 bags")
    rename = changes.get("product")  # a line's product replaced ("not cement, sand")
    gst_rate = dec(changes.get("gst_rate", field(u, "gst_rate")))
    new_customer = changes.get("customer")
    removed = changes.get("remove_items") or []
    added = [_item_dict(i) for i in field(u, "items") or [] if _get(i, "product")]
    if not added:
        added = [_item_dict(i) for i in changes.get("add_items") or [] if _get(i, "product")]
    lines: list[dict[str, Any]] = [
        {
            "product": i.product,
            "quantity": str(i.quantity),
            "unit": i.unit,
            "unit_price": str(Decimal(i.unit_price_paise) / 100),
            "price_unit": i.unit,
        }
        for i in inv.items
    ]
    changed_lines = False
    for it in added:  # "add 2 bags sand to it": a new line, or more of a line already there
        hit = next((ln for ln in lines if _line_matches(ln, it["product"])), None)
        if hit is None:
            it["product"] = catalogue_name(turn, it["product"]) or it["product"]
            if it.get("unit_price") is None and not _catalogue_price(turn, it["product"]):
                return Outcome(
                    [
                        f"At what price should I add {it['product']}? Send e.g. "
                        f"*add {qty_unit(dec(it['quantity']) or 1, it.get('unit'))} {it['product']} "
                        f"at 100 to the bill*."
                    ]
                )
            lines.append(dict(it))
        else:
            more = dec(it.get("quantity")) or Decimal(1)
            if it.get("unit") and hit["unit"] and canonical_unit(it["unit"]) != canonical_unit(hit["unit"]):
                from storage.ledger import convert

                more = convert(more, it["unit"], hit["unit"]) or more
            hit["quantity"] = str(Decimal(hit["quantity"]) + more)
            if it.get("unit_price") is not None:
                hit["unit_price"], hit["price_unit"] = it["unit_price"], it.get("price_unit") or hit["unit"]
        changed_lines = True
    for name in removed:  # "remove the sand from it"
        kept = [ln for ln in lines if not _line_matches(ln, name)]
        if len(kept) == len(lines):
            return Outcome([f"{name} isn't on {inv.number}."])
        if not kept:
            return Outcome(
                [f"{name} is the only item on {inv.number}; send *cancel that* to cancel the bill."]
            )
        lines, changed_lines = kept, True
    # each change to one line: "make dal 4 kg and sugar 1 kg" names several, "change it to 5 bags" one
    edits = [
        (it["product"], dec(it["quantity"]), it["unit"], dec(it["unit_price"]), it["price_unit"], None)
        for it in map(_item_dict, changes.get("lines") or [])
    ]
    if not edits and (quantity is not None or price is not None or qty_unit_ or rename):
        edits = [(target_product, quantity, qty_unit_, price, price_unit, rename)]
    for target_product, quantity, qty_unit_, price, price_unit, rename in edits:
        if target_product:
            chosen = [ln for ln in lines if _line_matches(ln, target_product)]
        elif len(lines) == 1:
            chosen = lines
        else:
            unit = qty_unit_ or price_unit
            chosen = [ln for ln in lines if unit and canonical_unit(ln["unit"]) == canonical_unit(unit)]
        if len(chosen) != 1:
            names = ", ".join(ln["product"] for ln in lines)
            if target_product and not chosen:
                return Outcome([f"{target_product} isn't on {inv.number} ({names})."])
            return Outcome(
                [f"Which item on {inv.number} should change ({names})? e.g. *make {lines[0]['product']} 5*"]
            )
        line = chosen[0]
        if quantity is not None:
            line["quantity"] = str(quantity)
        if qty_unit_ and canonical_unit(qty_unit_) != canonical_unit(line["unit"]):
            line["unit"] = qty_unit_
            if price is None:
                line["price_unit"] = line["price_unit"] or qty_unit_
        if price is not None:
            line["unit_price"], line["price_unit"] = str(price), price_unit or line["unit"]
        if rename:
            line["product"] = catalogue_name(turn, rename) or rename
            if price is None and _catalogue_price(turn, line["product"]):
                line["unit_price"] = None  # the new product's own price
        changed_lines = True
    customer_id = None
    if new_customer:
        match = find_customer(turn, new_customer)
        if match.options:
            return ask_which({"intent": "edit_invoice", "invoice_id": inv.id}, match, "should it be for")
        customer_id = match.customer_id
        if customer_id is None:
            return _save_edit(
                turn, inv, lines if changed_lines else None, customer=match.name, gst_rate=gst_rate
            )
    if not changed_lines and customer_id is None and gst_rate is None:
        return Outcome(
            [f"What should change on {inv.number}? e.g. *change it to 5 bags* or *price should be 360*"]
        )
    return _save_edit(turn, inv, lines if changed_lines else None, customer_id=customer_id, gst_rate=gst_rate)


def _save_edit(
    turn: Turn,
    inv: Invoice,
    lines: list[dict[str, Any]] | None,
    *,
    customer_id: int | None = None,
    customer: str | None = None,
    gst_rate: Decimal | None,
) -> Outcome:
    try:
        out = run_tool(
            turn,
            "invoices.edit_invoice",
            invoice_id=inv.id,
            items=[{k: v for k, v in ln.items() if v is not None} for ln in lines] if lines else None,
            customer_id=customer_id,
            customer=customer,
            gst_rate=gst_rate,
        )
    except MunshiError as exc:
        return failed(exc)
    turn.session.refresh(inv)
    text = [invoice_text(inv, header=f"✏️ Updated invoice *{inv.number}* for {inv.customer.name}")]
    text += [f"⚠️ {w}" for w in out.get("warnings") or []]
    text.append("Reply *undo* to change it back.")
    return Outcome(["\n".join(text)], last={"invoice_id": inv.id, "customer_id": inv.customer_id})


# ------------------------------------------------------------------ cancel, show, list


def cancel_invoice(turn: Turn, u: Any) -> Outcome:
    """ "cancel that", "cancel invoice 3", "cancel Mahesh's bill"."""
    target = _target(turn, u)
    if isinstance(target, Outcome):
        return target
    inv = target
    try:
        out = run_tool(turn, "invoices.cancel_invoice", invoice_id=inv.id)
    except MunshiError as exc:
        return failed(exc)
    lines = [
        f"❌ Cancelled invoice *{inv.number}* for {inv.customer.name} ({inr(inv.total_paise)}). "
        "It stays in your records, marked cancelled."
    ]
    if inv.items and any(i.product_id for i in inv.items):
        lines.append("Its items are back in stock.")
    released = dec(out.get("released")) if isinstance(out, dict) else None
    if released:
        lines.append(
            f"The {inr(to_paise(released))} paid on it stays with {inv.customer.name} as an advance "
            "for the next bill."
        )
    lines.append("Reply *undo* to restore it.")
    return Outcome(["\n".join(lines)], last={"invoice_id": inv.id})


def show_invoice(turn: Turn, u: Any) -> Outcome:
    """ "show invoice 3", "show the last bill", "show Mahesh's invoice"."""
    target = _target(turn, u, include_cancelled=True)
    if isinstance(target, Outcome):
        return target
    return Outcome(
        [invoice_text(target) + "\nSend *send it* to WhatsApp it to the customer."],
        last={"invoice_id": target.id, "customer_id": target.customer_id},
    )


def list_invoices(turn: Turn, u: Any) -> Outcome:
    """ "list my invoices", "Mahesh's bills"."""
    customer_id, name = None, None
    if field(u, "customer"):
        match = find_customer(turn, field(u, "customer"))
        if match.customer_id is None and not match.options:
            return Outcome([f"I don't have a customer called {field(u, 'customer')}."])
        if match.options:
            return Outcome([f"Which {match.name}? " + ", ".join(o[1] for o in match.options)])
        customer_id, name = match.customer_id, match.name
    rows = recent_invoices(turn.session, turn.business_id, customer_id=customer_id, limit=10)
    if not rows:
        return Outcome(
            [
                f"No invoices for {name} yet."
                if name
                else "No invoices yet. Try *bill Mahesh 8 bags cement at 345*."
            ]
        )
    head = (
        f"🧾 {name}'s invoices:"
        if name
        else f"🧾 Your latest {len(rows)} invoice{'s' if len(rows) > 1 else ''}:"
    )
    body = "\n".join(f"• {invoice_row(i)}" for i in rows)
    if name:
        due = sum(invoice_due(i) for i in rows)
        body += f"\nDue: {inr(due)}" if due else "\nNothing due ✅"
    return Outcome([f"{head}\n{body}\nSend *show invoice N* for details."])


# ------------------------------------------------------------------ send (confirmed first)


def _phone_for(turn: Turn, customer: Customer, u: Any) -> str | None:
    """The customer's WhatsApp number, saving one given in the message."""
    given = e164(field(u, "phone"))
    if given and given != customer.phone:
        try:
            run_tool(turn, "customers.update_customer", customer_id=customer.id, phone=given)
        except MunshiError:
            return customer.phone
    return customer.phone


def send_invoice(turn: Turn, u: Any) -> Outcome:
    """ "send it to Mahesh", "send invoice 3": asks the owner first, then sends the PDF."""
    target = _target(turn, u)
    if isinstance(target, Outcome):
        return target
    inv = target
    phone = _phone_for(turn, inv.customer, u)
    if not phone:
        return Outcome(
            [
                f"{inv.customer.name} has no WhatsApp number saved. Send e.g. "
                f"*{inv.customer.name}'s number is 98765 43210*, then *send it* again."
            ],
            last={"invoice_id": inv.id, "customer_id": inv.customer_id},
        )
    question = (
        f"Send invoice *{inv.number}* ({inr(inv.total_paise)}) to {inv.customer.name} on WhatsApp "
        f"({phone})? Reply *YES* to send."
    )
    return Outcome(
        [question],
        last={"invoice_id": inv.id, "customer_id": inv.customer_id},
        confirm={
            "kind": "send_invoice",
            "question": question,
            "invoice_id": inv.id,
            "to": phone,
            "nonce": uuid.uuid4().hex[:12],
            "summary": f"sending invoice {inv.number} to {inv.customer.name}",
            "declined": f"OK, I didn't send {inv.number}.",
        },
    )


def confirm_send_invoice(turn: Turn, confirm: dict[str, Any]) -> Outcome:
    """After YES: the PDF link goes to the customer through the channel (once per confirmation)."""
    from storage.models import Business
    from tools.pdf import invoice_url

    inv = turn.session.get(Invoice, confirm["invoice_id"])
    if inv is None or inv.business_id != turn.business_id:
        return Outcome(["That invoice is gone, so I sent nothing."])
    biz = turn.session.get(Business, turn.business_id)
    shop = biz.name if biz and biz.name else "us"
    config = turn.runtime.config
    body = (
        f"Namaste {inv.customer.name} 🙏\nHere is your invoice {inv.number} from {shop} for "
        f"{inr(inv.total_paise)}."
    )
    due = invoice_due(inv)
    if due and due != inv.total_paise:
        body += f" Balance due: {inr(due)}."
    body += "\nThank you!"
    url = invoice_url(config, turn.business_id, inv.id)
    error = deliver(turn, confirm["to"], body, f"invoice-{inv.id}-{confirm.get('nonce')}", media=[url])
    if error:
        return Outcome([f"⚠️ I couldn't send {inv.number} to {inv.customer.name}: {error}"])
    if inv.status == InvoiceStatus.issued:
        inv.status = InvoiceStatus.sent
    return Outcome(
        [f"✅ Sent invoice {inv.number} to {inv.customer.name} ({confirm['to']})."],
        last={"invoice_id": inv.id},
    )


def payment_link(turn: Turn, u: Any) -> Outcome:
    """ "send Mahesh a payment link": a Razorpay link for what is due, sent after the owner's YES."""
    from tools import registry
    from tools.base import ToolContext
    from tools.connections import not_connected

    if "razorpay.create_payment_link" not in registry.REGISTRY or not _razorpay_ready(turn):
        how = not_connected(ToolContext(session=turn.session, business_id=turn.business_id), "razorpay").message
        return Outcome([f"Payment links need Razorpay. {how}\nNever send the keys in chat."])
    target = _target(turn, u)
    if isinstance(target, Outcome):
        return target
    inv = target
    amount = dec(field(u, "amount")) or Decimal(invoice_due(inv)) / 100
    if amount <= 0:
        return Outcome([f"Invoice {inv.number} is already paid ✅."])
    phone = _phone_for(turn, inv.customer, u)
    if not phone:
        return Outcome(
            [
                f"{inv.customer.name} has no WhatsApp number saved. Send e.g. "
                f"*{inv.customer.name}'s number is 98765 43210* first."
            ]
        )
    question = (
        f"Create a Razorpay payment link for {inr(int(amount * 100))} ({inv.number}) and send it to "
        f"{inv.customer.name} ({phone})? Reply *YES* to send."
    )
    return Outcome(
        [question],
        last={"invoice_id": inv.id, "customer_id": inv.customer_id},
        confirm={
            "kind": "payment_link",
            "question": question,
            "invoice_id": inv.id,
            "to": phone,
            "amount": str(amount),
            "nonce": uuid.uuid4().hex[:12],
            "summary": f"a payment link for {inv.number}",
            "declined": "OK, no payment link sent.",
        },
    )


def _razorpay_ready(turn: Turn) -> bool:
    from sqlalchemy import select

    from storage.models import Credential

    config = getattr(turn.runtime, "config", None)
    if config is not None and getattr(config, "razorpay_key_id", None):
        return True
    return (
        turn.session.scalar(
            select(Credential.id).where(
                Credential.business_id == turn.business_id, Credential.service == "razorpay"
            )
        )
        is not None
    )


def create_link(turn: Turn, inv: Invoice, amount: Decimal, key: str) -> tuple[str | None, str | None]:
    """A Razorpay short URL for ``amount`` of ``inv``; else None and why Razorpay made none."""
    try:
        out = run_tool(
            turn,
            "razorpay.create_payment_link",
            amount=amount,
            customer={"name": inv.customer.name, "contact": inv.customer.phone, "email": inv.customer.email},
            description=f"Invoice {inv.number}",
            _key=key,
        )
    except MunshiError as exc:
        return None, exc.message
    url = out.get("short_url")
    return url, None if url else "Razorpay sent no link back"


def confirm_payment_link(turn: Turn, confirm: dict[str, Any]) -> Outcome:
    """After YES: create the link and send it to the customer."""
    inv = turn.session.get(Invoice, confirm["invoice_id"])
    if inv is None or inv.business_id != turn.business_id:
        return Outcome(["That invoice is gone, so I sent nothing."])
    amount = Decimal(confirm["amount"])
    url, problem = create_link(turn, inv, amount, f"link-{inv.id}-{confirm.get('nonce')}")
    if not url:
        return Outcome([f"⚠️ {(problem or '').rstrip('.')}. Nothing was sent to {inv.customer.name}."])
    body = (
        f"Namaste {inv.customer.name} 🙏\nYou can pay {inr(int(amount * 100))} for invoice {inv.number} "
        f"here: {url}\nThank you!"
    )
    error = deliver(turn, confirm["to"], body, f"paylink-{inv.id}-{confirm.get('nonce')}")
    if error:
        return Outcome([f"⚠️ I made the link ({url}) but couldn't send it to {inv.customer.name}: {error}"])
    return Outcome([f"✅ Sent a payment link for {inr(int(amount * 100))} to {inv.customer.name}: {url}"])


__all__ = [
    "cancel_invoice",
    "confirm_payment_link",
    "confirm_send_invoice",
    "create_invoice",
    "edit_invoice",
    "item_line",
    "list_invoices",
    "payment_link",
    "send_invoice",
    "show_invoice",
]
