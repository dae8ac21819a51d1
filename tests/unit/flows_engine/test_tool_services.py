"""Slack, Razorpay, Google Sheets, email settings, WhatsApp and delay: the real request shapes, at the HTTP layer."""
from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from bot import credentials
from bot.config import Config
from bot.errors import NotConnected, PermanentToolError, TransientToolError, ValidationFailed
from bot.runtime import Runtime
from storage.models import Business, Message, SheetRow, utcnow
from tools.base import ToolContext
from tools.email import SmtpServer
from tools.google_sheets import AppendRow
from tools.razorpay import CreatePaymentLink, reference_for
from tools.registry import get
from tools.slack import PostMessage

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"


@pytest.fixture
def ctx(rt: Runtime, biz: int) -> Any:
    sessions = []

    def make(key: str | None = "run-r1-step", **extra: Any) -> ToolContext:
        for old in sessions:  # as the engine does after each attempt: no transaction left open
            old.close()
        s = rt.db.sessions()
        sessions.append(s)
        return ToolContext(session=s, business_id=biz, idempotency_key=key,
                           extra={"config": rt.config, "runtime": rt, "own_session": True,
                                  "business": {"name": "Sharma Hardware", "phone": "+919800000001"},
                                  "resolver": lambda h, p: ["93.184.216.34"], **extra})

    yield make
    for s in sessions:
        s.close()


def _connect(rt: Runtime, biz: int, service: str, secret: dict[str, Any]) -> None:
    with rt.db.session() as s:
        credentials.store(s, rt.config.secret_key, biz, service, secret)


def _mock(handler: Any) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return httpx.MockTransport(record), seen


# -- Slack -------------------------------------------------------------------------------------------------

def test_slack_posts_the_text_to_the_connected_webhook(rt, biz, ctx) -> None:
    _connect(rt, biz, "slack", {"webhook_url": SLACK})
    transport, seen = _mock(lambda r: httpx.Response(200, text="ok"))
    assert PostMessage(transport)(ctx(), {"text": "₹1,500 from Ramesh"}) == {"ok": True}
    [request] = seen
    assert str(request.url) == SLACK and json.loads(request.content) == {"text": "₹1,500 from Ramesh"}


@pytest.mark.parametrize(("status", "body", "error", "words"), [
    (404, "no_service", PermanentToolError, "removed"), (400, "invalid_payload", PermanentToolError, "read"),
    (429, "rate_limited", TransientToolError, "429"), (500, "oops", TransientToolError, "500")])
def test_slack_errors(rt, biz, ctx, status, body, error, words) -> None:
    transport, _ = _mock(lambda r: httpx.Response(status, text=body))
    with pytest.raises(error) as info:
        PostMessage(transport)(ctx(), {"text": "x", "webhook_url": SLACK})
    assert words in info.value.message and "XXXXXXXX" not in info.value.message  # the URL's secret stays hidden


def test_slack_not_connected_says_how(rt, biz, ctx) -> None:
    transport, seen = _mock(lambda r: httpx.Response(200, text="ok"))
    with pytest.raises(NotConnected) as info:
        PostMessage(transport)(ctx(), {"text": "x"})
    assert "python -m bot connect slack --business +919800000001 --webhook-url" in info.value.message
    assert seen == []


# -- Razorpay ----------------------------------------------------------------------------------------------

LINK = {"accept_partial": False, "amount": 150050, "amount_paid": 0, "cancelled_at": 0, "created_at": 1717000000,
        "currency": "INR", "customer": {"contact": "+919876543210", "email": "ramesh@example.com", "name": "Ramesh"},
        "description": "Invoice INV-0001", "expire_by": 0, "expired_at": 0, "first_min_partial_amount": 0,
        "id": "plink_ExjpAUN3gVHrPJ", "notes": None, "notify": {"email": False, "sms": False}, "payments": None,
        "reference_id": "", "reminder_enable": False, "reminders": [], "short_url": "https://rzp.io/i/nxrHnLJ",
        "status": "created", "updated_at": 1717000000, "upi_link": False, "user_id": ""}


