"""Oversized and malformed bodies on every door: a clear 4xx (or a stored, harmless message), never a 5xx,
never a half-made record.

Already covered elsewhere: a Twilio body over 1 MB is 413 and a 500 KB one is
fine (``tests/unit/test_webhook.py``); the API's schema-driven fuzzing
(``tests/unit/api/test_schemathesis.py``). Here: the same door for every
other webhook and the API, broken form encoding, bytes that are not UTF-8,
NUL characters and over-long fields (PostgreSQL refuses what SQLite keeps,
so these run on both), JSON nested 100,000 deep, signed Razorpay garbage, a
10,000-item invoice, and a 50 MB "voice note".
"""
from __future__ import annotations

import json
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from bot import credentials
from flows import store
from storage.models import Business, Customer, Invoice, Message, Payment, Run
from tests.helpers import OWNER, TOKEN, Twilio, inbound
from tests.security.conftest import count, post_razorpay, razorpay_body
from tests.unit.flows_engine.conftest import chain, trigger, wa

SECRET = "whsec-bodies-0123456789"
MB = 1024 * 1024
DEEP = b"[" * 100_000  # 100 KB: far under the size cap, far over any parser's recursion limit


def _no_5xx(resp: Any, what: str) -> None:
    assert resp.status_code < 500, f"{what}: {resp.status_code} {resp.get_data(as_text=True)[:300]}"


# ------------------------------------------------------------------ Twilio


@pytest.fixture
def open_twilio(make_app) -> Any:
    """A deployment without a Twilio auth token (signatures unchecked): anyone can post anything."""
    app = make_app(TWILIO_AUTH_TOKEN=None)
    return app


RAW_FORMS = {
    "non_utf8": b"MessageSid=SMx1&From=whatsapp%3A%2B919800000001&Body=%FF%FE%C3%28bill",
    "broken_percent": b"MessageSid=SMx2&From=whatsapp%3A%2B919800000001&Body=100%ZZ%&%%%",
    "nul_in_body": b"MessageSid=SMx3&From=whatsapp%3A%2B919800000001&Body=bill%00Mahesh",
    "nul_in_media": b"MessageSid=SMx4&From=whatsapp%3A%2B919800000001&NumMedia=1&MediaUrl0=https%3A%2F%2Fa%00b"
                    b"&MediaContentType0=audio%2Fogg%00",
    "long_sid": b"MessageSid=SM" + b"a" * 300 + b"&From=whatsapp%3A%2B919800000001&Body=hi",
    "long_sender": b"MessageSid=SMx5&From=whatsapp%3A%2B" + b"9" * 60 + b"&Body=hi",
    "letters_sender": b"MessageSid=SMx6&From=whatsapp%3Aowner%40example.com%3Cscript%3E&Body=hi",
    "long_profile": b"MessageSid=SMx7&From=whatsapp%3A%2B919811111111&ProfileName=" + b"P" * 5000 + b"&Body=hi",
    "huge_num_media": b"MessageSid=SMx8&From=whatsapp%3A%2B919800000001&NumMedia=99999999999999999999999&Body=hi",
    "no_equals": b"MessageSid&From&Body",
    "only_garbage": b"\x00\x01\x02\xff\xfe=\xfa&&&==",
    "repeated_fields": b"MessageSid=SMx9&MessageSid=SMy9&From=whatsapp%3A%2B919800000001&Body=a&Body=b",
}


@pytest.mark.parametrize("name", sorted(RAW_FORMS))
def test_malformed_twilio_forms_never_5xx(open_twilio, name: str) -> None:
    client = open_twilio.test_client()
    resp = client.post("/twilio/whatsapp", data=RAW_FORMS[name], content_type="application/x-www-form-urlencoded")
    _no_5xx(resp, name)
    assert resp.status_code in (200, 400)
    db = open_twilio.extensions["munshi"].db
    for msg in inbound(db):
        assert "\x00" not in (msg.body or "") and len(msg.sid or "") <= 64 and len(msg.peer) <= 20


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=", "multipart/form-data; boundary=zz",
                                          "application/json", "text/plain; charset=utf-16"])
