"""``/healthz`` (database, Redis, a worker's heartbeat) and ``/metrics`` (Prometheus text)."""
from __future__ import annotations

import re
from datetime import timedelta

from bot import health
from storage.models import Message, MessageStatus, Run, RunStep, StepStatus, utcnow

SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+-]+|\+Inf)$')


def test_healthz_without_a_worker_is_degraded(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert body["checks"]["worker"]["ok"] is False and body["checks"]["worker"]["workers"] == 0
    assert client.get("/healthz?strict=1").status_code == 503


def test_healthz_with_a_live_worker_is_ok(app, client):
    from rq import Worker

    rt = app.extensions["munshi"]
    worker = Worker([rt.queue], connection=rt.redis)
    worker.register_birth()
    worker.heartbeat()
    try:
        body = client.get("/healthz?strict=true").get_json()
        assert body["status"] == "ok" and body["checks"]["worker"]["workers"] == 1
    finally:
        worker.register_death()


def test_healthz_when_the_database_is_down(client, monkeypatch):
    def broken(rt):
        return health._timed(lambda: (_ for _ in ()).throw(OSError("connection refused")))

    monkeypatch.setattr(health, "check_database", broken)
    resp = client.get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "down" and "connection refused" in body["checks"]["database"]["error"]


def test_metrics_are_prometheus_text(client, db, tenants):
    now = utcnow()
    with db.session() as s:
        s.add(Message(business_id=tenants.a.business_id, direction="out", peer="+919800000001", body="x",
                      status=MessageStatus.sent))
        run = Run(flow_id=tenants.a.ids["flow"], business_id=tenants.a.business_id, flow_version=1,
                  event_key="m", status="succeeded")
        s.add(run)
        s.flush()
        s.add(RunStep(run_id=run.id, node_id="thank_customer", step_key="thank_customer", status=StepStatus.succeeded,
                      attempts=1, started_at=now, finished_at=now + timedelta(milliseconds=300)))
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain; version=0.0.4")
    text = resp.get_data(as_text=True)
    samples = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"not exposition format: {line!r}"
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3).replace("+Inf", "inf"))
    assert samples['munshi_messages_total{direction="in"}'] == 2
    assert samples['munshi_messages_total{direction="out"}'] == 1
    assert samples['munshi_flow_runs{status="failed"}'] == 2 and samples['munshi_flow_runs{status="succeeded"}'] == 1
    assert samples["munshi_flow_runs_total"] == 3
    assert samples['munshi_step_duration_seconds_bucket{status="succeeded",le="0.25"}'] == 0
    assert samples['munshi_step_duration_seconds_bucket{status="succeeded",le="0.5"}'] == 1
    assert samples['munshi_step_duration_seconds_count{status="succeeded"}'] == 1
    assert abs(samples['munshi_step_duration_seconds_sum{status="succeeded"}'] - 0.3) < 0.01
    assert samples['munshi_step_duration_seconds_bucket{status="failed",le="+Inf"}'] == 2
    assert 'munshi_queue_depth{queue="' in text and "munshi_workers" in text
    assert samples['munshi_scrape_error{part="database"}'] == 0
    assert "# TYPE munshi_step_duration_seconds histogram" in text


def test_metrics_token(app, client):
    app.config["METRICS_TOKEN"] = "s3cret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
