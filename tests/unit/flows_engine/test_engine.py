"""The engine on SQLite (or PostgreSQL): graphs with branches, loops, delays, retries, fallback, replays."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select, update

from bot.errors import PermanentToolError, TransientToolError
from flows import engine as engine_mod
from flows import store
from flows.engine import backoff, redact, retry_last_failed, retry_run
from flows.schema import ErrorHandling
from storage.models import Flow, Product, Run, RunStep, SheetRow
from tests.unit.flows_engine.conftest import (
    CUSTOMER,
    OWNER,
    PAYMENT,
    chain,
    edge,
    node,
    run_of,
    sent,
    steps_of,
    trigger,
    wa,
)
from tools import registry
from tools.base import BaseTool, ToolContext


class FlakyParams(BaseModel):
    label: str = "x"


class Flaky(BaseTool):
    """A test tool: fails with ``errors`` in turn, then succeeds; remembers every call."""

    name = "test.flaky"
    description = "test"
    Params = FlakyParams
    outputs = ("label", "call")

    def __init__(self, errors: list[Exception] | None = None) -> None:
        self.errors = list(errors or [])
        self.calls: list[tuple[str | None, str]] = []

    def run(self, ctx: ToolContext, params: FlakyParams) -> dict[str, Any]:
        self.calls.append((ctx.idempotency_key, params.label))
        if self.errors:
            raise self.errors.pop(0)
        return {"label": params.label, "call": len(self.calls)}


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Flaky]:
    def install(*errors: Exception) -> Flaky:
        tool = Flaky(list(errors))
        monkeypatch.setitem(registry.REGISTRY, "test.flaky", tool)
        return tool

    return install


def flaky_node(node_id: str = "step", label: str = "x", **handling: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"error_handling": handling} if handling else {}
    return node(node_id, "test.flaky", {"label": label}, **data)


# -- walking the graph ------------------------------------------------------------------------------

def test_a_straight_flow_runs_each_step_once_and_logs_it(rt, make_flow, start, drive) -> None:
    flow = make_flow(chain(wa("thank", "Thank you {{trigger_data.customer.name}} for {{trigger_data.payment.amount}}",
                              to="{{trigger_data.customer.phone}}"),
                           node("row", "google_sheets.append_row",
                                {"spreadsheet": "Payments", "values": ["{{trigger_data.customer.name}}",
                                                                      "{{trigger_data.payment.amount}}"]})))
    run_id = start(flow)
    drive(run_id)
    assert run_of(rt, run_id).status == "succeeded"
    steps = steps_of(rt, run_id)
    assert [(k, st.status, st.attempts, st.position) for k, st in steps.items()] == [
        ("thank", "succeeded", 1, 1), ("row", "succeeded", 1, 2)]
    assert steps["thank"].input == {"to": CUSTOMER, "message": "Thank you Ramesh Kumar for ₹1,500"}
    assert steps["row"].output["row"] == 1
    assert steps["thank"].started_at is not None and steps["thank"].finished_at is not None
    [msg] = sent(rt)
    assert (msg.peer, msg.body) == (CUSTOMER, "Thank you Ramesh Kumar for ₹1,500")
    with rt.db.session() as s:
        [row] = s.scalars(select(SheetRow)).all()
        assert row.values == ["Ramesh Kumar", 1500]  # the number stays a number in JSON params


@pytest.mark.parametrize(("amount", "taken", "skipped"), [(25000, "big", "small"), (500, "small", "big")])
def test_a_condition_takes_one_branch_and_skips_the_other(rt, make_flow, start, drive, amount, taken,
                                                          skipped) -> None:
    flow = make_flow({"nodes": [trigger(), node("check", "logic.condition",
                                                {"expression": "trigger_data.payment.amount > 10000"},
                                                node_type="condition"),
                                wa("big", "big one"), wa("small", "small one"), wa("after", "done")],
                      "edges": [edge("trigger_1", "check"), edge("check", "big", "true"),
                                edge("check", "small", "false"), edge("big", "after"), edge("small", "after")]})
    data = {**PAYMENT, "payment": {**PAYMENT["payment"], "amount": amount}}
    run_id = start(flow, data)
    drive(run_id)
    steps = steps_of(rt, run_id)
    assert steps["check"].output == {"result": amount > 10000}
    assert steps[taken].status == "succeeded" and steps[skipped].status == "skipped"
    assert steps["after"].status == "succeeded"  # the join runs once, whichever branch led to it
    assert [m.body for m in sent(rt)] == [f"{taken} one", "done"]


def test_several_edges_out_of_a_node_all_run_and_a_join_waits_for_both(rt, make_flow, start, drive) -> None:
    flow = make_flow({"nodes": [trigger(), wa("a", "A"), wa("b", "B"), wa("c", "C")],
                      "edges": [edge("trigger_1", "a"), edge("trigger_1", "b"), edge("a", "c"), edge("b", "c")]})
    run_id = start(flow)
    drive(run_id)
    assert [m.body for m in sent(rt)] == ["A", "B", "C"]  # C after both, and once


def test_for_each_repeats_its_body_per_item_then_follows_done(rt, make_flow, start, drive) -> None:
    items = [{"name": "Ramesh", "phone": "+919876543210"}, {"name": "Suresh", "phone": "+919876543211"}]
    flow = make_flow({"nodes": [trigger("webhook.received"),
                                node("each", "control.for_each", {"items": "{{trigger_data.customers}}"},
                                     node_type="loop"),
                                wa("hello", "Hi {{each.item.name}} ({{each.index}})", to="{{each.item.phone}}"),
                                wa("total", "Greeted {{each.count}}")],
                      "edges": [edge("trigger_1", "each"), edge("each", "hello", "each"),
                                edge("each", "total", "done")]})
    run_id = start(flow, {"customers": items})
    drive(run_id)
    assert [(m.peer, m.body) for m in sent(rt)] == [("+919876543210", "Hi Ramesh (0)"),
                                                     ("+919876543211", "Hi Suresh (1)"), (OWNER, "Greeted 2")]
    assert {"each", "hello[0]", "hello[1]", "total"} <= set(steps_of(rt, run_id))


def test_nested_loops_and_a_condition_inside_a_loop(rt, make_flow, start, drive) -> None:
    flow = make_flow({"nodes": [trigger("webhook.received"),
                                node("rows", "control.for_each", {"items": "{{trigger_data.rows}}"}, node_type="loop"),
                                node("cells", "control.for_each", {"items": "{{rows.item}}"}, node_type="loop"),
                                node("odd", "logic.condition", {"expression": "cells.item % 2 == 1"},
                                     node_type="condition"),
                                wa("say", "{{rows.index}}/{{cells.item}}")],
                      "edges": [edge("trigger_1", "rows"), edge("rows", "cells", "each"),
                                edge("cells", "odd", "each"), edge("odd", "say", "true")]})
    run_id = start(flow, {"rows": [[1, 2, 3], [5]]})
    drive(run_id)
    assert [m.body for m in sent(rt)] == ["0/1", "0/3", "1/5"]
    assert steps_of(rt, run_id)["say[0][1]"].status == "skipped"


def test_a_loop_over_too_many_items_fails_with_a_reason(rt, make_flow, start, drive) -> None:
    flow = make_flow({"nodes": [trigger("webhook.received"),
                                node("each", "control.for_each", {"items": "{{trigger_data.xs}}"}, node_type="loop"),
                                wa("x", "{{each.item}}")],
                      "edges": [edge("trigger_1", "each"), edge("each", "x", "each")]})
    run_id = start(flow, {"xs": list(range(engine_mod.MAX_LOOP_ITEMS + 1))})
    drive(run_id)
    run = run_of(rt, run_id)
    assert run.status == "failed" and "at most 200" in run.error and not sent(rt, CUSTOMER)


# -- delays -----------------------------------------------------------------------------------------

def test_delay_wait_parks_the_run_and_resumes_at_its_time(rt, make_flow, start, engine, queue, clock) -> None:
    flow = make_flow(chain(wa("first", "one"), node("pause", "delay.wait", {"duration": "2h"}), wa("second", "two")))
    run_id = start(flow)
    t0 = clock.t
    engine.execute(run_id)
    run = run_of(rt, run_id)
    assert run.status == "waiting" and engine_mod.aware(run.resume_at) == t0 + timedelta(hours=2)
    assert queue.later == [(run_id, t0 + timedelta(hours=2))]
    assert [m.body for m in sent(rt)] == ["one"]
    clock.advance(60)
    engine.execute(run_id)  # an early job (a duplicate, the tick) changes nothing
    assert run_of(rt, run_id).status == "waiting" and len(sent(rt)) == 1
    clock.advance(2 * 3600)
    engine.execute(run_id)
    assert run_of(rt, run_id).status == "succeeded"
    assert [m.body for m in sent(rt)] == ["one", "two"]  # "one" was not sent again
    assert steps_of(rt, run_id)["pause"].output["resumed_at"] == clock.t.isoformat()


def test_a_delay_inside_a_loop_waits_per_item(rt, make_flow, start, drive, queue) -> None:
    flow = make_flow({"nodes": [trigger("webhook.received"),
                                node("each", "control.for_each", {"items": "{{trigger_data.xs}}"}, node_type="loop"),
                                wa("say", "{{each.item}}"), node("gap", "delay.wait", {"duration": "30m"})],
                      "edges": [edge("trigger_1", "each"), edge("each", "say", "each"), edge("say", "gap")]})
    run_id = start(flow, {"xs": ["a", "b", "c"]})
    drive(run_id)
    assert [m.body for m in sent(rt)] == ["a", "b", "c"]
    assert run_of(rt, run_id).status == "succeeded"


# -- retries and failures ---------------------------------------------------------------------------

def test_transient_errors_are_retried_with_exponential_backoff(rt, make_flow, start, engine, queue, clock,
                                                               flaky) -> None:
    tool = flaky(TransientToolError("timeout"), TransientToolError("503"))
    flow = make_flow(chain(flaky_node(retry_count=3, retry_delay=5, backoff="exponential")))
    run_id = start(flow)
    t0 = clock.t
    engine.execute(run_id)
    assert run_of(rt, run_id).status == "waiting" and queue.later[-1][1] == t0 + timedelta(seconds=5)
    step = steps_of(rt, run_id)["step"]
    assert (step.status, step.attempts, step.error) == ("running", 1, "timeout")
    clock.advance(5)
    engine.execute(run_id)
    assert queue.later[-1][1] == clock.t + timedelta(seconds=10)  # 5 × 2
    clock.advance(10)
    engine.execute(run_id)
    assert run_of(rt, run_id).status == "succeeded"
    step = steps_of(rt, run_id)["step"]
    assert (step.status, step.attempts, step.error) == ("succeeded", 3, None)
    assert len({key for key, _ in tool.calls}) == 1  # every attempt had the same idempotency key


def test_retries_without_delay_happen_at_once(rt, make_flow, start, engine, flaky) -> None:
    flaky(TransientToolError("x"), RuntimeError("surprise"))
    run_id = start(make_flow(chain(flaky_node(retry_count=2))))
    assert engine.execute(run_id).status == "succeeded"
    assert steps_of(rt, run_id)["step"].attempts == 3


def test_permanent_errors_are_not_retried(rt, make_flow, start, engine, flaky) -> None:
    tool = flaky(PermanentToolError("the server answered 404"))
    run_id = start(make_flow(chain(flaky_node(retry_count=5, retry_delay=1))))
    assert engine.execute(run_id).status == "failed"
    assert len(tool.calls) == 1
    assert steps_of(rt, run_id)["step"].status == "failed"


def test_a_bad_phone_number_fails_before_anything_is_sent(rt, make_flow, start, engine) -> None:
    flow = make_flow(chain(wa("thank", "hi", to="{{trigger_data.customer.phone}}",
                              error_handling={"retry_count": 3, "retry_delay": 1})))
    data = {**PAYMENT, "customer": {**PAYMENT["customer"], "phone": "12345"}}
    run_id = start(flow, data)
    assert engine.execute(run_id).status == "failed"
    step = steps_of(rt, run_id)["thank"]
    assert step.attempts == 1 and "not a phone number" in step.error
    assert sent(rt, "12345") == [] and len(sent(rt, OWNER)) == 1  # only the owner's failure notice


def test_exhausted_retries_stop_the_run_and_tell_the_owner(rt, make_flow, start, drive, flaky) -> None:
    flaky(*[TransientToolError("the bank's server did not answer")] * 3)
    flow = make_flow(chain(wa("first", "one"), flaky_node(retry_count=2, retry_delay=1), wa("last", "three")),
                     name="Payment thanks")
    run_id = start(flow)
    drive(run_id)
    run = run_of(rt, run_id)
    assert (run.status, run.failed_node, run.error) == ("failed", "step", "the bank's server did not answer")
    notice = sent(rt, OWNER)[-1]
    assert "“Payment thanks”" in notice.body and "step 2" in notice.body
    assert "Why: the bank's server did not answer" in notice.body
    assert "Reply RETRY to try again from step 2." in notice.body
    assert [m.body for m in sent(rt) if m.body in ("one", "three")] == ["one"]


def test_on_failure_continue_goes_on(rt, make_flow, start, engine, flaky) -> None:
    flaky(PermanentToolError("nope"))
    run_id = start(make_flow(chain(flaky_node(on_failure="continue"), wa("next", "still here"))))
    assert engine.execute(run_id).status == "succeeded"
    steps = steps_of(rt, run_id)
    assert steps["step"].status == "failed" and steps["next"].status == "succeeded"
    assert [m.body for m in sent(rt)] == ["still here"]  # no failure notice: the run worked


def test_on_failure_fallback_runs_the_fallback_instead(rt, make_flow, start, engine, flaky) -> None:
    flaky(PermanentToolError("nope"))
    flow = make_flow({"nodes": [trigger(), flaky_node(on_failure="fallback", fallback_node="plan_b"),
                                wa("normal", "normal path"), wa("plan_b", "plan B")],
                      "edges": [edge("trigger_1", "step"), edge("step", "normal")]})
    run_id = start(flow)
    assert engine.execute(run_id).status == "succeeded"
    assert [m.body for m in sent(rt)] == ["plan B"]
    assert steps_of(rt, run_id)["normal"].status == "skipped"


def test_backoff_values() -> None:
    assert [backoff(ErrorHandling(retry_delay=5, backoff="exponential"), n) for n in (1, 2, 3)] == [5, 10, 20]
    assert [backoff(ErrorHandling(retry_delay=5), n) for n in (1, 2, 3)] == [5, 5, 5]
    assert backoff(ErrorHandling(retry_delay=3600, backoff="exponential"), 10) == engine_mod.MAX_RETRY_WAIT


# -- replays, RETRY -----------------------------------------------------------------------------------

class Crash(BaseException):
    """Not an Exception: like a process dying, nothing catches it."""


def test_a_re_executed_run_skips_the_steps_that_succeeded(rt, make_flow, start, engine, clock, flaky) -> None:
    """A worker that died in a step that reaches outside: step 1 was stored first and is not repeated."""
    tool = flaky()
    tool.external = True  # reaches outside: everything before it is committed as it starts
    flow = make_flow(chain(wa("first", "one"), flaky_node("second")))
    run_id = start(flow)
    tool.errors = [Crash()]
    with pytest.raises(Crash):
        engine.execute(run_id)
    assert run_of(rt, run_id).status == "running"
    assert steps_of(rt, run_id)["first"].status == "succeeded" and "second" not in steps_of(rt, run_id)
    clock.advance(engine_mod.RUN_LEASE + 1)  # the dead worker's claim runs out
    assert engine.execute(run_id).status == "succeeded"
    assert [m.body for m in sent(rt)] == ["one"]
    assert len(tool.calls) == 2 and tool.calls[0][0] == tool.calls[1][0]  # same key on the second try


def test_a_crash_in_a_database_step_undoes_the_database_steps_before_it(rt, make_flow, start, engine, clock,
                                                                       flaky) -> None:
    """Database steps are committed together with their own writes: a crash leaves none of them half-done."""
    tool = flaky(Crash())
    flow = make_flow(chain(wa("first", "one"), flaky_node("second")))
    run_id = start(flow)
    with pytest.raises(Crash):
        engine.execute(run_id)
    assert run_of(rt, run_id).status == "queued" and steps_of(rt, run_id) == {} and sent(rt) == []
    assert engine.execute(run_id).status == "succeeded"
    assert [m.body for m in sent(rt)] == ["one"]
    assert [st.status for st in steps_of(rt, run_id).values()] == ["succeeded", "succeeded"]
    assert len(tool.calls) == 2


def test_replaying_a_finished_run_does_nothing(rt, make_flow, start, engine) -> None:
    run_id = start(make_flow(chain(wa("a", "once"))))
    engine.execute(run_id)
    engine.execute(run_id)
    with rt.db.session() as s:
        s.execute(RunStep.__table__.update().values(status="running"))  # as if never recorded as done
    engine.execute(run_id)
    assert [m.body for m in sent(rt)] == ["once"]  # the channel's idempotency key held


def test_retry_resumes_from_the_failed_step_with_earlier_results(rt, make_flow, start, engine, queue,
                                                                 flaky, biz) -> None:
    tool = flaky(PermanentToolError("Slack is not connected"))
    flow = make_flow(chain(wa("first", "one"), flaky_node("second", label="{{first.message_id}}"),
                           wa("third", "three")))
    run_id = start(flow)
    engine.execute(run_id)
    assert run_of(rt, run_id).status == "failed"
    result = retry_last_failed(rt, biz, queueing=queue)
    assert result.ok and result.run_id == run_id and "step 2" in result.message
    assert queue.now == [run_id] and run_of(rt, run_id).status == "queued"
    engine.execute(queue.now.pop())
    assert run_of(rt, run_id).status == "succeeded"
    assert [m.body for m in sent(rt) if m.peer == OWNER and not m.body.startswith("⚠️")] == ["one", "three"]
    first_id = steps_of(rt, run_id)["first"].output["message_id"]
    assert [label for _, label in tool.calls] == [first_id, first_id]  # the stored output was used again
    assert retry_last_failed(rt, biz, queueing=queue).ok is False


def test_retry_gets_the_full_retry_count_again_and_tells_the_owner_twice(rt, make_flow, start, engine,
                                                                          queue, flaky) -> None:
    flaky(*[TransientToolError("busy")] * 4)
    run_id = start(make_flow(chain(flaky_node(retry_count=1))))
    engine.execute(run_id)
    assert steps_of(rt, run_id)["step"].attempts == 2
    retry_run(rt, run_id, queueing=queue)
    engine.execute(run_id)
    assert steps_of(rt, run_id)["step"].attempts == 4 and run_of(rt, run_id).status == "failed"
    assert len(engine_mod.failure_notices(rt.db, run_id)) == 2  # each failure told once
    engine.execute(run_id)  # replaying the failed run does not tell again
    assert len(engine_mod.failure_notices(rt.db, run_id)) == 2


def test_retry_of_a_run_that_did_not_fail_says_so(rt, make_flow, start, engine, queue) -> None:
    run_id = start(make_flow(chain(wa("a", "x"))))
    engine.execute(run_id)
    result = retry_run(rt, run_id, queueing=queue)
    assert not result.ok and "has not failed" in result.message and queue.now == []


# -- what steps see and store -------------------------------------------------------------------------

def test_database_tools_apply_once_with_their_step(rt, make_flow, start, engine, biz) -> None:
    with rt.db.session() as s:
        s.add(Product(business_id=biz, name="cement", unit="bag", stock=20))
    flow = make_flow(chain(node("stock", "inventory.adjust_stock", {"product": "cement", "change": -5})))
    run_id = start(flow)
    assert engine.execute(run_id).status == "succeeded"
    engine.execute(run_id)
    with rt.db.session() as s:
        assert s.scalar(select(Product.stock).where(Product.name == "cement")) == 15
    assert steps_of(rt, run_id)["stock"].output["stock"] == 15


class SheetThenFlaky(Flaky):
    """Adds a row to the local sheet, then fails like `Flaky` (a database tool that fails half-way)."""

    name = "test.sheet_then_flaky"

    def run(self, ctx: ToolContext, params: FlakyParams) -> dict[str, Any]:
        ctx.session.add(SheetRow(business_id=ctx.business_id, spreadsheet="S", worksheet="W", values=[params.label]))
        ctx.session.flush()
        return super().run(ctx, params)


def _sheet(rt) -> list[list[Any]]:
    with rt.db.session() as s:
        return [row.values for row in s.scalars(select(SheetRow).order_by(SheetRow.id))]


def test_a_failed_database_step_undoes_its_own_writes_only(rt, make_flow, start, engine, monkeypatch) -> None:
    tool = SheetThenFlaky([PermanentToolError("no")])
    monkeypatch.setitem(registry.REGISTRY, tool.name, tool)
    before = node("first", "google_sheets.append_row", {"spreadsheet": "S", "worksheet": "W", "values": ["kept"]})
    run_id = start(make_flow(chain(before, node("second", tool.name, {"label": "undone"}))))
    assert engine.execute(run_id).status == "failed"
    assert _sheet(rt) == [["kept"]]
    assert {k: st.status for k, st in steps_of(rt, run_id).items()} == {"first": "succeeded", "second": "failed"}


def test_a_first_database_step_retried_at_once_writes_once(rt, make_flow, start, engine, monkeypatch) -> None:
    """Nothing before it wrote: its failed attempt is rolled back whole and the run's claim taken again."""
    tool = SheetThenFlaky([TransientToolError("busy")])
    monkeypatch.setitem(registry.REGISTRY, tool.name, tool)
    run_id = start(make_flow(chain(node("only", tool.name, {"label": "once"}, error_handling={"retry_count": 1}))))
    assert engine.execute(run_id).status == "succeeded"
    assert _sheet(rt) == [["once"]] and len(tool.calls) == 2
    run = run_of(rt, run_id)
    assert steps_of(rt, run_id)["only"].attempts == 2 and run.status == "succeeded" and run.started_at is not None