def test_other_content_types_on_the_twilio_webhook(open_twilio, content_type: str) -> None:
    resp = open_twilio.test_client().post("/twilio/whatsapp", data=b"--zz\r\ngarbage\xff\r\n",
                                          content_type=content_type)
    _no_5xx(resp, content_type)
    assert inbound(open_twilio.extensions["munshi"].db) == []


@pytest.mark.parametrize("field", ["MessageSid", "MessageStatus", "ErrorCode"])
def test_overlong_status_callback_fields(twilio, db, field: str) -> None:
    form = twilio.status("SM" + "b" * 32, "failed", "63016")
    form[field] = form[field] + "z" * 300 + "\x00"
    _no_5xx(twilio.post(form, "/twilio/status"), field)


def test_a_signed_message_with_a_nul_is_kept_without_it(twilio, db) -> None:
    """Twilio's own signature over a body PostgreSQL cannot store as it is: acknowledged, never a 5xx
    (which Twilio would retry for ever)."""
    resp, _form = twilio.send("bill Mahesh\x00 2 bags cement at 300")
    _no_5xx(resp, "nul")
    assert resp.status_code == 200
    [msg] = inbound(db)
    assert msg.body == "bill Mahesh 2 bags cement at 300"


def test_the_simulator_takes_a_nul_without_a_5xx(client, db) -> None:
    resp = client.post("/simulator/send", data={"phone": "+919800000001", "body": "bill\x00 Mahesh"},
                       headers={"X-Munshi-Simulator": "1"})
    assert resp.status_code == 202
    assert [m.body for m in inbound(db)] == ["bill Mahesh"]


@pytest.mark.parametrize("after", ["99999999999999999999999", "-5", "abc", "1e5"])
def test_simulator_polling_with_odd_numbers_never_5xx(client, after: str) -> None:
    resp = client.get("/simulator/messages", query_string={"phone": "+919800000001", "after": after})
    _no_5xx(resp, after)


def test_twilio_forms_signed_with_a_token_still_get_the_same_checks(make_app) -> None:
    """With signatures on, an over-long field Twilio would never send is a 400 too, not a 5xx."""
    app = make_app()
    twilio = Twilio(TOKEN, client=app.test_client())
    form = twilio.message("hi", sid="SM" + "c" * 200)
    assert twilio.post(form).status_code == 400
    assert inbound(app.extensions["munshi"].db) == []


# ------------------------------------------------------------------ flow hooks and the service dispatcher


@pytest.fixture
def hook(app, db) -> dict[str, Any]:
    with db.session() as s:
        biz = Business(phone=OWNER, name="Sharma Hardware")
        s.add(biz)
        s.flush()
        flow = store.create_flow(s, biz.id, "Orders", chain(wa("a", "Order {{trigger_data.order_id}}"),
                                                            first=trigger("webhook.received")), activate=True)
        store.create_flow(s, biz.id, "Shop", chain(wa("a", "x"), first=trigger("webhook.received", service="shop")),
                          activate=True)
        return {"path": store.webhook_path(flow), "flow": flow.id, "service": f"/webhooks/shop/{biz.webhook_id}"}


HOOK_BODIES: dict[str, tuple[bytes, str]] = {
    "deep_json": (DEEP, "application/json"),
    "deep_object": (b'{"a":' * 50_000, "application/json"),
    "non_utf8_json": (b'{"order_id": "\xff\xfe"}', "application/json"),
    "non_utf8_text": (b"\xff\xfe\xfa plain", "text/plain"),
    "nul_in_json": (b'{"order_id": "A\\u0000B", "k\\u0000": 1}', "application/json"),
    "nul_raw": (b"order\x00id", "text/plain"),
    "lone_surrogate": (b'{"order_id": "\\ud800"}', "application/json"),
    "huge_number": (b'{"order_id": 1' + b"0" * 5000 + b"}", "application/json"),
    "broken_form": (b"order_id=%ZZ&%%=&=\xff", "application/x-www-form-urlencoded"),
    "bad_multipart": (b"--x\r\nContent-Disposition: form-data\r\n\r\n\xff", "multipart/form-data; boundary=x"),
    "nan": (b'{"amount": NaN, "x": Infinity}', "application/json"),
}


