"""``/dashboard``: the owner's screen — flows and their runs (live), invoices, payments, stock, analytics.

Logged in with a one-time link from chat (`bot.pages.login`). Pages read
through the same presenters as the API (`bot.api.present`), so both show
the same numbers; buttons call the API with the session and its CSRF token.

``/dashboard/runs/<id>/events`` streams a run's progress as server-sent
events (``event: run``, the run as the API shows it) until it finishes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from bot.api.auth import csrf_token, current_business_id
from bot.api.pagination import PageQuery, fetch_page
from bot.api.present import (
    analytics,
    flow_detail,
    flow_view,
    invoice_view,
    last_runs,
    payment_view,
    product_view,
    run_detail,
    run_view,
    rupees,
    token_view,
)
from bot.errors import NotFound
from bot.pages.charts import hbars, stacked_bars
from bot.pages.security import security_headers
from bot.runtime import Runtime
from flows import store
from storage.models import (
    ApiToken,
    Business,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    Product,
    Run,
    RunStatus,
)

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.after_request(security_headers)

IST = ZoneInfo("Asia/Kolkata")
PER_PAGE = 25
#: How long one server-sent-events response streams before the browser reconnects.
STREAM_SECONDS = 60.0
POLL_SECONDS = 0.4
FINAL = (RunStatus.succeeded.value, RunStatus.failed.value)


def _rt() -> Runtime:
    return current_app.extensions["munshi"]


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The page for a logged-in owner; others go to the login help page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        business_id = current_business_id()
        if business_id is None:
            return redirect(url_for("login.login_help"))
        g.business_id = business_id
        return view(*args, **kwargs)

    return wrapped


def _render(template: str, **ctx: Any) -> str:
    with _rt().db.session() as s:
        biz = s.get(Business, g.business_id)
        shop = (biz.name or biz.phone) if biz else ""
    return render_template(template, shop=shop, csrf=csrf_token(), section=ctx.pop("section", ""), **ctx)


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 100_000))
    except ValueError:
        return 1


def _paging(page: int) -> PageQuery:
    return PageQuery(page=page, per_page=PER_PAGE)


def _pages(total: int) -> int:
    return max(1, -(-total // PER_PAGE))


@bp.errorhandler(NotFound)
def _not_found(_exc: NotFound) -> tuple[str, int]:
    return render_template("dashboard/not_found.html", shop="", csrf="", section=""), 404


# ------------------------------------------------------------------ overview and flows


def _day_series(s: Any, business_id: int, days: int) -> list[dict[str, Any]]:
    """Sales (invoiced) and collections (paid) per day in India time, oldest first."""
    today = datetime.now(IST).date()
    start = today - timedelta(days=days - 1)
    since = datetime(start.year, start.month, start.day, tzinfo=IST).astimezone(UTC)
    series: dict[str, dict[str, Any]] = {
        (start + timedelta(days=i)).isoformat(): {
            "date": (start + timedelta(days=i)).isoformat(),
            "sales": 0,
            "collected": 0,
        }
        for i in range(days)
    }
    for at, total in s.execute(
        select(Invoice.issued_at, Invoice.total_paise).where(
            Invoice.business_id == business_id,
            Invoice.issued_at >= since,
            Invoice.status != InvoiceStatus.cancelled,
        )
    ):
        day = _local_day(at)
        if day in series:
            series[day]["sales"] += rupees(total) or 0
    for at, amount in s.execute(
        select(Payment.received_at, Payment.amount_paise).where(
            Payment.business_id == business_id, Payment.received_at >= since
        )
    ):
        day = _local_day(at)
        if day in series:
            series[day]["collected"] += rupees(amount) or 0
    for row in series.values():
        row["label"] = row["date"][8:10] + "/" + row["date"][5:7]
    return list(series.values())


def _local_day(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(IST).date().isoformat()


@bp.get("")
@login_required
def overview() -> str:
    bid = g.business_id
    with _rt().db.session() as s:
        flows = store.list_flows(s, bid)
        latest = last_runs(s, bid, [f.id for f in flows])
        flow_rows = [flow_view(f, latest.get(f.id), summary=False) for f in flows]
        recent = [
            run_view(r)
            for r in s.scalars(select(Run).where(Run.business_id == bid).order_by(Run.created_at.desc()).limit(8))
        ]
        names = {f.id: f.name for f in flows}
        for r in recent:
            r["flow_name"] = names.get(r["flow_id"], "(deleted flow)")
        unpaid = (
            s.scalar(
                select(func.coalesce(func.sum(Invoice.total_paise - Invoice.paid_paise), 0)).where(
                    Invoice.business_id == bid, Invoice.status.in_(("issued", "sent", "partially_paid"))
                )
            )
            or 0
        )
        products = list(s.scalars(select(Product).where(Product.business_id == bid)))
        low = [product_view(p) for p in products if product_view(p)["low"]]
        days = _day_series(s, bid, 14)
        stats = analytics(s, bid, 30)
    cards = {
        "sales_today": days[-1]["sales"],
        "collected_today": days[-1]["collected"],
        "unpaid": rupees(int(unpaid)),
        "low_stock": len(low),
        "success_rate": stats["success_rate"],
        "runs": stats["runs"],
    }
    chart = stacked_bars(days, [("sales", "bar-sales")], label_key="label", every=2, height=150)
    return _render(
        "dashboard/overview.html",
        section="overview",
        flows=flow_rows,
        recent=recent,
        cards=cards,
        low=low,
        chart=chart,
    )


@bp.get("/flows/<flow_id>")
@login_required
def flow_page(flow_id: str) -> str:
    from flows.catalogue import sample_event

    with _rt().db.session() as s:
        flow = store.get_flow(s, g.business_id, flow_id)
        detail = flow_detail(s, flow)
    sample = json.dumps(sample_event(detail["trigger"]), indent=2, ensure_ascii=False)
    return _render("dashboard/flow.html", section="flows", flow=detail, sample=sample)


@bp.get("/runs/<run_id>")
@login_required
def run_page(run_id: str) -> str:
    with _rt().db.session() as s:
        run = run_detail(s, store.get_run(s, g.business_id, run_id))
    return _render("dashboard/run.html", section="flows", run=run, nodes=node_rows(run))


def node_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per node of the run's flow, with its status rolled up from its steps (loops have several)."""
    by_node: dict[str, list[dict[str, Any]]] = {}
    for st in run["steps"]:
        by_node.setdefault(st["node_id"], []).append(st)
    rows = []
    for node in run.get("nodes", []):
        steps = by_node.pop(node["id"], [])
        rows.append({**node, "status": rollup(node, steps, run), "steps": steps})
    for node_id, steps in by_node.items():  # steps of nodes a later version no longer has
        rows.append(
            {
                "id": node_id,
                "type": "action",
                "key": "",
                "label": node_id,
                "status": rollup({"type": "action"}, steps, run),
                "steps": steps,
            }
        )
    return rows


