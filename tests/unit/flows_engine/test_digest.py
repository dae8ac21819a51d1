"""The owner's daily digest of flow runs: off by default, once a day after the hour, in plain words."""
from __future__ import annotations

from dataclasses import replace

from flows import digest, schedules
from storage.models import utcnow
from tests.unit.flows_engine.conftest import OWNER, chain, node, sent, wa

TODAY = utcnow().astimezone(digest.ZONE).replace(second=0, microsecond=0)
EVENING = TODAY.replace(hour=20, minute=30)  # India time; the runs below are made today
MORNING = TODAY.replace(hour=8, minute=30)


def _digests(rt) -> list[str]:
    return [m.body for m in sent(rt, OWNER) if m.body.startswith("📋")]


def test_the_digest_counts_the_days_runs_once_after_the_hour(rt, make_flow, start, engine, monkeypatch) -> None:
    thanks = make_flow(chain(wa("thank", "Thank you")), name="Thanks")
    broken = make_flow(chain(wa("wrong", "Hello", to="{{trigger_data.payment.reference}}")), name="Hello")
    for flow in (thanks, thanks, broken):
        engine.execute(start(flow))
    notices = len(sent(rt, OWNER))  # the failed run told the owner at once

    assert digest.send_digests(rt, EVENING) == []  # off by default
    monkeypatch.setattr(rt, "config", replace(rt.config, flow_digest_hour=20))
    assert digest.send_digests(rt, MORNING) == []  # not yet
    assert len(digest.send_digests(rt, EVENING)) == 1
    assert _digests(rt) == ["📋 Your flows in the last day: 3 runs — 2 worked, 1 failed (“Hello” 1). "
                            "Reply RETRY to try the last failed one again."]
    assert digest.send_digests(rt, EVENING) == [] and schedules.periodic(rt, EVENING)["digests"] == 0
    assert len(sent(rt, OWNER)) == notices + 1


def test_a_digest_round_repeated_after_a_crash_tells_nobody_twice(rt, make_flow, start, engine,
                                                                  monkeypatch) -> None:
    engine.execute(start(make_flow(chain(node("row", "google_sheets.append_row",
                                              {"spreadsheet": "Orders", "values": ["A-1"]})))))
    monkeypatch.setattr(rt, "config", replace(rt.config, flow_digest_hour=20))
    digest.send_digests(rt, EVENING)
    # The worker died before it marked the day done: the next tick goes round again.
    rt.redis.delete(f"{rt.config.queue_name}:flow-digest:{EVENING.date().isoformat()}")
    digest.send_digests(rt, EVENING)
    assert _digests(rt) == ["📋 Your flows in the last day: 1 run — 1 worked."]
