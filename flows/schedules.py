"""The flow engine's periodic work, run from `bot.scheduling.tick` (every 10 s, on one worker).

- `recover_runs`: runs left behind are enqueued again — ``running`` runs
  whose worker died (their heartbeat is older than the lease), ``queued`` runs whose job was lost,
  ``waiting`` runs whose time has passed but whose scheduled job never came
  (Redis restarted, a scheduler died). Running a run twice is harmless.
- `dispatch_pending` for events nobody dispatched (a crash between saving an
  event and dispatching it).
- `fire_schedules`: ``schedule.cron`` flows whose cron expression (5 fields,
  in ``params.timezone``, default Asia/Kolkata) came due since the flow was
  switched on. Each firing is an event keyed by the flow and the minute, so it
  runs once however many ticks see it; a firing missed by more than
  `MAX_LATENESS` (the workers were down) is skipped rather than sent late.
- `scan_overdue` (every `OVERDUE_EVERY`): ``invoices.invoice_overdue`` flows
  fire once per invoice still open ``params.days`` after it was issued; only
  invoices that became overdue in the last `OVERDUE_LOOKBACK` count, so
  switching such a flow on does not message every customer who ever paid
  late.
- `flows.digest.send_digests`: the owners' daily digest of runs, when ``FLOW_DIGEST_HOUR`` is set.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from redis.exceptions import RedisError
from sqlalchemy import Table, bindparam, or_, select, update

from flows import digest, dispatch, engine
from flows.catalogue import DEFAULT_TIMEZONE
from flows.engine import aware
from storage.models import Flow, FlowStatus, Invoice, InvoiceStatus, Run, RunStatus, utcnow

log = logging.getLogger(__name__)

CRON = "schedule.cron"
OVERDUE = "invoices.invoice_overdue"
MAX_LATENESS = timedelta(hours=1)
OVERDUE_EVERY = timedelta(minutes=5)
OVERDUE_LOOKBACK = timedelta(days=3)
#: How long a queued run may wait for its job before the recovery enqueues it again.
QUEUED_GRACE = timedelta(seconds=60)
#: How long past its time a waiting run may stay asleep before the recovery wakes it.
WAKE_GRACE = timedelta(seconds=5)
OPEN = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.partially_paid)
BATCH = 500


def periodic(rt: Any, now: datetime | None = None) -> dict[str, int]:
    """All of the engine's periodic work once; how much of each was done. Never raises."""
    now = now or utcnow()
    done: dict[str, int] = {}
    for name, work in (("recovered", lambda: len(recover_runs(rt, now))),
                       ("dispatched", lambda: len(dispatch.dispatch_pending(rt))),
                       ("fired", lambda: len(fire_schedules(rt, now))),
                       ("overdue", lambda: len(scan_overdue(rt, now))),
                       ("digests", lambda: len(digest.send_digests(rt, now)))):
        try:
            done[name] = work()
        except Exception:
            log.exception("flow engine periodic work %r failed", name)
    return done


_runs = cast(Table, Run.__table__)
_REQUEUE = (update(_runs).where(_runs.c.id == bindparam("b_id"), _runs.c.status == RunStatus.running.value,
                                _runs.c.heartbeat_at < bindparam("stale"))
            .values(status=RunStatus.queued.value, heartbeat_at=bindparam("now")))


def recover_runs(rt: Any, now: datetime | None = None) -> list[str]:
    """Enqueue again the runs no worker is on (see the module docstring); their ids.

    A ``running`` run whose heartbeat is older than the lease lost its worker:
    it is put back to ``queued`` (only if it still is that stale, so a worker
    that renews meanwhile keeps it) and enqueued. Queued and overslept runs are
    enqueued at most once per grace period (their ``heartbeat_at`` says when).
    """
    now = now or utcnow()
    lease = timedelta(seconds=engine.RUN_LEASE)
    with rt.db.session() as s:
        rows = s.execute(select(Run.id, Run.status, Run.heartbeat_at, Run.created_at, Run.resume_at).where(
            or_(Run.status == RunStatus.running,
                Run.status == RunStatus.queued,
                (Run.status == RunStatus.waiting) & (Run.resume_at < now - WAKE_GRACE)))
            .order_by(Run.created_at).limit(BATCH)).all()
        stale: list[str] = []
        touched: list[str] = []
        for run_id, status, heartbeat, created, resume_at in rows:
            last = aware(heartbeat) or aware(created) or now
            if status == RunStatus.running:
                if last < now - lease and s.connection().execute(
                        _REQUEUE, {"b_id": run_id, "stale": now - lease, "now": now}).rowcount:
                    stale.append(run_id)
                continue
            if status == RunStatus.queued and last > now - QUEUED_GRACE:
                continue  # its job is most likely still in the queue
            if status == RunStatus.waiting and last > (aware(resume_at) or now) and last > now - lease:
                continue  # woken a moment ago already
            touched.append(run_id)
        if touched:
            s.execute(update(Run).where(Run.id.in_(touched)).values(heartbeat_at=now))
    recovered = stale + touched
    if recovered:
        dispatch.enqueue_runs(rt, recovered)
        log.info("recovery enqueued %d run(s) again", len(recovered))
    return recovered


