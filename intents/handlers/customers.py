"""Customer handlers (add, update, GSTIN, list) and the helpers every business handler shares.

Shared helpers:

- `run_tool` calls a tool of the catalogue inside a savepoint, so a tool that
  fails leaves nothing half-written (its error message goes to the owner).
- `find_customer` matches a name as written to the business's customers
  (``intents.understand.names.match_customer``): an exact or only match is
  used, several make the handler ask which (``expecting="choice"``), none
  means a new customer.
- `pick_choice` reads the owner's answer to "which one?".
- `catalogue_name` maps a product as written to the catalogue's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.errors import MunshiError
from intents.handlers.types import Outcome, Turn
from storage.ledger import dec, norm, product_key
from storage.models import Customer, Product
from tools import registry
from tools.base import ToolContext

# ------------------------------------------------------------------ shared helpers


def run_tool(turn: Turn, tool_name: str, /, _key: str | None = None, **params: Any) -> dict[str, Any]:
    """Validate and run one tool on this turn's session; its writes are undone if it fails.

    ``_key`` is the idempotency key for tools that reach outside (a payment link made once).
    """
    tool = registry.get(tool_name)
    config = getattr(turn.runtime, "config", None)
    ctx = ToolContext(
        session=turn.session,
        business_id=turn.business_id,
        idempotency_key=_key,
        extra={"config": config, "runtime": turn.runtime},
    )
    with turn.session.begin_nested():
        return tool(ctx, {k: v for k, v in params.items() if v is not None})


def end_write(turn: Turn) -> None:
    """Commit what this turn wrote so far and let other connections write (before using the channel)."""
    turn.session.commit()


def deliver(turn: Turn, to: str, body: str, key: str, media: list[str] | None = None) -> str | None:
    """Send a WhatsApp to a third party through the channel (once per ``key``); the error, or None.

    Only confirmers call this, after the owner's YES. The turn's own writes are
    committed first: the channel stores the message from its own connection.
    """
    from bot.channel import Channel
    from storage.models import Message, MessageStatus

    end_write(turn)
    try:
        sent = Channel(turn.runtime.config, turn.runtime.db).send(
            turn.business_id, to, body, media=media, idempotency_key=key
        )
    except MunshiError as exc:
        return exc.message
    with turn.runtime.db.session() as s:
        for message_id in sent.message_ids:
            msg = s.get(Message, message_id)
            if msg is not None and msg.status in (MessageStatus.failed, MessageStatus.undelivered):
                return msg.error or "WhatsApp did not accept it"
    return None


def failed(exc: MunshiError) -> Outcome:
    """A tool's refusal, said plainly (nothing was saved)."""
    message = exc.message
    if ": " in message and message.split(": ", 1)[0].count(".") == 1 and " " not in message.split(": ", 1)[0]:
        message = message.split(": ", 1)[1]  # drop the "tool.name: " prefix of validation errors
    return Outcome([f"⚠️ {message[:1].upper()}{message[1:]}. Nothing was saved."])


def field(u: Any, name: str) -> Any:
    """A slot of the understanding (None when the engine doesn't have it)."""
    return getattr(u, name, None)


def dstr(value: Any) -> str | None:
    """A number as a JSON-safe string for pending slots."""
    d = dec(value)
    return None if d is None else str(d)


@dataclass
class Match:
    """What a written customer name turned out to be."""

    customer_id: int | None = None
    name: str | None = None
    options: list[list[Any]] | None = None  # [[id, name], ...] when several fit


def customer_rows(turn: Turn) -> list[Customer]:
    return list(
        turn.session.scalars(
            select(Customer).where(Customer.business_id == turn.business_id).order_by(Customer.id)
        )
    )


def _match_names(name: str, names: list[str]) -> list[str]:
    try:
        from intents.understand.names import match_customer
    except ImportError:  # pragma: no cover - the engine ships with the app
        return [n for n in names if norm(n) == norm(name) or norm(n).startswith(norm(name) + " ")]
    return match_customer(name, names)


def find_customer(turn: Turn, name: str | None) -> Match:
    """Match a written name: one customer, several (ask which), or none (a new customer)."""
    if not name or not name.strip():
        return Match()
    rows = customer_rows(turn)
    exact = [c for c in rows if norm(c.name) == norm(name)]
    if len(exact) == 1:
        return Match(exact[0].id, exact[0].name)
    hits = _match_names(name, [c.name for c in rows])
    chosen: list[Customer] = []
    for hit in hits:
        chosen += [c for c in rows if c.name == hit and c not in chosen]
    if len(chosen) == 1:
        return Match(chosen[0].id, chosen[0].name)
    if len(chosen) > 1:
        return Match(name=name.strip(), options=[[c.id, c.name] for c in chosen[:9]])
    return Match(name=name.strip())


