"""Secrets never appear in logs, replies, run logs, pages, the API or the export.

Every credential Munshi holds gets a distinctive value (Twilio's auth token, Razorpay's key secret and
webhook secret, the SMTP password, the OpenAI key, a Slack webhook URL, a flow's webhook secret, an
HTTP step's bearer token, MUNSHI_SECRET_KEY, an API token) and is *used*: signed webhooks (and forged
ones, which get logged), a worker that emails through an SMTP server with a login, posts to the
connected Slack webhook, calls an API that echoes the credentials it was sent back in its error, asks
"OpenAI" (a local stand-in that refuses), and records a Razorpay payment. Then everything a person or
a log collector could read is searched for every secret: the web process's log records (all loggers,
DEBUG), a worker process's log file (DEBUG), every message sent, every table except the ones that
must hold them (flows: the owner's own blueprint and HMAC secret), API answers, dashboard pages and
the output of ``python -m bot export``.

Found and fixed here: an API that echoes the request's credentials put them in the failed step's
reason, the run log and the owner's WhatsApp message (`tools.http` now hides them); the export
carried the blueprints' ``Authorization`` headers and Slack URLs and live one-time login links
(`storage.export` now hides them).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import inspect, select, text

from bot import credentials
from bot.api.auth import create_api_token, create_login_link
from flows import store
from storage.models import Business, Message, Run
from tests.helpers import OWNER, REPO, Twilio, env_for, free_port, stop_process, tail, wait_for

pytestmark = pytest.mark.integration

SECRETS = {
    "twilio_token": "twilio-token-SEKRIT-1a2b3c4d5e",
    "razorpay_key_secret": "rzp-key-SEKRIT-2b3c4d5e6f",
    "razorpay_webhook_secret": "rzp-hook-SEKRIT-3c4d5e6f7a",
    "smtp_password": "smtp-pass-SEKRIT-4d5e6f7a8b",
    "openai_key": "sk-openai-SEKRIT-5e6f7a8b9c",
    "slack_path": "slackhookSEKRIT6f7a8b9c0d",
    "http_bearer": "http-bearer-SEKRIT-7a8b9c0d1e",
    "http_json_key": "json-apikey-SEKRIT-8b9c0d1e2f",
    "munshi_key": "munshi-key-SEKRIT-9c0d1e2f3a",
    "flow_hook_secret": "flow-hook-SEKRIT-0d1e2f3a4b",
}
#: Tables that hold a secret by design: the owner's own flow (its blueprint names the API's bearer token,
#: its webhook secret checks signatures). Credentials are encrypted and API tokens hashed: searched too.
HOLDERS = {"flows", "flow_versions"}


class _Services(BaseHTTPRequestHandler):
    """Slack's webhook (ok), an order API that echoes the credentials in a 401, "OpenAI" that refuses."""

    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.startswith("/slack/"):
            status, out = 200, b"ok"
        elif self.path.startswith("/orders"):
            status, out = 401, (f"invalid credentials: {self.headers.get('Authorization')} "
                                f"with body {body.decode(errors='replace')}").encode()
        else:
            status, out = 400, json.dumps({"error": {"message": "refused by the test's stand-in",
                                                     "type": "invalid_request_error"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 400 else "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"

    def authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password.decode() == SECRETS["smtp_password"]
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def services() -> Iterator[int]:
    _Services.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Services)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox, port = _Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticator,
                            auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


DEBUG_WORKER = ("import logging, sys\n"
                "logging.basicConfig(level=logging.DEBUG, format='%(asctime)s %(levelname)s %(name)s: %(message)s')\n"
                "from bot.__main__ import main\n"
                "sys.exit(main(['worker']))\n")


def _sign(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def _find(haystacks: dict[str, str], secrets: dict[str, str]) -> list[str]:
    return [f"{name} in {where}" for where, hay in haystacks.items() for name, value in secrets.items()
            if value in hay]


def test_no_secret_is_ever_shown_logged_or_exported(make_config, make_app, services, smtp, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    inbox, smtp_port = smtp
    base = f"http://127.0.0.1:{services}"
    config = make_config(
        TWILIO_AUTH_TOKEN=SECRETS["twilio_token"], TWILIO_ACCOUNT_SID="AC" + "1" * 32, WHATSAPP_TRANSPORT="outbox",
        RAZORPAY_KEY_ID="rzp_test_keyid", RAZORPAY_KEY_SECRET=SECRETS["razorpay_key_secret"],
        RAZORPAY_WEBHOOK_SECRET=SECRETS["razorpay_webhook_secret"],
        SMTP_URL=f"smtp://munshi:{SECRETS['smtp_password']}@127.0.0.1:{smtp_port}",
        OPENAI_API_KEY=SECRETS["openai_key"], OPENAI_BASE_URL=f"{base}/openai/v1",
        MUNSHI_SECRET_KEY=SECRETS["munshi_key"])
    app = make_app(config)
    rt = app.extensions["munshi"]
    client = app.test_client()
    twilio = Twilio(SECRETS["twilio_token"], client=client)

    # --- the web side: signed and forged webhooks, the API with a token
    assert twilio.send("hello")[0].status_code == 200  # the owner's business is made
    forged = twilio.message("hello again")
    assert twilio.post(forged, signature=twilio.sign("http://localhost/twilio/whatsapp", forged, "guess")) \
        .status_code == 403
    with rt.db.session() as s:
        business_id = s.scalar(select(Business.id).where(Business.phone == OWNER))
        credentials.store(s, config.secret_key, business_id, "slack",
                          {"webhook_url": f"{base}/slack/T0/B0/{SECRETS['slack_path']}"})
        _row, api_token = create_api_token(s, business_id, "secrets test")
    secrets = {**SECRETS, "api_token": api_token}
    auth = {"Authorization": f"Bearer {api_token}"}

    blueprint = {"nodes": [
        {"id": "trigger_1", "type": "trigger", "data": {"service": "webhook", "task": "received", "params": {}}},
        {"id": "mail", "type": "action", "data": {"service": "email", "task": "send", "params": {
            "to": "{{trigger_data.email}}", "subject": "Order", "body": "Thanks {{trigger_data.name}}"}}},
        {"id": "slack", "type": "action", "data": {"service": "slack", "task": "post_message", "params": {
            "text": "Order from {{trigger_data.name}}"}}},
        {"id": "api", "type": "action", "data": {"service": "http", "task": "request", "params": {
            "method": "POST", "url": f"{base}/orders",
            "headers": {"Authorization": f"Bearer {SECRETS['http_bearer']}"},
            "json": {"api_key": SECRETS["http_json_key"], "name": "{{trigger_data.name}}"}}}}],
        "edges": [{"id": "e1", "source": "trigger_1", "target": "mail"},
                  {"id": "e2", "source": "mail", "target": "slack"},
                  {"id": "e3", "source": "slack", "target": "api"}]}
    saved = client.post("/api/workflow/save", json={"name": "Orders", "blueprint": blueprint}, headers=auth)
    assert saved.status_code == 201, saved.get_data(as_text=True)
    flow_id = saved.get_json()["id"]
    with rt.db.session() as s:
        hook = store.webhook_path(store.set_webhook_secret(s, business_id, flow_id, SECRETS["flow_hook_secret"]))
    order = json.dumps({"name": "Ramesh", "email": "ramesh@example.com"}).encode()
    assert client.post(hook, data=order, content_type="application/json",
                       headers={"X-Munshi-Signature": "sha256=" + "0" * 64}).status_code == 401
    started = client.post(hook, data=order, content_type="application/json",
                          headers={"X-Munshi-Signature": "sha256=" + _sign(SECRETS["flow_hook_secret"], order)})
    assert started.status_code == 202
    run_id = started.get_json()["run_id"]

    payment = json.dumps({"event": "payment.captured", "payload": {"payment": {"entity": {
        "id": "pay_secret_test", "amount": 50000, "method": "upi", "contact": "+919876543210",
        "email": "gaurav@example.com", "notes": {"invoice": "INV/26-27/0001"}, "created_at": 1767225600}}}}).encode()
    assert client.post("/webhooks/razorpay", data=payment, content_type="application/json",
                       headers={"X-Razorpay-Signature": "deadbeef"}).status_code == 400
    assert client.post("/webhooks/razorpay", data=payment, content_type="application/json",
                       headers={"X-Razorpay-Signature": _sign(SECRETS["razorpay_webhook_secret"], payment)}
                       ).status_code == 200
    for words in ("bill Mahesh 2 bags cement at 300", "dashboard", "Mahesh paid 600", "help"):
        assert twilio.send(words)[0].status_code == 200

    # --- the worker: a real process, logging everything
    log = tmp_path / "worker.log"
    env = env_for(config, MUNSHI_HTTP_ALLOW=f"127.0.0.1:{services}")
    with open(log, "ab") as err:
        worker = subprocess.Popen([sys.executable, "-c", DEBUG_WORKER], cwd=REPO, env=env, stderr=err)
    try:
        def settled() -> bool:
            with rt.db.session() as s:
                run = s.get(Run, run_id)
                pending = s.scalar(select(Message.id).where(Message.direction == "in",
                                                            Message.status.in_(("pending", "processing"))))
                return run is not None and run.status in ("succeeded", "failed") and pending is None

        wait_for(settled, timeout=90, what="the messages and the run", details=lambda: tail(log, 80))
        wait_for(lambda: "stopped" in " ".join(m.body for m in _sent(rt)) or None, timeout=30,
                 what="the owner's note about the failed run", details=lambda: tail(log, 80))
    finally:
        stop_process(worker)

    # The services were really used, with the real credentials.
    assert inbox.logins == ["munshi"] and len(inbox.messages) == 1
    paths = [seen["path"] for seen in _Services.seen]
    assert f"/slack/T0/B0/{SECRETS['slack_path']}" in paths and "/orders" in paths
    api_call = next(seen for seen in _Services.seen if seen["path"] == "/orders")
    assert api_call["headers"]["Authorization"] == f"Bearer {SECRETS['http_bearer']}"
    with rt.db.session() as s:
        run = s.get(Run, run_id)
        assert run.status == "failed" and run.failed_node == "api", run.error

    # --- everything a person or a log collector could read
    haystacks: dict[str, str] = {
        "web log": "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records),
        "worker log": log.read_text(errors="replace"),
        "messages sent": "\n".join(f"{m.peer} {m.body} {m.media} {m.error}" for m in _sent(rt)),
    }
    with rt.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table not in HOLDERS:
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                haystacks[f"table {table}"] = "\n".join(repr(tuple(r)) for r in rows)
    for path in (f"/api/workflows/runs/{run_id}", f"/api/workflows/{flow_id}/runs", "/api/messages?per_page=100",
                 "/api/tokens", "/api/me", "/api/payments", "/api/workflows/analytics"):
        resp = client.get(path, headers=auth)
        assert resp.status_code == 200, path
        haystacks[f"API {path}"] = resp.get_data(as_text=True)
    with rt.db.session() as s:
        link = create_login_link(s, business_id, config)
    assert client.post("/" + link.split("/", 3)[3]).status_code == 303
    for page in (f"/dashboard/runs/{run_id}", "/dashboard", "/dashboard/settings", "/dashboard/payments"):
        haystacks[f"page {page}"] = client.get(page).get_data(as_text=True)
    exported = subprocess.run([sys.executable, "-m", "bot", "export"], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert json.loads(exported.stdout)["businesses"][0]["flows"][0]["name"] == "Orders"
    haystacks["export"] = exported.stdout + exported.stderr

    assert _find(haystacks, secrets) == []
    # The one-time login links the owner was sent are not in the export either.
    assert "/login/" not in exported.stdout or "/login/[hidden]" in exported.stdout
    # What the owner was told about the failed step says why, without the credentials the API echoed.
    note = next(m.body for m in _sent(rt) if "stopped" in m.body)
    assert "401" in note and "[hidden]" in note


def _sent(rt: Any) -> list[Message]:
    with rt.db.session() as s:
        return list(s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)))
