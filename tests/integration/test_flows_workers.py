"""The flow engine with real ``python -m bot worker`` processes, real Redis and the real database.

- a worker killed with SIGKILL in the middle of a multi-step run: the run completes once another worker
  starts, and the outbox holds each message exactly once;
- the same webhook delivery, and the same Razorpay event, posted 10 times at once: one run (one payment);
- a flow with a 2-second ``delay.wait`` survives a restart of the worker during the wait.

Workers here tick every 2 s and hold a run's lease for 2 s (``MUNSHI_RUN_LEASE``), so what a dead worker
left behind is picked up within seconds instead of the production half-minute.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot import credentials
from flows import dispatch, store
from storage.models import Business, Message, Payment, Run, RunStep
from tests.helpers import answer_json

pytestmark = pytest.mark.integration

OWNER = "+919800000001"
CUSTOMER = "+919876543210"
FAST = {"MUNSHI_RUN_LEASE": "2"}
FIXTURE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "razorpay" / "payment.captured.upi.json"


class Slow(BaseHTTPRequestHandler):
    """Answers POST /slow after ``delay`` seconds the first time, at once afterwards; records each call."""

    calls: list[dict[str, Any]] = []
    delay = 3.0
    arrived = threading.Event()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).calls.append({"path": self.path, "body": json.loads(body or b"{}"),
                                 "key": self.headers.get("Idempotency-Key")})
        type(self).arrived.set()
        if len(type(self).calls) == 1:
            time.sleep(type(self).delay)
        out = b'{"ok": true}'
        answer_json(self, 200, out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[int]:
    Slow.calls = []
    Slow.arrived = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def rt(app) -> Any:  # type: ignore[no-untyped-def]
    return app.extensions["munshi"]


@pytest.fixture
def biz(rt) -> int:
    with rt.db.session() as s:
        b = Business(phone=OWNER, name="Sharma Hardware")
        s.add(b)
        s.flush()
        return b.id


def _flow(rt, biz: int, nodes: list[dict[str, Any]], trigger: str = "webhook.received", name: str = "Test",
          **trigger_params: Any) -> Any:
    service, task = trigger.split(".")
    all_nodes = [{"id": "trigger_1", "type": "trigger",
                  "data": {"service": service, "task": task, "params": trigger_params}}, *nodes]
    edges = [{"id": f"e{i}", "source": a["id"], "target": b["id"]}
             for i, (a, b) in enumerate(pairwise(all_nodes))]
    with rt.db.session() as s:
        return store.create_flow(s, biz, name, {"nodes": all_nodes, "edges": edges}, activate=True)


def _wa(node_id: str, message: str, to: str = "owner") -> dict[str, Any]:
    return {"id": node_id, "type": "action",
            "data": {"service": "whatsapp", "task": "send_message", "params": {"to": to, "message": message}}}


def _run(rt, run_id: str) -> Run:
    with rt.db.session() as s:
        run = s.get(Run, run_id)
        assert run is not None
        return run


def _outbox(rt) -> list[Message]:
    with rt.db.session() as s:
        return list(s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)))


def test_a_worker_killed_mid_run_leaves_a_run_that_another_worker_completes(
        rt, biz, config, workers, wait_handled, slow_server) -> None:
    flow = _flow(rt, biz, [
        _wa("first", "Order {{trigger_data.order_id}} received"),
        {"id": "call", "type": "action", "data": {"service": "http", "task": "request", "params": {
            "method": "POST", "url": f"http://127.0.0.1:{slow_server}/slow",
            "json": {"order": "{{trigger_data.order_id}}"}}}},
        _wa("third", "Order {{trigger_data.order_id}} confirmed ({{call.status}})", to=CUSTOMER),
    ])
    env = {**FAST, "MUNSHI_HTTP_ALLOW": f"127.0.0.1:{slow_server}"}
    [doomed] = workers.start(config, fast_sweeper=True, **env)
    run_id, created = dispatch.deliver_webhook(rt, flow.id, biz, "id:order-7", {"order_id": "A-7"})
    assert created
    assert Slow.arrived.wait(20), workers.logs_text()
    doomed.send_signal(signal.SIGKILL)  # in the middle of step 2, after step 1 was stored
    doomed.wait(5)
    assert _run(rt, run_id).status == "running"
    assert [m.body for m in _outbox(rt)] == ["Order A-7 received"]

    started = time.monotonic()
    workers.procs = [(p, log) for p, log in workers.procs if p is not doomed]  # start() checks the living
    workers.start(config, fast_sweeper=True, **env)
    wait_handled(lambda: _run(rt, run_id).status == "succeeded", what="the run to complete on the new worker")
    took = time.monotonic() - started
    assert [(m.peer, m.body) for m in _outbox(rt)] == [
        (OWNER, "Order A-7 received"), (CUSTOMER, "Order A-7 confirmed (200)")]  # each exactly once
    assert len(Slow.calls) == 2 and Slow.calls[0]["key"] == Slow.calls[1]["key"] == f"run-{run_id}-call"
    with rt.db.session() as s:
        steps = {st.step_key: st for st in s.scalars(select(RunStep).where(RunStep.run_id == run_id))}
    assert steps["first"].attempts == 1 and steps["call"].status == "succeeded"
    assert took < 15


def test_the_same_webhook_delivered_ten_times_at_once_makes_one_run(
        rt, biz, config, workers, wait_handled, live_server) -> None:
    flow = _flow(rt, biz, [_wa("tell", "New order {{trigger_data.order_id}}")])
    workers.start(config)
    url = f"{live_server}{store.webhook_path(flow)}"
    body = {"order_id": "B-1", "amount": 1500}

    def post(_: int) -> httpx.Response:
        return httpx.post(url, json=body, headers={"X-Request-Id": "delivery-1"}, timeout=20)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(post, range(10)))
    assert sorted(r.status_code for r in answers) == [200] * 9 + [202]
    assert len({r.json()["run_id"] for r in answers}) == 1
    run_id = answers[0].json()["run_id"]
    wait_handled(lambda: _run(rt, run_id).status == "succeeded", what="the run")
    with rt.db.session() as s:
        assert s.scalar(select(Run.id).where(Run.flow_id == flow.id)) == run_id
        assert len(s.scalars(select(Run)).all()) == 1
    assert [m.body for m in _outbox(rt)] == ["New order B-1"]


def test_the_same_razorpay_event_ten_times_at_once_is_one_payment_and_one_run(
        rt, biz, config, workers, wait_handled, live_server) -> None:
    secret = "rzp-webhook-secret-test"
    with rt.db.session() as s:
        credentials.store(s, config.secret_key, biz, "razorpay",
                          {"key_id": "rzp_test_x", "key_secret": "y", "webhook_secret": secret})
        webhook_id = s.get(Business, biz).webhook_id
    flow = _flow(rt, biz, [_wa("thank", "Thank you {{trigger_data.customer.name}} for your payment of "
                                        "{{trigger_data.payment.amount}}", to="{{trigger_data.customer.phone}}")],
                 trigger="razorpay.payment_received", name="Razorpay thanks")
    workers.start(config)
    raw = FIXTURE.read_bytes()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()

    def post(_: int) -> httpx.Response:
        return httpx.post(f"{live_server}/webhooks/razorpay/{webhook_id}", content=raw, timeout=30,
                          headers={"Content-Type": "application/json", "X-Razorpay-Signature": signature,
                                   "x-razorpay-event-id": "evt_1"})

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(post, range(10)))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]

    def done() -> list[Run] | None:
        with rt.db.session() as s:
            runs = list(s.scalars(select(Run).where(Run.flow_id == flow.id)))
        return runs if runs and all(r.status == "succeeded" for r in runs) else None

    runs = wait_handled(done, what="the Razorpay flow's run")
    assert len(runs) == 1  # type: ignore[arg-type]
    with rt.db.session() as s:
        assert len(s.scalars(select(Payment)).all()) == 1
    thanks = [m for m in _outbox(rt) if m.peer == CUSTOMER]
    assert [m.body for m in thanks] == ["Thank you Gaurav Kumar for your payment of ₹1"]


def test_a_two_second_wait_survives_a_worker_restart(rt, biz, config, workers, wait_handled) -> None:
    flow = _flow(rt, biz, [_wa("before", "before"), {"id": "pause", "type": "action", "data": {
        "service": "delay", "task": "wait", "params": {"duration": "2s"}}}, _wa("after", "after")])
    [first] = workers.start(config, **FAST)
    run_id, _ = dispatch.deliver_webhook(rt, flow.id, biz, "id:wait-1", {"x": 1})
    wait_handled(lambda: _run(rt, run_id).status == "waiting", what="the run to wait")
    first.send_signal(signal.SIGTERM)  # the worker goes away during the wait…
    first.wait(15)
    assert [m.body for m in _outbox(rt)] == ["before"]
    workers.procs = [(p, log) for p, log in workers.procs if p is not first]  # start() checks the living
    workers.start(config, **FAST)  # …and a new one takes over
    wait_handled(lambda: _run(rt, run_id).status == "succeeded", what="the run to resume", timeout=20)
    before, after = _outbox(rt)
    assert (before.body, after.body) == ("before", "after")
    assert (after.created_at - before.created_at).total_seconds() >= 2
    with rt.db.session() as s:
        pause = s.scalar(select(RunStep).where(RunStep.run_id == run_id, RunStep.node_id == "pause"))
        assert pause.status == "succeeded" and pause.output["resumed_at"]