def ask_which(pending: dict[str, Any], match: Match, purpose: str = "") -> Outcome:
    """Ask which of several customers was meant; the answer comes back with ``expecting="choice"``."""
    assert match.options
    name = match.name or ""
    if name == name.lower():
        name = name.title()
    lines = [f"Which {name} {purpose}?".replace("  ", " ").replace(" ?", "?")]
    lines += [f"{i}. {name}" for i, (_, name) in enumerate(match.options, start=1)]
    lines.append(f"Reply with the number, or *new* for a new customer called {match.name}.")
    return Outcome(
        ["\n".join(lines)],
        pending={**pending, "expecting": "choice", "options": match.options, "asked_name": match.name},
    )


_NEW_WORDS = {
    "new",
    "naya",
    "nayi",
    "new one",
    "new customer",
    "someone else",
    "another",
    "dusra",
    "different",
}


def merge_customer_answer(u: Any, pending: dict[str, Any], slots: dict[str, Any]) -> Outcome | None:
    """Put the owner's answer to "for whom?" or "which one?" into ``slots``; an `Outcome` when asking again."""
    expecting = pending.get("expecting")
    if expecting == "customer":
        name = field(u, "customer") or field(u, "name") or (field(u, "text") or "").strip()
        slots.update(customer=name, customer_id=None, new_customer=False)
    elif expecting == "choice":
        picked = pick_choice(u, pending.get("options") or [])
        if picked is None:
            return ask_which(
                {k: v for k, v in pending.items() if k not in ("expecting", "options")},
                Match(name=pending.get("asked_name"), options=pending.get("options")),
            )
        if picked == "new":
            slots.update(customer_id=None, new_customer=True)
        else:
            slots.update(customer_id=picked[0], customer=picked[1], new_customer=False)
    return None


def pick_choice(u: Any, options: list[list[Any]]) -> list[Any] | str | None:
    """The option the owner picked, ``"new"`` for a new customer, or None when it isn't clear."""
    text = norm(field(u, "text"))
    choice = field(u, "choice")
    if choice is not None:
        try:
            index = int(choice)
        except (TypeError, ValueError):
            index = 0
        if index == -1:
            return options[-1]
        if 1 <= index <= len(options):
            return options[index - 1]
    if text in _NEW_WORDS or text.startswith(("new ", "naya ")):
        return "new"
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) <= 2 and 1 <= int(digits) <= len(options):
        return options[int(digits) - 1]
    ordinals = {
        "first": 1,
        "pehla": 1,
        "second": 2,
        "doosra": 2,
        "dusra": 2,
        "third": 3,
        "last": len(options),
    }
    for word, index in ordinals.items():
        if word in text.split() and index <= len(options):
            return options[index - 1]
    said = field(u, "customer") or field(u, "name") or field(u, "text") or ""
    hits = _match_names(said, [name for _, name in options])
    if len(hits) == 1:
        return next(o for o in options if o[1] == hits[0])
    return None


def catalogue_name(turn: Turn, name: str | None, *, fuzzy: bool = False) -> str | None:
    """The catalogue's name for a product as written (plural, case, spacing; typos with ``fuzzy``)."""
    if not name:
        return None
    names = list(turn.session.scalars(select(Product.name).where(Product.business_id == turn.business_id)))
    key = product_key(name)
    for n in names:
        if product_key(n) == key:
            return n
    try:
        from intents.understand.names import match_product
    except ImportError:  # pragma: no cover
        return None
    hits = match_product(name, names)
    if len(hits) == 1 and (fuzzy or all(w in product_key(hits[0]).split() for w in key.split())):
        return hits[0]
    return None


def answer_amount(u: Any) -> Decimal | None:
    """A money answer ("340", "₹340 per bag") from whichever slot the engine filled."""
    for name in ("price", "amount"):
        value = dec(field(u, name))
        if value is not None:
            return value
    items = field(u, "items") or []
    if items and dec(getattr(items[0], "unit_price", None)) is not None:
        return dec(items[0].unit_price)
    if (
        items
        and dec(getattr(items[0], "quantity", None)) is not None
        and not getattr(items[0], "product", None)
    ):
        return dec(items[0].quantity)
    value = dec(field(u, "quantity"))
    if value is not None:
        return value
    digits = norm(field(u, "text")).replace("rs", "").replace("₹", "").replace("/-", "").strip()
    return dec(digits)


def who(turn: Turn, customer_id: int | None, fallback: str | None = None) -> str:
    c = turn.session.get(Customer, customer_id) if customer_id else None
    return c.name if c else (fallback or "the customer")


# ------------------------------------------------------------------ handlers


def _details(c: dict[str, Any]) -> str:
    bits = [c.get("phone"), c.get("email"), f"GSTIN {c['gstin']}" if c.get("gstin") else None, c.get("state")]
    return ", ".join(b for b in bits if b)