@pytest.mark.parametrize("name", sorted(HOOK_BODIES))
def test_malformed_hook_bodies_never_5xx(client, hook, name: str) -> None:
    raw, content_type = HOOK_BODIES[name]
    for path in (hook["path"], hook["service"]):
        resp = client.post(path, data=raw, content_type=content_type)
        _no_5xx(resp, f"{name} on {path}")


def test_a_hook_body_over_one_megabyte_is_413_and_starts_nothing(client, hook, db) -> None:
    big = json.dumps({"order_id": "x" * (MB + 10)}).encode()
    for path in (hook["path"], hook["service"]):
        assert client.post(path, data=big, content_type="application/json").status_code == 413
    assert count(db, Run) == 0


def test_an_overlong_delivery_id_header_is_fine(client, hook, db) -> None:
    resp = client.post(hook["path"], json={"order_id": 1}, headers={"Idempotency-Key": "k" * 5000})
    assert resp.status_code == 202
    again = client.post(hook["path"], json={"order_id": 2}, headers={"Idempotency-Key": "k" * 5000})
    assert again.status_code == 200 and again.get_json()["duplicate"]


# ------------------------------------------------------------------ Razorpay (signed garbage)


@pytest.fixture
def razorpay_url(app, db) -> str:
    rt = app.extensions["munshi"]
    with db.session() as s:
        biz = Business(phone=OWNER, name="Sharma Hardware")
        s.add(biz)
        s.flush()
        credentials.store(s, rt.config.secret_key, biz.id, "razorpay",
                          {"key_id": "rzp_test_x", "key_secret": "ks", "webhook_secret": SECRET})
        return f"/webhooks/razorpay/{biz.webhook_id}"


def _with_payload(value: Any) -> dict[str, Any]:
    body = razorpay_body()
    body["payload"] = value
    return body


RAZORPAY_GARBAGE: dict[str, Any] = {
    "not_json": b"{not json",
    "deep": DEEP,
    "non_utf8": b'{"event": "payment.captured", "x": "\xff"}',
    "a_list": [1, 2, 3],
    "a_string": "payment.captured",
    "null": None,
    "payload_list": _with_payload([]),
    "payment_string": _with_payload({"payment": "pay_1"}),
    "entity_list": _with_payload({"payment": {"entity": []}}),
    "id_object": razorpay_body(id={"$ne": None}),
    "id_overlong": razorpay_body(id="pay_" + "x" * 500),
    "amount_text": razorpay_body(amount="five hundred"),
    "amount_negative": razorpay_body(amount=-50000),
    "amount_huge": razorpay_body(amount=10**30),
    "amount_float": razorpay_body(amount=1e300),
    "amount_bool": razorpay_body(amount=True),
    "created_text": razorpay_body(created_at="yesterday"),
    "created_huge": razorpay_body(created_at=10**20),
    "method_overlong": razorpay_body(method="upi" * 100),
    "email_number": razorpay_body(email=12345),
    "contact_object": razorpay_body(contact={"a": 1}),
    "notes_string": razorpay_body(notes="customer"),
    "name_overlong": razorpay_body(notes={"customer": "N" * 5000}),
    "name_nul": razorpay_body(notes={"customer": "Ram\x00esh"}),
    "link_string": {**razorpay_body(), "event": "payment_link.paid",
                    "payload": {**razorpay_body()["payload"], "payment_link": {"entity": "plink"}}},
    "link_customer_string": {**razorpay_body(), "event": "payment_link.paid",
                             "payload": {**razorpay_body()["payload"],
                                         "payment_link": {"entity": {"customer": "x", "reference_id": {"a": 1}}}}},
    "event_object": {**razorpay_body(), "event": {"payment.captured": True}},
}


@pytest.mark.parametrize("name", sorted(RAZORPAY_GARBAGE))
def test_signed_razorpay_garbage_is_a_clear_4xx_and_records_nothing_odd(client, db, razorpay_url, name: str) -> None:
    data = RAZORPAY_GARBAGE[name]
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    resp = post_razorpay(client, razorpay_url, raw, SECRET)
    _no_5xx(resp, name)
    with db.session() as s:
        for pay in s.scalars(select(Payment)):
            assert 0 < pay.amount_paise < 10**15, name
        for cust in s.scalars(select(Customer)):
            assert "\x00" not in cust.name and len(cust.name) <= 200, name