def test_a_failure_inside_the_engine_keeps_no_half_run(rt, make_flow, start, engine, queue, biz,
                                                     monkeypatch) -> None:
    """The engine itself fails after a database step: that step's write and its record go together."""
    with rt.db.session() as s:
        s.add(Product(business_id=biz, name="cement", unit="bag", stock=20))
    flow = make_flow(chain(node("stock", "inventory.adjust_stock", {"product": "cement", "change": -5}),
                           wa("tell", "done")))
    run_id = start(flow)
    resolve = engine_mod.template.resolve

    def broken(value: Any, scope: dict[str, Any]) -> Any:
        if isinstance(value, dict) and value.get("message") == "done":
            raise RuntimeError("a bug")
        return resolve(value, scope)

    monkeypatch.setattr(engine_mod.template, "resolve", broken)
    assert engine.execute(run_id).status == "failed"
    with rt.db.session() as s:
        assert s.scalar(select(Product.stock).where(Product.name == "cement")) == 20
    assert steps_of(rt, run_id) == {} and sent(rt) == []
    monkeypatch.setattr(engine_mod.template, "resolve", resolve)
    assert retry_run(rt, run_id, queueing=queue).ok
    assert engine.execute(run_id).status == "succeeded"
    with rt.db.session() as s:
        assert s.scalar(select(Product.stock).where(Product.name == "cement")) == 15
    assert [m.body for m in sent(rt)] == ["done"]


