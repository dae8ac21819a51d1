"""Ready-made flows for Indian small businesses, and publishing a flow as a template.

`BUILTIN` is the gallery shown by ``GET /api/workflow-templates`` and the
dashboard: payment thank-yous, reminders for unpaid bills, low-stock alerts,
daily and weekly summaries, sheet logging. Every blueprint passes
`flows.validate.validate` as it is (the tests check), so a template can be
saved and switched on without edits; messages go to the owner (``owner``)
or to the customer of the event, never to a made-up number.

`strip_private` prepares a business's own flow for publishing: phone numbers,
email addresses, Google Sheet ids and links, webhook URLs and HTTP headers
are replaced by placeholders such as ``<phone number>``, so nothing that
identifies the shop or its customers leaves with it.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

CATEGORIES: dict[str, str] = {
    "payments": "Payments and thank-yous",
    "collections": "Collecting unpaid bills",
    "invoices": "Invoices",
    "inventory": "Stock",
    "reports": "Daily and weekly reports",
    "records": "Keeping records",
    "community": "Shared by other shops",
}


@dataclass(frozen=True)
class Template:
    """One ready-made flow."""

    id: str
    name: str
    category: str
    description: str
    blueprint: dict[str, Any]
    tags: tuple[str, ...] = field(default=())

    def view(self) -> dict[str, Any]:
        """As the API shows it (a copy of the blueprint)."""
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "tags": list(self.tags),
            "blueprint": copy.deepcopy(self.blueprint),
            "source": "builtin",
        }


def _node(
    node_id: str,
    node_type: str,
    key: str,
    params: dict[str, Any] | None = None,
    x: int = 100,
    y: int = 100,
    **data: Any,
) -> dict[str, Any]:
    service, task = key.split(".", 1)
    node_data: dict[str, Any] = {"service": service, "task": task, "params": params or {}}
    node_data.update(data)
    return {"id": node_id, "type": node_type, "data": node_data, "position": {"x": x, "y": y}}


def _chain(trigger: dict[str, Any], *steps: dict[str, Any]) -> dict[str, Any]:
    """A straight line: trigger → step 1 → step 2 …"""
    nodes = [trigger, *steps]
    for i, node in enumerate(nodes):
        node["position"] = {"x": 100, "y": 100 + 150 * i}
    edges = [
        {"id": f"e{i}", "source": a["id"], "target": b["id"]}
        for i, (a, b) in enumerate(itertools.pairwise(nodes), start=1)
    ]
    return {"nodes": nodes, "edges": edges}


def _trigger(key: str, **params: Any) -> dict[str, Any]:
    return _node("trigger_1", "trigger", key, params)


def _whatsapp(node_id: str, to: str, message: str, *, retries: bool = True) -> dict[str, Any]:
    extra: dict[str, Any] = (
        {"error_handling": {"retry_count": 3, "retry_delay": 30, "backoff": "exponential"}} if retries else {}
    )
    return _node(node_id, "action", "whatsapp.send_message", {"to": to, "message": message}, **extra)


CUSTOMER = "{{trigger_data.customer.phone}}"
AMOUNT = "₹{{trigger_data.payment.amount}}"


def _condition_flow(
    trigger: dict[str, Any],
    expression: str,
    yes: list[dict[str, Any]],
    no: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    cond = _node("check_1", "condition", "logic.condition", {"expression": expression}, y=250)
    nodes = [trigger, cond]
    edges = [{"id": "e1", "source": trigger["id"], "target": cond["id"]}]
    for branch, steps, x in (("true", yes, 0), ("false", no or [], 250)):
        prev = cond["id"]
        for i, step in enumerate(steps):
            step["position"] = {"x": x, "y": 400 + 150 * i}
            edge: dict[str, Any] = {"id": f"e{len(edges) + 1}", "source": prev, "target": step["id"]}
            if prev == cond["id"]:
                edge["branch"] = branch
            edges.append(edge)
            nodes.append(step)
            prev = step["id"]
    return {"nodes": nodes, "edges": edges}


BUILTIN: tuple[Template, ...] = (
    Template(
        "payment-thank-you",
        "Thank customers for payments",
        "payments",
        "When a payment is recorded (chat, UPI, Razorpay), WhatsApp the customer a thank-you "
        "with the amount.",
        _chain(
            _trigger("payments.payment_received"),
            _whatsapp(
                "thank_customer",
                CUSTOMER,
                f"Namaste {{{{trigger_data.customer.name}}}}! We received your payment of {AMOUNT}. "
                "Thank you for your business. — {{business.name}}",
            ),
        ),
        ("whatsapp", "thank you", "customer", "upi"),
    ),
    Template(
        "big-payment-alert",
        "Tell me about big payments",
        "payments",
        "When a payment above ₹10,000 comes in, send yourself a WhatsApp so you can check the bank.",
        _condition_flow(
            _trigger("payments.payment_received"),
            "trigger_data.payment.amount > 10000",
            [
                _whatsapp(
                    "alert_owner",
                    "owner",
                    f"💰 Big payment: {AMOUNT} from {{{{trigger_data.customer.name}}}} "
                    "({{trigger_data.payment.method}}).",
                )
            ],
        ),
        ("alert", "owner", "large payment"),
    ),
    Template(
        "razorpay-receipt",
        "Razorpay receipt to the customer",
        "payments",
        "When a Razorpay payment is captured, WhatsApp the customer a receipt with the payment reference.",
        _chain(
            _trigger("razorpay.payment_received"),
            _whatsapp(
                "receipt",
                CUSTOMER,
                f"Payment of {AMOUNT} received online (ref {{{{trigger_data.payment.reference}}}}). "
                "Thank you! — {{business.name}}",
            ),
        ),
        ("razorpay", "online", "receipt"),
    ),
    Template(
        "overdue-reminder-7",
        "Remind customers of bills unpaid after 7 days",
        "collections",
        "Seven days after an invoice is issued, if it is still unpaid, WhatsApp the customer "
        "a polite reminder.",
        _chain(
            _trigger("invoices.invoice_overdue", days=7),
            _whatsapp(
                "remind_customer",
                CUSTOMER,
                "Namaste {{trigger_data.customer.name}}, a gentle reminder: invoice "
                "{{trigger_data.invoice.number}} of ₹{{trigger_data.invoice.total}} is still unpaid. "
                "Please pay at your convenience. — {{business.name}}",
            ),
        ),
        ("reminder", "udhaar", "credit", "unpaid"),
    ),
    Template(
        "overdue-escalate-30",
        "Tell me about bills unpaid after 30 days",
        "collections",
        "Thirty days after an invoice is issued, if it is still unpaid, send yourself a WhatsApp "
        "to follow up.",
        _chain(
            _trigger("invoices.invoice_overdue", days=30),
            _whatsapp(
                "tell_owner",
                "owner",
                "⏰ {{trigger_data.customer.name}} has not paid invoice {{trigger_data.invoice.number}} "
                "(₹{{trigger_data.invoice.total}}) for 30 days.",
            ),
        ),
        ("follow up", "unpaid", "owner"),
    ),
    Template(
        "weekly-unpaid-list",
        "Every Monday: list of unpaid bills",
        "collections",
        "Every Monday at 9 am, WhatsApp yourself the list of unpaid invoices and the total due.",
        _chain(
            _trigger("schedule.cron", cron="0 9 * * 1", timezone="Asia/Kolkata"),
            _node("unpaid", "action", "reports.unpaid_invoices", {}),
            _whatsapp("send_list", "owner", "📋 Unpaid bills this week:\n{{unpaid.text}}"),
        ),
        ("weekly", "unpaid", "report"),
    ),
    Template(
        "invoice-pdf-to-customer",
        "Send the bill PDF to the customer",
        "invoices",
        "When an invoice is created, WhatsApp its PDF to the customer.",
        _chain(
            _trigger("invoices.invoice_created"),
            _node(
                "send_pdf",
                "action",
                "whatsapp.send_document",
                {
                    "to": CUSTOMER,
                    "document": "invoice_pdf",
                    "caption": "Your bill {{trigger_data.invoice.number}} for "
                    "₹{{trigger_data.invoice.total}}. "
                    "Thank you! — {{business.name}}",
                },
                error_handling={"retry_count": 3, "retry_delay": 30, "backoff": "exponential"},
            ),
        ),
        ("pdf", "bill", "gst invoice"),
    ),
    Template(
        "invoice-payment-link",
        "Bill with a Razorpay payment link",
        "invoices",
        "When an invoice is created, make a Razorpay payment link for it and WhatsApp the link "
        "to the customer.",
        _chain(
            _trigger("invoices.invoice_created"),
            _node(
                "pay_link",
                "action",
                "razorpay.create_payment_link",
                {
                    "amount": "{{trigger_data.invoice.total}}",
                    "customer": "{{trigger_data.customer}}",
                    "description": "Invoice {{trigger_data.invoice.number}}",
                },
            ),
            _whatsapp(
                "send_link",
                CUSTOMER,
                "Your bill {{trigger_data.invoice.number}} is ₹{{trigger_data.invoice.total}}. "
                "Pay by UPI or card here: {{pay_link.short_url}}",
            ),
        ),
        ("razorpay", "upi", "payment link"),
    ),
    Template(
        "low-stock-alert",
        "Low stock alert",
        "inventory",
        "When a product falls to its low-stock mark, WhatsApp yourself so you can reorder in time.",
        _chain(
            _trigger("inventory.stock_low"),
            _whatsapp(
                "tell_owner",
                "owner",
                "📦 Stock of {{trigger_data.product.name}} is down to {{trigger_data.product.stock}} "
                "{{trigger_data.product.unit}} (alert at {{trigger_data.product.low_stock_threshold}}). "
                "Time to reorder.",
                retries=False,
            ),
        ),
        ("stock", "reorder", "inventory"),
    ),
    Template(
        "low-stock-sheet",
        "Keep a reorder list in a sheet",
        "inventory",
        "When a product runs low, add a row to the 'Reorder' sheet with the product and its stock.",
        _chain(
            _trigger("inventory.stock_low"),
            _node(
                "add_row",
                "action",
                "google_sheets.append_row",
                {
                    "spreadsheet": "Reorder list",
                    "worksheet": "Sheet1",
                    "values": [
                        "{{trigger_data.product.name}}",
                        "{{trigger_data.product.stock}}",
                        "{{trigger_data.product.unit}}",
                    ],
                },
            ),
        ),
        ("sheet", "reorder", "stock"),
    ),
    Template(
        "daily-sales-summary",
        "Daily sales summary at 9 pm",
        "reports",
        "Every evening at 9 pm, WhatsApp yourself today's sales.",
        _chain(
            _trigger("schedule.cron", cron="0 21 * * *", timezone="Asia/Kolkata"),
            _node("sales", "action", "reports.sales_summary", {"period": "today"}),
            _whatsapp("send_summary", "owner", "📊 Today's sales:\n{{sales.text}}", retries=False),
        ),
        ("daily", "sales", "hisaab"),
    ),
    Template(
        "weekly-sales-summary",
        "Weekly sales summary on Sunday",
        "reports",
        "Every Sunday at 8 pm, WhatsApp yourself the week's sales.",
        _chain(
            _trigger("schedule.cron", cron="0 20 * * 0", timezone="Asia/Kolkata"),
            _node("sales", "action", "reports.sales_summary", {"period": "week"}),
            _whatsapp("send_summary", "owner", "📊 This week's sales:\n{{sales.text}}", retries=False),
        ),
        ("weekly", "sales"),
    ),
    Template(
        "monthly-sales-summary",
        "Monthly sales on the 1st",
        "reports",
        "On the 1st of every month at 9 am, WhatsApp yourself last month's sales total.",
        _chain(
            _trigger("schedule.cron", cron="0 9 1 * *", timezone="Asia/Kolkata"),
            _node("sales", "action", "reports.sales_summary", {"period": "month"}),
            _whatsapp("send_summary", "owner", "📅 Sales this month:\n{{sales.text}}", retries=False),
        ),
        ("monthly", "sales", "gst"),
    ),
    Template(
        "payments-to-sheet",
        "Log every payment in a sheet",
        "records",
        "When a payment is recorded, add a row to the 'Payments' sheet: customer, amount, method, reference.",
        _chain(
            _trigger("payments.payment_received"),
            _node(
                "log_payment",
                "action",
                "google_sheets.append_row",
                {
                    "spreadsheet": "Payments",
                    "worksheet": "Sheet1",
                    "values": [
                        "{{trigger_data.customer.name}}",
                        "{{trigger_data.payment.amount}}",
                        "{{trigger_data.payment.method}}",
                        "{{trigger_data.payment.reference}}",
                    ],
                },
            ),
        ),
        ("sheet", "accounts", "ledger"),
    ),
    Template(
        "invoices-to-sheet",
        "Log every invoice in a sheet",
        "records",
        "When an invoice is created, add a row to the 'Invoices' sheet for your accountant.",
        _chain(
            _trigger("invoices.invoice_created"),
            _node(
                "log_invoice",
                "action",
                "google_sheets.append_row",
                {
                    "spreadsheet": "Invoices",
                    "worksheet": "Sheet1",
                    "values": [
                        "{{trigger_data.invoice.number}}",
                        "{{trigger_data.customer.name}}",
                        "{{trigger_data.invoice.total}}",
                        "{{trigger_data.invoice.tax}}",
                    ],
                },
            ),
        ),
        ("sheet", "accountant", "gst"),
    ),
    Template(
        "webhook-order-alert",
        "New online order alert",
        "records",
        "When your website or app posts an order to this flow's webhook URL, WhatsApp yourself the order.",
        _chain(
            _trigger("webhook.received"),
            _whatsapp(
                "tell_owner",
                "owner",
                "🛒 New order {{trigger_data.order_id}} for ₹{{trigger_data.amount}}.",
                retries=False,
            ),
        ),
        ("webhook", "online order", "website"),
    ),
)

_BY_ID = {t.id: t for t in BUILTIN}


def builtin(template_id: str) -> Template | None:
    """The built-in template with this id, or None."""
    return _BY_ID.get(template_id)


def matches(view: dict[str, Any], category: str | None, words: str | None) -> bool:
    """Whether a template (as shown) is in ``category`` and mentions every one of ``words``."""
    if category and view.get("category") != category:
        return False
    if words:
        hay = " ".join(
            [
                view.get("name", ""),
                view.get("description", ""),
                " ".join(view.get("tags", [])),
                view.get("category", ""),
            ]
        ).lower()
        return all(w in hay for w in words.lower().split())
    return True


# ------------------------------------------------------------------ publishing

PHONE_MARK = "<phone number>"
EMAIL_MARK = "<email>"
SHEET_MARK = "<spreadsheet>"
URL_MARK = "<web address>"
SECRET_MARK = "<secret>"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w{])(?:\+|00)?\d[\d\s().-]{7,16}\d(?![\w}])")
_SHEET_URL = re.compile(r"https?://docs\.google\.com/spreadsheets/\S+")
_SHEET_ID = re.compile(r"^[A-Za-z0-9_-]{25,}$")


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def strip_text(text: str) -> str:
    """A text with email addresses, sheet links and phone numbers replaced by placeholders."""
    text = _SHEET_URL.sub(SHEET_MARK, text)
    text = _EMAIL.sub(EMAIL_MARK, text)
    return _PHONE.sub(lambda m: PHONE_MARK if _digits(m.group()) >= 8 else m.group(), text)


def _strip(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip(v, key) for v in value]
    if isinstance(value, str):
        return strip_text(value)
    return value


def strip_private(blueprint: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``blueprint`` safe to share, and what was taken out (for the publisher to read)."""
    bp = copy.deepcopy(blueprint)
    removed: list[str] = []
    for node in bp.get("nodes", []):
        data = node.get("data") or {}
        params = data.get("params") or {}
        key = f"{data.get('service')}.{data.get('task')}"
        for name in list(params):
            value = params[name]
            if (
                key == "google_sheets.append_row"
                and name == "spreadsheet"
                and isinstance(value, str)
                and (_SHEET_ID.match(value.strip()) or _SHEET_URL.search(value))
            ):
                params[name] = SHEET_MARK
                removed.append(f"{node.get('id')}: spreadsheet id")
            elif name == "webhook_url" and value:
                params[name] = URL_MARK
                removed.append(f"{node.get('id')}: webhook URL")
            elif key == "http.request" and name == "headers" and isinstance(value, dict) and value:
                params[name] = {k: SECRET_MARK for k in value}
                removed.append(f"{node.get('id')}: HTTP headers")
            else:
                cleaned = _strip(value, name)
                if cleaned != value:
                    params[name] = cleaned
                    removed.append(f"{node.get('id')}: {name}")
    return bp, removed