def test_a_razorpay_body_over_one_megabyte_is_413(client, db, razorpay_url) -> None:
    data = razorpay_body(notes={"pad": "x" * (MB + 1)})
    assert post_razorpay(client, razorpay_url, data, SECRET).status_code == 413
    assert count(db, Payment) == 0


# ------------------------------------------------------------------ the API


API_WRITES = [("post", "/api/workflow/save"), ("post", "/api/workflow/draft"), ("post", "/api/workflow/execute"),
              ("post", "/api/tokens")]


@pytest.mark.parametrize(("method", "path"), API_WRITES)
@pytest.mark.parametrize("raw", [DEEP, b"\xff\xfe{", b"{]", b"", b"null", b'"text"', b"[]" * 1000],
                         ids=["deep", "non_utf8", "broken", "empty", "null", "string", "lists"])
def test_api_json_garbage_is_4xx(client, shops, method: str, path: str, raw: bytes) -> None:
    resp = client.open(path, method=method.upper(), data=raw, content_type="application/json",
                       headers=shops.a.headers)
    _no_5xx(resp, f"{path} {raw[:10]!r}")
    assert 400 <= resp.status_code < 500


def test_api_body_over_one_megabyte_is_413(client, shops) -> None:
    resp = client.post("/api/workflow/draft", data=json.dumps({"text": "x" * (MB + 1)}),
                       content_type="application/json", headers=shops.a.headers)
    assert resp.status_code == 413


@pytest.mark.parametrize("query", ["q=%00", "q=%FF%FE", "page=99999999999999999999999", "per_page=-1",
                                   "since=not-a-date", "q=" + "x" * 5000, "status=%27%20OR%201%3D1--"])
def test_api_query_garbage_is_4xx(client, shops, query: str) -> None:
    for path in ("/api/customers", "/api/invoices", "/api/workflows", "/api/messages"):
        resp = client.get(f"{path}?{query}", headers=shops.a.headers)
        _no_5xx(resp, f"{path}?{query}")


# ------------------------------------------------------------------ 10,000 items


def test_a_10000_item_invoice_from_a_flow_is_a_clear_error(app, db) -> None:
    """A webhook that hands a flow 10,000 items: the step fails with a plain reason, nothing is made
    (10,000 lines would take ~50 s of CPU for every opening of its PDF, and 160 WhatsApp messages)."""
    from bot.errors import ValidationFailed
    from tools.base import ToolContext
    from tools.registry import get

    with db.session() as s:
        biz = Business(phone=OWNER, name="Sharma Hardware")
        s.add(biz)
        s.flush()
        items = [{"product": f"item {i}", "quantity": 1, "unit_price": 10} for i in range(10_000)]
        with pytest.raises(ValidationFailed) as info:
            get("invoices.create_invoice")(ToolContext(session=s, business_id=biz.id), {"customer": "Mahesh",
                                                                                          "items": items})
    assert "at most" in info.value.message and "items" in info.value.message
    assert count(db, Invoice) == 0 and count(db, Customer) == 0


def test_a_10000_item_invoice_in_chat_is_refused_clearly(app, twilio, db, drain) -> None:
    """In chat the message is far longer than Munshi reads: it says so and makes nothing
    (it used to read the first 1,000 characters and bill those, or ask about a half-cut item)."""
    text = "bill Mahesh " + ", ".join(f"{i % 50 + 1} bags item{i} at {i % 90 + 10}" for i in range(10_000))
    assert len(text) < MB
    resp, _ = twilio.send(text)
    assert resp.status_code == 200
    drain(app)
    [reply] = [m.body for m in _outbound(db)]
    assert "too long" in reply.lower()
    assert count(db, Invoice) == 0 and count(db, Customer) == 0


