"""Periodic work: cron firings, overdue invoices, and the recovery of runs left behind."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rq import Queue
from sqlalchemy import select, update

from flows import schedules
from storage.models import Customer, Flow, Invoice, Run, utcnow
from tests.unit.flows_engine.conftest import chain, trigger, wa

IST = ZoneInfo("Asia/Kolkata")


def test_due_firing_in_the_flows_timezone() -> None:
    at_8pm = datetime(2026, 6, 1, 20, 0, tzinfo=IST)
    now = at_8pm + timedelta(seconds=7)
    since = at_8pm - timedelta(days=1)
    assert schedules.due_firing("0 20 * * *", None, now.astimezone(UTC), since) == at_8pm
    assert schedules.due_firing("0 20 * * *", "Asia/Kolkata", now, at_8pm) is None  # already fired
    assert schedules.due_firing("0 20 * * *", None, now + timedelta(hours=2), since) is None  # too late now
    assert schedules.due_firing("30 14 * * *", "UTC", datetime(2026, 6, 1, 14, 30, 3, tzinfo=UTC),
                                since) == datetime(2026, 6, 1, 14, 30, tzinfo=UTC)
    assert schedules.due_firing("not a cron", None, now, since) is None


def _jobs(rt) -> int:
    return Queue(rt.config.queue_name, connection=rt.redis).count


def test_a_cron_flow_fires_once_per_firing(rt, biz, make_flow) -> None:
    flow = make_flow(chain(wa("a", "Daily at {{trigger_data.fired_at}}"),
                           first=trigger("schedule.cron", cron="* * * * *")))
    now = utcnow().replace(second=5, microsecond=0)
    with rt.db.session() as s:
        s.execute(update(Flow).where(Flow.id == flow).values(updated_at=now - timedelta(hours=1)))
    first = schedules.fire_schedules(rt, now)
    assert len(first) == 1 and _jobs(rt) == 1
    assert schedules.fire_schedules(rt, now + timedelta(seconds=10)) == []  # the same minute
    assert len(schedules.fire_schedules(rt, now + timedelta(minutes=1))) == 1
    with rt.db.session() as s:
        run = s.get(Run, first[0])
        assert run.trigger_data["fired_at"].startswith(now.astimezone(IST).strftime("%Y-%m-%dT%H:%M"))


def test_a_cron_flow_does_not_fire_for_times_before_it_was_switched_on(rt, biz, make_flow) -> None:
    make_flow(chain(wa("a", "x"), first=trigger("schedule.cron", cron="0 * * * *")))
    assert schedules.fire_schedules(rt, utcnow()) == []


def _invoice(rt, biz: int, number: str, days_ago: float, paid: int = 0) -> None:
    with rt.db.session() as s:
        c = Customer(business_id=biz, name="Mahesh", phone="+919876543210")
        s.add(c)
        s.flush()
        s.add(Invoice(business_id=biz, customer_id=c.id, number=number, fiscal_year="2026-27",
                      seq=int(number.split("-")[1]), total_paise=276000, subtotal_paise=276000, paid_paise=paid,
                      issued_at=utcnow() - timedelta(days=days_ago)))


def test_overdue_invoices_fire_once_per_flow_and_invoice(rt, biz, make_flow) -> None:
    make_flow(chain(wa("a", "{{trigger_data.invoice.number}} is {{trigger_data.days_overdue}} days old"),
                    first=trigger("invoices.invoice_overdue", days=7)))
    _invoice(rt, biz, "INV-0001", 7.5)
    _invoice(rt, biz, "INV-0002", 2)  # not yet
    _invoice(rt, biz, "INV-0003", 30)  # overdue long before: not messaged on switching the flow on
    _invoice(rt, biz, "INV-0004", 8, paid=276000)  # paid
    run_ids = schedules.scan_overdue(rt, force=True)
    assert len(run_ids) == 1
    with rt.db.session() as s:
        run = s.get(Run, run_ids[0])
        assert run.trigger_data["invoice"]["number"] == "INV-0001" and run.trigger_data["days_overdue"] == 7
        assert run.trigger_data["customer"]["name"] == "Mahesh"
    assert schedules.scan_overdue(rt, force=True) == []
    _invoice(rt, biz, "INV-0005", 7.1)
    assert len(schedules.scan_overdue(rt)) == 1
    _invoice(rt, biz, "INV-0006", 7.2)
    assert schedules.scan_overdue(rt) == []  # the scan runs at most every few minutes (a Redis key)


def _run(rt, biz: int, flow: str, status: str, **values) -> str:
    import uuid

    run_id = uuid.uuid4().hex
    with rt.db.session() as s:
        s.add(Run(id=run_id, flow_id=flow, business_id=biz, flow_version=1, event_key=run_id, status=status,
                  **values))
    return run_id


def test_recovery_enqueues_the_runs_nobody_is_on(rt, biz, make_flow) -> None:
    flow = make_flow(chain(wa("a", "x")))
    now = utcnow()
    old = now - timedelta(minutes=5)
    dead = _run(rt, biz, flow, "running", heartbeat_at=old)
    alive = _run(rt, biz, flow, "running", heartbeat_at=old)
    fresh = _run(rt, biz, flow, "running", heartbeat_at=now)
    lost = _run(rt, biz, flow, "queued", created_at=old)
    queued = _run(rt, biz, flow, "queued", created_at=now)
    overslept = _run(rt, biz, flow, "waiting", heartbeat_at=old, resume_at=now - timedelta(minutes=1))
    asleep = _run(rt, biz, flow, "waiting", heartbeat_at=old, resume_at=now + timedelta(minutes=1))
    with rt.db.session() as s:  # its worker renewed the claim just now
        s.execute(update(Run).where(Run.id == alive).values(heartbeat_at=now))
    recovered = schedules.recover_runs(rt, now)
    assert set(recovered) == {dead, lost, overslept}
    assert fresh not in recovered and queued not in recovered and asleep not in recovered
    assert _jobs(rt) == 3
    assert schedules.recover_runs(rt, now + timedelta(seconds=10)) == []  # not again at once
    with rt.db.session() as s:
        assert s.scalar(select(Run.status).where(Run.id == dead)) == "queued"  # a new worker may claim it


def test_periodic_never_raises(rt, monkeypatch) -> None:
    def boom(*_a, **_k):
        raise RuntimeError("database away")

    monkeypatch.setattr(schedules, "fire_schedules", boom)
    done = schedules.periodic(rt)
    assert "fired" not in done and "recovered" in done
