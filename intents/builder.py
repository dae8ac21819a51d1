"""The chat flow builder's helpers: what a draft needs, its reply, finding a flow by words, the dry run.

Nothing here talks to the owner or keeps state; `intents.handlers.flows`
calls these functions and decides what to say.

- `draft_warnings`: what is not connected yet (Google, email, Slack,
  Razorpay), customers a step cannot reach (no phone or email saved), and
  WhatsApp's 24-hour rule on Twilio; with the exact ``python -m bot connect``
  command to run.
- `draft_reply`: the numbered summary, what is missing, notes, warnings and
  the "Reply YES…" line.
- `find_flows`: which of the business's flows "that automation", "the payment
  one", "automation 2" or "daily sales report" means.
- `dry_run`: what each step would send or write for the last real matching
  event (or a realistic sample), walking the blueprint with the template
  resolver and each tool's ``validate()``. Read-only tools (reports) run for
  real, in a session that is rolled back; tools that write or send never run.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows import conditions, template
from flows.catalogue import DEFAULT_TIMEZONE, sample_event
from flows.phrases import Draft
from flows.schema import Blueprint, Node
from flows.summary import describe_condition, describe_duration, describe_trigger, summarize
from storage.models import Business, Credential, Customer, Event, Flow, FlowStatus

YES_PROMPT = "Reply YES to switch it on, or tell me what to change."
TEST_HINT = "Say *test it* to see what it would send, without sending anything."
IST = ZoneInfo(DEFAULT_TIMEZONE)

#: ``python -m bot connect SERVICE`` options per service, as the owner should type them.
CONNECT_ARGS = {
    "google": "--service-account-file key.json",
    "smtp": "--url smtp://user:password@smtp.example.com:587 --from-address you@example.com",
    "slack": "--webhook-url https://hooks.slack.com/services/…",
    "razorpay": "--key-id rzp_live_… --key-secret … --webhook-secret …",
}


# ---------------------------------------------------------------------------------------- words

_TEST_RE = re.compile(
    r"^(?:(?:please|pls|ok|okay|first|now|then|let'?s|lets|can\s+you|could\s+you|and)[\s,]+)*"
    r"(?:(?:do|run|give\s+it)\s+(?:a\s+|one\s+)?)?"
    r"(?:test(?:[\s-]*run)?|try|dry[\s-]*run|trial(?:[\s-]*run)?|practice\s+run|simulate|preview|demo)"
    r"(?:\s+(?:it|this|that|once|first|out|now|please|pls|the\s+draft|before|beforehand|with\s+a\s+sample|"
    r"for\s+me|run))*\s*[.!?]*$",
    re.IGNORECASE,
)
_WOULD_RE = re.compile(
    r"^(?:(?:show|tell)\s+me\s+)?what\s+(?:(?:would|will|does)\s+(?:it|this|that)|(?:it|this|that)\s+"
    r"(?:would|will))\s+(?:do|send|write|say|look\s+like)\b.{0,20}$",
    re.IGNORECASE,
)


def is_test_request(text: str) -> bool:
    """"test it", "try it out", "do a dry run", "what would it send?"."""
    text = " ".join(text.strip().split())
    return bool(_TEST_RE.match(text) or _WOULD_RE.match(text))


_TO_VERB = r"(?:whatsapp|message|msg|tell|text|send|remind|notify|inform|ping|sms|forward\s+it\s+to|send\s+it\s+to)"


def fill_known_numbers(session: Session, business_id: int, text: str) -> tuple[str, list[str]]:
    """"WhatsApp Ramesh …" with Ramesh's saved number put in ("WhatsApp Ramesh at +91…"), and a note each.

    Only a customer named right after a messaging word, with a number saved and
    none given in the words, is filled in; a first name counts when one customer has it.
    """
    customers = [(c.name, c.phone or "") for c in session.scalars(
        select(Customer).where(Customer.business_id == business_id, Customer.phone.is_not(None),
                               Customer.phone != "").limit(2000))]
    if not customers:
        return text, []
    first_names: dict[str, list[tuple[str, str]]] = {}
    for name, phone in customers:
        if name.split():
            first_names.setdefault(name.split()[0].lower(), []).append((name, phone))
    notes: list[str] = []
    for m in reversed(list(re.finditer(rf"\b{_TO_VERB}\s+(?:to\s+)?(?P<who>[A-Za-z][\w.&'-]*(?:\s+[A-Za-z][\w.&'-]*)?)",
                                       text, re.IGNORECASE))):
        words = m.group("who")
        if words.split()[0].lower() in ("me", "them", "him", "her", "the", "my", "a", "an", "it", "us", "customer",
                                         "customers", "everyone", "all"):
            continue
        after = text[m.end("who"):m.end("who") + 25]
        if re.match(r"\s*(?:at|on|:|-)?\s*\(?\+?\d", after):
            continue
        first = words.split()[0]
        hit = next(((n, p, len(n)) for n, p in customers if words.lower() == n.lower()), None) or \
            next(((n, p, len(n)) for n, p in customers if first.lower() == n.lower()), None)
        if hit is None:
            same = first_names.get(first.lower(), [])
            if len(same) == 1:
                hit = (same[0][0], same[0][1], len(first))
        if hit is None:
            continue
        name, phone, length = hit
        end = m.start("who") + length
        text = f"{text[:end]} at {phone}{text[end:]}"
        notes.append(f"I used {name}'s number from your customers ({phone}).")
    return text, list(reversed(notes))


# ---------------------------------------------------------------------------------------- warnings

def _connected(session: Session, business_id: int, config: Any, service: str) -> bool:
    has = session.scalar(select(Credential.id).where(Credential.business_id == business_id,
                                                     Credential.service == service).limit(1))
    if has is not None:
        return True
    fallback = {"smtp": "smtp_url", "google": "google_service_account_file", "razorpay": "razorpay_key_id",
                "slack": "slack_webhook_url"}.get(service)
    return bool(fallback and getattr(config, fallback, None))


def _connect_command(service: str, phone: str | None) -> str:
    return f"python -m bot connect {service} --business {phone or '+91XXXXXXXXXX'} {CONNECT_ARGS[service]}"


def _customers_without(session: Session, business_id: int, column: Any) -> tuple[int, list[str]]:
    """How many customers lack ``column`` (phone or email), and a few of their names."""
    where = (Customer.business_id == business_id, (column.is_(None)) | (column == ""))
    count = session.scalar(select(func.count(Customer.id)).where(*where)) or 0
    names = list(session.scalars(select(Customer.name).where(*where).order_by(Customer.name).limit(3)))
    return int(count), names


def _refs(node: Node, key: str | None = None) -> list[str]:
    """The variables one param (or all params) of ``node`` reads."""
    try:
        return template.references(node.params if key is None else node.params.get(key))
    except Exception:  # a param that is not a reference at all
        return []


def draft_warnings(session: Session, business_id: int, config: Any, bp: Blueprint) -> list[str]:
    """What stands between this blueprint and working steps, in plain words (never blocks YES)."""
    biz = session.get(Business, business_id)
    phone = biz.phone if biz else None
    keys = {n.key for n in bp.nodes}
    out: list[str] = []
    if "google_sheets.append_row" in keys and not _connected(session, business_id, config, "google"):
        out.append("Google Sheets is not connected yet, so rows are kept in Munshi's own copy of the sheet "
                   "(you can export it any time). To write to your Google Sheet, run on the server:\n"
                   f"  {_connect_command('google', phone)}\n"
                   "and share the sheet with the service account's email address.")
    if "email.send" in keys and not _connected(session, business_id, config, "smtp"):
        out.append("Email is not connected yet, so the email step will fail until you run on the server:\n"
                   f"  {_connect_command('smtp', phone)}")
    slack = [n for n in bp.nodes if n.key == "slack.post_message"]
    if slack and not all(n.params.get("webhook_url") for n in slack) \
            and not _connected(session, business_id, config, "slack"):
        out.append("Slack is not connected yet, so the Slack step will fail until you run on the server:\n"
                   f"  {_connect_command('slack', phone)}")
    if "razorpay.create_payment_link" in keys and not _connected(session, business_id, config, "razorpay"):
        out.append("Razorpay is not connected yet, so no payment link can be made until you run on the server:\n"
                   f"  {_connect_command('razorpay', phone)}")
    to_customer_phone = any(
        "trigger_data.customer.phone" in _refs(n, "to") for n in bp.nodes
        if n.key in ("whatsapp.send_message", "whatsapp.send_document"))
    if to_customer_phone:
        count, names = _customers_without(session, business_id, Customer.phone)
        if count:
            shown = ", ".join(names) + (" and others" if count > len(names) else "")
            out.append(f"{count} of your customers ({shown}) {'has' if count == 1 else 'have'} no WhatsApp number "
                       f"saved, so they would not get the message. Save one with e.g. "
                       f"*{names[0]}'s number is 98765 43210*.")
    to_customer_email = any("trigger_data.customer.email" in _refs(n, "to") for n in bp.nodes
                            if n.key == "email.send")
    if to_customer_email:
        count, names = _customers_without(session, business_id, Customer.email)
        if count:
            shown = ", ".join(names) + (" and others" if count > len(names) else "")
            out.append(f"{count} of your customers ({shown}) {'has' if count == 1 else 'have'} no email address "
                       "saved, so they would not get the email.")
    uses_name = any("business.name" in _refs(n) for n in bp.nodes if n.type == "action")
    if uses_name and biz is not None and not (biz.name or "").strip():
        out.append("Your shop's name is not saved yet, so messages would leave it blank. Tell me, e.g. "
                   "*my shop name is Sharma Hardware*.")
    messages_others = any(
        n.key in ("whatsapp.send_message", "whatsapp.send_document") and str(n.params.get("to", "")) != "owner"
        for n in bp.nodes)
    if messages_others and getattr(config, "whatsapp_transport", "outbox") == "twilio":
        out.append("WhatsApp lets a shop send a free-form message only to someone who wrote to it in the last "
                   "24 hours; for others the step needs an approved template.")
    return out


#: A note about a kind of step is dropped once no step of that kind is left ("skip the sheet").
_NOTE_STEPS = (("google sheet", "google_sheets.append_row"), ("email", "email.send"), ("slack", "slack.post_message"),
               ("payment link", "razorpay.create_payment_link"))


def _live_notes(draft: Draft) -> list[str]:
    keys = {n.key for n in draft.blueprint.nodes}
    return [note for note in draft.notes
            if not any(word in note.lower() and key not in keys for word, key in _NOTE_STEPS)]


def draft_reply(draft: Draft, warnings: list[str], *, prompt: str = YES_PROMPT, head: str | None = None) -> str:
    """The whole reply for a draft: [head], summary, missing, notes, warnings, and what to say next."""
    parts = [head] if head else []
    parts.append(draft.summary())
    if draft.missing:
        parts.append("Before I can switch it on, I need:\n" + "\n".join(f"- {m}" for m in draft.missing))
    notes = _live_notes(draft)
    if notes:
        parts.append("Notes:\n" + "\n".join(f"- {n}" for n in notes))
    if warnings:
        parts.append("⚠️ Heads-up:\n" + "\n".join(f"- {w}" for w in warnings))
    if draft.ready:
        parts.append(f"{prompt}\n{TEST_HINT}")
    else:
        parts.append("Tell me these, or what else to change (or NO to drop it).")
    return "\n\n".join(parts)


# ---------------------------------------------------------------------------------------- finding flows

_REF_STOP = frozenset({
    "my", "the", "a", "an", "that", "this", "one", "ones", "it", "automation", "automations", "flow", "flows",
    "workflow", "workflows", "rule", "rules", "please", "pls", "for", "of", "which", "called", "named", "about",
    "on", "to", "and", "from", "all", "when", "whenever", "is", "with", "do", "did", "does", "how", "zap",
    "trigger", "triggers", "schedule", "auto", "wala", "wali", "waala", "vala", "put", "hold", "sending", "send",
    "karo", "kar", "off", "back", "again",
})
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "payment": ("payment", "paid", "pays"), "pay": ("payment", "paid"), "paid": ("payment", "paid"),
    "payments": ("payment",), "thank": ("thank",), "thanks": ("thank",), "thankyou": ("thank",),
    "daily": ("every day",), "nightly": ("every day",), "weekly": ("every monday", "every sunday", "every "),
    "report": ("summary", "sales", "unpaid", "report"), "reports": ("summary", "sales", "unpaid"),
    "sale": ("sales",), "sales": ("sales",), "stock": ("stock",), "inventory": ("stock",),
    "low": ("low",), "invoice": ("invoice",), "invoices": ("invoice",), "bill": ("invoice",),
    "sheet": ("sheet", "row"), "sheets": ("sheet", "row"), "excel": ("sheet",), "log": ("sheet", "row"),
    "email": ("email",), "mail": ("email",), "whatsapp": ("whatsapp",), "message": ("whatsapp",),
    "reminder": ("unpaid", "remind", "overdue"), "reminders": ("unpaid", "remind", "overdue"),
    "overdue": ("unpaid", "overdue"), "unpaid": ("unpaid",), "razorpay": ("razorpay",),
    "slack": ("slack",), "webhook": ("webhook", "web call", "request"),
}
_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                  "eighth": 8, "ninth": 9, "tenth": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def flow_text(flow: Flow) -> str:
    """What a flow's words can be matched against: its name and its summary, lowercased."""
    try:
        summary = summarize(Blueprint.from_dict(flow.blueprint))
    except Exception:  # an odd stored blueprint: its name still matches
        summary = ""
    return f"{flow.name}\n{summary}".lower()