def test_a_message_just_over_the_limit_whose_start_is_a_whole_invoice_bills_nothing(app, twilio, db, drain) -> None:
    """The first 1,000 characters bill 40 items completely; 19 more follow. Munshi used to read only the
    first 1,000 characters: it billed the 40 and silently dropped the 19."""
    from intents.understand import understand
    from intents.understand.engine import MAX_CHARS

    items: list[str] = []
    while len("bill Mahesh " + ", ".join([*items, f"9 bags cement{len(items)} at 199"])) <= MAX_CHARS:
        items.append(f"{len(items) % 9 + 1} bags cement{len(items)} at {100 + len(items)}")
    text = ("bill Mahesh " + ", ".join(items)).ljust(MAX_CHARS) + ", " + \
        ", ".join(f"{k} bags tile{k} at 50" for k in range(1, 20))
    cut = understand(text[:MAX_CHARS])
    assert cut.intent == "create_invoice" and len(cut.items) == len(items) and not cut.missing  # the trap
    resp, _ = twilio.send(text)
    assert resp.status_code == 200
    drain(app)
    assert count(db, Invoice) == 0
    assert "too long" in _outbound(db)[0].body.lower()


def _outbound(db: Any) -> list[Message]:
    with db.session() as s:
        return list(s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)))


# ------------------------------------------------------------------ numbers the books cannot hold


@pytest.mark.parametrize("text", ["Mahesh paid 999999999999999999999999",
                                  "bill Mahesh 99999999999999999 bags cement at 99999999999999999",
                                  "set cement price to 99999999999999999999999"])
def test_numbers_too_large_for_the_books_get_a_clear_answer(app, twilio, db, drain, text: str) -> None:
    resp, _ = twilio.send(text)
    assert resp.status_code == 200
    drain(app)
    [reply] = [m.body for m in _outbound(db)]
    assert "too large" in reply.lower() and "try again in a minute" not in reply
    assert count(db, Invoice) == 0 and count(db, Payment) == 0


# ------------------------------------------------------------------ a 50 MB "voice note"


class _Streamer(BaseHTTPRequestHandler):
    """Stands in for Twilio: the API path answers 307 to the media path, which streams ``size`` bytes."""

    protocol_version = "HTTP/1.1"
    size = 50 * MB
    declare = False
    sent = 0

    def do_GET(self) -> None:
        if self.path.startswith("/2010-04-01/"):
            self.send_response(307)
            self.send_header("Location", "/media/ME1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        cls = type(self)
        self.send_response(200)
        self.send_header("Content-Type", "audio/ogg")
        self.close_connection = True
        if cls.declare:
            self.send_header("Content-Length", str(cls.size))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"\0" * 65536
        try:
            while cls.sent < cls.size:
                self.wfile.write(chunk if cls.declare else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                cls.sent += len(chunk)
            if not cls.declare:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # Munshi hung up: the point of the test

    def log_message(self, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "content_length"])
def test_a_50_mb_voice_note_is_refused_at_16_mb_without_reading_it_all(make_app, drain, declare: bool) -> None:
    handler = type("Streamer", (_Streamer,), {"declare": declare, "sent": 0})
    server = _QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        app = make_app(TWILIO_API_BASE=base, TWILIO_ACCOUNT_SID="AC" + "0" * 32, WHATSAPP_TRANSPORT="outbox")
        twilio = Twilio(TOKEN, client=app.test_client())
        url = f"{base}/2010-04-01/Accounts/AC{'0' * 32}/Messages/MM{'1' * 32}/Media/ME{'2' * 32}"
        resp, _ = twilio.send(voice=True, MediaUrl0=url, MediaContentType0="audio/ogg")
        assert resp.status_code == 200
        tracemalloc.start()
        try:
            drain(app)
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        server.shutdown()
        server.server_close()
    db = app.extensions["munshi"].db
    [reply] = [m.body for m in _outbound(db)]
    assert "too big" in reply and "16 MB" in reply
    [msg] = inbound(db)
    assert msg.status == "done" and msg.transcript is None
    assert count(db, Invoice) == 0 and count(db, Payment) == 0 and count(db, Customer) == 0
    assert peak < 28 * MB, f"peak Python memory {peak / MB:.0f} MB while refusing the note"
    if declare:
        assert handler.sent < 4 * MB  # refused on the declared length, before the body
    else:
        assert handler.sent < 32 * MB  # hung up soon after 16 MB (what is left sits in socket buffers)
