"""A blueprint in plain words, for the owner to read before saying YES.

`summarize(blueprint, name)` gives a numbered summary::

    Payment thanks
    When a payment is received:
    1. WhatsApp the customer: "Thank you {customer name}! We received your payment of ₹{amount}."
    2. Add a row to Google Sheet 'Payments': customer name, customer phone, amount, method, reference

Conditions and loops become headings ("If the amount is more than ₹25,000:",
"Otherwise:") with their steps indented; steps are numbered in the order of
`step_order`, which the plain-word editor uses for "remove step 2".
"""
from __future__ import annotations

import ast
import re
from typing import Any

from flows import template
from flows.catalogue import DEFAULT_TIMEZONE
from flows.schema import Blueprint, Node

_MAX_TEXT = 240

#: Friendly names of the variables the parser writes (and of common ones an LLM may write).
_LABELS: dict[str, str] = {
    "trigger_data.customer.name": "customer name",
    "trigger_data.customer.phone": "customer phone",
    "trigger_data.customer.email": "customer email",
    "trigger_data.customer": "customer",
    "trigger_data.payment.amount": "amount",
    "trigger_data.payment.method": "payment method",
    "trigger_data.payment.reference": "payment reference",
    "trigger_data.invoice.number": "invoice number",
    "trigger_data.invoice.total": "invoice total",
    "trigger_data.invoice.status": "invoice status",
    "trigger_data.product.name": "product",
    "trigger_data.product.stock": "stock",
    "trigger_data.product.unit": "unit",
    "trigger_data.product.low_stock_threshold": "low-stock level",
    "trigger_data.days_overdue": "days overdue",
    "trigger_data.fired_at": "time",
    "trigger_data": "the event data",
    "business.name": "your business name",
    "business.phone": "your phone",
}
_OUTPUT_LABELS = {
    "reports.sales_summary": {"text": "sales summary", "total": "sales total"},
    "reports.unpaid_invoices": {"text": "unpaid invoices list", "total": "unpaid total",
                                "count": "number of unpaid invoices"},
    "razorpay.create_payment_link": {"short_url": "payment link", "id": "payment link id"},
    "http.request": {"status": "response status", "body": "response"},
    "inventory.adjust_stock": {"stock": "new stock"},
}
_SHOUT = {"upi": "UPI", "neft": "NEFT", "imps": "IMPS", "rtgs": "RTGS"}
_PERIODS = {"today": "today's", "week": "this week's", "month": "this month's"}
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def summarize(blueprint: Blueprint, name: str | None = None) -> str:
    """The numbered plain-language summary of ``blueprint`` (headed by ``name`` when given)."""
    return _Renderer(blueprint).render(name)


def step_order(blueprint: Blueprint) -> list[str]:
    """Ids of the numbered steps (actions and waits), in the order `summarize` numbers them."""
    renderer = _Renderer(blueprint)
    renderer.render(None)
    return renderer.numbered


def label(ref: str, blueprint: Blueprint | None = None) -> str:
    """A friendly name for a variable: ``trigger_data.payment.amount`` → ``amount``."""
    if ref in _LABELS:
        return _LABELS[ref]
    parts = ref.split(".")
    if blueprint is not None and len(parts) >= 2:
        node = blueprint.node(parts[0])
        if node is not None:
            known = _OUTPUT_LABELS.get(node.key, {}).get(parts[1])
            if known:
                return known
            return f"{parts[0].replace('_', ' ')} {parts[1].replace('_', ' ')}"
    tail = [p for p in parts if p not in ("trigger_data",)][-2:]
    return " ".join(p.replace("_", " ") for p in tail) or ref


def describe_text(text: Any, blueprint: Blueprint | None = None) -> str:
    """Text with each ``{{ref}}`` shown as ``{label}`` (money as ``₹{label}``)."""
    if not isinstance(text, str):
        if isinstance(text, (dict, list)):
            return _describe_value(text, blueprint)
        return template.format_value(text)

    def swap(match: re.Match[str]) -> str:
        ref = ".".join(template.parse_ref(match.group(1))) if _is_ref(match.group(1)) else match.group(1)
        shown = "{" + label(ref, blueprint) + "}"
        before = match.string[max(0, match.start() - 4):match.start()]
        is_money = template.is_money(ref) or ref.endswith(("sales_1.total", ".total"))
        if is_money and not re.search(r"(?:₹|rs\.?|inr)\s*$", before, re.IGNORECASE):
            shown = "₹" + shown
        return shown

    return template.REF_RE.sub(swap, text)


