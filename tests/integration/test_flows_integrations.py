"""Email, Slack and HTTP steps against real local servers: aiosmtpd for SMTP, http.server for Slack and APIs.

One flow runs on a real worker and reaches all three; the SMTP variants (STARTTLS with a login, implicit
TLS, a refused password, no plain-text login to a server that offers no TLS) call the tool directly.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from bot import credentials
from bot.errors import PermanentToolError
from flows import dispatch, store
from storage.models import Business, Run, RunStep
from tests.helpers import free_port
from tools.base import ToolContext
from tools.registry import get

pytestmark = pytest.mark.integration


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "message": message_from_bytes(envelope.content, policy=policy.default),
                              "tls": server.transport.get_extra_info("ssl_object") is not None})
        return "250 OK"

    def authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"right-password"
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


class Recorder(BaseHTTPRequestHandler):
    """Slack's incoming webhook (``ok``) and an API (JSON), recording what they receive."""

    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append({"path": self.path, "json": json.loads(body), "headers": dict(self.headers)})
        if self.path.startswith("/slack/"):
            out, kind = b"ok", "text/html"
        else:
            out, kind = json.dumps({"received": True, "id": "api-1"}).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[int]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (and its key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                   .not_valid_after(now + dt.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                               x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert[0]), str(cert[1]))
    return context


