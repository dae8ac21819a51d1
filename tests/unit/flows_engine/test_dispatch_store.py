"""Saving flows (versions, status, isolation) and dispatch (one run per flow version and event key)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from bot.errors import BlueprintInvalid, NotFound
from flows import dispatch, store
from storage import events
from storage.models import Business, Event, FlowVersion, Run
from tests.unit.flows_engine.conftest import PAYMENT, chain, trigger, wa

PAID = events.PAYMENT_RECEIVED


def _raise(rt, biz: int, key: str = "payment-1", type_: str = PAID, payload: dict | None = None) -> None:
    with rt.db.session() as s:
        events.raise_event(s, biz, type_, key, payload or PAYMENT)


def _runs(rt) -> list[Run]:
    with rt.db.session() as s:
        return list(s.scalars(select(Run).order_by(Run.created_at)))


# -- store -------------------------------------------------------------------------------------------

def test_create_save_version_activate_pause_delete(rt, biz) -> None:
    with rt.db.session() as s:
        flow = store.create_flow(s, biz, "  Payment   thanks ", chain(wa("a", "one")))
        assert (flow.name, flow.status, flow.version, flow.trigger) == ("Payment thanks", "draft", 1,
                                                                        "payments.payment_received")
        same = store.save_flow(s, biz, flow.id, chain(wa("a", "one")))
        assert same.version == 1  # nothing changed, no new version
        store.save_flow(s, biz, flow.id, chain(wa("a", "two")), name="Thanks")
        assert (flow.version, flow.name) == (2, "Thanks")
        assert s.scalar(select(func.count(FlowVersion.id)).where(FlowVersion.flow_id == flow.id)) == 2
        assert store.version_blueprint(s, flow.id, 1)["nodes"][1]["data"]["params"]["message"] == "one"
        assert store.activate(s, biz, flow.id).status == "active"
        assert [f.id for f in store.list_flows(s, biz, status="active")] == [flow.id]
        assert store.find_flow(s, biz, "thanks").id == flow.id
        assert store.pause(s, biz, flow.id).status == "paused"
        store.delete(s, biz, flow.id)
        assert store.list_flows(s, biz) == []
        with pytest.raises(NotFound):
            store.get_flow(s, biz, flow.id)


def test_an_invalid_blueprint_is_refused_with_reasons(rt, biz) -> None:
    with rt.db.session() as s, pytest.raises(BlueprintInvalid) as info:
        store.create_flow(s, biz, "Bad", chain(wa("a", "Hi {{trigger_data.nothing}}", to="12")))
    assert any("not a phone number" in r for r in info.value.reasons)
    assert any("trigger_data.nothing" in r for r in info.value.reasons)


def test_one_business_never_reaches_anothers_flows(rt, biz) -> None:
    with rt.db.session() as s:
        other = Business(phone="+919800000099")
        s.add(other)
        s.flush()
        flow = store.create_flow(s, biz, "Mine", chain(wa("a", "x")))
        with pytest.raises(NotFound):
            store.activate(s, other.id, flow.id)
        assert store.list_flows(s, other.id) == []


def test_webhook_url_and_secret(rt, biz) -> None:
    with rt.db.session() as s:
        flow = store.create_flow(s, biz, "Orders", chain(wa("a", "{{trigger_data.order_id}}"),
                                                          first=trigger("webhook.received")))
        assert store.webhook_url(rt.config, flow) == f"/webhooks/hook/{flow.webhook_token}"
        assert len(flow.webhook_token) >= 30
        with pytest.raises(BlueprintInvalid):
            store.set_webhook_secret(s, biz, flow.id, "short")
        store.set_webhook_secret(s, biz, flow.id, "s" * 20)
        assert store.flow_view(flow, rt.config)["webhook_signed"] is True
        old = flow.webhook_token
        assert store.rotate_webhook_token(s, biz, flow.id).webhook_token != old


# -- dispatch ----------------------------------------------------------------------------------------

def test_an_event_makes_one_run_per_matching_active_flow(rt, biz, make_flow, queue) -> None:
    thanks = make_flow(chain(wa("a", "x")), name="Thanks")
    make_flow(chain(wa("a", "x")), name="Draft", active=False)
    make_flow(chain(wa("a", "x"), first=trigger("invoices.invoice_created")), name="Other trigger")
    _raise(rt, biz)
    run_ids = dispatch.dispatch_pending(rt, biz, enqueue=queue.run_now)
    assert queue.now == run_ids and len(run_ids) == 1
    [run] = _runs(rt)
    assert (run.flow_id, run.flow_version, run.event_key, run.status) == (
        thanks, 1, "payments.payment_received:payment-1", "queued")
    assert run.trigger_data == PAYMENT
    assert dispatch.dispatch_pending(rt, biz, enqueue=queue.run_now) == []  # dispatched once


def test_a_duplicated_event_never_makes_a_second_run(rt, biz, make_flow, queue) -> None:
    make_flow(chain(wa("a", "x")))
    _raise(rt, biz)
    _raise(rt, biz)  # the same business key: the event itself is dropped
    dispatch.dispatch_pending(rt, biz, enqueue=queue.run_now)
    with rt.db.session() as s:  # and an event row written again by hand still makes no second run
        ev = s.scalar(select(Event))
        ev.dispatched = False
    dispatch.dispatch_pending(rt, biz, enqueue=queue.run_now)
    assert len(_runs(rt)) == 1


def test_a_new_version_runs_for_new_events_only(rt, biz, make_flow, queue) -> None:
    flow = make_flow(chain(wa("a", "x")))
    _raise(rt, biz, "payment-1")
    dispatch.dispatch_pending(rt, biz, enqueue=queue.run_now)
    with rt.db.session() as s:
        store.save_flow(s, biz, flow, chain(wa("a", "y")))
    _raise(rt, biz, "payment-2")
    dispatch.dispatch_pending(rt, biz, enqueue=queue.run_now)
    assert [(r.flow_version, r.event_key) for r in _runs(rt)] == [
        (1, "payments.payment_received:payment-1"), (2, "payments.payment_received:payment-2")]


def test_concurrent_dispatchers_make_one_run(rt, biz, make_flow) -> None:
    make_flow(chain(wa("a", "x")))
    _raise(rt, biz)
    made: list[str] = []
    barrier = threading.Barrier(10)

    def worker() -> None:
        barrier.wait()
        made.extend(dispatch.dispatch_pending(rt, biz, enqueue=lambda ids: None))

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len(_runs(rt)) == 1


def test_flow_targeted_event_keys(rt, biz, make_flow, queue) -> None:
    a = make_flow(chain(wa("a", "x"), first=trigger("webhook.received")), name="A")
    make_flow(chain(wa("a", "x"), first=trigger("webhook.received")), name="B")
    run_id, created = dispatch.deliver_webhook(rt, a, biz, "id:1", {"x": 1})
    again, created_again = dispatch.deliver_webhook(rt, a, biz, "id:1", {"x": 1})
    assert created and not created_again and again == run_id
    assert [r.flow_id for r in _runs(rt)] == [a]
    assert dispatch.target_flow(dispatch.flow_event_key(a, "x:y")) == a
    assert dispatch.target_flow("payment-1") is None


def test_long_event_keys_are_hashed_to_fit(rt) -> None:
    key = dispatch.run_event_key("webhook.received", "x" * 300)
    assert len(key) <= 200 and key == dispatch.run_event_key("webhook.received", "x" * 300)
