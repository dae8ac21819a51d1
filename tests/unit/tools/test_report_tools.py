"""reports.*: who owes (paid and cancelled left out), collections and sales by period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import Business
from tools.reports import collections_report, sales_report

Call = Callable[..., dict[str, Any]]


def _bill(call: Call, customer: str, amount: int, **kw: Any) -> dict[str, Any]:
    return call(
        "invoices.create_invoice",
        customer=customer,
        items=[{"product": "x", "quantity": 1, "unit_price": amount}],
        **kw,
    )


def test_unpaid_lists_customers_who_owe(call: Call) -> None:
    _bill(call, "Rekha", 330)
    _bill(call, "Nisha", 15000)
    _bill(call, "Geeta", 2800)
    cancelled = _bill(call, "Tarun", 999)
    call("invoices.cancel_invoice", invoice=cancelled["number"])
    call("payments.record_payment", customer="Nisha", amount=15000)
    call("payments.record_payment", customer="Geeta", amount=1000)
    out = call("reports.unpaid_invoices")
    assert out["total"] == 330 + 1800 and out["count"] == 2
    assert "Rekha: ₹330" in out["text"] and "Geeta: ₹1,800" in out["text"]
    assert "Nisha" not in out["text"] and "Tarun" not in out["text"]
    assert [c["name"] for c in out["customers"]] == ["Geeta", "Rekha"]  # biggest first


def test_nobody_owes(call: Call) -> None:
    out = call("reports.unpaid_invoices")
    assert (out["total"], out["count"]) == (0, 0) and "Nobody owes" in out["text"]


def test_collections_by_period_and_method(call: Call, session: Session, biz: Business) -> None:
    now = datetime(2026, 6, 11, 6, 0, tzinfo=UTC)  # Thursday
    call(
        "payments.record_payment",
        customer="A",
        amount=1000,
        method="cash",
        received_at="2026-06-11T05:00:00+00:00",
    )
    call(
        "payments.record_payment",
        customer="B",
        amount=2500,
        method="gpay",
        received_at="2026-06-09T05:00:00+00:00",
    )
    call(
        "payments.record_payment",
        customer="C",
        amount=700,
        method="upi",
        received_at="2026-06-01T05:00:00+00:00",
    )
    today = collections_report(session, biz.id, "today", now)
    assert (today["total"], today["count"]) == (1000, 1)
    week = collections_report(session, biz.id, "week", now)
    assert (week["total"], week["by_method"]) == (3500, {"cash": 1000, "upi": 2500})
    assert "₹3,500" in week["text"] and "this week" in week["text"]
    month = collections_report(session, biz.id, "month", now)
    assert month["total"] == 4200
    assert collections_report(session, biz.id, "yesterday", now)["total"] == 0


def test_sales_summary_leaves_out_cancelled(call: Call, session: Session, biz: Business) -> None:
    _bill(call, "A", 1000)
    gone = _bill(call, "B", 500)
    call("invoices.cancel_invoice", invoice=gone["number"])
    out = call("reports.sales_summary", period="today")
    assert (out["total"], out["count"]) == (1000, 1) and "₹1,000" in out["text"]
    assert sales_report(session, biz.id, "last_month")["total"] == 0