def due_firing(cron: str, timezone: str | None, now: datetime, since: datetime) -> datetime | None:
    """The latest firing of ``cron`` after ``since`` and not after ``now`` (and not too late), or None."""
    try:
        zone = ZoneInfo(timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    local_now = now.astimezone(zone)
    try:
        previous = croniter(cron, local_now).get_prev(datetime)
    except (ValueError, KeyError):
        return None
    if previous <= since or previous < now - MAX_LATENESS:
        return None
    return previous


def fire_schedules(rt: Any, now: datetime | None = None) -> list[str]:
    """Raise and dispatch the due ``schedule.cron`` firings; the ids of the runs made."""
    now = now or utcnow()
    run_ids: list[str] = []
    with rt.db.session() as s:
        flows = s.execute(select(Flow.id, Flow.business_id, Flow.blueprint, Flow.updated_at).where(
            Flow.trigger == CRON, Flow.status == FlowStatus.active, Flow.deleted_at.is_(None))).all()
        for flow_id, business_id, blueprint, updated_at in flows:
            params = _trigger_params(blueprint)
            fired = due_firing(str(params.get("cron") or ""), params.get("timezone"), now,
                               aware(updated_at) or now)
            if fired is None:
                continue
            key = dispatch.flow_event_key(flow_id, fired.isoformat(timespec="minutes"))
            event = dispatch.raise_flow_event(s, business_id, CRON, key, {"fired_at": fired.isoformat()},
                                              dispatched=True)
            if event is not None:
                run_ids += dispatch.create_runs(s, event)
    dispatch.enqueue_runs(rt, run_ids)
    return run_ids


def _trigger_params(blueprint: dict[str, Any]) -> dict[str, Any]:
    for node in blueprint.get("nodes") or []:
        if node.get("type") == "trigger":
            return dict((node.get("data") or {}).get("params") or {})
    return {}


def scan_overdue(rt: Any, now: datetime | None = None, *, force: bool = False) -> list[str]:
    """Raise and dispatch ``invoices.invoice_overdue`` for each flow and invoice now overdue; the run ids.

    Runs at most every `OVERDUE_EVERY` across all workers (unless ``force``).
    """
    now = now or utcnow()
    if not force:
        try:
            if not rt.redis.set(f"{rt.config.queue_name}:overdue-scan", "1", nx=True,
                                ex=int(OVERDUE_EVERY.total_seconds())):
                return []
        except (RedisError, OSError):
            return []
    from storage import events

    run_ids: list[str] = []
    with rt.db.session() as s:
        flows = s.execute(select(Flow.id, Flow.business_id, Flow.blueprint).where(
            Flow.trigger == OVERDUE, Flow.status == FlowStatus.active, Flow.deleted_at.is_(None))).all()
        for flow_id, business_id, blueprint in flows:
            try:
                days = int(_trigger_params(blueprint).get("days") or 0)
            except (TypeError, ValueError):
                continue
            if days < 1:
                continue
            newest = now - timedelta(days=days)
            invoices = s.scalars(select(Invoice).where(
                Invoice.business_id == business_id, Invoice.status.in_([str(x) for x in OPEN]),
                Invoice.issued_at <= newest, Invoice.issued_at > newest - OVERDUE_LOOKBACK,
                Invoice.total_paise > Invoice.paid_paise).order_by(Invoice.issued_at)).all()
            for invoice in invoices:
                issued = aware(invoice.issued_at) or now
                payload = {"invoice": events.invoice_payload(invoice),
                           "customer": events.customer_payload(invoice.customer),
                           "days_overdue": max(days, (now - issued).days)}
                key = dispatch.flow_event_key(flow_id, f"{invoice.number}:{days}d")
                event = dispatch.raise_flow_event(s, business_id, OVERDUE, key, payload, dispatched=True)
                if event is not None:
                    run_ids += dispatch.create_runs(s, event)
    dispatch.enqueue_runs(rt, run_ids)
    return run_ids
