"""Flows, runs, analytics and templates over the API (no worker: runs are checked as queued jobs)."""
from __future__ import annotations

import copy
from datetime import timedelta

from rq import Queue
from sqlalchemy import select

from flows.templates import builtin
from storage.models import Flow, FlowTemplate, FlowVersion, Run, RunStatus, RunStep, StepStatus, utcnow

THANKS = builtin("payment-thank-you").blueprint  # type: ignore[union-attr]
LOW = builtin("low-stock-alert").blueprint  # type: ignore[union-attr]


def _save(client, shop, name="Flow", blueprint=None, **extra):
    resp = client.post("/api/workflow/save", json={"name": name, "blueprint": blueprint or LOW, **extra},
                       headers=shop.headers)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()


def _queued_runs(app):
    """The run ids of the flow jobs waiting on the test's queue."""
    rt = app.extensions["munshi"]
    return [job.args[0] for job in Queue(rt.config.queue_name, connection=rt.redis).get_jobs()
            if job.func_name == "flows.jobs.run_flow"]


# ------------------------------------------------------------------ list, get, change, delete


def test_list_paginates_filters_and_sorts(client, tenants):
    for i in range(4):
        _save(client, tenants.a, name=f"Alert {i}", activate=i % 2 == 0)
    page = client.get("/api/workflows", query_string={"per_page": 2, "sort": "name"}, headers=tenants.a.headers)
    body = page.get_json()
    assert page.status_code == 200
    assert body["total"] == 5 and body["pages"] == 3 and body["page"] == 1 and len(body["items"]) == 2
    assert [f["name"] for f in body["items"]] == ["Alert 0", "Alert 1"]
    assert 'rel="next"' in page.headers["Link"] and "page=2" in page.headers["Link"]
    last = client.get("/api/workflows", query_string={"per_page": 2, "page": 3, "sort": "name"},
                      headers=tenants.a.headers)
    assert [f["name"] for f in last.get_json()["items"]] == ["Thank customers"]
    assert 'rel="prev"' in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]
    drafts = client.get("/api/workflows", query_string={"status": "draft"}, headers=tenants.a.headers).get_json()
    assert sorted(f["name"] for f in drafts["items"]) == ["Alert 1", "Alert 3"]
    desc = client.get("/api/workflows", query_string={"sort": "-name"}, headers=tenants.a.headers).get_json()
    assert desc["items"][0]["name"] == "Thank customers"
    found = client.get("/api/workflows", query_string={"q": "thank"}, headers=tenants.a.headers).get_json()
    assert [f["name"] for f in found["items"]] == ["Thank customers"]
    listed = found["items"][0]
    assert listed["last_run"]["status"] == "failed" and listed["summary"].startswith("Thank customers")


def test_get_has_recent_runs_stats_and_versions(client, tenants):
    body = client.get(f"/api/workflows/{tenants.a.ids['flow']}", headers=tenants.a.headers).get_json()
    assert body["status"] == "active" and body["version"] == 1 and body["trigger"] == "payments.payment_received"
    assert [r["id"] for r in body["recent_runs"]] == [tenants.a.ids["run"]]
    assert body["stats"]["runs"] == 1 and body["stats"]["failed"] == 1 and body["stats"]["success_rate"] == 0
    assert body["stats"]["duration_p50_ms"] == 2000
    assert body["versions"][0]["version"] == 1
    assert [n["id"] for n in body["nodes"]] == ["trigger_1", "thank_customer"]


def test_put_validates_and_makes_a_new_version(client, db, tenants):
    flow_id = tenants.a.ids["flow"]
    changed = copy.deepcopy(THANKS)
    changed["nodes"][1]["data"]["params"]["message"] = "Thanks {{trigger_data.customer.name}}!"
    resp = client.put(f"/api/workflows/{flow_id}", json={"blueprint": changed, "name": "Thanks v2"},
                      headers=tenants.a.headers)
    assert resp.status_code == 200
    assert resp.get_json()["version"] == 2 and resp.get_json()["name"] == "Thanks v2"
    bad = copy.deepcopy(THANKS)
    bad["nodes"][1]["data"]["params"]["message"] = "Hi {{trigger_data.nothing.here}}"
    resp = client.put(f"/api/workflows/{flow_id}", json={"blueprint": bad}, headers=tenants.a.headers)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["errors"] and "nothing" in resp.get_json()["detail"]
    with db.session() as s:
        assert s.get(Flow, flow_id).version == 2
        assert len(s.scalars(select(FlowVersion).where(FlowVersion.flow_id == flow_id)).all()) == 2
    paused = client.put(f"/api/workflows/{flow_id}", json={"status": "paused"}, headers=tenants.a.headers)
    assert paused.get_json()["status"] == "paused" and paused.get_json()["version"] == 2
    assert client.put(f"/api/workflows/{flow_id}", json={}, headers=tenants.a.headers).status_code == 422


