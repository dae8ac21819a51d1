"""Razorpay webhooks through the Flask test client, with the real body shape and real HMAC signatures."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import credentials
from storage import queries
from storage.db import Database
from storage.models import Customer, Event, Invoice, Payment
from tests.helpers import OWNER, outbox
from tools.invoices import Line, create_invoice

FIXTURE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "razorpay" / "payment.captured.upi.json"
SECRET = "whsec-test-1234"


def body(**entity: Any) -> dict[str, Any]:
    data = json.loads(FIXTURE.read_text())
    data["payload"]["payment"]["entity"].update(entity)
    return data


def sign(raw: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post(client, url: str, data: dict[str, Any], *, secret: str = SECRET, event_id: str = "evt_1",
         signature: str | None = None):  # type: ignore[no-untyped-def]
    raw = json.dumps(data).encode()
    headers = {"Content-Type": "application/json", "x-razorpay-event-id": event_id,
               "X-Razorpay-Signature": sign(raw, secret) if signature is None else signature}
    return client.post(url, data=raw, headers=headers)


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def business(app) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """The owner's business with Razorpay connected; returns (id, its webhook URL path)."""
    rt = app.extensions["munshi"]
    with rt.db.session() as s:
        biz = queries.get_or_create_business(s, OWNER)
        credentials.store(s, rt.config.secret_key, biz.id, "razorpay",
                          {"key_id": "rzp_test_1", "key_secret": "ks", "webhook_secret": SECRET})
        return biz.id, f"/webhooks/razorpay/{biz.webhook_id}"


def test_a_captured_payment_is_recorded_with_its_customer_and_the_owner_is_told(app, client, business) -> None:  # type: ignore[no-untyped-def]
    db = app.extensions["munshi"].db
    resp = post(client, business[1], body())
    assert resp.status_code == 200 and resp.get_json()["status"] == "recorded"
    with db.session() as s:
        pay = s.scalars(select(Payment)).one()
        assert (pay.amount_paise, pay.method, pay.source, pay.external_id) == (100, "upi", "razorpay",
                                                                              "pay_DESyzxuld02Zul")
        cust = s.get(Customer, pay.customer_id)
        assert cust.phone == "+919876543210" and cust.email == "gaurav.kumar@example.com"
        types = set(s.scalars(select(Event.type)))
    assert {"payments.payment_received", "razorpay.payment_received"} <= types
    told = [m.body for m in outbox(db, OWNER)]
    assert len(told) == 1 and "₹1" in told[0] and "Razorpay" in told[0]


def test_a_replayed_delivery_and_a_second_event_for_the_same_payment_record_one_payment(
        app, client, business) -> None:  # type: ignore[no-untyped-def]
    db = app.extensions["munshi"].db
    data = body()
    for event_id in ("evt_1", "evt_1", "evt_2"):
        assert post(client, business[1], data, event_id=event_id).status_code == 200
    link = copy.deepcopy(data)
    link["event"] = "payment_link.paid"
    assert post(client, business[1], link, event_id="evt_3").get_json()["status"] == "duplicate"
    assert count(db, Payment) == 1
    assert len(outbox(db, OWNER)) == 1


@pytest.mark.parametrize("signature", ["", "deadbeef", sign(b"another body")])
def test_a_forged_or_missing_signature_is_refused_and_nothing_is_recorded(
        app, client, business, signature: str) -> None:  # type: ignore[no-untyped-def]
    resp = post(client, business[1], body(), signature=signature)
    assert resp.status_code == 400
    assert count(app.extensions["munshi"].db, Payment) == 0


def test_a_signature_made_with_another_businesss_secret_is_refused(app, client, business) -> None:  # type: ignore[no-untyped-def]
    assert post(client, business[1], body(), secret="someone-elses-secret").status_code == 400
    assert count(app.extensions["munshi"].db, Payment) == 0


def test_an_unknown_webhook_id_answers_404(client, business) -> None:  # type: ignore[no-untyped-def]
    assert post(client, "/webhooks/razorpay/not-a-real-id", body()).status_code == 404


def test_a_paid_payment_link_is_applied_to_the_invoice_it_names(app, client, business) -> None:  # type: ignore[no-untyped-def]
    db = app.extensions["munshi"].db
    with db.session() as s:
        cust = Customer(business_id=business[0], name="Gaurav Kumar", phone="+919876543210")
        s.add(cust)
        s.flush()
        number = create_invoice(s, business[0], cust, [Line("cement", Decimal(2), "bag", Decimal(350))]).invoice.number
    data = body(amount=70000)
    data["event"] = "payment_link.paid"
    data["payload"]["payment_link"] = {"entity": {"id": "plink_1", "reference_id": number, "notes": []}}
    assert post(client, business[1], data).status_code == 200
    with db.session() as s:
        inv = s.scalar(select(Invoice).where(Invoice.number == number))
        pay = s.scalars(select(Payment)).one()
        assert pay.invoice_id == inv.id and inv.status == "paid"
    assert count(db, Customer) == 1  # matched by phone, not created again


def test_other_events_are_acknowledged_and_ignored(app, client, business) -> None:  # type: ignore[no-untyped-def]
    data = body()
    data["event"] = "payment.failed"
    assert post(client, business[1], data).get_json()["status"] == "ignored"
    assert count(app.extensions["munshi"].db, Payment) == 0


def test_the_environment_account_belongs_to_the_only_business(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(RAZORPAY_WEBHOOK_SECRET=SECRET)
    client = app.test_client()
    db = app.extensions["munshi"].db
    assert post(client, "/webhooks/razorpay", body()).status_code == 409  # no business yet: not lost, retried
    with db.session() as s:
        queries.get_or_create_business(s, OWNER)
    assert post(client, "/webhooks/razorpay", body()).status_code == 200
    assert post(client, "/webhooks/razorpay", body(), secret="wrong").status_code == 400
    assert count(db, Payment) == 1


def test_without_a_configured_secret_the_environment_route_does_not_exist(client) -> None:  # type: ignore[no-untyped-def]
    assert post(client, "/webhooks/razorpay", body()).status_code == 404