def test_events_raised_by_a_step_start_other_flows(rt, make_flow, start, engine, queue, biz) -> None:
    with rt.db.session() as s:
        s.add(Product(business_id=biz, name="rice", unit="kg", stock=25, low_stock_threshold=20))
    make_flow(chain(wa("warn", "{{trigger_data.product.name}} is low: {{trigger_data.product.stock}}"),
                    first=trigger("inventory.stock_low")), name="Low stock")
    seller = make_flow(chain(node("sell", "inventory.adjust_stock", {"product": "rice", "change": -10})))
    engine.execute(start(seller))
    assert len(queue.now) == 1
    engine.execute(queue.now.pop())
    assert [m.body for m in sent(rt)] == ["rice is low: 15"]


def test_secrets_are_hidden_in_the_logged_input(rt, make_flow, start, engine, monkeypatch) -> None:
    assert redact({"headers": {"Authorization": "Bearer abc", "X-Api-Key": "k", "Accept": "json"},
                   "url": "smtp://me:pw@host:587", "webhook_url": "https://hooks.slack.com/services/T/B/x"}) == {
        "headers": {"Authorization": "[hidden]", "X-Api-Key": "[hidden]", "Accept": "json"},
        "url": "smtp://me:[hidden]@host:587", "webhook_url": "[hidden]"}


