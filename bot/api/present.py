"""Records as the API (and the dashboard) show them, and the queries both share.

Every function that reads takes the caller's ``business_id`` and filters on
it; `owned` turns "not this business's" into `NotFound` (404).
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import NotFound
from storage.models import (
    ApiToken,
    Business,
    Customer,
    Flow,
    FlowVersion,
    Invoice,
    Message,
    Payment,
    PaymentAllocation,
    Product,
    Run,
    RunStep,
)

log = logging.getLogger(__name__)
M = TypeVar("M")
MAX_ID = 2**31 - 1


def owned(s: Session, model: type[M], record_id: Any, business_id: int, what: str) -> M:
    """The record with this id if it belongs to ``business_id``; `NotFound` otherwise."""
    if isinstance(record_id, int) and not 0 < record_id <= MAX_ID:  # the database would refuse it
        raise NotFound(f"no such {what}", id=record_id)
    row = s.get(model, record_id)
    if row is None or getattr(row, "business_id", None) != business_id:
        raise NotFound(f"no such {what}", id=record_id)
    return row


def aware(dt: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they are UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def iso(dt: datetime | None) -> str | None:
    dt = aware(dt)
    return dt.isoformat() if dt else None


def rupees(paise: int | None) -> int | float | None:
    if paise is None:
        return None
    return paise // 100 if paise % 100 == 0 else paise / 100


def number(value: Decimal | int | float | None) -> int | float | None:
    if value is None:
        return None
    d = Decimal(value)
    return int(d) if d == d.to_integral_value() else float(d)


def millis(start: datetime | None, end: datetime | None) -> int | None:
    start, end = aware(start), aware(end)
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() * 1000))


def percentile(values: list[int], pct: float) -> int | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(pct / 100 * len(ordered), 9)))
    return ordered[min(rank, len(ordered)) - 1]


# ------------------------------------------------------------------ business and tokens


def business_view(b: Business) -> dict[str, Any]:
    return {
        "id": b.id,
        "phone": b.phone,
        "name": b.name,
        "address": b.address,
        "gstin": b.gstin,
        "state": b.state,
        "created_at": iso(b.created_at),
    }


def token_view(t: ApiToken) -> dict[str, Any]:
    now = datetime.now(UTC)
    expired = t.expires_at is not None and aware(t.expires_at) <= now  # type: ignore[operator]
    active = (
        t.revoked_at is None
        and not (t.kind == "api" and expired)
        and not (t.kind == "login" and t.used_at is None and expired)
    )
    return {
        "id": t.id,
        "kind": t.kind,
        "name": t.name,
        "created_at": iso(t.created_at),
        "expires_at": iso(t.expires_at),
        "used_at": iso(t.used_at),
        "revoked_at": iso(t.revoked_at),
        "active": bool(active),
    }


# ------------------------------------------------------------------ flows and runs


def flow_summary(flow: Flow) -> str:
    try:
        from flows.schema import Blueprint
        from flows.summary import summarize

        return summarize(Blueprint.from_dict(flow.blueprint or {}), flow.name)
    except Exception:  # a summary is a nicety; a flow stored by hand must still be listed
        log.warning("could not summarise flow %s", flow.id, exc_info=True)
        return flow.name


def run_view(run: Run, flow_name: str | None = None) -> dict[str, Any]:
    return {
        "id": run.id,
        "flow_id": run.flow_id,
        "flow_name": flow_name,
        "flow_version": run.flow_version,
        "event_key": run.event_key,
        "status": str(run.status),
        "error": run.error,
        "failed_step": run.failed_node,
        "created_at": iso(run.created_at),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "resume_at": iso(run.resume_at),
        "duration_ms": millis(run.started_at, run.finished_at),
    }


def step_view(st: RunStep) -> dict[str, Any]:
    return {
        "node_id": st.node_id,
        "step_key": st.step_key,
        "position": st.position,
        "status": str(st.status),
        "attempts": st.attempts,
        "input": st.input or {},
        "output": st.output,
        "error": st.error,
        "started_at": iso(st.started_at),
        "finished_at": iso(st.finished_at),
        "duration_ms": millis(st.started_at, st.finished_at),
    }


def run_detail(s: Session, run: Run) -> dict[str, Any]:
    """A run with its steps in order and a label for each node (from the run's own flow version)."""
    flow = s.get(Flow, run.flow_id)
    out = run_view(run, flow.name if flow else None)
    out["trigger_data"] = run.trigger_data or {}
    steps = sorted(run.steps, key=lambda st: (st.position or 10**9, st.id))
    out["steps"] = [step_view(st) for st in steps]
    out["nodes"] = node_labels(s, run.flow_id, run.flow_version)
    return out


def node_labels(s: Session, flow_id: str, version: int) -> list[dict[str, Any]]:
    """The nodes of a flow version in walking order with a label each (for showing progress)."""
    from flows.schema import Blueprint
    from flows.store import version_blueprint
    from flows.summary import describe_node, describe_trigger

    data = version_blueprint(s, flow_id, version)
    if not data:
        return []
    try:
        bp = Blueprint.from_dict(data)
    except Exception:
        return []
    order = _walk_order(bp)
    out = []
    for node in sorted(bp.nodes, key=lambda n: order.get(n.id, 10**6)):
        try:
            label = describe_trigger(node) if node.type == "trigger" else describe_node(node, bp)
        except Exception:
            label = node.data.key
        out.append({"id": node.id, "type": node.type, "key": node.data.key, "label": label})
    return out


def _walk_order(bp: Any) -> dict[str, int]:
    """Breadth-first order from the trigger (what the owner reads as "step 1, 2, 3")."""
    trigger = bp.trigger
    if trigger is None:
        return {}
    order: dict[str, int] = {trigger.id: 0}
    todo = [trigger.id]
    while todo:
        nxt = []
        for node_id in todo:
            for e in bp.outgoing(node_id):
                if e.target not in order:
                    order[e.target] = len(order)
                    nxt.append(e.target)
        todo = nxt
    return order


def flow_view(flow: Flow, last_run: Run | None = None, *, summary: bool = True) -> dict[str, Any]:
    out = {
        "id": flow.id,
        "name": flow.name,
        "status": str(flow.status),
        "version": flow.version,
        "trigger": flow.trigger,
        "blueprint": flow.blueprint or {},
        "summary": flow_summary(flow) if summary else flow.name,
        "created_at": iso(flow.created_at),
        "updated_at": iso(flow.updated_at),
        "deleted": flow.deleted_at is not None,
        "last_run": run_view(last_run, flow.name) if last_run is not None else None,
    }
    if flow.trigger == "webhook.received":
        out["webhook_path"] = f"/webhooks/hook/{flow.webhook_token}"
    return out


def last_runs(s: Session, business_id: int, flow_ids: list[str]) -> dict[str, Run]:
    """The newest run of each flow."""
    if not flow_ids:
        return {}
    found: dict[str, Run] = {}
    rows = s.scalars(
        select(Run)
        .where(Run.business_id == business_id, Run.flow_id.in_(flow_ids))
        .order_by(Run.created_at.desc())
        .limit(50 * len(flow_ids))
    )
    for run in rows:
        found.setdefault(run.flow_id, run)
        if len(found) == len(flow_ids):
            break
    return found


def _sort_key(dt: datetime) -> datetime:
    return aware(dt) or dt


def run_stats(runs: list[Run]) -> dict[str, Any]:
    finished = [r for r in runs if str(r.status) in ("succeeded", "failed")]
    ok = sum(1 for r in finished if str(r.status) == "succeeded")
    durations = [d for r in finished if (d := millis(r.started_at, r.finished_at)) is not None]
    last = max((r.created_at for r in runs if r.created_at is not None), key=_sort_key, default=None)
    return {
        "runs": len(runs),
        "succeeded": ok,
        "failed": len(finished) - ok,
        "success_rate": round(ok / len(finished), 4) if finished else None,
        "duration_p50_ms": percentile(durations, 50),
        "duration_p95_ms": percentile(durations, 95),
        "last_run_at": iso(last),
    }


def flow_detail(s: Session, flow: Flow) -> dict[str, Any]:
    recent = list(
        s.scalars(
            select(Run)
            .where(Run.flow_id == flow.id, Run.business_id == flow.business_id)
            .order_by(Run.created_at.desc())
            .limit(10)
        )
    )
    all_runs = list(
        s.scalars(
            select(Run)
            .where(Run.flow_id == flow.id, Run.business_id == flow.business_id)
            .order_by(Run.created_at.desc())
            .limit(5000)
        )
    )
    out = flow_view(flow, recent[0] if recent else None)
    out["recent_runs"] = [run_view(r, flow.name) for r in recent]
    out["stats"] = run_stats(all_runs)
    out["versions"] = [
        {"version": v, "created_at": iso(at)}
        for v, at in s.execute(
            select(FlowVersion.version, FlowVersion.created_at)
            .where(FlowVersion.flow_id == flow.id)
            .order_by(FlowVersion.version.desc())
            .limit(50)
        )
    ]
    out["nodes"] = node_labels(s, flow.id, flow.version)
    return out


def analytics(s: Session, business_id: int, days: int, today: date | None = None) -> dict[str, Any]:
    """Runs of the last ``days`` days: success rate, durations, per flow and per day."""
    today = today or datetime.now(UTC).date()
    start_day = today - timedelta(days=days - 1)
    since = datetime(start_day.year, start_day.month, start_day.day, tzinfo=UTC)
    runs = list(
        s.scalars(
            select(Run)
            .where(Run.business_id == business_id, Run.created_at >= since)
            .order_by(Run.created_at)
            .limit(100_000)
        )
    )
    names = dict(s.execute(select(Flow.id, Flow.name).where(Flow.business_id == business_id)).all())
    out = {"days": days, "since": since.isoformat(), **run_stats(runs)}
    out.pop("last_run_at", None)
    per_flow: dict[str, list[Run]] = defaultdict(list)
    per_day: dict[str, Counter[str]] = {(start_day + timedelta(days=i)).isoformat(): Counter() for i in range(days)}
    for r in runs:
        per_flow[r.flow_id].append(r)
        created = aware(r.created_at)
        if created is not None:
            day = created.date().isoformat()
            if day in per_day:
                per_day[day][str(r.status)] += 1
    out["runs_per_flow"] = sorted(
        (
            {
                "flow_id": fid,
                "name": names.get(fid, "(deleted)"),
                **{k: v for k, v in run_stats(rs).items() if k != "last_run_at"},
            }
            for fid, rs in per_flow.items()
        ),
        key=lambda x: -x["runs"],
    )
    out["runs_per_day"] = [
        {"date": d, "runs": sum(c.values()), "succeeded": c["succeeded"], "failed": c["failed"]}
        for d, c in per_day.items()
    ]
    return out


# ------------------------------------------------------------------ books


def customer_ref(c: Customer | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"id": c.id, "name": c.name, "phone": c.phone}


def invoice_pdf_path(secret_key: str, inv: Invoice) -> str:
    """The signed, expiring link of the invoice's PDF (a path on this server)."""
    from tools.pdf import PDF_ROUTE, sign_invoice

    return PDF_ROUTE.format(token=sign_invoice(secret_key, inv.business_id, inv.id))


def invoice_view(inv: Invoice, secret_key: str) -> dict[str, Any]:
    return {
        "id": inv.id,
        "number": inv.number,
        "customer": customer_ref(inv.customer),
        "status": str(inv.status),
        "subtotal": rupees(inv.subtotal_paise),
        "tax": rupees(inv.tax_paise),
        "total": rupees(inv.total_paise),
        "paid": rupees(inv.paid_paise),
        "due": rupees(max(0, inv.total_paise - inv.paid_paise)),
        "issued_at": iso(inv.issued_at),
        "created_at": iso(inv.created_at),
        "pdf_url": invoice_pdf_path(secret_key, inv),
        "pdf": f"/api/invoices/{inv.id}/pdf",
    }


def invoice_detail(s: Session, inv: Invoice, secret_key: str) -> dict[str, Any]:
    out = invoice_view(inv, secret_key)
    out["items"] = [
        {
            "product": it.product,
            "quantity": number(it.quantity),
            "unit": it.unit,
            "unit_price": rupees(it.unit_price_paise),
            "amount": rupees(it.amount_paise),
            "hsn": it.hsn,
            "gst_rate": number(it.gst_rate),
        }
        for it in inv.items
    ]
    out["tax_breakup"] = {k: rupees(v) for k, v in (inv.tax_breakup or {}).items() if isinstance(v, int)}
    out["place_of_supply"] = inv.place_of_supply
    out["payments"] = [
        {"payment_id": pid, "amount": rupees(amount), "received_at": iso(at)}
        for pid, amount, at in s.execute(
            select(PaymentAllocation.payment_id, PaymentAllocation.amount_paise, Payment.received_at)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(PaymentAllocation.invoice_id == inv.id, Payment.business_id == inv.business_id)
            .order_by(Payment.received_at)
        )
    ]
    return out


def payment_view(s: Session, p: Payment) -> dict[str, Any]:
    allocations = s.execute(
        select(Invoice.id, Invoice.number, PaymentAllocation.amount_paise)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id == p.id, Invoice.business_id == p.business_id)
        .order_by(PaymentAllocation.id)
    ).all()
    return {
        "id": p.id,
        "amount": rupees(p.amount_paise),
        "method": p.method,
        "reference": p.reference,
        "source": p.source,
        "customer": customer_ref(p.customer),
        "invoices": [{"id": i, "number": n, "amount": rupees(a)} for i, n, a in allocations],
        "received_at": iso(p.received_at),
    }


def product_view(p: Product) -> dict[str, Any]:
    from storage.ledger import is_low

    return {
        "id": p.id,
        "name": p.name,
        "unit": p.unit,
        "price": rupees(p.price_paise),
        "stock": number(p.stock) or 0,
        "low_stock_threshold": number(p.low_stock_threshold),
        "low": bool(is_low(p)),
        "hsn": p.hsn,
        "gst_rate": number(p.gst_rate),
        "updated_at": iso(p.updated_at),
    }


def customer_view(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "phone": c.phone,
        "email": c.email,
        "gstin": c.gstin,
        "state": c.state,
        "address": c.address,
        "created_at": iso(c.created_at),
    }


def message_view(m: Message) -> dict[str, Any]:
    media = []
    for item in m.media or []:
        if isinstance(item, dict):
            # A local file path (the simulator's and the console's voice notes) is not shown.
            media.append(
                {k: v for k, v in item.items() if k in ("url", "content_type")}
                or {"content_type": item.get("content_type")}
            )
    return {
        "id": m.id,
        "direction": m.direction,
        "peer": m.peer,
        "body": m.body or "",
        "media": media,
        "status": str(m.status),
        "transcript": m.transcript,
        "error": m.error,
        "at": iso(m.created_at),
    }