def test_razorpay_creates_a_link_in_paise_with_basic_auth(rt, biz, ctx) -> None:
    _connect(rt, biz, "razorpay", {"key_id": "rzp_test_abc", "key_secret": "sekret", "webhook_secret": "w"})
    transport, seen = _mock(lambda r: httpx.Response(200, json={**LINK, "reference_id": reference_for("run-r1-step")}))
    out = CreatePaymentLink(transport)(ctx(), {"amount": "1,500.50", "description": "Invoice INV-0001",
                                              "customer": {"name": "Ramesh", "phone": "+919876543210",
                                                           "email": "ramesh@example.com"}})
    assert out["id"] == "plink_ExjpAUN3gVHrPJ" and out["short_url"] == "https://rzp.io/i/nxrHnLJ"
    assert out["amount"] == 1500.5
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", "https://api.razorpay.com/v1/payment_links")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"rzp_test_abc:sekret").decode()
    body = json.loads(request.content)
    assert body["amount"] == 150050 and body["currency"] == "INR"
    assert body["customer"] == {"name": "Ramesh", "contact": "+919876543210", "email": "ramesh@example.com"}
    assert body["reference_id"] == reference_for("run-r1-step") and len(body["reference_id"]) <= 40


def test_razorpay_a_retried_step_finds_its_first_link(rt, biz, ctx) -> None:
    _connect(rt, biz, "razorpay", {"key_id": "rzp_test_abc", "key_secret": "sekret"})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(400, json={"error": {"code": "BAD_REQUEST_ERROR", "description":
                                                       "reference_id already exists", "source": "business",
                                                       "step": "payment_initiation",
                                                       "reason": "input_validation_failed",
                                                       "metadata": {}, "field": "reference_id"}})
        assert parse_qs(urlsplit(str(request.url)).query)["reference_id"] == [reference_for("run-r1-step")]
        return httpx.Response(200, json={"payment_links": [LINK]})

    transport, seen = _mock(handler)
    out = CreatePaymentLink(transport)(ctx(), {"amount": 1500.5})
    assert out["id"] == LINK["id"] and out["duplicate"] and [r.method for r in seen] == ["POST", "GET"]


@pytest.mark.parametrize(("status", "error", "words"), [
    (401, PermanentToolError, "connect razorpay again"), (400, PermanentToolError, "amount"),
    (502, TransientToolError, "502"), (429, TransientToolError, "429")])
def test_razorpay_errors(rt, biz, ctx, status, error, words) -> None:
    _connect(rt, biz, "razorpay", {"key_id": "rzp_test_abc", "key_secret": "sekret"})
    transport, _ = _mock(lambda r: httpx.Response(status, json={"error": {"code": "BAD_REQUEST_ERROR",
                                                                          "description": "amount too small"}}))
    with pytest.raises(error, match=words):
        CreatePaymentLink(transport)(ctx(), {"amount": 1})


def test_razorpay_validation_and_not_connected(rt, biz, ctx) -> None:
    transport, seen = _mock(lambda r: httpx.Response(200, json=LINK))
    for bad in ({"amount": -5}, {"amount": "lots"}, {"amount": 10, "customer": {"phone": "12"}}):
        with pytest.raises(ValidationFailed):
            CreatePaymentLink(transport)(ctx(), bad)
    with pytest.raises(NotConnected, match="python -m bot connect razorpay --business"):
        CreatePaymentLink(transport)(ctx(), {"amount": 10})
    assert seen == []


# -- Google Sheets -----------------------------------------------------------------------------------------