@pytest.mark.parametrize(("url", "expected"), [
    ("https://api.example.com/send?api_key=abc123&to=9198", "https://api.example.com/send?api_key=[hidden]&to=9198"),
    ("https://x.example.com/hook?sig=zz&page=2", "https://x.example.com/hook?sig=[hidden]&page=2"),
    ("https://x.example.com/a?access_token=t0k", "https://x.example.com/a?access_token=[hidden]"),
    ("https://x.example.com/a?auth=s3&q=rice", "https://x.example.com/a?auth=[hidden]&q=rice"),
    ("https://x.example.com/a?page=2&q=rice", "https://x.example.com/a?page=2&q=rice"),  # nothing secret: as is
    ("https://x.example.com/a?", "https://x.example.com/a?"),
])
def test_secret_query_values_in_urls_are_hidden(url: str, expected: str) -> None:
    assert redact({"url": url}) == {"url": expected}


def test_a_step_whose_service_is_not_connected_says_how_to_connect(rt, make_flow, start, engine) -> None:
    flow = make_flow(chain(node("mail", "email.send", {"to": "a@example.com", "subject": "Hi", "body": "x"})))
    run_id = start(flow)
    engine.execute(run_id)
    error = steps_of(rt, run_id)["mail"].error
    assert "python -m bot connect smtp --business +919800000001 --url smtp://" in error
    assert "python -m bot connect smtp" in sent(rt, OWNER)[-1].body