def add_customer(turn: Turn, u: Any) -> Outcome:
    """ "New customer: Rekha Nair, 9900112233"."""
    pending = turn.pending or {}
    name = pending.get("name") or field(u, "customer") or field(u, "name")
    phone = pending.get("phone") or field(u, "phone")
    email = pending.get("email") or field(u, "email")
    if pending.get("expecting") == "customer":
        name = field(u, "customer") or field(u, "name") or field(u, "text")
    if not name:
        return Outcome(
            ["What is the customer's name? e.g. *Rekha Nair 9900112233*"],
            pending={"intent": "add_customer", "expecting": "customer", "phone": phone, "email": email},
        )
    try:
        out = run_tool(
            turn,
            "customers.add_customer",
            name=name,
            phone=phone,
            email=email,
            gstin=field(u, "gstin"),
            state=field(u, "state"),
            address=field(u, "address"),
        )
    except MunshiError as exc:
        return failed(exc)
    c = out["customer"]
    details = _details(c)
    if out["created"]:
        text = f"👤 Added customer *{c['name']}*" + (f" ({details})" if details else "") + "."
        text += "\nReply *undo* to remove."
    elif out["changed"]:
        text = f"👤 {c['name']} was already saved; updated: {details}.\nReply *undo* to change it back."
    else:
        text = f"👤 {c['name']} is already saved" + (f" ({details})" if details else "") + "."
    return Outcome([text], last={"customer_id": c["id"]})


_UPDATABLE = ("name", "phone", "email", "gstin", "state", "address")


def update_customer(turn: Turn, u: Any) -> Outcome:
    """ "Mahesh's number is 9876543210", "change Rekha's email to …", "rename Tarun to Tarun Mehta"."""
    pending = turn.pending or {}
    if pending:
        fields = dict(pending.get("fields") or {})
        target = pending.get("customer")
        customer_id = pending.get("customer_id")
        if pending.get("expecting") == "choice":
            picked = pick_choice(u, pending.get("options") or [])
            if picked is None:
                return ask_which(
                    {k: v for k, v in pending.items() if k != "expecting"},
                    Match(name=pending.get("asked_name"), options=pending.get("options")),
                )
            customer_id = None if picked == "new" else picked[0]
        elif pending.get("expecting") == "customer":
            target = field(u, "customer") or field(u, "name") or field(u, "text")
    else:
        changes = dict(field(u, "changes") or {})
        fields = {k: changes.get(k) if changes.get(k) is not None else None for k in _UPDATABLE}
        for k in ("phone", "email", "gstin", "state", "address"):
            fields[k] = fields[k] or field(u, k)
        if (
            fields["name"] is None
            and field(u, "name")
            and field(u, "customer")
            and norm(field(u, "name")) != norm(field(u, "customer"))
        ):
            fields["name"] = field(u, "name")
        fields = {k: (str(v) if v is not None else None) for k, v in fields.items()}
        target = field(u, "customer") or changes.get("customer")
        customer_id = None
        if not target and turn.last.get("customer_id"):
            customer_id = turn.last["customer_id"]
    if not any(fields.values()):
        return Outcome(
            [
                "What should I change? e.g. *Mahesh's number is 98765 43210* or "
                "*Rekha's email is rekha@example.com*"
            ]
        )
    if customer_id is None and not (pending.get("expecting") == "choice"):
        if not target:
            return Outcome(
                ["Whose details are these? Send the customer's name."],
                pending={"intent": "update_customer", "expecting": "customer", "fields": fields},
            )
        match = find_customer(turn, target)
        if match.options:
            return ask_which({"intent": "update_customer", "fields": fields, "customer": target}, match)
        customer_id = match.customer_id
    try:
        if customer_id is None:
            out = run_tool(turn, "customers.add_customer", **{**fields, "name": fields.get("name") or target})
        else:
            out = run_tool(turn, "customers.update_customer", customer_id=customer_id, **fields)
    except MunshiError as exc:
        return failed(exc)
    c = out["customer"]
    if out["created"]:
        text = f"👤 Added customer *{c['name']}* ({_details(c)}).\nReply *undo* to remove."
    elif out["changed"]:
        shown = ", ".join(f"{k} {c.get(k)}" for k in out["changed"])
        text = f"👤 Updated {c['name']}: {shown}.\nReply *undo* to change it back."
    else:
        text = f"👤 {c['name']} already has those details."
    return Outcome([text], last={"customer_id": c["id"]})


#: how many customers one list reply writes out (WhatsApp bodies are capped at 1600 characters)
LIST_LIMIT = 30


def list_customers(turn: Turn, u: Any) -> Outcome:
    """ "list my customers", "show all customers", "mere customers dikhao"."""
    try:
        out = run_tool(turn, "customers.list_customers", limit=LIST_LIMIT)
    except MunshiError as exc:
        return failed(exc)
    if not out["count"]:
        return Outcome(["No customers yet. Add one with e.g. *new customer Rekha Nair 9900112233*."])
    head = f"👥 Your customers ({out['count']}):" if out["count"] > 1 else "👥 Your customer:"
    return Outcome([f"{head}\n{out['text']}"])


def set_customer_gst(turn: Turn, u: Any) -> Outcome:
    """ "Mahesh's GSTIN is 29ABCDE1234F1Z5" (the state follows from the GSTIN unless given)."""
    if not field(u, "gstin") and not field(u, "state"):
        return Outcome(["Send the customer's GSTIN, e.g. *Mahesh's GSTIN is 29AAACB1234C1Z5*"])
    return update_customer(turn, u)
