"""Understanding by a language model: the owner's words → the same typed `Understanding`.

`understand_message(text, ctx, config)` is the agent's one way in. The offline
engine always reads the message first (about a millisecond); its reading is
the answer when no ``OPENAI_API_KEY`` is set, and also, by design, whenever
it is part of a dialogue: "yes", "no", "undo", "help", a greeting, or an
answer to the question the bot just asked (``ctx.expecting``). Those are the
offline engine's best cases, and a round trip to a model would only add
seconds and a chance of misreading "haan" in the middle of a confirmation.
Every fresh command goes to the model, which reads free phrasing far better;
when the model fails (error, timeout, refusal, invalid or ungrounded answer)
the offline reading is used and the reason is logged.

`read_with(chat, text, ctx)` asks the model for `Reading`, a strict JSON
schema that mirrors `Understanding` (structured outputs: the intent is an
enum of the catalogue's intents, every slot is typed), with the shop's
customers and products in the prompt, then turns it into an `Understanding`:
units, payment methods, phone numbers and product names normalised the way
the offline engine writes them, so the handlers cannot tell the two apart.

It is validated before it is used: every number in it (quantities, prices,
amounts, thresholds, GST rates) must be written in the message (in digits or
words, "8", "eight", "3.5k", "1,25,000"), or be an implied 1 ("a bag"), so
an invented figure never becomes an invoice or a payment, which are saved at
once. A reading that fails raises `UnderstandingError`, like a failed call.
"""
from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from bot.config import Config
from bot.errors import UnderstandingError
from intents.llm.client import StructuredChat, chat_for
from intents.understand import (
    Context,
    IntentName,
    Item,
    Understanding,
    find_numbers,
    normalize_method,
    normalize_unit,
    singularize,
    state_from_gstin,
    to_e164,
    understand,
)
from intents.understand.engine import MAX_CHARS
from intents.understand.numbers import fmt_decimal

log = logging.getLogger(__name__)

#: What the intent enum offers: the catalogue without "answer" (answers to the bot's own
#: questions are read offline, see `intents.llm.understand_message`).
INTENTS: tuple[str, ...] = tuple(i for i in get_args(IntentName) if i != "answer")

#: Offline readings that are part of a dialogue, never sent to the model.
DIALOGUE: frozenset[str] = frozenset({"yes", "no", "undo", "help", "greet", "answer"})

#: What each intent means and which slots it fills: the model's half of the contract with the handlers.
GUIDE: dict[str, str] = {
    "greet": "a greeting with nothing to do",
    "help": "asks what Munshi can do",
    "unknown": "anything that is none of these",
    "yes": "agrees", "no": "declines",
    "undo": "reverse the last change",
    "create_invoice": "bill a customer: customer, items (product, quantity, unit, unit_price)",
    "edit_invoice": "change the last (or a numbered) invoice: changes (quantity, unit, unit_price, product, "
                    "customer, gst_rate, add_items, remove_items), invoice_number",
    "cancel_invoice": "cancel an invoice: invoice_number, or customer, or neither for the last one",
    "show_invoice": "show one invoice: invoice_number or customer",
    "list_invoices": "list invoices, optionally of customer",
    "send_invoice": "send an invoice to its customer on WhatsApp: customer and/or invoice_number",
    "payment_link": "a payment link for an invoice: invoice_number or customer",
    "record_payment": "money received: customer, amount, method",
    "unpaid_query": "who owes money / unpaid invoices, optionally of customer",
    "collections_query": "money collected in a period",
    "sales_query": "sales in a period",
    "stock_add": "stock came in: items (product, quantity, unit)",
    "stock_remove": "stock went out (sold, damaged): items",
    "stock_set": "the stock now is: items",
    "set_price": "selling price of a product: product, price, unit (the unit the price is per)",
    "set_threshold": "warn when a product falls below: product, threshold, unit",
    "stock_query": "how much of a product is left: product",
    "stock_list": "show all stock",
    "low_stock_query": "which products are low",
    "add_customer": "a new customer: customer and name (the same name), phone, email, gstin, address",
    "update_customer": "change a customer's details: customer, then phone, email, address, gstin or "
                       "changes.name for a new name",
    "list_customers": "show the customers (names, phones, what they owe)",
    "set_profile": "the owner's own shop details: name, address, gstin, state",
    "set_customer_gst": "a customer's GSTIN: customer, gstin",
    "set_product_tax": "a product's GST: product, gst_rate, hsn",
    "remind": "remind customers who owe: customer, or all_customers",
    "build_flow": "an automation: 'when …, do …' or 'every … at …, do …' (the words are kept as they are)",
    "list_flows": "show the automations",
    "pause_flow": "switch an automation off: flow_ref (the words naming it)",
    "resume_flow": "switch an automation back on: flow_ref",
    "delete_flow": "delete an automation: flow_ref",
    "retry_run": "retry a failed automation run",
    "dashboard_link": "asks for the dashboard or a web link to the records",
}