def test_a_variable_that_is_missing_at_run_time_fails_the_step_plainly(rt, make_flow, start, engine) -> None:
    run_id = start(make_flow(chain(wa("a", "Hi {{trigger_data.customer.name}}"))), {"payment": {"amount": 1}})
    engine.execute(run_id)
    assert "cannot be filled in" in steps_of(rt, run_id)["a"].error


def test_a_paused_flow_stops_its_waiting_runs_quietly(rt, make_flow, start, engine, clock, biz) -> None:
    flow = make_flow(chain(node("pause", "delay.wait", {"duration": "1h"}), wa("later", "later")))
    run_id = start(flow)
    engine.execute(run_id)
    with rt.db.session() as s:
        store.pause(s, biz, flow)
    clock.advance(3600)
    engine.execute(run_id)
    run = run_of(rt, run_id)
    assert (run.status, run.error) == ("failed", "stopped: the flow was paused") and sent(rt) == []


def test_runs_keep_the_version_they_started_on(rt, make_flow, start, engine, clock, biz) -> None:
    flow = make_flow(chain(node("pause", "delay.wait", {"duration": "1h"}), wa("later", "version one")))
    run_id = start(flow)
    engine.execute(run_id)
    with rt.db.session() as s:
        store.save_flow(s, biz, flow, chain(node("pause", "delay.wait", {"duration": "1h"}), wa("later", "two")))
    clock.advance(3600)
    engine.execute(run_id)
    assert [m.body for m in sent(rt)] == ["version one"]


