"""Fixtures of the attack tests: two shops, signed Razorpay deliveries, an in-process worker.

``shops.a`` / ``shops.b`` are two businesses with a record of every kind and an
API token each (`tests.unit.api.conftest.seed_shop`); ``drain(app)`` runs
what the webhooks enqueued with an in-process RQ worker (the real jobs, the
real agent), so a test can check the *effects* of a request: records,
replies, runs.
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from storage.db import Database
from tests.unit.api.conftest import Tenants, seed_shop

#: A ``payment.captured`` delivery as Razorpay sends it (shape of Razorpay's documented sample).
RAZORPAY_CAPTURED: dict[str, Any] = {
    "entity": "event", "account_id": "acc_BFQ7uQEaa7j2z7", "event": "payment.captured", "contains": ["payment"],
    "payload": {"payment": {"entity": {
        "id": "pay_DESyzxuld02Zul", "entity": "payment", "amount": 50000, "currency": "INR", "status": "captured",
        "order_id": "order_DESxiijbl9xjDB", "invoice_id": None, "international": False, "method": "upi",
        "amount_refunded": 0, "captured": True, "description": None, "vpa": "gaurav.kumar@upi",
        "email": "gaurav.kumar@example.com", "contact": "+919876543210", "notes": [], "fee": 2, "tax": 0,
        "created_at": 1567675356}}},
    "created_at": 1567675356,
}


def razorpay_body(**entity: Any) -> dict[str, Any]:
    """A fresh copy of the sample delivery with ``entity`` fields replaced."""
    body = copy.deepcopy(RAZORPAY_CAPTURED)
    body["payload"]["payment"]["entity"].update(entity)
    return body


def hmac_hex(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_razorpay(client: Any, url: str, data: dict[str, Any] | bytes, secret: str, *,
                  event_id: str = "evt_1", signature: str | None = None) -> Any:
    """POST a delivery signed with ``secret`` (or with ``signature`` as given)."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    headers = {"x-razorpay-event-id": event_id,
               "X-Razorpay-Signature": hmac_hex(secret, raw) if signature is None else signature}
    return client.post(url, data=raw, content_type="application/json", headers=headers)


def count(db: Database, model: type, **where: Any) -> int:
    """Rows of ``model`` (with column == value filters)."""
    with db.session() as s:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(s.scalar(stmt) or 0)


@pytest.fixture
def shops(db: Database) -> Tenants:
    """Business A ("Sharma Hardware", customer Ramesh Kumar) and B ("Gupta Electricals", customer Suresh)."""
    return Tenants(seed_shop(db, "+919800000001", "Sharma Hardware"),
                   seed_shop(db, "+919800000002", "Gupta Electricals", customer_name="Suresh"))


def _drain(app: Any) -> int:
    rt = app.extensions["munshi"]
    worker = SimpleWorker([rt.queue], connection=rt.redis)
    worker.work(burst=True, logging_level="WARNING")
    return int(worker.successful_job_count)


@pytest.fixture
def drain() -> Callable[[Any], int]:
    """``drain(app)``: run every job on the app's queue in this process until none is left."""
    return _drain