def _score(tokens: list[str], haystack: str) -> float:
    from rapidfuzz import fuzz

    hits = 0.0
    for tok in tokens:
        options: tuple[str, ...] = (tok, *_SYNONYMS.get(tok, ()))
        clock = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)", tok)
        if clock:  # "8pm" as the summary writes it: "8:00 pm"
            options += (f"{int(clock.group(1))}:{clock.group(2) or '00'} {clock.group(3)}",)
        if any(re.search(rf"\b{re.escape(o)}", haystack) for o in options):
            hits += 1
        elif len(tok) >= 4 and fuzz.partial_ratio(tok, haystack) >= 88:
            hits += 0.8
    return hits / len(tokens)


@dataclass
class Found:
    """The flows a reference picked: exactly one (``flow``), several to choose from, or none."""

    flow: Flow | None
    choices: list[Flow]
    all: list[Flow]


def find_flows(session: Session, business_id: int, ref: str | None, *, last_flow_id: str | None = None,
               prefer: str | None = None) -> Found:
    """The flow ``ref`` means ("that", "2", "payment", a name); ``prefer`` a status for "that"."""
    from flows import store

    flows = store.list_flows(session, business_id)
    if not flows:
        return Found(None, [], [])
    ref = " ".join((ref or "").lower().split()).strip(" .!?\"'“”")
    if ref in ("", "that", "it", "this", "last", "latest", "new", "the last", "the new", "recent"):
        by_id = {f.id: f for f in flows}
        if last_flow_id in by_id:
            return Found(by_id[last_flow_id], [], flows)
        pool = [f for f in flows if prefer is None or str(f.status) == prefer] or flows
        if len(pool) == 1 or ref:
            return Found(max(pool, key=lambda f: (f.updated_at or f.created_at, f.created_at)), [], flows)
        return Found(None, pool, flows)
    if ref in ("all", "every", "everything", "all of them", "them"):
        return Found(None, flows, flows)
    m = re.fullmatch(r"(?:(?:number|no\.?|#)\s*)?(\d{1,3})(?:st|nd|rd|th)?|(\w+)", ref)
    number = None
    if m and m.group(1):
        number = int(m.group(1))
    elif m and m.group(2) in _ORDINAL_WORDS:
        number = _ORDINAL_WORDS[m.group(2)]
    if number is not None:
        return Found(flows[number - 1] if 1 <= number <= len(flows) else None, [], flows)
    exact = store.find_flow(session, business_id, ref)
    if exact is not None:
        return Found(exact, [], flows)
    tokens = [t for t in _words(ref) if t not in _REF_STOP]
    if not tokens:
        return Found(None, [], flows)
    scored = sorted(((_score(tokens, flow_text(f)), i, f) for i, f in enumerate(flows)),
                    key=lambda x: (-x[0], x[1]))
    best = scored[0][0]
    if best < 0.5:
        return Found(None, [], flows)
    top = [f for s, _, f in scored if s == best]
    if len(top) == 1:
        return Found(top[0], [], flows)
    return Found(None, top, flows)


