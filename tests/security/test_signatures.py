"""Missing, forged and replayed signatures on every webhook, and valid signatures made for another URL.

Already covered elsewhere (not repeated here): Twilio's forged/missing/empty/
other-URL/tampered signatures (``tests/unit/test_webhook.py``), the per-business
Razorpay route's forged and other-secret signatures and a replay of one
delivery (``tests/unit/test_razorpay_webhook.py``), a flow hook's missing and
wrong-secret signatures (``tests/unit/flows_engine/test_hooks.py``).

Here: replays checked by their *effects* (records, replies, runs, after the
worker ran), Twilio behind ``PUBLIC_BASE_URL`` with spoofed proxy headers, a
query string or fields added to a signed request, status callbacks signed for
the message URL, Razorpay's environment route, deliveries of one business
replayed to another's URL, and flow hooks replayed with a fresh delivery id
(a real hole, fixed: the id headers are not signed).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from sqlalchemy import select

from bot import credentials
from flows import store
from storage.models import Business, Event, Invoice, Message, Payment, Run
from tests.helpers import OWNER, TOKEN, Twilio, inbound, outbox
from tests.security.conftest import count, hmac_hex, post_razorpay, razorpay_body
from tests.unit.flows_engine.conftest import chain, trigger, wa

PUBLIC = "https://munshi.example.com"
SECRET_A = "whsec-shop-a-0123456789"
SECRET_B = "whsec-shop-b-9876543210"
ENV_SECRET = "whsec-environment-5555555"


# ------------------------------------------------------------------ Twilio


def test_a_replayed_message_is_acknowledged_and_has_no_second_effect(app, twilio, db, shops, drain) -> None:
    form = twilio.message("bill Mahesh 2 bags cement at 300")
    signature = twilio.sign("http://localhost/twilio/whatsapp", form)
    assert twilio.post(form, signature=signature).status_code == 200
    drain(app)
    invoices, replies = count(db, Invoice, business_id=shops.a.business_id), len(outbox(db, OWNER))
    assert invoices == 2 and replies == 1  # the seeded invoice and Mahesh's
    received = len(inbound(db, OWNER))

    for _ in range(3):  # the very same request, byte for byte, captured and sent again
        assert twilio.post(form, signature=signature).status_code == 200
    assert drain(app) == 0
    assert len(inbound(db, OWNER)) == received
    assert count(db, Invoice, business_id=shops.a.business_id) == invoices
    assert len(outbox(db, OWNER)) == replies


def test_behind_public_base_url_spoofed_proxy_headers_do_not_help(make_app) -> None:
    """A signature Twilio made for another site (same account token) cannot be aimed at Munshi with
    X-Forwarded-Host when PUBLIC_BASE_URL says which URL is Munshi's."""
    app = make_app(PUBLIC_BASE_URL=PUBLIC)
    twilio = Twilio(TOKEN, client=app.test_client())
    form = twilio.message("hello")
    elsewhere = "https://other-app.example.net/twilio/whatsapp"
    spoof = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "other-app.example.net"}
    assert twilio.post(form, signed_url=elsewhere, headers=spoof).status_code == 403
    assert twilio.post(form, signed_url=f"{PUBLIC}/twilio/whatsapp", headers=spoof).status_code == 200
    assert len(inbound(app.extensions["munshi"].db)) == 1


@pytest.mark.parametrize("public", [None, PUBLIC])
def test_a_query_string_added_to_a_signed_url_is_refused(make_app, public: str | None) -> None:
    app = make_app(PUBLIC_BASE_URL=public)
    twilio = Twilio(TOKEN, client=app.test_client())
    form = twilio.message("hello")
    base = public or "http://localhost"
    signature = twilio.sign(f"{base}/twilio/whatsapp", form)
    assert twilio.post(form, "/twilio/whatsapp?admin=1", signature=signature).status_code == 403
    assert inbound(app.extensions["munshi"].db) == []


@pytest.mark.parametrize("extra", [
    {"NumMedia": "1", "MediaUrl0": "http://169.254.169.254/latest/meta-data/", "MediaContentType0": "audio/ogg"},
    {"From": "whatsapp:+919800000002"},  # speak as another business
    {"ProfileName": "<script>alert(1)</script>"},
])
def test_fields_added_or_changed_after_signing_are_refused(twilio, db, extra: dict[str, str]) -> None:
    form = twilio.message("hello")
    signature = twilio.sign("http://localhost/twilio/whatsapp", form)
    assert twilio.post({**form, **extra}, signature=signature).status_code == 403
    assert inbound(db) == []