def _is_ref(raw: str) -> bool:
    try:
        template.parse_ref(raw)
    except Exception:
        return False
    return True


def _describe_value(value: Any, blueprint: Blueprint | None) -> str:
    if isinstance(value, list):
        shown = []
        for item in value:
            if isinstance(item, str) and template.is_single_ref(item):
                shown.append(label(template.references(item)[0], blueprint))
            else:
                shown.append(_short(describe_text(item, blueprint)))
        return ", ".join(shown)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {describe_text(v, blueprint)}" for k, v in value.items())
    return describe_text(value, blueprint)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1].rstrip() + "…"


def format_time(hour: int, minute: int) -> str:
    """``20, 0`` → ``8:00 pm``."""
    suffix = "am" if hour < 12 else "pm"
    shown = hour % 12 or 12
    return f"{shown}:{minute:02d} {suffix}"


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _days_of_week(field: str) -> str | None:
    if field == "1-5":
        return "weekday (Monday to Friday)"
    if field in ("0,6", "6,0", "6,7", "SAT,SUN"):
        return "Saturday and Sunday"
    names: list[str] = []
    for part in field.split(","):
        if part.isdigit() and 0 <= int(part) <= 7:
            names.append(_DAYS[int(part) % 7])
        else:
            return None
    if not names:
        return None
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_cron(cron: str, timezone: str | None = None) -> str:
    """A cron expression in words: ``0 20 * * *`` → ``Every day at 8:00 pm``."""
    fields = str(cron).split()
    zone = "" if not timezone or timezone == DEFAULT_TIMEZONE else f" ({timezone} time)"
    if len(fields) != 5:
        return f"On the schedule '{cron}'{zone}"
    minute, hour, dom, month, dow = fields
    if month == "*" and minute.isdigit() and hour.isdigit():
        at = format_time(int(hour), int(minute))
        if dom == "*" and dow == "*":
            return f"Every day at {at}{zone}"
        if dom == "*":
            days = _days_of_week(dow)
            if days:
                return f"Every {days} at {at}{zone}"
        if dow == "*" and dom.isdigit():
            return f"On the {_ordinal(int(dom))} of every month at {at}{zone}"
        if dow == "*" and dom.startswith("*/") and dom[2:].isdigit():
            return f"Every {dom[2:]} days at {at}{zone}"
    if dom == month == dow == "*":
        if minute.isdigit() and hour == "*":
            return f"Every hour{zone}" if minute == "0" else f"Every hour at {minute} minutes past{zone}"
        if minute.isdigit() and hour.startswith("*/") and hour[2:].isdigit():
            return f"Every {hour[2:]} hours{zone}"
        if minute.startswith("*/") and minute[2:].isdigit() and hour == "*":
            return f"Every {minute[2:]} minutes{zone}"
    return f"On the schedule '{cron}'{zone}"


def describe_trigger(node: Node) -> str:
    """The trigger in words, starting with a capital: ``When a payment is received``."""
    params = node.params
    key = node.key
    if key == "payments.payment_received":
        return "When a payment is received"
    if key == "razorpay.payment_received":
        return "When a Razorpay payment is received"
    if key == "invoices.invoice_created":
        return "When an invoice is created"
    if key == "invoices.invoice_overdue":
        days = params.get("days")
        unit = "day" if days == 1 else "days"
        return f"When an invoice is still unpaid {days} {unit} after it was issued"
    if key == "inventory.stock_low":
        return "When a product's stock is low"
    if key == "schedule.cron":
        return describe_cron(params.get("cron", ""), params.get("timezone"))
    if key == "webhook.received":
        return "When your webhook URL receives a POST"
    return f"When {key} happens"


