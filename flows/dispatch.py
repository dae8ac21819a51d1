"""Dispatch: a domain event becomes one Run per matching active flow, then a job on RQ.

An `Event` row (written by the business tools, the Razorpay webhook, the
schedules or a flow's webhook URL) is matched to the business's active flows
whose trigger is the event's type. Each match makes a `Run` keyed by
(flow, flow version, event key); the key is the event's business key
(``payments.payment_received:payment-12``, a Razorpay payment id, a webhook
delivery id), and the unique constraint on that triple means a duplicated
delivery, a second dispatcher racing this one, or a replay a year later never
makes a second run. Runs are inserted with ``ON CONFLICT DO NOTHING`` in the
same transaction that marks the event dispatched; the jobs are enqueued only
after that commit, and a run whose job was lost (Redis down, a crash in
between) is enqueued again by the periodic recovery (`flows.schedules`).

Events whose key starts with ``flow:<flow id>:`` belong to one flow only (a
cron firing, a delivery to that flow's webhook URL, an overdue invoice seen
for that flow's number of days).

Loop guard: a flow whose step raises the event that starts it (a payment
recorded on "payment received", stock lowered again on "stock low") would
run for ever. Every event and run carries a ``chain_depth``: 0 for what
people and outside services did, and an event raised by a run's step is one
deeper than that run (the engine's session says so to `storage.events`). An
event deeper than `MAX_CHAIN_DEPTH` starts nothing: it is marked dispatched,
logged, and the owner is told once per flow version, in plain words, which
flow keeps setting itself off.

Entry points: `dispatch_pending` (after each inbound message, after the
Razorpay webhook, and from the periodic tick), `dispatch_events` (events
raised inside a flow step) and `deliver_webhook` (the flows' own URLs).
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from redis.exceptions import RedisError
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Business, Event, Flow, FlowStatus, Run, RunStatus, new_id, utcnow

log = logging.getLogger(__name__)

#: Events dispatched per call, so one call never holds the database for long.
BATCH = 200
#: Runs that may follow one another through the events their steps raise (the first run is depth 0).
MAX_CHAIN_DEPTH = 3
#: Prefix of an event key that targets one flow: ``flow:<flow id>:<rest>``.
FLOW_KEY_PREFIX = "flow:"
WEBHOOK_RECEIVED = "webhook.received"


class _Inserted:
    """The values of an event row just inserted with Core (quacks like `Event` for `create_runs`)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    id: int
    business_id: int
    type: str
    key: str
    payload: dict[str, Any]
    dispatched: bool
    chain_depth = 0  # events raised this way come from webhooks and schedules, not from runs


_ignoring: dict[tuple[str, str, tuple[str, ...], str | None], Any] = {}


def insert_ignoring(dialect: str, table: Any, conflict: Sequence[str], returning: str | None = None) -> Any:
    """A prebuilt ``INSERT … ON CONFLICT (conflict) DO NOTHING [RETURNING col]`` for SQLite or PostgreSQL.

    Executed with the row's values as parameters; built once per table (building costs more than running).
    """
    key = (dialect, table.name, tuple(conflict), returning)
    stmt = _ignoring.get(key)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        if returning:
            stmt = stmt.returning(table.c[returning])
        _ignoring[key] = stmt
    return stmt


def insert_ignore(session: Session, model: Any, values: dict[str, Any], conflict: Sequence[str]) -> bool:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING`` on SQLite and PostgreSQL; True when a row was added.

    Told by ``RETURNING`` the primary key: psycopg reports no row count for these inserts.
    """
    table = getattr(model, "__table__", model)
    stmt = insert_ignoring(session.get_bind().dialect.name, table, conflict, table.primary_key.columns[0].name)
    return session.connection().execute(stmt, values).first() is not None


def run_event_key(event_type: str, key: str) -> str:
    """The run's event key: ``type:key`` (hashed when it would not fit the column)."""
    full = f"{event_type}:{key}"
    if len(full) <= 200:
        return full
    return f"{event_type}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def flow_event_key(flow_id: str, rest: str) -> str:
    """An event key that targets only ``flow_id`` (see the module docstring)."""
    key = f"{FLOW_KEY_PREFIX}{flow_id}:{rest}"
    return key if len(key) <= 200 else f"{FLOW_KEY_PREFIX}{flow_id}:sha256:{hashlib.sha256(rest.encode()).hexdigest()}"


def target_flow(key: str) -> str | None:
    """The flow id an event key is for (``flow:<id>:…``), or None for an event of the whole business."""
    if not key.startswith(FLOW_KEY_PREFIX):
        return None
    return key[len(FLOW_KEY_PREFIX):].split(":", 1)[0] or None