def test_delete_is_soft(client, db, tenants):
    flow_id, run_id = tenants.a.ids["flow"], tenants.a.ids["run"]
    assert client.delete(f"/api/workflows/{flow_id}", headers=tenants.a.headers).status_code == 204
    assert client.get(f"/api/workflows/{flow_id}", headers=tenants.a.headers).status_code == 404
    assert client.get("/api/workflows", headers=tenants.a.headers).get_json()["total"] == 0
    assert client.get(f"/api/workflows/runs/{run_id}", headers=tenants.a.headers).status_code == 200
    assert client.get(f"/api/workflows/{flow_id}/runs", headers=tenants.a.headers).get_json()["total"] == 1
    with db.session() as s:
        flow = s.get(Flow, flow_id)
        assert flow is not None and flow.deleted_at is not None and flow.status == "paused"


# ------------------------------------------------------------------ draft and save


def test_draft_is_the_chat_builder(client, tenants):
    from flows.phrases import draft_from_text

    text = "When someone pays me more than 5000, WhatsApp me"
    resp = client.post("/api/workflow/draft", json={"text": text}, headers=tenants.a.headers)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["blueprint"] == draft_from_text(text).blueprint.to_dict()
    assert body["ready"] is True and "5,000" in body["summary"]
    nothing = client.post("/api/workflow/draft", json={"text": "blue sky"}, headers=tenants.a.headers)
    assert nothing.status_code == 422 and nothing.get_json()["title"] == "Not understood"
    assert client.get("/api/workflows", headers=tenants.a.headers).get_json()["total"] == 1  # nothing saved


def test_save_validates_versions_and_activates(client, tenants):
    made = _save(client, tenants.a, name="Low stock", blueprint=LOW)
    assert made["status"] == "active" and made["version"] == 1
    again = client.post("/api/workflow/save", json={"name": "Low stock!", "blueprint": THANKS, "flow_id": made["id"],
                                                    "activate": False}, headers=tenants.a.headers)
    assert again.status_code == 200 and again.get_json()["version"] == 2 and again.get_json()["name"] == "Low stock!"
    draft = _save(client, tenants.a, name="Later", activate=False)
    assert draft["status"] == "draft"
    broken = copy.deepcopy(LOW)
    broken["edges"] = []
    broken["nodes"].append(copy.deepcopy(broken["nodes"][0]))
    resp = client.post("/api/workflow/save", json={"name": "x", "blueprint": broken}, headers=tenants.a.headers)
    assert resp.status_code == 422 and resp.get_json()["type"].endswith("/invalid-flow")
    typo = copy.deepcopy(LOW)
    typo["nodes"][0]["data"]["parms"] = {}
    resp = client.post("/api/workflow/save", json={"name": "x", "blueprint": typo}, headers=tenants.a.headers)
    assert resp.status_code == 422
    assert any("parms" in e["field"] for e in resp.get_json()["errors"])


# ------------------------------------------------------------------ execute, runs, retry


def test_execute_stores_a_queued_run_and_enqueues_it(app, client, db, tenants):
    resp = client.post("/api/workflow/execute", json={"flow_id": tenants.a.ids["flow"],
                                                      "payload": {"payment": {"amount": 5}}},
                       headers=tenants.a.headers)
    assert resp.status_code == 202
    run_id = resp.get_json()["run_id"]
    with db.session() as s:
        run = s.get(Run, run_id)
        assert run.status == "queued" and run.trigger_data == {"payment": {"amount": 5}}
        assert run.business_id == tenants.a.business_id and run.event_key.startswith("manual:")
    assert run_id in _queued_runs(app)
    detail = client.get(f"/api/workflows/runs/{run_id}", headers=tenants.a.headers).get_json()
    assert detail["status"] == "queued" and detail["steps"] == [] and detail["flow_name"] == "Thank customers"