def rollup(node: dict[str, Any], steps: list[dict[str, Any]], run: dict[str, Any]) -> str:
    """A node's status: its trigger fired, or its steps' worst state."""
    if node.get("type") == "trigger":
        return "succeeded" if run["status"] != "queued" or steps else "pending"
    states = {st["status"] for st in steps}
    for state in ("failed", "running", "succeeded", "skipped"):
        if state in states:
            if state == "running" and run["status"] == "waiting":
                return "waiting"
            return state
    return "pending"


@bp.get("/runs/<run_id>/events")
@login_required
def run_events(run_id: str) -> Response:
    rt, bid = _rt(), g.business_id
    with rt.db.session() as s:
        store.get_run(s, bid, run_id)  # 404 for someone else's run

    def stream() -> Iterator[str]:
        yield "retry: 1000\n\n"
        last = None
        deadline = time.monotonic() + STREAM_SECONDS
        next_ping = time.monotonic() + 10
        while time.monotonic() < deadline:
            with rt.db.session() as s:
                run = run_detail(s, store.get_run(s, bid, run_id))
            run["rows"] = [
                {
                    "id": r["id"],
                    "status": r["status"],
                    "attempts": sum(st["attempts"] for st in r["steps"]),
                    "error": next((st["error"] for st in r["steps"] if st["error"]), None),
                    "duration_ms": sum(st["duration_ms"] or 0 for st in r["steps"]) if r["steps"] else None,
                }
                for r in node_rows(run)
            ]
            data = json.dumps(run, ensure_ascii=False, default=str)
            if data != last:
                last = data
                yield f"event: run\ndata: {data}\n\n"
                next_ping = time.monotonic() + 10
            if run["status"] in FINAL:
                yield "event: done\ndata: {}\n\n"
                return
            if time.monotonic() >= next_ping:
                yield ": ping\n\n"
                next_ping = time.monotonic() + 10
            time.sleep(POLL_SECONDS)

    return Response(
        stream(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@bp.get("/flows")
@login_required
def flows_page() -> str:
    bid = g.business_id
    with _rt().db.session() as s:
        flows = store.list_flows(s, bid)
        latest = last_runs(s, bid, [f.id for f in flows])
        rows = [flow_view(f, latest.get(f.id), summary=False) for f in flows]
    return _render("dashboard/flows.html", section="flows", flows=rows)


@bp.get("/templates")
@login_required
def templates_page() -> str:
    from flows.templates import BUILTIN, CATEGORIES

    items = [t.view() for t in BUILTIN]
    return _render("dashboard/templates.html", section="flows", items=items, categories=CATEGORIES)


# ------------------------------------------------------------------ books


@bp.get("/invoices")
@login_required
def invoices_page() -> str:
    bid, page = g.business_id, _page()
    status = request.args.get("status") or None
    if status not in (None, *[s.value for s in InvoiceStatus]):
        status = None
    key = _rt().config.secret_key
    with _rt().db.session() as s:
        stmt = select(Invoice).where(Invoice.business_id == bid)
        if status:
            stmt = stmt.where(Invoice.status == status)
        found, total = fetch_page(s, stmt.order_by(Invoice.issued_at.desc(), Invoice.id.desc()), _paging(page))
        rows = [invoice_view(i, key) for i in found]
    return _render(
        "dashboard/invoices.html",
        section="invoices",
        invoices=rows,
        page=page,
        pages=_pages(total),
        status=status,
        statuses=[s.value for s in InvoiceStatus],
    )


@bp.get("/payments")
@login_required
def payments_page() -> str:
    bid, page = g.business_id, _page()
    with _rt().db.session() as s:
        stmt = select(Payment).where(Payment.business_id == bid)
        found, total = fetch_page(s, stmt.order_by(Payment.received_at.desc(), Payment.id.desc()), _paging(page))
        rows = [payment_view(s, p) for p in found]
    return _render("dashboard/payments.html", section="payments", payments=rows, page=page, pages=_pages(total))


@bp.get("/stock")
@login_required
def stock_page() -> str:
    with _rt().db.session() as s:
        rows = [
            product_view(p)
            for p in s.scalars(
                select(Product).where(Product.business_id == g.business_id).order_by(Product.name).limit(1000)
            )
        ]
    rows.sort(key=lambda p: (not p["low"], p["name"].lower()))
    return _render("dashboard/stock.html", section="stock", products=rows)


@bp.get("/customers")
@login_required
def customers_page() -> str:
    bid = g.business_id
    with _rt().db.session() as s:
        due = dict(
            s.execute(
                select(Invoice.customer_id, func.sum(Invoice.total_paise - Invoice.paid_paise))
                .where(Invoice.business_id == bid, Invoice.status.in_(("issued", "sent", "partially_paid")))
                .group_by(Invoice.customer_id)
            ).all()
        )
        rows = [
            {
                "id": c.id,
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "due": rupees(int(due.get(c.id) or 0)),
            }
            for c in s.scalars(select(Customer).where(Customer.business_id == bid).order_by(Customer.name).limit(1000))
        ]
    return _render("dashboard/customers.html", section="customers", customers=rows)


@bp.get("/analytics")
@login_required
def analytics_page() -> str:
    try:
        days = max(7, min(int(request.args.get("days", 30)), 366))
    except ValueError:
        days = 30
    with _rt().db.session() as s:
        stats = analytics(s, g.business_id, days)
        money = _day_series(s, g.business_id, days)
    every = max(1, days // 10)
    for row in stats["runs_per_day"]:
        row["label"] = row["date"][8:10] + "/" + row["date"][5:7]
    runs_chart = stacked_bars(
        stats["runs_per_day"],
        [("succeeded", "bar-ok"), ("failed", "bar-fail")],
        label_key="label",
        every=every,
    )
    sales_chart = stacked_bars(money, [("sales", "bar-sales")], label_key="label", every=every)
    collected_chart = stacked_bars(money, [("collected", "bar-collected")], label_key="label", every=every)
    for row in stats["runs_per_flow"]:
        row["rate_pct"] = round((row["success_rate"] or 0) * 100)
    rate_chart = hbars(stats["runs_per_flow"], value_key="rate_pct", label_key="name", maximum=100)
    return _render(
        "dashboard/analytics.html",
        section="analytics",
        stats=stats,
        days=days,
        runs_chart=runs_chart,
        sales_chart=sales_chart,
        collected_chart=collected_chart,
        rate_chart=rate_chart,
    )


@bp.get("/settings")
@login_required
def settings_page() -> str:
    with _rt().db.session() as s:
        biz = s.get(Business, g.business_id)
        if biz is None:
            abort(404)
        tokens = [
            token_view(t)
            for t in s.scalars(
                select(ApiToken).where(ApiToken.business_id == g.business_id).order_by(ApiToken.id.desc()).limit(100)
            )
        ]
        business = {"name": biz.name, "phone": biz.phone, "gstin": biz.gstin, "address": biz.address}
    return _render("dashboard/settings.html", section="settings", tokens=tokens, business=business)