_flows = cast(Table, Flow.__table__)
# Built once (every event and every webhook delivery asks; building a query costs more than running it).
_MATCHING = (select(_flows.c.id, _flows.c.version)
             .where(_flows.c.business_id == bindparam("business_id"), _flows.c.trigger == bindparam("trigger"),
                    _flows.c.status == FlowStatus.active.value, _flows.c.deleted_at.is_(None))
             .order_by(_flows.c.created_at, _flows.c.id))
_MATCHING_ONE = _MATCHING.where(_flows.c.id == bindparam("flow_id"))


def matching_flows(session: Session, business_id: int, event_type: str, key: str) -> list[tuple[str, int]]:
    """``(flow id, version)`` of the active flows that this event starts."""
    flow_id = target_flow(key)
    params = {"business_id": business_id, "trigger": event_type, "flow_id": flow_id}
    rows = session.connection().execute(_MATCHING if flow_id is None else _MATCHING_ONE, params)
    return [(fid, version) for fid, version in rows]


def create_runs(session: Session, event: Event | _Inserted) -> list[str]:
    """Insert the runs ``event`` starts (none twice) and mark it dispatched; the new run ids.

    Runs are written, not enqueued: the caller enqueues them after committing.
    An event too deep in a chain of runs starts none (the loop guard): the
    flows it would have started are noted in ``session.info["munshi_loops"]``
    for the caller to tell the owners about after committing (`tell_loops`).
    """
    created: list[str] = []
    key = run_event_key(event.type, event.key)
    flows = matching_flows(session, event.business_id, event.type, event.key)
    event.dispatched = True
    if flows and event.chain_depth > MAX_CHAIN_DEPTH:
        log.warning("event %s %s of business %s is %d runs deep: flows %s not started again (a loop)",
                    event.type, event.key, event.business_id, event.chain_depth, [f for f, _ in flows])
        session.info.setdefault("munshi_loops", []).append((event.business_id, event.type, flows))
        return created
    for flow_id, version in flows:
        run_id = new_id()
        if insert_ignore(session, Run, {"id": run_id, "flow_id": flow_id, "business_id": event.business_id,
                                        "flow_version": version, "event_key": key,
                                        "chain_depth": event.chain_depth, "status": RunStatus.queued.value,
                                        "trigger_data": event.payload or {}, "created_at": utcnow()},
                         ("flow_id", "flow_version", "event_key")):
            created.append(run_id)
    return created


def tell_loops(rt: Any, loops: Iterable[tuple[int, str, list[tuple[str, int]]]]) -> None:
    """Tell each owner, once per flow version, that a flow kept setting itself off and was stopped."""
    from bot.channel import Channel

    for business_id, event_type, flows in loops:
        for flow_id, version in flows:
            try:
                with rt.db.session() as s:
                    phone = s.scalar(select(Business.phone).where(Business.id == business_id))
                    flow = s.get(Flow, flow_id)
                    name = flow.name if flow is not None else "one of your flows"
                    trigger = _trigger_words(flow, event_type)
                if phone:
                    text = (f"⚠️ Your flow “{name}” keeps setting itself off: what it does makes “{trigger}” "
                            f"happen again, which starts it again. I stopped it after {MAX_CHAIN_DEPTH + 1} rounds "
                            "so that it does not run for ever. Change the flow so that its steps no longer start "
                            "it.")
                    Channel(rt.config, rt.db).send(business_id, phone, text,
                                                   idempotency_key=f"flowloop-{flow_id}-{version}")
            except Exception:  # the loop is stopped either way; the log says so
                log.exception("could not tell the owner about the loop of flow %s", flow_id)


def _trigger_words(flow: Flow | None, event_type: str) -> str:
    """``a payment is received``: the flow's trigger in words (the event's name without a flow)."""
    from flows.schema import Blueprint
    from flows.summary import describe_trigger

    trigger = Blueprint.from_dict(flow.blueprint).trigger if flow is not None else None
    if trigger is None:
        return event_type
    words = describe_trigger(trigger)
    return words[len("When "):] if words.startswith("When ") else words