@pytest.fixture
def smtp(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``smtp(**controller_kwargs)``: a running aiosmtpd server; (inbox, port)."""
    running: list[Controller] = []

    def start(host: str = "127.0.0.1", **kwargs: Any) -> tuple[Inbox, int]:
        inbox = Inbox()
        port = free_port()
        if kwargs.pop("auth", False):
            kwargs["authenticator"] = inbox.authenticator
        controller = Controller(inbox, hostname=host, port=port, **kwargs)
        controller.start()
        running.append(controller)
        return inbox, port

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture
def rt(app) -> Any:  # type: ignore[no-untyped-def]
    return app.extensions["munshi"]


@pytest.fixture
def biz(rt) -> int:
    with rt.db.session() as s:
        b = Business(phone="+919800000001", name="Sharma Hardware")
        s.add(b)
        s.flush()
        return b.id


def test_a_flow_emails_posts_to_slack_and_calls_an_api_from_a_worker(
        rt, biz, config, workers, wait_handled, smtp, http_server) -> None:
    inbox, smtp_port = smtp()
    nodes = [
        {"id": "trigger_1", "type": "trigger", "data": {"service": "webhook", "task": "received", "params": {}}},
        {"id": "mail", "type": "action", "data": {"service": "email", "task": "send", "params": {
            "to": "{{trigger_data.customer.email}}", "subject": "Payment received",
            "body": "Dear {{trigger_data.customer.name}}, we received {{trigger_data.amount}}. Thank you!"}}},
        {"id": "slack", "type": "action", "data": {"service": "slack", "task": "post_message", "params": {
            "text": "{{trigger_data.customer.name}} paid {{trigger_data.amount}}",
            "webhook_url": f"http://127.0.0.1:{http_server}/slack/T000/B000/XXXX"}}},
        {"id": "api", "type": "action", "data": {"service": "http", "task": "request", "params": {
            "method": "POST", "url": f"http://127.0.0.1:{http_server}/orders",
            "headers": {"Authorization": "Bearer api-secret"},
            "json": {"customer": "{{trigger_data.customer.name}}", "amount": "{{trigger_data.amount}}"}}}},
    ]
    edges = [{"id": f"e{i}", "source": a["id"], "target": b["id"]} for i, (a, b) in enumerate(pairwise(nodes))]
    with rt.db.session() as s:
        flow = store.create_flow(s, biz, "Tell everyone", {"nodes": nodes, "edges": edges}, activate=True)
    workers.start(config, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
                  MUNSHI_HTTP_ALLOW=f"127.0.0.1:{http_server}")
    run_id, _ = dispatch.deliver_webhook(rt, flow.id, biz, "id:p-1", {
        "amount": 1500, "customer": {"name": "Ramesh Kumar", "email": "ramesh@example.com"}})

    def finished() -> Run | None:
        with rt.db.session() as s:
            run = s.get(Run, run_id)
            return run if run is not None and run.status in ("succeeded", "failed") else None

    run = wait_handled(finished, what="the run")
    assert run.status == "succeeded", run.error  # type: ignore[union-attr]
    [mail] = inbox.messages
    assert mail["to"] == ["ramesh@example.com"]
    assert mail["message"]["Subject"] == "Payment received"
    assert mail["message"]["From"] == "Sharma Hardware <munshi@127.0.0.1>"
    assert mail["message"].get_content().strip() == "Dear Ramesh Kumar, we received ₹1,500. Thank you!"
    slack, api = Recorder.seen
    assert slack["path"] == "/slack/T000/B000/XXXX" and slack["json"] == {"text": "Ramesh Kumar paid ₹1,500"}
    assert api["json"] == {"customer": "Ramesh Kumar", "amount": 1500}  # a number stays a number
    assert api["headers"]["Authorization"] == "Bearer api-secret"
    assert api["headers"]["Idempotency-Key"] == f"run-{run_id}-api"
    with rt.db.session() as s:
        steps = {st.node_id: st for st in s.scalars(select(RunStep).where(RunStep.run_id == run_id))}
    assert steps["api"].output["body"] == {"received": True, "id": "api-1"}
    assert steps["api"].input["headers"] == {"Authorization": "[hidden]"}  # logged without the secret
    assert steps["slack"].input["webhook_url"] == "[hidden]"
    assert steps["mail"].output["message_id"] == mail["message"]["Message-ID"]


@pytest.fixture
def tool_ctx(rt, biz) -> Any:
    def make(url: str, ca: Path | None = None) -> ToolContext:
        with rt.db.session() as s:
            credentials.store(s, rt.config.secret_key, biz, "smtp", {"url": url, "from_address": "shop@example.com"})
        extra: dict[str, Any] = {"config": rt.config, "runtime": rt, "business": {"name": "Sharma Hardware"},
                                 "own_session": True}
        if ca is not None:
            extra["ssl_context"] = ssl.create_default_context(cafile=str(ca))
        return ToolContext(session=rt.db.sessions(), business_id=biz, idempotency_key="run-x-mail", extra=extra)

    return make


MAIL = {"to": "a@example.com, b@example.com", "subject": "Hello", "body": "Namaste 🙏"}


def test_email_over_starttls_with_a_login(smtp, tool_ctx, cert) -> None:
    inbox, port = smtp(host="localhost", tls_context=_server_context(cert), require_starttls=True, auth=True,
                       auth_require_tls=True)
    out = get("email.send")(tool_ctx(f"smtp://shop%40example.com:right-password@localhost:{port}", cert[0]), MAIL)
    [mail] = inbox.messages
    assert mail["tls"] and inbox.logins == ["shop@example.com"]
    assert mail["to"] == ["a@example.com", "b@example.com"] and mail["from"] == "shop@example.com"
    assert mail["message"].get_content().strip() == "Namaste 🙏" and out["message_id"].startswith("<")


def test_email_over_implicit_tls(smtp, tool_ctx, cert) -> None:
    # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS from its first byte.
    inbox, port = smtp(host="localhost", ssl_context=_server_context(cert), auth=True, auth_require_tls=False)
    get("email.send")(tool_ctx(f"smtps://shop:right-password@localhost:{port}", cert[0]), MAIL)
    assert len(inbox.messages) == 1 and inbox.messages[0]["tls"]


def test_email_wrong_password_and_untrusted_certificate_fail_for_good(smtp, tool_ctx, cert) -> None:
    inbox, port = smtp(host="localhost", tls_context=_server_context(cert), auth=True)
    with pytest.raises(PermanentToolError, match="refused the user name or password"):
        get("email.send")(tool_ctx(f"smtp://shop:wrong@localhost:{port}", cert[0]), MAIL)
    with pytest.raises(PermanentToolError, match="certificate"):
        get("email.send")(tool_ctx(f"smtp://shop:right-password@localhost:{port}"), MAIL)
    assert inbox.messages == []


def test_email_never_sends_a_password_unencrypted_to_another_machine(smtp, tool_ctx) -> None:
    inbox, port = smtp(host="127.0.0.2", auth=True, auth_require_tls=False)
    with pytest.raises(PermanentToolError, match="does not offer STARTTLS"):
        get("email.send")(tool_ctx(f"smtp://shop:right-password@127.0.0.2:{port}"), MAIL)
    assert inbox.logins == [] and inbox.messages == []