def test_a_status_callback_signed_for_the_message_url_is_refused(twilio, db) -> None:
    with db.session() as s:
        s.add(Message(direction="out", sid="SMout1", peer=OWNER, body="hi", status="sent"))
    form = twilio.status("SMout1", "failed", "63016")
    signed_for_inbound = twilio.sign("http://localhost/twilio/whatsapp", form)
    assert twilio.post(form, "/twilio/status", signature=signed_for_inbound).status_code == 403
    assert twilio.post(form, "/twilio/status", sign=False).status_code == 403
    with db.session() as s:
        assert s.scalar(select(Message.status).where(Message.sid == "SMout1")) == "sent"
    # Genuine, then replayed: applied once, and an older status replayed later changes nothing.
    for _ in range(2):
        assert twilio.post(twilio.status("SMout1", "read"), "/twilio/status").status_code == 204
    assert twilio.post(twilio.status("SMout1", "sent"), "/twilio/status").status_code == 204
    with db.session() as s:
        assert s.scalar(select(Message.status).where(Message.sid == "SMout1")) == "read"


# ------------------------------------------------------------------ Razorpay


@pytest.fixture
def razorpay(make_app, shops) -> dict[str, Any]:
    """A single-shop deployment's environment account (belongs to A, the first allowed sender) and each
    business's own connected account."""
    app = make_app(RAZORPAY_WEBHOOK_SECRET=ENV_SECRET, ALLOWED_SENDERS=f"{shops.a.phone},{shops.b.phone}")
    rt = app.extensions["munshi"]
    urls = {}
    with rt.db.session() as s:
        for shop, secret in ((shops.a, SECRET_A), (shops.b, SECRET_B)):
            credentials.store(s, rt.config.secret_key, shop.business_id, "razorpay",
                              {"key_id": "rzp_test_x", "key_secret": "ks", "webhook_secret": secret})
            urls[shop.phone] = f"/webhooks/razorpay/{s.get(Business, shop.business_id).webhook_id}"
    return {"app": app, "client": app.test_client(), "db": rt.db, "a": urls[shops.a.phone],
            "b": urls[shops.b.phone]}


@pytest.mark.parametrize(("route", "secret", "signature"), [
    ("env", None, ""),                      # missing
    ("env", None, "0" * 64),                # forged
    ("env", SECRET_A, None),                # a business's own secret on the environment's route
    ("env", "wrong-secret-000000", None),
    ("a", ENV_SECRET, None),                # the environment's secret on a business's route
    ("a", None, hmac_hex(SECRET_A, b"{}")),  # A's signature of another body
])
def test_razorpay_forged_and_misdirected_signatures(razorpay, route: str, secret: str | None,
                                                    signature: str | None) -> None:
    url = "/webhooks/razorpay" if route == "env" else razorpay[route]
    resp = post_razorpay(razorpay["client"], url, razorpay_body(), secret or "unused", signature=signature)
    assert resp.status_code == 400
    assert count(razorpay["db"], Payment, source="razorpay") == 0


def test_the_environment_route_records_for_the_single_shop_once(razorpay, shops) -> None:
    db, client = razorpay["db"], razorpay["client"]
    for event_id in ("evt_1", "evt_1", "evt_2", "evt_3"):
        assert post_razorpay(client, "/webhooks/razorpay", razorpay_body(), ENV_SECRET,
                             event_id=event_id).status_code == 200
    assert count(db, Payment, source="razorpay", business_id=shops.a.business_id) == 1
    assert count(db, Payment, source="razorpay", business_id=shops.b.business_id) == 0


def test_a_delivery_for_one_business_replayed_to_another_is_refused(razorpay, shops) -> None:
    db, client = razorpay["db"], razorpay["client"]
    raw = json.dumps(razorpay_body(id="pay_for_A_only")).encode()
    signature = hmac_hex(SECRET_A, raw)
    assert client.post(razorpay["a"], data=raw, content_type="application/json",
                       headers={"X-Razorpay-Signature": signature}).status_code == 200
    replayed = client.post(razorpay["b"], data=raw, content_type="application/json",
                           headers={"X-Razorpay-Signature": signature})
    assert replayed.status_code == 400
    assert count(db, Payment, business_id=shops.b.business_id, source="razorpay") == 0
    assert count(db, Payment, business_id=shops.a.business_id, source="razorpay") == 1


def test_replays_with_fresh_event_ids_make_one_payment_one_message_one_run(razorpay, shops, drain) -> None:
    """The event id header is not signed: a replay may carry any. The payment id (signed) decides."""
    db, client = razorpay["db"], razorpay["client"]
    before_runs = count(db, Run, flow_id=shops.a.ids["flow"])
    data = razorpay_body(id="pay_replayed_1")
    results = [post_razorpay(client, razorpay["a"], data, SECRET_A, event_id=f"evt_{i}").get_json()["status"]
               for i in range(5)]
    assert results == ["recorded"] + ["duplicate"] * 4
    drain(razorpay["app"])
    assert count(db, Payment, business_id=shops.a.business_id, external_id="pay_replayed_1") == 1
    assert count(db, Event, business_id=shops.a.business_id, type="razorpay.payment_received") == 1
    told = [m.body for m in outbox(db, OWNER) if "Razorpay" in m.body]
    assert len(told) == 1
    assert count(db, Run, flow_id=shops.a.ids["flow"]) == before_runs + 1  # the thank-you flow ran once