def dispatch_pending(rt: Any, business_id: int | None = None, *, limit: int = BATCH,
                     enqueue: Callable[[list[str]], Any] | None = None) -> list[str]:
    """Dispatch the events not yet dispatched (of one business, or all); the ids of the runs made.

    Cheap when there is nothing to do (one indexed query), so it is called
    after every inbound message. Never raises for a database or Redis hiccup:
    whatever is left is picked up by the next call or the periodic tick.
    """
    try:
        with rt.db.session() as s:
            query = select(Event).where(Event.dispatched.is_(False))
            if business_id is not None:
                query = query.where(Event.business_id == business_id)
            events = list(s.scalars(query.order_by(Event.id).limit(limit)))
            run_ids = [rid for ev in events for rid in create_runs(s, ev)]
            loops = s.info.pop("munshi_loops", [])
    except Exception:
        log.exception("dispatching events failed; the periodic tick will try again")
        return []
    tell_loops(rt, loops)
    if enqueue is not None:
        enqueue(run_ids)
    else:
        enqueue_runs(rt, run_ids)
    return run_ids


def dispatch_events(rt: Any, event_ids: Iterable[int],
                    enqueue: Callable[[list[str]], Any] | None = None) -> list[str]:
    """Dispatch these events now (those raised by a flow step); the ids of the runs made."""
    ids = [i for i in event_ids if i is not None]
    if not ids:
        return []
    with rt.db.session() as s:
        events = list(s.scalars(select(Event).where(Event.id.in_(ids), Event.dispatched.is_(False))
                                .order_by(Event.id)))
        run_ids = [rid for ev in events for rid in create_runs(s, ev)]
        loops = s.info.pop("munshi_loops", [])
    tell_loops(rt, loops)
    if enqueue is not None:
        enqueue(run_ids)
    else:
        enqueue_runs(rt, run_ids)
    return run_ids


def raise_flow_event(session: Session, business_id: int, event_type: str, key: str,
                     payload: dict[str, Any], *, dispatched: bool = False) -> _Inserted | None:
    """Insert an event (once per business, type and key) without a savepoint; None when it existed.

    The returned `Event` is not attached to ``session`` (it is what was inserted).
    """
    values = {"business_id": business_id, "type": event_type, "key": key[:200], "payload": payload,
              "dispatched": dispatched, "created_at": utcnow()}
    stmt = insert_ignoring(session.get_bind().dialect.name, Event.__table__, ("business_id", "type", "key"), "id")
    event_id = session.connection().execute(stmt, values).scalar()
    if event_id is None:
        return None
    return _Inserted(id=event_id, **values)


def deliver_webhook(rt: Any, flow_id: str, business_id: int, delivery: str,
                    payload: dict[str, Any]) -> tuple[str | None, bool]:
    """A delivery to a flow's webhook: the event and its run in one transaction, then the job.

    Returns ``(run id, created)``; a repeated delivery id returns the first
    delivery's run with ``created`` False.
    """
    with rt.db.session() as s:
        run_id, created = record_delivery(s, flow_id, business_id, delivery, payload)
    if created and run_id:
        enqueue_runs(rt, [run_id])
    return run_id, created


def record_delivery(s: Session, flow_id: str, business_id: int, delivery: str,
                    payload: dict[str, Any]) -> tuple[str | None, bool]:
    """`deliver_webhook` inside the caller's transaction (the job is the caller's to enqueue, after commit)."""
    key = flow_event_key(flow_id, delivery)
    # Written already dispatched: its run is made in this same transaction.
    event = raise_flow_event(s, business_id, WEBHOOK_RECEIVED, key, payload, dispatched=True)
    if event is None:
        found = s.scalar(select(Run.id).where(Run.flow_id == flow_id,
                                              Run.event_key == run_event_key(WEBHOOK_RECEIVED, key))
                         .order_by(Run.created_at.desc()).limit(1))
        return found, False
    run_ids = create_runs(s, event)
    return (run_ids[0] if run_ids else None), True


def enqueue_runs(rt: Any, run_ids: Sequence[str]) -> int:
    """Put a `flows.jobs.run_flow` job on RQ for each run; how many were enqueued.

    A Redis failure is logged, not raised: the runs are in the database as
    ``queued`` and the periodic recovery enqueues them again.
    """
    if not run_ids:
        return 0
    from flows.jobs import enqueue_runs as enqueue

    try:
        return enqueue(rt, run_ids)
    except (RedisError, OSError) as exc:
        log.warning("Redis unavailable, %d run(s) left queued for the recovery: %s", len(run_ids), exc)
        return 0


def mark_dispatched(session: Session, event_ids: Iterable[int]) -> None:
    """Mark events dispatched without making runs (e.g. events of a deleted business)."""
    ids = list(event_ids)
    if ids:
        session.execute(update(Event).where(Event.id.in_(ids)).values(dispatched=True))