INSTRUCTIONS = """You read WhatsApp messages that the owner of a small Indian shop sends to Munshi, \
the bot that keeps the shop's invoices, payments, stock, customers and automations. \
The messages may mix English and Hindi (Hinglish). Say what the message asks for, as one intent with its slots.

Intents:
{guide}

Rules:
- Fill only what the message says; leave every other slot null (lists empty, all_customers false).
- Numbers are plain numbers, in rupees for money. Never compute a total or a missing price.
- product: singular, lowercase ("cement", "fan"); use the shop's own name for it when one of its products is meant.
- unit: singular ("bag", "kg", "litre", "piece", "box"); price_unit: the unit a price is per, when said.
- customer: the name as the owner wrote it, or the shop's own spelling when one of its customers is meant.
- method: cash, upi, bank_transfer, card or cheque (GPay, PhonePe, Paytm are upi).
- period: today, yesterday, week, month or year.
- phone and email as written; gstin in capitals."""


class ReadItem(BaseModel):
    """One line: "8 bags of cement at 345"."""

    product: str
    quantity: float | None
    unit: str | None
    unit_price: float | None
    price_unit: str | None


class Changes(BaseModel):
    """What an edit changes (edit_invoice, update_customer)."""

    quantity: float | None
    unit: str | None
    unit_price: float | None
    price_unit: str | None
    product: str | None = Field(description="the product that replaces the line's product")
    customer: str | None = Field(description="the invoice's new customer")
    name: str | None = Field(description="a customer's new name")
    gst_rate: float | None
    add_items: list[ReadItem]
    remove_items: list[str]


class Reading(BaseModel):
    """The model's answer: an `Understanding` in a strict schema (every key present, nulls for nothing)."""

    intent: Literal[INTENTS]  # type: ignore[valid-type]
    customer: str | None
    items: list[ReadItem]
    amount: float | None
    method: str | None
    invoice_number: str | None
    phone: str | None
    email: str | None
    gst_rate: float | None
    gstin: str | None
    state: str | None
    name: str | None
    address: str | None
    product: str | None
    quantity: float | None
    unit: str | None
    price: float | None
    threshold: float | None
    hsn: str | None
    period: Literal["today", "yesterday", "week", "month", "year"] | None
    all_customers: bool
    changes: Changes | None
    flow_ref: str | None


#: Shop names given to the model: the most recent ones (the context lists newest first).
CONTEXT_LIMIT = 100


def understand_message(text: str, ctx: Context, config: Config, *, chat: StructuredChat | None = None) -> Understanding:
    """What ``text`` means: the model's validated reading of a fresh command, else the offline engine's."""
    offline = understand(text, ctx)
    chat = chat or chat_for(config)
    if chat is None or offline.intent in DIALOGUE:
        return offline
    try:
        return read_with(chat, text, ctx)
    except UnderstandingError as exc:
        log.warning("OpenAI understanding not used (%s); the offline engine read it as %s", exc, offline.intent)
        return offline


def messages_for(text: str, ctx: Context) -> list[dict[str, Any]]:
    """The chat messages for one owner message: the fixed instructions, the shop, the words."""
    guide = "\n".join(f"- {name}: {GUIDE[name]}" for name in INTENTS)
    shop = {
        "customers": ctx.customers[:CONTEXT_LIMIT],
        "products": [{"name": p.name, "unit": p.unit, "price": None if p.price is None else float(p.price)}
                     for p in ctx.products[:CONTEXT_LIMIT]],
    }
    # One system message: some OpenAI-compatible servers' chat templates refuse a second one.
    system = INSTRUCTIONS.format(guide=guide) + "\n\nThe shop's customers and products: " + json.dumps(
        shop, ensure_ascii=False)
    return [{"role": "system", "content": system}, {"role": "user", "content": text[:MAX_CHARS]}]