class GoogleAdapter(requests.adapters.BaseAdapter):
    """Google's token endpoint and the Sheets API at the HTTP layer, with their real shapes."""

    def __init__(self, append_statuses: list[int] | None = None) -> None:
        super().__init__()
        self.requests: list[requests.PreparedRequest] = []
        self.append_statuses = list(append_statuses or [])

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests.append(request)
        url = urlsplit(request.url or "")
        if url.netloc == "oauth2.googleapis.com":
            assert parse_qs(request.body if isinstance(request.body, str) else (request.body or b"").decode())[
                "grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
            return self._answer(request, 200, {"access_token": "ya29.test-token", "expires_in": 3599,
                                               "token_type": "Bearer"})
        assert request.headers["Authorization"] == "Bearer ya29.test-token"
        if url.path.endswith(":append"):
            status = self.append_statuses.pop(0) if self.append_statuses else 200
            if status != 200:
                return self._answer(request, status, {"error": {
                    "code": status, "status": "RESOURCE_EXHAUSTED" if status == 429 else "PERMISSION_DENIED",
                    "message": "Quota exceeded" if status == 429 else "The caller does not have permission"}})
            key = url.path.split("/")[3]
            return self._answer(request, 200, {"spreadsheetId": key, "tableRange": "Payments!A1:C4", "updates": {
                "spreadsheetId": key, "updatedRange": "Payments!A5:C5", "updatedRows": 1, "updatedColumns": 3,
                "updatedCells": 3}})
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    @staticmethod
    def _answer(request: requests.PreparedRequest, status: int, body: dict[str, Any]) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json; charset=UTF-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def service_account() -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "munshi-test", "private_key_id": "abc123",
            "private_key": pem, "client_email": "munshi@munshi-test.iam.gserviceaccount.com",
            "client_id": "1234567890", "token_uri": "https://oauth2.googleapis.com/token"}


def _google_session(adapter: GoogleAdapter) -> Any:
    from google.auth.transport.requests import AuthorizedSession, Request

    def factory(creds: Any) -> Any:
        inner = requests.Session()
        inner.mount("https://", adapter)
        session = AuthorizedSession(creds, auth_request=Request(session=inner))
        session.mount("https://", adapter)
        return session

    return factory


KEY = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"


def test_sheets_appends_with_the_service_account(rt, biz, ctx, service_account) -> None:
    _connect(rt, biz, "google", {"service_account_file": service_account})
    adapter = GoogleAdapter()
    tool = AppendRow(session_factory=_google_session(adapter))
    out = tool(ctx(), {"spreadsheet": f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
                       "worksheet": "Payments", "values": ["Ramesh", 1500, None]})
    assert out["row"] == 5 and out["local"] is False
    append = adapter.requests[-1]
    url = urlsplit(append.url or "")
    assert url.path == f"/v4/spreadsheets/{KEY}/values/%27Payments%27%21A1:append"
    assert parse_qs(url.query) == {"valueInputOption": ["USER_ENTERED"], "insertDataOption": ["INSERT_ROWS"]}
    assert json.loads(append.body or b"") == {"values": [["Ramesh", 1500, ""]]}


def test_sheets_backs_off_on_429(rt, biz, ctx, service_account) -> None:
    _connect(rt, biz, "google", {"service_account_file": service_account})
    slept: list[float] = []
    tool = AppendRow(session_factory=_google_session(GoogleAdapter([429, 429])), sleep=slept.append)
    assert tool(ctx(), {"spreadsheet": KEY, "values": ["x"]})["row"] == 5
    assert slept == [1.0, 2.0]
    tool = AppendRow(session_factory=_google_session(GoogleAdapter([429] * 4)), sleep=slept.append)
    with pytest.raises(TransientToolError, match="too many requests"):
        tool(ctx(), {"spreadsheet": KEY, "values": ["x"]})


def test_sheets_not_shared_names_the_address(rt, biz, ctx, service_account) -> None:
    _connect(rt, biz, "google", {"service_account_file": service_account})
    tool = AppendRow(session_factory=_google_session(GoogleAdapter([403])))
    with pytest.raises(PermanentToolError, match=r"munshi@munshi-test\.iam\.gserviceaccount\.com"):
        tool(ctx(), {"spreadsheet": KEY, "values": ["x"]})


def test_sheets_without_google_keep_rows_locally_once_per_step(rt, biz, ctx) -> None:
    tool = get("google_sheets.append_row")
    c = ctx("run-a-row")
    assert tool(c, {"spreadsheet": "Payments", "values": ["Ramesh", 1500]})["row"] == 1
    assert tool(c, {"spreadsheet": "Payments", "values": ["Ramesh", 1500]})["row"] == 1
    c.session.commit()  # the engine commits the row with the step's result
    d = ctx("run-b-row")
    assert tool(d, {"spreadsheet": "Payments", "values": ["Suresh", 700]})["row"] == 2
    d.session.commit()
    with rt.db.session() as s:
        assert [r.values for r in s.scalars(select(SheetRow).order_by(SheetRow.id))] == [["Ramesh", 1500],
                                                                                         ["Suresh", 700]]