def test_a_flow_broken_in_the_database_fails_its_run_with_a_reason(rt, make_flow, start, engine) -> None:
    flow = make_flow(chain(wa("a", "x")))
    run_id = start(flow)
    with rt.db.session() as s:
        f = s.get(Flow, flow)
        f.version = 9
        f.blueprint = {"nodes": [], "edges": []}
        s.execute(RunStep.__table__.delete())
        s.execute(Flow.__table__.update().values(version=9))
    with rt.db.session() as s:
        from storage.models import Run

        s.get(Run, run_id).flow_version = 9
    assert engine.execute(run_id).status == "failed"
    assert "missing" in run_of(rt, run_id).error or "not valid" in run_of(rt, run_id).error


def test_a_run_claimed_by_a_live_worker_is_left_to_it(rt, make_flow, start, engine, clock) -> None:
    run_id = start(make_flow(chain(wa("a", "x"))))
    with rt.db.session() as s:  # another worker claimed it a moment ago
        s.execute(update(Run).where(Run.id == run_id).values(status="running", heartbeat_at=clock.t))
    assert engine.execute(run_id).status is None and sent(rt) == []
    clock.advance(engine_mod.RUN_LEASE + 1)  # …and stopped renewing its claim: it died
    assert engine.execute(run_id).status == "succeeded"
    assert [m.body for m in sent(rt)] == ["x"]


def test_a_worker_that_lost_its_claim_stops(rt, make_flow, start, engine, clock, flaky) -> None:
    tool = flaky()
    run_id = start(make_flow(chain(flaky_node("one"), flaky_node("two"))))

    def stalled(ctx: ToolContext, params: FlakyParams) -> dict[str, Any]:
        with rt.db.session() as s:  # meanwhile the recovery gave the run to another worker
            s.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=clock.t + timedelta(seconds=99)))
        claim = engine_mod._keeper.claims.copy().pop()
        claim.renew()  # the keeper's compare-and-set fails: the run is someone else's now
        return {"label": params.label, "call": 1}

    tool.run = stalled  # type: ignore[method-assign]
    tool.external = True  # type: ignore[attr-defined]  (it uses its own connection, like an outside call)
    assert engine.execute(run_id).status is None
    assert steps_of(rt, run_id) == {}  # it stopped without writing: the run is the other worker's now