def read_with(chat: StructuredChat, text: str, ctx: Context) -> Understanding:
    """The model's `Understanding` of ``text``; `UnderstandingError` when it fails or is not grounded."""
    reading = chat.ask(messages_for(text, ctx), Reading)
    understanding = to_understanding(reading, text)
    invented = _ungrounded(understanding, text)
    if invented:
        raise UnderstandingError(f"numbers not in the message: {', '.join(invented)}")
    return understanding


#: Readings are trusted a little less than the offline engine's sure rules (handlers read < 0.8 as a guess).
CONFIDENCE = 0.9


def to_understanding(r: Reading, text: str) -> Understanding:
    """`Reading` → `Understanding`, normalised like the offline engine's results."""
    method = normalize_method(r.method) if r.method else None
    gstin = r.gstin.strip().upper() if r.gstin else None
    slots: dict[str, Any] = {
        "customer": r.customer, "amount": _dec(r.amount), "invoice_number": r.invoice_number,
        "phone": (to_e164(r.phone) or r.phone) if r.phone else None, "email": r.email,
        "gst_rate": _dec(r.gst_rate), "gstin": gstin, "state": r.state or (state_from_gstin(gstin) if gstin else None),
        "name": r.name, "address": r.address, "product": _product(r.product), "quantity": _dec(r.quantity),
        "unit": _unit(r.unit), "price": _dec(r.price), "threshold": _dec(r.threshold), "hsn": r.hsn,
        "period": r.period, "flow_ref": r.flow_ref,
    }
    if method:
        slots["method"], slots["method_detail"] = method
    clean = {k: v for k, v in slots.items() if v is not None}
    return Understanding(intent=r.intent, confidence=CONFIDENCE, text=text, items=[_item(i) for i in r.items],
                         all_customers=r.all_customers, changes=_changes(r.changes), **clean)


def _dec(value: float | None) -> Decimal | None:
    # Through str(): Decimal(0.1) would carry the float's binary error into a bill; "8.0" becomes "8".
    return None if value is None else Decimal(fmt_decimal(Decimal(str(value))))


def _unit(word: str | None) -> str | None:
    return (normalize_unit(word) or word.strip().lower()) if word else None


def _product(name: str | None) -> str | None:
    return singularize(name.strip()) if name and name.strip() else None


def _item(i: ReadItem) -> Item:
    return Item(product=_product(i.product) or i.product, quantity=_dec(i.quantity), unit=_unit(i.unit),
                unit_price=_dec(i.unit_price), price_unit=_unit(i.price_unit))


def _changes(c: Changes | None) -> dict[str, Any]:
    if c is None:
        return {}
    out: dict[str, Any] = {
        "quantity": _dec(c.quantity), "unit": _unit(c.unit), "unit_price": _dec(c.unit_price),
        "price_unit": _unit(c.price_unit), "product": _product(c.product), "customer": c.customer,
        "name": c.name, "gst_rate": _dec(c.gst_rate),
        "add_items": [_item(i) for i in c.add_items] or None,
        "remove_items": [p for p in (_product(r) for r in c.remove_items) if p] or None,
    }
    return {k: v for k, v in out.items() if v is not None}


def _numbers(u: Understanding) -> list[Decimal]:
    """Every number the reading carries."""
    items = [*u.items, *(u.changes.get("add_items") or [])]
    found = [u.amount, u.quantity, u.price, u.threshold, u.gst_rate,
             *(u.changes.get(k) for k in ("quantity", "unit_price", "gst_rate"))]
    for item in items:
        found += [item.quantity, item.unit_price]
    return [n for n in found if n is not None]


def _ungrounded(u: Understanding, text: str) -> list[str]:
    """The reading's numbers that the message does not hold (1 may go unsaid: "a bag")."""
    written = {n.value for n in find_numbers(text)} | {Decimal(1)}
    return sorted({format(n, "f") for n in _numbers(u) if n not in written})