# ---------------------------------------------------------------------------------------- the dry run

@dataclass
class _Walk:
    lines: list[str]
    number: int = 0
    acted: bool = False
    blocked: list[str] | None = None  # checks that were not met


def _set_path(data: dict[str, Any], path: list[str], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        if not isinstance(node, dict):
            return
        node = node.setdefault(part, {})
        if node is None:
            return
    if isinstance(node, dict):
        node[path[-1]] = value


_COMPARE_RE = re.compile(r"trigger_data((?:\.\w+)+)\s*(>=|>|<=|<|==)\s*(-?\d+(?:\.\d+)?)")
_CONTAINS_RE = re.compile(r"[\"']([^\"']+)[\"']\s+in\s+(?:\w+\()?trigger_data((?:\.\w+)+)")
_EQUALS_RE = re.compile(r"trigger_data((?:\.\w+)+)\s*==\s*[\"']([^\"']+)[\"']")


def _fit_sample(event: dict[str, Any], expression: str) -> dict[str, Any]:
    """A sample event changed so that the simple checks of ``expression`` hold (sample events only)."""
    for m in _COMPARE_RE.finditer(expression):
        path, op, raw = m.group(1).strip(".").split("."), m.group(2), float(m.group(3))
        value = {">": raw * 1.2 + 1, ">=": raw, "<": raw * 0.5, "<=": raw, "==": raw}[op]
        value = round(value, -2) if value >= 1000 and op in (">", "<") else value
        if op == ">" and value <= raw:
            value = raw + 100
        _set_path(event, path, int(value) if float(value).is_integer() else value)
    for m in _CONTAINS_RE.finditer(expression):
        _set_path(event, m.group(2).strip(".").split("."), m.group(1).title())
    for m in _EQUALS_RE.finditer(expression):
        _set_path(event, m.group(1).strip(".").split("."), m.group(2))
    return event


def _conditions_of(bp: Blueprint) -> str:
    return " and ".join(str(n.params.get("expression", "")) for n in bp.nodes if n.type == "condition")


def _events(session: Session, business_id: int, trigger: Node, flow_id: str | None) -> list[dict[str, Any]]:
    """Recent real events this trigger would have started, newest first (made to fit when needed)."""
    key = trigger.key
    types = [key]
    if key == "razorpay.payment_received":
        types.append("payments.payment_received")
    if key == "invoices.invoice_overdue":
        types.append("invoices.invoice_created")
    query = select(Event).where(Event.business_id == business_id, Event.type.in_(types))
    if key == "webhook.received":
        if not flow_id:
            return []
        query = query.where(Event.key.like(f"flow:{flow_id}:%"))
    out = []
    for ev in session.scalars(query.order_by(Event.id.desc()).limit(50)):
        data = dict(ev.payload or {})
        if key == "invoices.invoice_overdue" and "days_overdue" not in data:
            data["days_overdue"] = trigger.params.get("days", 7)
        if key == "razorpay.payment_received" and "razorpay" not in data:
            data["razorpay"] = sample_event(key).get("razorpay")
        out.append(data)
    return out


def _event_words(key: str, event: dict[str, Any]) -> str:
    """"your last payment (₹900 from Rekha)"-style words for the event used."""
    def money(v: Any) -> str:
        return template.format_value(v, ["amount"]) if v is not None else "?"

    customer = (event.get("customer") or {}).get("name") if isinstance(event.get("customer"), dict) else None
    if key.endswith("payment_received"):
        payment = event.get("payment") or {}
        return f"payment of {money(payment.get('amount'))}" + (f" from {customer}" if customer else "")
    if key.startswith("invoices."):
        invoice = event.get("invoice") or {}
        return f"invoice {invoice.get('number', '')} ({money(invoice.get('total'))}" + \
            (f" for {customer})" if customer else ")")
    if key == "webhook.received":
        return "call to its webhook URL"
    if key == "inventory.stock_low":
        product = event.get("product") or {}
        return f"low stock of {product.get('name')} ({product.get('stock')} {product.get('unit') or ''})".strip()
    return "event"


def _who(to: Any, event: dict[str, Any], business: dict[str, Any]) -> str:
    to = str(to or "")
    if to == "owner" or to == business.get("phone"):
        return f"you ({business.get('phone')})"
    customer = event.get("customer") if isinstance(event.get("customer"), dict) else {}
    if customer and to in (customer.get("phone"), customer.get("email")) and customer.get("name"):
        return f"{customer['name']} ({to})"
    return to


def _quote(text: Any) -> str:
    shown = str(text if text is not None else "").strip()
    return "“" + (shown if len(shown) <= 700 else shown[:699] + "…") + "”"


def _fake_output(node: Node, tool: Any, params: Any) -> dict[str, Any]:
    outputs = tuple(getattr(tool, "outputs", ()) or ())
    fake: dict[str, Any] = {k: f"({k.replace('_', ' ')})" for k in outputs}
    if node.key == "razorpay.create_payment_link":
        fake.update(short_url="https://rzp.io/i/test-link", id="plink_test")
    if node.key == "delay.wait":
        fake["resumed_at"] = "(later)"
    return fake


class DryRun:
    """One dry run of a blueprint: nothing is sent and nothing is saved."""

    def __init__(self, session: Session, business_id: int, config: Any, bp: Blueprint, *,
                 flow_id: str | None = None, runtime: Any = None) -> None:
        self.session = session
        self.business_id = business_id
        self.config = config
        self.runtime = runtime
        self.bp = bp
        self.flow_id = flow_id
        biz = session.get(Business, business_id)
        self.business = {"name": (biz.name if biz else None) or "", "phone": biz.phone if biz else ""}
        self.sheets_local = not _connected(session, business_id, config, "google")
        self.smtp = _connected(session, business_id, config, "smtp")

    def text(self) -> str:
        """The dry run's report for the owner."""
        from flows.engine import Graph

        trigger = self.bp.trigger
        assert trigger is not None
        graph = Graph(self.bp)
        event, where = self._pick(graph, trigger)
        walk = self._walk_all(graph, event)
        lines = [f"🧪 Test run — {where}:", *walk.lines]
        if not walk.acted:
            lines.append("So with this event nothing would be sent or written.")
        lines.append("Nothing was sent or saved: this was only a test.")
        return "\n".join(lines)

    # -- the event ---------------------------------------------------------------------------------
    def _pick(self, graph: Any, trigger: Node) -> tuple[dict[str, Any], str]:
        key = trigger.key
        if key == "schedule.cron":
            now = datetime.now(UTC).astimezone(ZoneInfo(str(trigger.params.get("timezone") or DEFAULT_TIMEZONE)))
            return {"fired_at": now.isoformat(timespec="seconds")}, f"as if it ran now ({describe_trigger(trigger)})"
        real = _events(self.session, self.business_id, trigger, self.flow_id)
        for i, event in enumerate(real):
            if self._walk_all(graph, event, quiet=True).acted:
                which = "your last" if i == 0 else "your last matching"
                return event, f"{which} {_event_words(key, event)}"
        if real:
            return real[0], f"your last {_event_words(key, real[0])}"
        event = _fit_sample(self._own_customer(sample_event(key)), _conditions_of(self.bp))
        return event, f"a made-up {_event_words(key, event)}, as you have no real one yet"

    def _own_customer(self, event: dict[str, Any]) -> dict[str, Any]:
        """The sample with one of the shop's own customers in it, when it has any with a phone number."""
        if not isinstance(event.get("customer"), dict):
            return event
        customer = self.session.scalars(
            select(Customer).where(Customer.business_id == self.business_id, Customer.phone.is_not(None),
                                   Customer.phone != "").order_by(Customer.updated_at.desc()).limit(1)).first()
        if customer is None:
            return event
        event["customer"] = {"name": customer.name, "phone": customer.phone, "email": customer.email}
        if isinstance(event.get("invoice"), dict):
            event["invoice"]["customer"] = customer.name
        return event

    # -- the walk --------------------------------------------------------------------------------
    def _walk_all(self, graph: Any, event: dict[str, Any], *, quiet: bool = False) -> _Walk:
        walk = _Walk([])
        vars_: dict[str, Any] = {"trigger_data": event, "business": dict(self.business)}
        self._walk(graph, graph.all, {graph.trigger}, vars_, walk, "", quiet)
        return walk

    def _walk(self, graph: Any, scope: frozenset[str], entries: set[str], vars_: dict[str, Any], walk: _Walk,
              indent: str, quiet: bool) -> None:
        here = graph.walk_set(scope)
        taken: set[tuple[str, str]] = set()
        for node_id in graph.order:
            if node_id not in here:
                continue
            if node_id not in entries and not any((src, node_id) in taken for src in graph.incoming[node_id]):
                continue
            for target in self._visit(graph, graph.nodes[node_id], vars_, scope, walk, indent, quiet):
                taken.add((node_id, target))

    def _visit(self, graph: Any, node: Node, vars_: dict[str, Any], scope: frozenset[str], walk: _Walk,
               indent: str, quiet: bool) -> list[str]:
        edges = graph.out[node.id]
        if node.type == "trigger":
            return [e.target for e in edges]
        if node.type == "condition":
            expression = str(node.params.get("expression", ""))
            words = describe_condition(expression, self.bp)
            try:
                ok = conditions.evaluate_bool(expression, vars_)
            except Exception as exc:
                walk.lines.append(f"{indent}⚠️ The check “{words}” could not be worked out: {exc}")
                return []
            walk.lines.append(f"{indent}Check: {words} → {'yes ✅' if ok else 'no ❌'}")
            wanted = "true" if ok else "false"
            return [e.target for e in edges if e.branch == wanted]
        if node.type == "loop":
            try:
                items = template.resolve(node.params.get("items"), vars_)
            except Exception as exc:
                walk.lines.append(f"{indent}⚠️ The repeat could not start: {exc}")
                return []
            items = list(items.values()) if isinstance(items, dict) else items
            if not isinstance(items, list):
                walk.lines.append(f"{indent}⚠️ The items to repeat over are not a list")
                return []
            walk.lines.append(f"{indent}Repeat for each of {len(items)} item(s)"
                              + (" — showing the first:" if len(items) > 1 else ":"))
            body = graph.body(node.id, scope)
            entries = {e.target for e in edges if e.branch == "each"} & body
            if items:
                inner = dict(vars_)
                inner[node.id] = {"item": items[0], "index": 0, "count": len(items)}
                self._walk(graph, body, entries, inner, walk, indent + "   ", quiet)
            vars_[node.id] = {"count": len(items), "items": items}
            return [e.target for e in edges if e.branch == "done"]
        output = self._action(node, vars_, walk, indent, quiet)
        if output is None:
            return []
        vars_[node.id] = output
        return [e.target for e in edges]

    def _action(self, node: Node, vars_: dict[str, Any], walk: _Walk, indent: str, quiet: bool) -> Any:
        from bot.errors import MunshiError
        from tools import registry
        from tools.base import ToolContext

        walk.number += 1
        n = f"{indent}{walk.number}."
        walk.acted = True
        if quiet:
            return _fake_output(node, registry.REGISTRY.get(node.key), None)
        try:
            tool = registry.get(node.key)
            raw = template.resolve(node.params, vars_)
        except MunshiError as exc:
            walk.lines.append(f"{n} ⚠️ This step would fail: {exc.message}")
            return None
        try:
            params = tool.validate(raw)
        except MunshiError as exc:
            walk.lines.append(f"{n} ⚠️ This step would fail: {self._why(node, raw, exc.message, vars_)}")
            return None
        ctx = ToolContext(session=self.session, business_id=self.business_id, dry_run=True,
                          extra={"config": self.config, "runtime": self.runtime, "business": self.business,
                                 "trigger_data": vars_.get("trigger_data"), "now": datetime.now(UTC)})
        output: Any = None
        if not tool.writes:
            output = self._read(tool, ctx, params)
        if output is None:
            output = _fake_output(node, tool, params)
        words = self._words(node, tool, ctx, params, raw, vars_, output)
        walk.lines.append(f"{n} " + words.replace("\n", "\n" + indent))
        return output

    def _read(self, tool: Any, ctx: Any, params: Any) -> Any:
        """Run a tool that only reads (a report), inside a savepoint that is rolled back."""
        try:
            nested = self.session.begin_nested()
        except Exception:
            return None
        try:
            return tool.run(ctx, params)
        except Exception:
            return None
        finally:
            nested.rollback()

    def _why(self, node: Node, raw: Any, message: str, vars_: dict[str, Any]) -> str:
        to = raw.get("to") if isinstance(raw, dict) else None
        if node.key.startswith("whatsapp.") and not to:
            customer = (vars_.get("trigger_data") or {}).get("customer") or {}
            name = customer.get("name") if isinstance(customer, dict) else None
            return f"{name or 'the customer'} has no WhatsApp number saved"
        if node.key == "email.send" and not to:
            customer = (vars_.get("trigger_data") or {}).get("customer") or {}
            name = customer.get("name") if isinstance(customer, dict) else None
            return f"{name or 'the customer'} has no email address saved"
        return message

    def _words(self, node: Node, tool: Any, ctx: Any, params: Any, raw: Any, vars_: dict[str, Any],
               output: Any) -> str:
        key = node.key
        event = vars_.get("trigger_data") or {}
        p = params
        if key == "whatsapp.send_message":
            return f"WhatsApp to {_who(p.to, event, self.business)}:\n   {_quote(p.message)}"
        if key == "whatsapp.send_document":
            doc = "the invoice PDF" if p.document == "invoice_pdf" else p.document
            if p.document == "invoice_pdf":
                invoice = p.invoice or ((event.get("invoice") or {}).get("number") if isinstance(
                    event.get("invoice"), dict) else None)
                doc = f"the PDF of invoice {invoice}" if invoice else doc
            caption = f" with {_quote(p.caption)}" if p.caption else ""
            return f"WhatsApp {doc} to {_who(p.to, event, self.business)}{caption}"
        if key == "email.send":
            line = f"Email to {', '.join(p.to)} — subject {_quote(p.subject)}:\n   {_quote(p.body)}"
            if not self.smtp:
                line += "\n   ⚠️ Email is not connected, so this step would fail now."
            return line
        if key == "google_sheets.append_row":
            where = f"Google Sheet '{p.spreadsheet}'" + (f", tab '{p.worksheet}'" if p.worksheet else "")
            cells = " | ".join(str(c) for c in getattr(p, "cells", None) or raw.get("values") or [])
            line = f"Add a row to {where}:\n   {cells}"
            if self.sheets_local:
                line += "\n   (Google is not connected, so it would go to Munshi's own copy of the sheet.)"
            return line
        if key == "slack.post_message":
            return f"Post to Slack: {_quote(p.text)}"
        if key == "http.request":
            body = raw.get("json") if isinstance(raw, dict) else None
            shown = json.dumps(body, ensure_ascii=False, default=str) if body else ""
            shown = shown if len(shown) <= 400 else shown[:399] + "…"
            return f"Send {p.method} {p.url}" + (f" with {shown}" if shown else "")
        if key == "delay.wait":
            return f"Wait {describe_duration(raw.get('duration'))}, then go on"
        if key in ("reports.sales_summary", "reports.unpaid_invoices", "reports.collections"):
            label = {"reports.sales_summary": "Work out the sales", "reports.unpaid_invoices":
                     "Make the list of unpaid invoices", "reports.collections": "Work out the collections"}[key]
            text = (output or {}).get("text") if isinstance(output, dict) else None
            return f"{label}" + (f":\n   {_quote(text)}" if text else "")
        if key == "razorpay.create_payment_link":
            return f"Create a Razorpay payment link: {tool.describe(ctx, params)}"
        if key == "inventory.adjust_stock":
            change = raw.get("change")
            return f"Change the stock of {raw.get('product')} by {change:+g}" if isinstance(
                change, (int, float)) else f"Change the stock of {raw.get('product')} by {change}"
        try:
            return str(tool.describe(ctx, params))
        except Exception:
            return f"Run {key}"


def dry_run(session: Session, business_id: int, config: Any, bp: Blueprint, *, flow_id: str | None = None,
            runtime: Any = None) -> str:
    """What each step of ``bp`` would send or write for the last matching event (or a sample)."""
    return DryRun(session, business_id, config, bp, flow_id=flow_id, runtime=runtime).text()


# ---------------------------------------------------------------------------------------- runs

def period_since(text: str, now: datetime | None = None) -> tuple[datetime, str]:
    """The start of the period named in ``text`` ("today", "this month"; default the last 7 days), in UTC."""
    now = now or datetime.now(UTC)
    low = text.lower()
    local = now.astimezone(IST)
    if re.search(r"\btoday\b|\baaj\b", low):
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.astimezone(UTC), "today"
    if re.search(r"\byesterday\b|\bkal\b", low):
        start = (local - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return start.astimezone(UTC), "since yesterday"
    if re.search(r"\bmonth\b|\b30\s+days\b", low):
        return now - timedelta(days=30), "in the last 30 days"
    return now - timedelta(days=7), "in the last 7 days"


def status_word(flow: Flow) -> str:
    """"on", "paused" or "not switched on"."""
    if str(flow.status) == FlowStatus.active:
        return "on"
    if str(flow.status) == FlowStatus.paused:
        return "paused"
    return "not switched on"
