"""Fixtures for the flow engine's unit tests: a migrated database, a business, a clock, a recorded queue.

The engine runs in-process with a fake clock (waits and retry delays are
checked without sleeping) and a `Recorder` in place of RQ that keeps the run
ids it was asked to run now or later; `drive` plays the worker: it executes
whatever is due until nothing is left.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.runtime import Runtime, set_runtime
from flows import dispatch, store
from flows.engine import Engine
from storage.models import Business, Message, Run, RunStep, utcnow

OWNER = "+919800000001"
CUSTOMER = "+919876543210"
PAYMENT = {"payment": {"amount": 1500, "method": "upi", "reference": "UPI-1"},
           "customer": {"name": "Ramesh Kumar", "phone": CUSTOMER, "email": "ramesh@example.com"},
           "invoice": None}


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.t = utcnow().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@dataclass
class Recorder:
    """Stands in for RQ: remembers what should run now and what later."""

    now: list[str] = field(default_factory=list)
    later: list[tuple[str, datetime]] = field(default_factory=list)

    def run_now(self, run_ids: list[str]) -> None:
        self.now.extend(run_ids)

    def run_at(self, run_id: str, when: datetime) -> None:
        self.later.append((run_id, when))


@pytest.fixture
def rt(config: Config) -> Iterator[Runtime]:
    runtime = Runtime(config)
    runtime.db.migrate()
    set_runtime(runtime)
    yield runtime
    set_runtime(None)


@pytest.fixture
def biz(rt: Runtime) -> int:
    with rt.db.session() as s:
        b = Business(phone=OWNER, name="Sharma Hardware")
        s.add(b)
        s.flush()
        return b.id


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue() -> Recorder:
    return Recorder()


@pytest.fixture
def engine(rt: Runtime, clock: Clock, queue: Recorder) -> Engine:
    return Engine(rt, now=clock, queueing=queue)


@pytest.fixture
def make_flow(rt: Runtime, biz: int) -> Callable[..., str]:
    def make(blueprint: dict[str, Any], name: str = "Test flow", active: bool = True) -> str:
        with rt.db.session() as s:
            return store.create_flow(s, biz, name, blueprint, activate=active).id

    return make


@pytest.fixture
def start(rt: Runtime, biz: int) -> Callable[..., str]:
    """``start(flow_id, trigger_data)``: make a run as dispatch would; its id."""
    def make(flow_id: str, data: dict[str, Any] | None = None, key: str | None = None) -> str:
        run_id = uuid.uuid4().hex
        with rt.db.session() as s:
            version = store.get_flow(s, biz, flow_id).version
            assert dispatch.insert_ignore(s, Run, {"id": run_id, "flow_id": flow_id, "business_id": biz,
                                                   "flow_version": version, "event_key": key or run_id,
                                                   "status": "queued", "trigger_data": data or PAYMENT},
                                          ("flow_id", "flow_version", "event_key"))
        return run_id

    return make


@pytest.fixture
def drive(engine: Engine, queue: Recorder, clock: Clock) -> Callable[..., None]:
    """Play the workers: run what is due now, move the clock to what is due later, until nothing is left."""
    def run(first: str | None = None, *, max_rounds: int = 100, until: datetime | None = None) -> None:
        if first:
            queue.now.append(first)
        for _ in range(max_rounds):
            if queue.now:
                engine.execute(queue.now.pop(0))
                continue
            if not queue.later:
                return
            queue.later.sort(key=lambda item: item[1])
            run_id, when = queue.later.pop(0)
            if until is not None and when > until:
                queue.later.insert(0, (run_id, when))
                return
            if when > clock.t:
                clock.t = when
            engine.execute(run_id)
        raise AssertionError("the runs did not settle")

    return run


def run_of(rt: Runtime, run_id: str) -> Run:
    with rt.db.session() as s:
        run = s.get(Run, run_id)
        assert run is not None
        return run


def steps_of(rt: Runtime, run_id: str) -> dict[str, RunStep]:
    with rt.db.session() as s:
        return {st.step_key: st for st in s.scalars(select(RunStep).where(RunStep.run_id == run_id)
                                                    .order_by(RunStep.id))}


def sent(rt: Runtime, peer: str | None = None) -> list[Message]:
    with rt.db.session() as s:
        q = select(Message).where(Message.direction == "out").order_by(Message.id)
        if peer:
            q = q.where(Message.peer == peer)
        return list(s.scalars(q))


# -- blueprint builders ------------------------------------------------------------------------------

def node(node_id: str, key: str, params: dict[str, Any] | None = None, node_type: str = "action",
         **data: Any) -> dict[str, Any]:
    service, task = key.split(".", 1)
    return {"id": node_id, "type": node_type, "data": {"service": service, "task": task,
                                                        "params": params or {}, **data}}


def edge(source: str, target: str, branch: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f"e_{source}_{target}_{branch or ''}", "source": source, "target": target}
    if branch:
        out["branch"] = branch
    return out


def trigger(key: str = "payments.payment_received", **params: Any) -> dict[str, Any]:
    return node("trigger_1", key, params, node_type="trigger")


def wa(node_id: str, message: str, to: str = "owner", **data: Any) -> dict[str, Any]:
    return node(node_id, "whatsapp.send_message", {"to": to, "message": message}, **data)


def chain(*nodes: dict[str, Any], first: dict[str, Any] | None = None) -> dict[str, Any]:
    all_nodes = [first or trigger(), *nodes]
    return {"nodes": all_nodes, "edges": [edge(a["id"], b["id"]) for a, b in pairwise(all_nodes)]}
