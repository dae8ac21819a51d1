"""The flows' webhook URLs and the ``/webhooks/<service>`` dispatcher, through the Flask test client."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from rq import Queue
from sqlalchemy import select

from flows import store
from storage.models import Business, Run
from tests.unit.flows_engine.conftest import chain, trigger, wa

SECRET = "whsec-0123456789abcdef"


@pytest.fixture
def shop(app) -> dict:
    rt = app.extensions["munshi"]
    with rt.db.session() as s:
        biz = Business(phone="+919800000001", name="Sharma Hardware")
        s.add(biz)
        s.flush()
        hook = store.create_flow(s, biz.id, "Orders", chain(wa("a", "Order {{trigger_data.order_id}}"),
                                                            first=trigger("webhook.received")), activate=True)
        signed = store.create_flow(s, biz.id, "Signed", chain(wa("a", "x"), first=trigger("webhook.received")),
                                   activate=True, webhook_secret=SECRET)
        shopify = store.create_flow(s, biz.id, "Shopify", chain(
            wa("a", "x"), first=trigger("webhook.received", service="shopify")), activate=True)
        return {"rt": rt, "biz": biz.id, "webhook_id": biz.webhook_id, "hook": store.webhook_path(hook),
                "signed": store.webhook_path(signed), "shopify": shopify.id}


def _runs(rt) -> list[Run]:
    with rt.db.session() as s:
        return list(s.scalars(select(Run).order_by(Run.created_at)))


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_post_starts_one_run_with_the_body_and_safe_headers(client, shop) -> None:
    r = client.post(shop["hook"], json={"order_id": "A-1001", "amount": 1500},
                    headers={"Authorization": "Bearer nope", "X-Request-Id": "req-1", "User-Agent": "Shop/1"})
    assert r.status_code == 202 and r.json["ok"] and not r.json["duplicate"]
    [run] = _runs(shop["rt"])
    assert run.id == r.json["run_id"] and run.status == "queued"
    assert run.trigger_data["order_id"] == "A-1001" and run.trigger_data["amount"] == 1500
    headers = run.trigger_data["headers"]
    assert headers["User-Agent"] == "Shop/1" and "Authorization" not in headers
    assert Queue(shop["rt"].config.queue_name, connection=shop["rt"].redis).count == 1


def test_a_repeated_delivery_returns_the_first_run(client, shop) -> None:
    first = client.post(shop["hook"], json={"order_id": "A-1"}, headers={"Idempotency-Key": "k1"})
    again = client.post(shop["hook"], json={"order_id": "A-1 changed"}, headers={"Idempotency-Key": "k1"})
    same_body = [client.post(shop["hook"], data=b'{"order_id": "B"}', content_type="application/json")
                 for _ in range(2)]
    assert again.status_code == 200 and again.json["duplicate"] and again.json["run_id"] == first.json["run_id"]
    assert same_body[1].json["run_id"] == same_body[0].json["run_id"]
    assert len(_runs(shop["rt"])) == 2


def test_signed_flows_need_a_valid_signature(client, shop) -> None:
    body = json.dumps({"order_id": "S-1"}).encode()
    assert client.post(shop["signed"], data=body, content_type="application/json").status_code == 401
    bad = client.post(shop["signed"], data=body, content_type="application/json",
                      headers={"X-Munshi-Signature": _sign(body, "wrong-secret-0000")})
    assert bad.status_code == 401
    good = client.post(shop["signed"], data=body, content_type="application/json",
                       headers={"X-Munshi-Signature": _sign(body)})
    assert good.status_code == 202
    b64 = base64.b64encode(hmac.new(SECRET.encode(), b"{}", hashlib.sha256).digest()).decode()
    assert client.post(shop["signed"], data=b"{}", content_type="application/json",
                       headers={"X-Hub-Signature-256": b64}).status_code == 202
    assert len(_runs(shop["rt"])) == 2


def test_unknown_paused_and_non_json_bodies(client, shop) -> None:
    assert client.post("/webhooks/hook/not-a-token", json={}).status_code == 404
    r = client.post(shop["hook"], data={"name": "Ramesh", "qty": "2"})
    assert r.status_code == 202
    assert _runs(shop["rt"])[0].trigger_data["name"] == "Ramesh"
    r = client.post(shop["hook"], data=b"plain words", content_type="text/plain")
    assert _runs(shop["rt"])[1].trigger_data["body"] == "plain words"
    rt = shop["rt"]
    with rt.db.session() as s:
        flow = store.list_flows(s, shop["biz"])[0]
        store.pause(s, shop["biz"], flow.id)
    assert client.post(shop["hook"], json={"order_id": "late"}).status_code == 409


def test_the_service_dispatcher(client, shop) -> None:
    r = client.post(f"/webhooks/shopify/{shop['webhook_id']}", json={"id": 1}, headers={"X-Event-Id": "e1"})
    assert r.status_code == 202 and [x["flow_id"] for x in r.json["runs"]] == [shop["shopify"]]
    again = client.post("/webhooks/shopify", json={"id": 1}, headers={"X-Event-Id": "e1"})  # the single shop
    assert again.status_code == 200 and again.json["runs"][0]["duplicate"]
    assert client.post("/webhooks/stripe", json={}).status_code == 404
    assert client.post("/webhooks/shopify/not-a-business", json={}).status_code == 404


def test_razorpay_routes_are_not_taken_by_the_dispatcher(app, client, shop) -> None:
    rules = {r.rule: r.endpoint for r in app.url_map.iter_rules()}
    assert rules["/webhooks/razorpay/<webhook_id>"] == "razorpay.business_webhook"
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/webhooks/razorpay/abc", method="POST")[0] == "razorpay.business_webhook"
    assert adapter.match("/webhooks/hook/abc", method="POST")[0] == "hooks.flow_hook"
    assert adapter.match("/webhooks/shopify/abc", method="POST")[0] == "hooks.service_hook"
