"""Reports: who owes money, what was collected, what was sold — as numbers and as WhatsApp text.

Outstanding money counts open invoices only (issued, sent, partially paid);
fully paid and cancelled invoices are left out. Periods are days in India
(IST): ``today``, ``yesterday``, ``week`` (since Monday), ``last_week``,
``month``, ``last_month``, ``year`` (the financial year).

Tools: ``reports.unpaid_invoices``, ``reports.collections``, ``reports.sales_summary``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from storage.export import rupees
from storage.ledger import (
    date_text,
    inr,
    invoices_between,
    outstanding,
    payments_between,
    period_bounds,
)
from tools.base import BaseTool, ToolContext


def _bills(n: int) -> str:
    return f"{n} bill" if n == 1 else f"{n} bills"


def unpaid_report(
    session: Session, business_id: int, customer_id: int | None = None, limit: int = 30
) -> dict[str, Any]:
    """Per customer outstanding: ``text``, ``total`` (rupees), ``count`` (customers), ``customers``."""
    owed = outstanding(session, business_id, customer_id)
    total = sum(o.due_paise for o in owed)
    if not owed:
        text = "Nobody owes you anything right now. 🎉" if customer_id is None else "Nothing is due. ✅"
    else:
        lines = []
        for o in owed[:limit]:
            oldest = o.invoices[0]
            lines.append(
                f"• {o.customer.name}: {inr(o.due_paise)} ({_bills(len(o.invoices))}, "
                f"oldest {date_text(oldest.issued_at)})"
            )
        if len(owed) > limit:
            lines.append(f"…and {len(owed) - limit} more")
        head = (
            f"💰 *{inr(total)} pending* from {len(owed)} customer{'s' if len(owed) != 1 else ''}:"
            if customer_id is None
            else f"💰 {owed[0].customer.name} owes *{inr(total)}*:"
        )
        if customer_id is not None:
            lines = [
                f"• {i.number}: {inr(i.total_paise - i.paid_paise)} of {inr(i.total_paise)} "
                f"({date_text(i.issued_at)})"
                for i in owed[0].invoices
            ]
        text = "\n".join([head, *lines])
    return {
        "text": text,
        "total": rupees(total),
        "count": len(owed),
        "customers": [
            {
                "name": o.customer.name,
                "phone": o.customer.phone,
                "due": rupees(o.due_paise),
                "invoices": [i.number for i in o.invoices],
            }
            for o in owed
        ],
    }


def collections_report(
    session: Session, business_id: int, period: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Money received in the period: ``text``, ``total``, ``count``, ``by_method``."""
    p = period_bounds(period, now)
    payments = payments_between(session, business_id, p)
    total = sum(x.amount_paise for x in payments)
    by_method: dict[str, int] = {}
    for x in payments:
        key = x.method or "other"
        by_method[key] = by_method.get(key, 0) + x.amount_paise
    if not payments:
        text = f"No payments recorded {p.label}."
    else:
        labels = {
            "cash": "Cash",
            "upi": "UPI",
            "bank_transfer": "Bank",
            "card": "Card",
            "cheque": "Cheque",
            "other": "Method not given",
        }
        split = " · ".join(
            f"{labels.get(k, k)} {inr(v)}" for k, v in sorted(by_method.items(), key=lambda kv: -kv[1])
        )
        lines = [
            f"💵 Collected {p.label}: *{inr(total)}* from {len(payments)} payment"
            f"{'s' if len(payments) != 1 else ''}",
            split,
        ]
        lines += [
            f"• {x.customer.name if x.customer else 'Unknown'}: {inr(x.amount_paise)} "
            f"({date_text(x.received_at)})"
            for x in payments[-15:]
        ]
        text = "\n".join(lines)
    return {
        "text": text,
        "total": rupees(total),
        "count": len(payments),
        "by_method": {k: rupees(v) for k, v in by_method.items()},
        "period": p.label,
    }


def sales_report(
    session: Session, business_id: int, period: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Invoices issued in the period (cancelled left out): ``text``, ``total``, ``count``."""
    p = period_bounds(period, now)
    invoices = invoices_between(session, business_id, p)
    total = sum(i.total_paise for i in invoices)
    collected = sum(i.paid_paise for i in invoices)
    if not invoices:
        text = f"No sales billed {p.label}."
    else:
        by_product: dict[str, int] = {}
        for inv in invoices:
            for item in inv.items:
                by_product[item.product] = by_product.get(item.product, 0) + item.amount_paise
        top = sorted(by_product.items(), key=lambda kv: -kv[1])[:5]
        lines = [
            f"📈 Sales {p.label}: *{inr(total)}* in {_bills(len(invoices))}",
            f"Paid so far {inr(collected)} · due {inr(total - collected)}",
        ]
        lines += [f"• {name}: {inr(amount)}" for name, amount in top]
        text = "\n".join(lines)
    return {"text": text, "total": rupees(total), "count": len(invoices), "period": p.label}


# ------------------------------------------------------------------ tools


class NoParams(BaseModel):
    pass


class UnpaidInvoices(BaseTool):
    name = "reports.unpaid_invoices"
    description = "Who owes money: each customer's unpaid total across open invoices."
    Params = NoParams
    outputs = ("text", "total", "count")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: NoParams) -> dict[str, Any]:
        return unpaid_report(ctx.session, ctx.business_id)


class PeriodParams(BaseModel):
    period: str = "today"


class SalesSummary(BaseTool):
    name = "reports.sales_summary"
    description = "Total billed in a period (today, week, month) with the top products."
    Params = PeriodParams
    outputs = ("text", "total")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: PeriodParams) -> dict[str, Any]:
        return sales_report(ctx.session, ctx.business_id, params.period)


class Collections(BaseTool):
    name = "reports.collections"
    description = "Money received in a period (today, week, month), by payment method."
    Params = PeriodParams
    outputs = ("text", "total", "count")
    writes = False
    idempotent = True

    def run(self, ctx: ToolContext, params: PeriodParams) -> dict[str, Any]:
        return collections_report(ctx.session, ctx.business_id, params.period)


TOOLS: list[BaseTool] = [UnpaidInvoices(), SalesSummary(), Collections()]
