"""The API and pages against a real HTTP server and real ``python -m bot worker`` processes.

- a flow saved and executed over the API runs on a worker; its run reads back node by node;
  a failing run is retried over the API;
- "dashboard" typed in the simulator reaches the worker like a WhatsApp message, and the link in the
  reply logs a browser-less client into the dashboard;
- ``/healthz`` sees the worker's heartbeat and ``/metrics`` counts the work.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from werkzeug.serving import make_server

from bot.api.auth import create_api_token
from storage import queries
from tests.helpers import free_port

pytestmark = pytest.mark.integration

NOTIFY = {"nodes": [
    {"id": "trigger_1", "type": "trigger", "data": {"service": "payments", "task": "payment_received", "params": {}}},
    {"id": "tell_owner", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
        "to": "owner", "message": "Paid: ₹{{trigger_data.payment.amount}} by {{trigger_data.customer.name}}"}}},
    {"id": "thank", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
        "to": "{{trigger_data.customer.phone}}", "message": "Thank you!"}}}],
    "edges": [{"id": "e1", "source": "trigger_1", "target": "tell_owner"},
              {"id": "e2", "source": "tell_owner", "target": "thank"}]}
BROKEN = {"nodes": [
    NOTIFY["nodes"][0],
    {"id": "call", "type": "action", "data": {"service": "http", "task": "request", "params": {
        "method": "POST", "url": "http://127.0.0.1:9/hook", "json": {"a": 1}}}}],
    "edges": [{"id": "e1", "source": "trigger_1", "target": "call"}]}
PAYLOAD = {"payment": {"amount": 2500, "method": "upi", "reference": "UPI-9"},
           "customer": {"name": "Rekha", "phone": "+919876512345", "email": None}, "invoice": None}


@dataclass
class Site:
    url: str
    app: object
    config: object


@pytest.fixture
def site(make_config, make_app, workers) -> Iterator[Site]:
    """The app on a real port named in PUBLIC_BASE_URL (so links in replies point at it), and one worker."""
    port = free_port()
    config = make_config(PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", TWILIO_AUTH_TOKEN=None)
    app = make_app(config)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    workers.start(config)
    yield Site(f"http://127.0.0.1:{port}", app, config)
    server.shutdown()
    thread.join(5)


def _token(site: Site, phone: str = "+919800000001") -> dict[str, str]:
    with site.app.extensions["munshi"].db.session() as s:  # type: ignore[attr-defined]
        biz = queries.get_or_create_business(s, phone, "Sharma Hardware")
        s.flush()
        _, raw = create_api_token(s, biz.id, "integration")
    return {"Authorization": f"Bearer {raw}"}


def _wait_run(http: httpx.Client, run_id: str, wait_handled, statuses=("succeeded", "failed")) -> dict:
    def done() -> dict | None:
        body = http.get(f"/api/workflows/runs/{run_id}").json()
        return body if body["status"] in statuses else None

    return wait_handled(done, what=f"run {run_id} to finish", timeout=60)  # type: ignore[no-any-return]


def test_execute_runs_on_a_worker_and_reads_back(site, wait_handled):
    with httpx.Client(base_url=site.url, headers=_token(site), timeout=30) as http:
        flow = http.post("/api/workflow/save", json={"name": "Payment note", "blueprint": NOTIFY})
        assert flow.status_code == 201, flow.text
        started = http.post("/api/workflow/execute", json={"flow_id": flow.json()["id"], "payload": PAYLOAD})
        assert started.status_code == 202
        run = _wait_run(http, started.json()["run_id"], wait_handled)
        assert run["status"] == "succeeded", run
        assert [(s["node_id"], s["status"], s["attempts"]) for s in run["steps"]] == [
            ("tell_owner", "succeeded", 1), ("thank", "succeeded", 1)]
        assert all(s["duration_ms"] is not None for s in run["steps"])
        sent = http.get("/api/messages", params={"direction": "out"}).json()["items"]
        assert {m["peer"] for m in sent} == {"+919800000001", "+919876512345"}
        assert any("Paid: ₹2,500 by Rekha" in m["body"] for m in sent)
        detail = http.get(f"/api/workflows/{flow.json()['id']}").json()
        assert detail["stats"]["succeeded"] == 1 and detail["last_run"]["id"] == run["id"]
        health = httpx.get(f"{site.url}/healthz", params={"strict": "1"}).json()
        assert health["status"] == "ok" and health["checks"]["worker"]["workers"] >= 1
        metrics = httpx.get(f"{site.url}/metrics").text
        assert 'munshi_flow_runs{status="succeeded"} 1' in metrics
        assert 'munshi_step_duration_seconds_count{status="succeeded"} 2' in metrics


def test_failed_run_is_retried_over_the_api(site, wait_handled):
    with httpx.Client(base_url=site.url, headers=_token(site), timeout=30) as http:
        flow = http.post("/api/workflow/save", json={"name": "Call my server", "blueprint": BROKEN}).json()
        run_id = http.post("/api/workflow/execute", json={"flow_id": flow["id"], "payload": PAYLOAD}).json()["run_id"]
        run = _wait_run(http, run_id, wait_handled)
        assert run["status"] == "failed" and run["failed_step"] == "call" and run["error"]
        retried = http.post(f"/api/workflows/runs/{run_id}/retry")
        assert retried.status_code == 202 and "again" in retried.json()["message"]
        again = _wait_run(http, run_id, wait_handled)
        assert again["status"] == "failed" and again["steps"][0]["attempts"] >= 2
        fresh = http.post(f"/api/workflows/runs/{run_id}/retry", params={"from": "start"}).json()
        assert fresh["run_id"] != run_id
        assert _wait_run(http, fresh["run_id"], wait_handled)["status"] == "failed"
        stats = http.get("/api/workflows/analytics").json()
        assert stats["failed"] == 2 and stats["success_rate"] == 0


def test_dashboard_link_from_the_simulator(site, wait_handled):
    phone = "+919811100000"
    sim = httpx.Client(base_url=site.url, timeout=30, headers={"X-Munshi-Simulator": "1"})
    assert sim.post("/simulator/send", data={"phone": phone, "body": "send me the dashboard link"}).status_code == 202

    def reply() -> str | None:
        chat = sim.get("/simulator/messages", params={"phone": phone}).json()["chat"]
        found = [m["body"] for m in chat if m["direction"] == "out" and "/login/" in m["body"]]
        return found[0] if found else None

    text = wait_handled(reply, what="the dashboard link", timeout=60)
    link = re.search(r"https?://\S+/login/\S+", text).group(0)  # type: ignore[union-attr]
    assert link.startswith(site.url)
    browser = httpx.Client(timeout=30, follow_redirects=True)
    assert "Open my dashboard" in browser.get(link).text
    page = browser.post(link)
    assert page.status_code == 200 and str(page.url).endswith("/dashboard")
    assert browser.get(f"{site.url}/api/me").json()["phone"] == phone
    assert httpx.post(link).status_code == 410  # spent
