"""The loop guard: a flow whose steps raise the event that starts it runs a few rounds, then stops.

Real loops through the real tools and the real dispatcher: recording a payment on "payment received",
and putting stock back up then down again on "stock low".
"""
from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from flows import dispatch
from storage.models import Event, Payment, Product, Run
from tests.unit.flows_engine.conftest import OWNER, chain, node, sent, trigger
from tools.base import ToolContext
from tools.inventory import AdjustStock

ROUNDS = dispatch.MAX_CHAIN_DEPTH + 1


def _runs(rt, flow_id: str) -> list[Run]:
    with rt.db.session() as s:
        return list(s.scalars(select(Run).where(Run.flow_id == flow_id).order_by(Run.chain_depth)))


def _loop_notices(rt) -> list[str]:
    return [m.body for m in sent(rt, OWNER) if "keeps setting itself off" in m.body]


def test_a_flow_that_records_a_payment_on_payment_received_stops_and_tells_the_owner_once(
        rt, make_flow, start, drive, caplog: pytest.LogCaptureFixture) -> None:
    flow = make_flow(chain(node("record", "payments.record_payment",
                                {"amount": 1, "customer": "{{trigger_data.customer.name}}", "method": "cash"})),
                     name="Record every payment")
    caplog.set_level(logging.WARNING, logger="flows.dispatch")
    drive(start(flow))

    runs = _runs(rt, flow)
    assert [r.chain_depth for r in runs] == list(range(ROUNDS))
    assert all(r.status == "succeeded" for r in runs)
    with rt.db.session() as s:
        assert s.scalar(select(func.count(Payment.id))) == ROUNDS  # one per round, then nothing more
        last = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert last is not None and last.chain_depth == ROUNDS and last.dispatched
    assert any("a loop" in r.getMessage() for r in caplog.records)
    notices = _loop_notices(rt)
    assert len(notices) == 1
    assert "“Record every payment”" in notices[0] and "a payment is received" in notices[0]
    assert f"after {ROUNDS} rounds" in notices[0]

    drive(start(flow))  # the same loop again: stopped again, but the owner already knows
    assert len(_runs(rt, flow)) == 2 * ROUNDS and len(_loop_notices(rt)) == 1


def test_a_flow_that_puts_stock_back_then_takes_it_again_on_stock_low_stops(rt, biz, make_flow, drive) -> None:
    with rt.db.session() as s:
        s.add(Product(business_id=biz, name="cement", unit="bag", stock=Decimal(3), low_stock_threshold=Decimal(5)))
    flow = make_flow(chain(node("refill", "inventory.adjust_stock", {"product": "cement", "change": 10}),
                           node("use", "inventory.adjust_stock", {"product": "cement", "change": -10}),
                           first=trigger("inventory.stock_low")), name="Refill and use")
    with rt.db.session() as s:  # the owner's own stock changes (depth 0) set it off
        AdjustStock()(ToolContext(session=s, business_id=biz), {"product": "cement", "change": 5})
        AdjustStock()(ToolContext(session=s, business_id=biz), {"product": "cement", "change": -5})
    run_ids = dispatch.dispatch_pending(rt, biz, enqueue=lambda ids: None)
    assert len(run_ids) == 1
    drive(run_ids[0])
    runs = _runs(rt, flow)
    assert [r.chain_depth for r in runs] == list(range(ROUNDS)) and all(r.status == "succeeded" for r in runs)
    with rt.db.session() as s:
        assert s.scalar(select(Product.stock).where(Product.business_id == biz)) == Decimal(3)
    assert len(_loop_notices(rt)) == 1


def test_a_short_chain_of_different_flows_is_not_a_loop(rt, make_flow, start, drive) -> None:
    """A run whose step raises another flow's trigger starts that flow as usual."""
    first = make_flow(chain(node("bill", "invoices.create_invoice",
                                 {"customer": "Ramesh Kumar", "items": [{"product": "cement", "quantity": 1,
                                                                         "unit_price": 350}]})),
                      name="Bill every payer")
    second = make_flow(chain(node("tell", "whatsapp.send_message", {"to": "owner", "message": "billed"}),
                             first=trigger("invoices.invoice_created")), name="Tell me about bills")
    drive(start(first))
    assert [r.chain_depth for r in _runs(rt, second)] == [1]
    assert [r.status for r in _runs(rt, second)] == ["succeeded"] and _loop_notices(rt) == []