def test_execute_refuses_paused_and_unknown_flows(client, tenants):
    flow_id = tenants.a.ids["flow"]
    client.put(f"/api/workflows/{flow_id}", json={"status": "paused"}, headers=tenants.a.headers)
    resp = client.post("/api/workflow/execute", json={"flow_id": flow_id}, headers=tenants.a.headers)
    assert resp.status_code == 409 and "switched off" in resp.get_json()["detail"]
    assert client.post("/api/workflow/execute", json={"flow_id": "nope"}, headers=tenants.a.headers).status_code == 404
    big = {"flow_id": flow_id, "payload": {"x": "y" * 70_000}}
    assert client.post("/api/workflow/execute", json=big, headers=tenants.a.headers).status_code == 422


def test_runs_list_filters_by_status_and_date(client, db, tenants):
    flow_id = tenants.a.ids["flow"]
    old = utcnow() - timedelta(days=10)
    with db.session() as s:
        for i, status in enumerate(["succeeded", "succeeded", "running"]):
            s.add(Run(flow_id=flow_id, business_id=tenants.a.business_id, flow_version=1, event_key=f"k{i}",
                      status=status, created_at=old if i == 0 else utcnow()))
    url = f"/api/workflows/{flow_id}/runs"
    assert client.get(url, headers=tenants.a.headers).get_json()["total"] == 4
    ok = client.get(url, query_string={"status": "succeeded"}, headers=tenants.a.headers).get_json()
    assert ok["total"] == 2 and all(r["status"] == "succeeded" for r in ok["items"])
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    recent = client.get(url, query_string={"since": since}, headers=tenants.a.headers).get_json()
    assert recent["total"] == 3
    until = client.get(url, query_string={"until": since}, headers=tenants.a.headers).get_json()
    assert until["total"] == 1
    bad = client.get(url, query_string={"status": "exploded", "since": "yesterday"}, headers=tenants.a.headers)
    assert bad.status_code == 422 and {e["field"] for e in bad.get_json()["errors"]} == {"status", "since"}


def test_run_detail_is_node_by_node(client, tenants):
    body = client.get(f"/api/workflows/runs/{tenants.a.ids['run']}", headers=tenants.a.headers).get_json()
    assert body["status"] == "failed" and body["error"] == "it broke" and body["failed_step"] == "thank_customer"
    (step,) = body["steps"]
    assert step["node_id"] == "thank_customer" and step["attempts"] == 3 and step["duration_ms"] == 1000
    assert step["error"] == "it broke" and step["status"] == "failed"


def test_retry_from_the_failed_step(app, client, db, tenants):
    run_id = tenants.a.ids["run"]
    resp = client.post(f"/api/workflows/runs/{run_id}/retry", headers=tenants.a.headers)
    assert resp.status_code == 202 and resp.get_json()["run_id"] == run_id
    with db.session() as s:
        assert s.get(Run, run_id).status == "queued"
        assert s.scalars(select(RunStep).where(RunStep.run_id == run_id)).one().status == StepStatus.running
    assert run_id in _queued_runs(app)
    again = client.post(f"/api/workflows/runs/{run_id}/retry", headers=tenants.a.headers)
    assert again.status_code == 409 and again.get_json()["type"].endswith("/cannot-retry")


def test_retry_from_start_is_a_new_run_of_the_same_event(client, db, tenants):
    run_id = tenants.a.ids["run"]
    resp = client.post(f"/api/workflows/runs/{run_id}/retry", query_string={"from": "start"},
                       headers=tenants.a.headers)
    assert resp.status_code == 202
    new_id = resp.get_json()["run_id"]
    assert new_id != run_id and resp.get_json()["retry_of"] == run_id
    with db.session() as s:
        new = s.get(Run, new_id)
        assert new.status == RunStatus.queued and new.trigger_data == {"payment": {"amount": 1000}}
        assert s.get(Run, run_id).status == "failed"  # the old run's history stays
    bad = client.post(f"/api/workflows/runs/{run_id}/retry", query_string={"from": "middle"},
                      headers=tenants.a.headers)
    assert bad.status_code == 422