def describe_duration(duration: Any) -> str:
    """``2d`` → ``2 days``; ``30m`` → ``30 minutes``."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", str(duration))
    if not match:
        return str(duration)
    count = int(match.group(1))
    unit = {"s": "second", "m": "minute", "h": "hour", "d": "day"}[match.group(2)]
    if unit == "day" and count % 7 == 0 and count >= 7:
        count, unit = count // 7, "week"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _money(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return template.format_inr(value)
    return str(value)


# -- conditions -----------------------------------------------------------

_OPS = {ast.Gt: "is more than", ast.GtE: "is at least", ast.Lt: "is less than", ast.LtE: "is at most",
        ast.Eq: "is", ast.NotEq: "is not", ast.In: "is in", ast.NotIn: "is not in"}


def _names(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _names(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        base = _names(node.value)
        return f"{base}.{node.slice.value!s}" if base else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in ("lower", "upper", "str") and len(node.args) == 1:
        return _names(node.args[0])
    return None


def describe_condition(expression: str, blueprint: Blueprint | None = None) -> str:
    """A condition in words: ``trigger_data.payment.amount > 25000`` → ``the amount is more than ₹25,000``."""
    try:
        tree = ast.parse(str(expression).strip(), mode="eval").body
    except SyntaxError:
        return str(expression)
    return _cond(tree, blueprint)


def _cond(node: ast.AST, bp: Blueprint | None) -> str:
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        return joiner.join(_cond(v, bp) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return f"not ({_cond(node.operand, bp)})"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, op, right = node.left, node.ops[0], node.comparators[0]
        is_text = isinstance(left, ast.Constant) and isinstance(left.value, str)
        if isinstance(op, (ast.In, ast.NotIn)) and is_text:
            assert isinstance(left, ast.Constant)
            target = _names(right)
            if target:
                verb = "includes" if isinstance(op, ast.In) else "does not include"
                return f"the {label(target, bp)} {verb} \"{str(left.value).title()}\""
        name = _names(left)
        if name and isinstance(right, ast.Constant):
            value = right.value
            if template.is_money(name):
                shown = _money(value)
            elif isinstance(value, str):
                plain = value.title() if name.endswith(".method") else value
                shown = f"\"{_SHOUT.get(value.lower(), plain)}\""
            else:
                shown = str(value)
            return f"the {label(name, bp)} {_OPS[type(op)]} {shown}"
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - ast.unparse handles every parsed tree
        return "a condition"


# -- actions --------------------------------------------------------------


def _recipient(value: Any, bp: Blueprint | None) -> str:
    if isinstance(value, str) and value.strip().lower() == "owner":
        return "you"
    if isinstance(value, str) and template.is_single_ref(value):
        ref = template.references(value)[0]
        if ref in ("trigger_data.customer.phone", "trigger_data.customer.email"):
            return "the customer"
        return "{" + label(ref, bp) + "}"
    return str(value)


def describe_node(node: Node, blueprint: Blueprint | None = None) -> str:
    """One step in words (no number)."""
    p = node.params
    key = node.key
    bp = blueprint
    if key == "whatsapp.send_message":
        message = _short(describe_text(p.get("message", ""), bp))
        return f"WhatsApp {_recipient(p.get('to'), bp)}: \"{message}\""
    if key == "whatsapp.send_document":
        doc = str(p.get("document", "a document")).replace("_pdf", " PDF").replace("_", " ")
        caption = f" (\"{_short(describe_text(p['caption'], bp))}\")" if p.get("caption") else ""
        return f"WhatsApp {_recipient(p.get('to'), bp)} the {doc}{caption}"
    if key == "google_sheets.append_row":
        sheet = f"Add a row to Google Sheet '{p.get('spreadsheet', '')}'"
        if p.get("worksheet") and p.get("worksheet") != "Sheet1":
            sheet += f", worksheet '{p['worksheet']}'"
        values = p.get("values")
        if values:
            sheet += ": " + _short(_describe_value(values, bp) if isinstance(values, list)
                                    else describe_text(values, bp))
        return sheet
    if key == "email.send":
        return (f"Email {_recipient(p.get('to'), bp)}: \"{_short(describe_text(p.get('subject', ''), bp))}\""
                f" — \"{_short(describe_text(p.get('body', ''), bp))}\"")
    if key == "slack.post_message":
        return f"Post to Slack: \"{_short(describe_text(p.get('text', ''), bp))}\""
    if key == "http.request":
        return f"Send a {p.get('method', 'POST')} request to {describe_text(p.get('url', ''), bp)}"
    if key == "razorpay.create_payment_link":
        amount = p.get("amount")
        shown = _money(amount) if not isinstance(amount, str) else describe_text(amount, bp)
        if isinstance(amount, str) and template.is_single_ref(amount) and not shown.startswith("₹"):
            shown = "₹" + shown
        about = f" ({_short(describe_text(p['description'], bp))})" if p.get("description") else ""
        return f"Create a Razorpay payment link for {shown}{about}"
    if key == "reports.unpaid_invoices":
        return "Make the list of unpaid invoices"
    if key == "reports.sales_summary":
        return f"Work out {_PERIODS.get(str(p.get('period')), str(p.get('period')))} sales"
    if key == "inventory.adjust_stock":
        change = p.get("change")
        is_number = isinstance(change, (int, float)) and not isinstance(change, bool)
        shown = f"{change:+g}" if is_number else str(change)
        return f"Change the stock of {describe_text(p.get('product', ''), bp)} by {shown}"
    if key == "delay.wait":
        return f"Wait {describe_duration(p.get('duration'))}"
    return f"Run {key}"


class _Renderer:
    def __init__(self, bp: Blueprint) -> None:
        self.bp = bp
        self.lines: list[str] = []
        self.numbered: list[str] = []
        self.seen: set[str] = set()

    def render(self, name: str | None) -> str:
        bp = self.bp
        trigger = bp.trigger
        if name:
            self.lines.append(name)
        if trigger is None:
            self.lines.append("(no trigger yet)")
            return "\n".join(self.lines)
        self.seen.add(trigger.id)
        head = describe_trigger(trigger)
        children = [e.target for e in bp.outgoing(trigger.id)]
        # "When a payment is received, if the amount is more than ₹25,000:" reads best.
        if len(children) == 1:
            first = bp.node(children[0])
            if first is not None and first.type == "condition" and len(bp.incoming(first.id)) == 1:
                self.seen.add(first.id)
                self.lines.append(f"{head}, if {describe_condition(first.params.get('expression', ''), bp)}:")
                self._branches(first, "", nested=False)
                return "\n".join(self.lines)
        self.lines.append(f"{head}:")
        if not children:
            self.lines.append("(no steps yet)")
        self._walk(children, "")
        return "\n".join(self.lines)

    def _walk(self, ids: list[str], indent: str) -> None:
        for node_id in ids:
            node = self.bp.node(node_id)
            if node is None:
                continue
            if node_id in self.seen:
                if node_id in self.numbered:
                    self.lines.append(f"{indent}(then continue with step {self.numbered.index(node_id) + 1})")
                continue
            self.seen.add(node_id)
            if node.type == "condition":
                condition = describe_condition(node.params.get("expression", ""), self.bp)
                self.lines.append(f"{indent}If {condition}:")
                self._branches(node, indent, nested=True)
            elif node.type == "loop":
                items = describe_text(node.params.get("items", ""), self.bp)
                self.lines.append(f"{indent}For each item of {items}:")
                each = [e.target for e in self.bp.outgoing(node.id) if e.branch == "each"]
                done = [e.target for e in self.bp.outgoing(node.id) if e.branch != "each"]
                self._walk(each, indent + "   ")
                self._walk(done, indent)
            else:
                self.numbered.append(node_id)
                self.lines.append(f"{indent}{len(self.numbered)}. {describe_node(node, self.bp)}")
                self._walk([e.target for e in self.bp.outgoing(node.id)], indent)

    def _branches(self, node: Node, indent: str, *, nested: bool) -> None:
        yes = [e.target for e in self.bp.outgoing(node.id) if e.branch != "false"]
        no = [e.target for e in self.bp.outgoing(node.id) if e.branch == "false"]
        inner = indent + "   " if nested else indent
        self._walk(yes, inner)
        if no:
            self.lines.append(f"{indent}Otherwise:")
            self._walk(no, inner)