# -- email settings ----------------------------------------------------------------------------------------

def test_smtp_urls() -> None:
    s = SmtpServer.from_url("smtp://shop%40example.com:p%40ss@smtp.example.com:587")
    assert (s.host, s.port, s.ssl, s.username, s.password, s.from_address) == (
        "smtp.example.com", 587, False, "shop@example.com", "p@ss", "shop@example.com")
    s = SmtpServer.from_url("smtps://u:p@mail.example.com", "Shop <shop@example.com>")
    assert (s.port, s.ssl, s.from_address) == (465, True, "Shop <shop@example.com>")
    with pytest.raises(PermanentToolError):
        SmtpServer.from_url("http://example.com")


def test_email_validation_and_not_connected(rt, biz, ctx) -> None:
    tool = get("email.send")
    for bad in ({"to": "not-an-email", "subject": "s", "body": "b"}, {"to": "a@b.com", "subject": "", "body": "b"}):
        with pytest.raises(ValidationFailed):
            tool(ctx(), bad)
    with pytest.raises(NotConnected, match="connect smtp --business \\+919800000001 --url smtp://"):
        tool(ctx(), {"to": "a@example.com", "subject": "Hi", "body": "x"})


# -- WhatsApp ----------------------------------------------------------------------------------------------

class FakeTwilio:
    """``client.messages.create`` as twilio's client does it; raises like TwilioRestException when told."""

    def __init__(self, errors: list[tuple[int, str]] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.errors = list(errors or [])
        self.messages = self

    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.errors:
            code, msg = self.errors.pop(0)
            raise type("TwilioRestException", (Exception,), {"code": code, "msg": msg})(msg)
        return SimpleNamespace(sid=f"SM{len(self.calls):032d}", status="queued")


@pytest.fixture
def twilio_ctx(make_config, biz: int) -> Any:
    cfg: Config = make_config(WHATSAPP_TRANSPORT="twilio", TWILIO_ACCOUNT_SID="AC" + "0" * 32,
                              TWILIO_WHATSAPP_FROM="+14155238886")
    rt = Runtime(cfg)
    opened: list[Any] = []

    def make(fake: FakeTwilio, key: str = "run-r1-wa") -> ToolContext:
        for old in opened:  # as the engine does after each attempt: no transaction left open
            old.close()
        opened.append(rt.db.sessions())
        return ToolContext(session=opened[-1], business_id=biz, idempotency_key=key,
                           extra={"config": cfg, "runtime": rt, "twilio_client": fake, "own_session": True,
                                  "business": {"name": "Sharma", "phone": "+919800000001"}})

    make.rt = rt  # type: ignore[attr-defined]
    return make


def _inbound(rt: Runtime, peer: str, hours_ago: float) -> None:
    from datetime import timedelta

    with rt.db.session() as s:
        s.add(Message(direction="in", peer=peer, body="hi", status="done", sid=f"SMin{peer}{hours_ago}",
                      created_at=utcnow() - timedelta(hours=hours_ago)))


def test_whatsapp_phone_forms(rt, biz, ctx) -> None:
    tool = get("whatsapp.send_message")
    assert tool.validate({"to": "98765 43210", "message": "x"}).to == "+919876543210"
    assert tool.validate({"to": "Owner", "message": "x"}).to == "owner"
    for bad in ("12345", "+0123456789", "call me", None):
        with pytest.raises(ValidationFailed):
            tool.validate({"to": bad, "message": "x"})
    c = ctx("k1")
    out = tool(c, {"to": "owner", "message": "hello"})
    c.session.commit()
    assert out["to"] == "+919800000001" and out["message_id"].startswith("OB")
    c = ctx("k1")
    assert tool(c, {"to": "owner", "message": "hello"})["duplicate"] is True
    c.session.commit()
    with rt.db.session() as s:
        assert s.scalar(select(Message).where(Message.idempotency_key == "k1")).body == "hello"
        assert len(s.scalars(select(Message)).all()) == 1


def test_whatsapp_24_hour_window_with_twilio(twilio_ctx) -> None:
    tool = get("whatsapp.send_message")
    rt = twilio_ctx.rt
    fake = FakeTwilio()
    _inbound(rt, "+919876543210", hours_ago=2)
    _inbound(rt, "+919876543211", hours_ago=30)
    tool(twilio_ctx(fake, "k-in"), {"to": "+919876543210", "message": "free form"})
    assert fake.calls[-1]["body"] == "free form" and fake.calls[-1]["to"] == "whatsapp:+919876543210"
    with pytest.raises(PermanentToolError, match=r"last 24 hours.*template"):
        tool(twilio_ctx(fake, "k-out"), {"to": "+919876543211", "message": "free form"})
    assert len(fake.calls) == 1
    sid = "HX" + "a" * 32
    tool(twilio_ctx(fake, "k-tpl"), {"to": "+919876543211", "message": "Payment received",
                                     "content_sid": sid, "content_variables": {"1": "Ramesh", "2": 1500}})
    call = fake.calls[-1]
    assert call["content_sid"] == sid and json.loads(call["content_variables"]) == {"1": "Ramesh", "2": "1500"}
    assert "body" not in call


def test_whatsapp_a_refusal_is_classified_and_a_retry_sends_under_a_new_key(twilio_ctx) -> None:
    tool = get("whatsapp.send_message")
    rt = twilio_ctx.rt
    _inbound(rt, "+919876543210", hours_ago=1)
    fake = FakeTwilio([(20429, "Too Many Requests"), (21211, "Invalid 'To' Phone Number")])
    with pytest.raises(TransientToolError):
        tool(twilio_ctx(fake), {"to": "+919876543210", "message": "x"})
    with pytest.raises(PermanentToolError, match="21211"):
        tool(twilio_ctx(fake), {"to": "+919876543210", "message": "x"})
    out = tool(twilio_ctx(fake), {"to": "+919876543210", "message": "x"})
    assert out["message_id"] == "SM" + "3".zfill(32)
    again = tool(twilio_ctx(fake), {"to": "+919876543210", "message": "x"})
    assert again["duplicate"] and len(fake.calls) == 3  # sent once; the failures stay recorded
    with rt.db.session() as s:
        keys = [m.idempotency_key for m in s.scalars(select(Message).where(Message.direction == "out")
                                                         .order_by(Message.id))]
    assert keys == ["run-r1-wa", "run-r1-wa~2", "run-r1-wa~3"]


def test_whatsapp_send_document_sends_the_triggers_invoice_pdf(rt, biz, ctx) -> None:
    from storage.models import Customer, Invoice

    with rt.db.session() as s:
        c = Customer(business_id=biz, name="Mahesh", phone="+919876543210")
        s.add(c)
        s.flush()
        s.add(Invoice(business_id=biz, customer_id=c.id, number="INV-0001", fiscal_year="2026-27", seq=1))
    tool = get("whatsapp.send_document")
    c = ctx("doc", trigger_data={"invoice": {"number": "INV-0001"}})
    out = tool(c, {"to": "+919876543210", "document": "invoice_pdf", "caption": "Your bill"})
    c.session.commit()  # as the engine does with the step's result
    with rt.db.session() as s:
        msg = s.scalar(select(Message).where(Message.idempotency_key == "doc"))
        assert msg.body == "Your bill" and msg.media[0]["url"].endswith(".pdf") and out["message_id"]
    with pytest.raises(ValidationFailed, match="which invoice"):
        tool(ctx("doc2"), {"to": "owner", "document": "invoice_pdf"})


def test_delay_params() -> None:
    tool = get("delay.wait")
    assert tool.validate({"duration": "2h"}).seconds == 7200
    assert tool.validate({"duration": 45}).seconds == 45
    for bad in ("soon", "0m", "400d"):
        with pytest.raises(ValidationFailed):
            tool.validate({"duration": bad})


def test_every_integration_is_in_the_registry() -> None:
    from tools.registry import REGISTRY

    for name in ("whatsapp.send_message", "whatsapp.send_document", "google_sheets.append_row", "email.send",
                 "slack.post_message", "http.request", "razorpay.create_payment_link", "delay.wait",
                 "reports.unpaid_invoices", "reports.sales_summary", "inventory.adjust_stock"):
        assert name in REGISTRY


def test_business_is_used(biz: int, rt: Runtime) -> None:
    with rt.db.session() as s:
        assert s.get(Business, biz).phone == "+919800000001"