def test_analytics(client, db, tenants):
    flow_id = tenants.a.ids["flow"]
    now = utcnow()
    with db.session() as s:
        for i, ms in enumerate([100, 200, 300, 400]):
            s.add(Run(flow_id=flow_id, business_id=tenants.a.business_id, flow_version=1, event_key=f"a{i}",
                      status="succeeded", created_at=now, started_at=now, finished_at=now + timedelta(milliseconds=ms)))
    body = client.get("/api/workflows/analytics", query_string={"days": 7}, headers=tenants.a.headers).get_json()
    assert body["runs"] == 5 and body["succeeded"] == 4 and body["failed"] == 1
    assert body["success_rate"] == 0.8
    assert body["duration_p50_ms"] == 300 and body["duration_p95_ms"] == 2000
    assert len(body["runs_per_day"]) == 7 and body["runs_per_day"][-1]["runs"] == 5
    (per_flow,) = body["runs_per_flow"]
    assert per_flow["flow_id"] == flow_id and per_flow["runs"] == 5
    assert client.get("/api/workflows/analytics", query_string={"days": 0},
                      headers=tenants.a.headers).status_code == 422


# ------------------------------------------------------------------ templates


def test_templates_by_category_and_search(client, tenants):
    body = client.get("/api/workflow-templates", headers=tenants.a.headers).get_json()
    assert len(body["items"]) >= 12
    cats = {c["id"] for c in body["categories"]}
    assert {"payments", "collections", "inventory", "reports"} <= cats
    stock = client.get("/api/workflow-templates", query_string={"category": "inventory"},
                       headers=tenants.a.headers).get_json()
    assert stock["items"] and all(t["category"] == "inventory" for t in stock["items"])
    found = client.get("/api/workflow-templates", query_string={"q": "udhaar"}, headers=tenants.a.headers).get_json()
    assert [t["id"] for t in found["items"]] == ["overdue-reminder-7"]
    one = client.get("/api/workflow-templates/daily-sales-summary", headers=tenants.a.headers).get_json()
    assert one["blueprint"]["nodes"][0]["data"]["params"]["cron"] == "0 21 * * *" and one["summary"]
    assert client.get("/api/workflow-templates/nope", headers=tenants.a.headers).status_code == 404


def test_a_template_saves_as_is(client, tenants):
    body = client.get("/api/workflow-templates", headers=tenants.a.headers).get_json()
    for t in body["items"]:
        made = _save(client, tenants.a, name=t["name"], blueprint=t["blueprint"])
        assert made["status"] == "active"


def test_publish_strips_contacts_and_sheet_ids(client, db, tenants):
    sheet = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
    bp = copy.deepcopy(THANKS)
    bp["nodes"][1]["data"]["params"]["to"] = "+919876543210"
    bp["nodes"][1]["data"]["params"]["message"] = "Call 98765 43210 or write to shop@example.com. Thanks!"
    bp["nodes"].append({"id": "log", "type": "action", "data": {
        "service": "google_sheets", "task": "append_row",
        "params": {"spreadsheet": sheet, "worksheet": "Sheet1", "values": ["{{trigger_data.payment.amount}}"]}}})
    bp["edges"].append({"id": "e9", "source": "thank_customer", "target": "log"})
    made = _save(client, tenants.a, name="Thanks to +919876543210", blueprint=bp)
    resp = client.post(f"/api/workflows/{made['id']}/publish", json={"description": "mail me at a@b.co"},
                       headers=tenants.a.headers)
    assert resp.status_code == 201
    pub = resp.get_json()
    text = str(pub)
    for secret in ("9876543210", "98765 43210", "shop@example.com", "a@b.co", sheet):
        assert secret not in text, secret
    assert pub["source"] == "published" and pub["category"] == "community" and pub["removed"]
    params = {n["id"]: n["data"]["params"] for n in pub["blueprint"]["nodes"]}
    assert params["thank_customer"]["to"] == "<phone number>"
    assert params["log"]["spreadsheet"] == "<spreadsheet>"
    assert "{{trigger_data.payment.amount}}" in params["log"]["values"]
    # shown to everyone (stripped), the publisher not named
    listed = client.get("/api/workflow-templates", query_string={"category": "community"},
                        headers=tenants.b.headers).get_json()
    assert [t["id"] for t in listed["items"]] == [pub["id"]]
    assert "business_id" not in listed["items"][0]
    with db.session() as s:
        assert s.get(FlowTemplate, pub["id"]).business_id == tenants.a.business_id
