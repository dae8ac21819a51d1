"""Random requests at every webhook: never a 5xx (a 5xx makes Twilio and Razorpay retry for ever), never a
row the database should not hold.

The webhooks' hand-picked malformed bodies are in ``tests/security/test_bodies.py``; this generates them.
Twilio's routes are fuzzed on a deployment without an auth token (signatures unchecked, so everything
reaches the parsing and the database); Razorpay's with a valid signature over whatever the body is (so
everything reaches the handler); the flows' hooks with any bytes under any content type. The same
tests run on SQLite and on PostgreSQL, which refuses more (NUL characters, over-long values).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot import credentials
from flows import store
from storage.models import Business, Customer, Message, Payment, Run
from tests.unit.flows_engine.conftest import chain, trigger, wa
from tests.unit.fuzz.conftest import fuzz

SECRET = "whsec-fuzz-0123456789"
TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["", "\x00", "whatsapp:+919800000001", "+919800000001",
                                                        "whatsapp: 919800000001", "SM" + "a" * 32, "9" * 80,
                                                        "https://api.twilio.com/x", "audio/ogg", "²", "-1", "10"]))
TWILIO_FIELDS = ["MessageSid", "SmsMessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "MediaContentType0",
                 "ProfileName", "WaId", "MessageStatus", "ErrorCode", "AccountSid", "x"]


NO_LIMITS = {"WEBHOOK_RATE_LIMIT": "1000000/minute", "API_RATE_LIMIT": "1000000/minute"}


@pytest.fixture
def open_app(make_app) -> Any:
    app = make_app(TWILIO_AUTH_TOKEN=None)
    app.config.update(NO_LIMITS)  # the limits (429) are tested in tests/unit/api/test_rate_limits.py
    return app


def _stored_sanely(db: Any) -> None:
    with db.session() as s:
        for msg in s.scalars(select(Message).where(Message.direction == "in")):
            assert "\x00" not in (msg.body or "") and len(msg.peer) <= 20 and msg.peer.startswith("+")


@fuzz(150)
@given(form=st.dictionaries(st.sampled_from(TWILIO_FIELDS), TEXT, max_size=10))
def test_twilio_inbound_never_5xx(open_app: Any, form: dict[str, str]) -> None:
    resp = open_app.test_client().post("/twilio/whatsapp", data=form)
    assert resp.status_code in (200, 400), (form, resp.status_code)
    _stored_sanely(open_app.extensions["munshi"].db)


@fuzz(100)
@given(form=st.dictionaries(st.sampled_from(TWILIO_FIELDS), TEXT, max_size=6), raw=st.binary(max_size=60))
def test_twilio_status_and_raw_bytes_never_5xx(open_app: Any, form: dict[str, str], raw: bytes) -> None:
    client = open_app.test_client()
    assert client.post("/twilio/status", data=form).status_code in (204, 400)
    for path in ("/twilio/whatsapp", "/twilio/status"):
        resp = client.post(path, data=raw, content_type="application/x-www-form-urlencoded")
        assert resp.status_code < 500, (path, raw)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=15),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=10)
ENTITY = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.text(max_size=12), st.just("pay_fuzz1"), JSON), "amount": st.one_of(st.integers(), JSON),
    "method": JSON, "contact": st.one_of(st.just("+919876543210"), JSON), "email": st.one_of(st.emails(), JSON),
    "notes": st.one_of(st.just([]), st.dictionaries(st.sampled_from(["customer", "name", "invoice"]), JSON, max_size=2),
                       JSON),
    "created_at": JSON})
RAZORPAY = st.one_of(
    st.fixed_dictionaries({"event": st.sampled_from(["payment.captured", "payment_link.paid", "refund.created"]),
                           "payload": st.fixed_dictionaries({"payment": st.fixed_dictionaries({"entity": ENTITY})},
                                                            optional={"payment_link": JSON})}),
    JSON)


@pytest.fixture
def razorpay_url(app: Any) -> str:
    app.config.update(NO_LIMITS)
    rt = app.extensions["munshi"]
    with rt.db.session() as s:
        biz = Business(phone="+919800000001", name="Sharma Hardware")
        s.add(biz)
        s.flush()
        credentials.store(s, rt.config.secret_key, biz.id, "razorpay",
                          {"key_id": "k", "key_secret": "ks", "webhook_secret": SECRET})
        return f"/webhooks/razorpay/{biz.webhook_id}"


@fuzz(150)
@given(body=RAZORPAY)
def test_signed_razorpay_deliveries_of_any_shape_never_5xx(app: Any, razorpay_url: str, body: Any) -> None:
    raw = json.dumps(body, allow_nan=True).encode()
    resp = app.test_client().post(razorpay_url, data=raw, content_type="application/json", headers={
        "X-Razorpay-Signature": hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()})
    assert resp.status_code in (200, 400), (body, resp.status_code, resp.get_data(as_text=True)[:200])
    with app.extensions["munshi"].db.session() as s:
        assert all(0 < p.amount_paise < 10**15 for p in s.scalars(select(Payment)))
        assert all("\x00" not in c.name and len(c.name) <= 200 for c in s.scalars(select(Customer)))


@pytest.fixture
def hooks(app: Any) -> list[str]:
    app.config.update(NO_LIMITS)
    rt = app.extensions["munshi"]
    with rt.db.session() as s:
        biz = Business(phone="+919800000001", name="Sharma Hardware")
        s.add(biz)
        s.flush()
        flow = store.create_flow(s, biz.id, "Orders", chain(wa("a", "Order {{trigger_data.id}}"),
                                                            first=trigger("webhook.received")), activate=True)
        store.create_flow(s, biz.id, "Shop", chain(wa("a", "x"), first=trigger("webhook.received", service="shop")),
                          activate=True)
        return [store.webhook_path(flow), f"/webhooks/shop/{biz.webhook_id}", "/webhooks/shop"]


CONTENT_TYPES = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/xml", "",
                                 "application/json; charset=latin-1"])


@fuzz(150)
@given(body=st.one_of(st.binary(max_size=80), JSON.map(lambda v: json.dumps(v, allow_nan=True).encode())),
       content_type=CONTENT_TYPES,
       headers=st.dictionaries(st.sampled_from(["Idempotency-Key", "X-Request-Id", "X-Munshi-Signature", "X-Event-Id"]),
                               st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
                               max_size=2))
def test_flow_hooks_take_any_body_never_5xx(app: Any, hooks: list[str], body: bytes, content_type: str,
                                            headers: dict[str, str]) -> None:
    client = app.test_client()
    for path in hooks:
        resp = client.post(path, data=body, content_type=content_type, headers=headers)
        assert resp.status_code in (200, 202, 404), (path, body, resp.status_code)
    with app.extensions["munshi"].db.session() as s:
        for run in s.scalars(select(Run)):
            assert isinstance(run.trigger_data, dict) and "headers" in run.trigger_data