# ------------------------------------------------------------------ flow hooks


def _sign(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac_hex(secret, raw)


@pytest.fixture
def hooks(app, shops) -> dict[str, Any]:
    rt = app.extensions["munshi"]
    with rt.db.session() as s:
        signed = store.create_flow(s, shops.a.business_id, "Signed orders", chain(
            wa("a", "Order {{trigger_data.order_id}}"), first=trigger("webhook.received")),
            activate=True, webhook_secret=SECRET_A)
        other = store.create_flow(s, shops.b.business_id, "B's orders", chain(
            wa("a", "x"), first=trigger("webhook.received")), activate=True, webhook_secret=SECRET_B)
        service = store.create_flow(s, shops.a.business_id, "Shop orders", chain(
            wa("a", "x"), first=trigger("webhook.received", service="shopify")), activate=True,
            webhook_secret=SECRET_A)
        webhook_id = s.get(Business, shops.a.business_id).webhook_id
        return {"rt": rt, "signed": store.webhook_path(signed), "signed_id": signed.id,
                "other": store.webhook_path(other), "other_id": other.id, "service_id": service.id,
                "service": f"/webhooks/shopify/{webhook_id}"}


def _runs(rt: Any, flow_id: str) -> int:
    with rt.db.session() as s:
        return len(s.scalars(select(Run.id).where(Run.flow_id == flow_id)).all())


def test_a_signed_hook_replayed_with_fresh_delivery_ids_starts_one_run(client, hooks) -> None:
    raw = json.dumps({"order_id": "A-1", "amount": 1500}).encode()
    signature = _sign(SECRET_A, raw)
    answers = []
    for header in ("Idempotency-Key", "X-Request-Id", "X-Event-Id", "X-GitHub-Delivery", None):
        headers = {"X-Munshi-Signature": signature, **({header: f"replay-{header}"} if header else {})}
        answers.append(client.post(hooks["signed"], data=raw, content_type="application/json", headers=headers))
    assert [a.status_code for a in answers] == [202, 200, 200, 200, 200]
    assert len({a.get_json()["run_id"] for a in answers}) == 1
    assert _runs(hooks["rt"], hooks["signed_id"]) == 1
    # A different (signed) body is a different delivery.
    raw2 = json.dumps({"order_id": "A-2", "amount": 1500}).encode()
    assert client.post(hooks["signed"], data=raw2, content_type="application/json",
                       headers={"X-Munshi-Signature": _sign(SECRET_A, raw2)}).status_code == 202
    assert _runs(hooks["rt"], hooks["signed_id"]) == 2


def test_the_service_dispatcher_does_not_take_replays_with_fresh_ids_either(client, hooks) -> None:
    raw = json.dumps({"id": 991, "total": "1500.00"}).encode()
    for i in range(3):
        resp = client.post(hooks["service"], data=raw, content_type="application/json",
                           headers={"X-Hub-Signature-256": _sign(SECRET_A, raw), "X-Shopify-Webhook-Id": f"w{i}"})
        assert resp.status_code == (202 if i == 0 else 200)
    assert _runs(hooks["rt"], hooks["service_id"]) == 1


@pytest.mark.parametrize("case", ["other_flows_secret", "other_body", "truncated", "prefix_only", "wrong_header",
                                  "hex_of_secret", "base64_other_body"])
def test_hook_signatures_that_are_not_this_flows(client, hooks, case: str) -> None:
    raw = json.dumps({"order_id": "X-9"}).encode()
    signature = {
        "other_flows_secret": {"X-Munshi-Signature": _sign(SECRET_B, raw)},
        "other_body": {"X-Munshi-Signature": _sign(SECRET_A, b'{"order_id": "X-8"}')},
        "truncated": {"X-Munshi-Signature": _sign(SECRET_A, raw)[:20]},
        "prefix_only": {"X-Munshi-Signature": "sha256="},
        "wrong_header": {"X-Other-Signature": _sign(SECRET_A, raw)},
        "hex_of_secret": {"X-Munshi-Signature": hashlib.sha256(SECRET_A.encode()).hexdigest()},
        "base64_other_body": {"X-Signature": base64.b64encode(
            hmac.new(SECRET_A.encode(), b"{}", hashlib.sha256).digest()).decode()},
    }[case]
    resp = client.post(hooks["signed"], data=raw, content_type="application/json", headers=signature)
    assert resp.status_code == 401
    assert _runs(hooks["rt"], hooks["signed_id"]) == 0


def test_one_businesss_signed_delivery_sent_to_another_businesss_hook(client, hooks) -> None:
    raw = json.dumps({"order_id": "A-1"}).encode()
    resp = client.post(hooks["other"], data=raw, content_type="application/json",
                       headers={"X-Munshi-Signature": _sign(SECRET_A, raw)})
    assert resp.status_code == 401
    assert _runs(hooks["rt"], hooks["other_id"]) == 0
