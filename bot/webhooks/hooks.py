"""The flows' own webhook URLs, and the ``/webhooks/<service>`` dispatcher.

``POST /webhooks/hook/<token>``: each ``webhook.received`` flow has an
unguessable token (`flows.store.webhook_url`). The body (JSON, a form, or
text) becomes the run's ``trigger_data``, with the request's ``headers``
(credentials and signatures left out). When the flow has a webhook secret
the request must be signed: HMAC-SHA256 of the raw body with the secret, hex
(optionally ``sha256=``-prefixed) or base64, in ``X-Munshi-Signature`` (or
``X-Hub-Signature-256`` / ``X-Signature-256`` / ``X-Signature``, as common
senders name it).

``POST /webhooks/<service>[/<business webhook id>]``: the original design's
dispatcher for services that post to one URL per service. It starts every
active ``webhook.received`` flow of the business whose trigger says
``"params": {"service": "<service>"}``; without a business webhook id the
request belongs to the single-shop business (the first ``ALLOWED_SENDERS``
number, or the only business). Signed flows only run when their own
signature matches.

Deduplication: the delivery id is the sender's ``Idempotency-Key`` (or
``X-Request-Id``, ``X-Event-Id``, ``X-GitHub-Delivery``, ``X-Shopify-Webhook-Id``,
``X-Razorpay-Event-Id``) or else a hash of the body; a repeated delivery
returns the first one's run and starts nothing. For a signed flow the id is
always the hash of the body: the signature covers the body and not those
headers, so a captured delivery replayed with a fresh id must still be the
same delivery. The answer is ``202`` with the
run id as soon as the run is stored and enqueued.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import bindparam, select

from bot.runtime import Runtime
from flows import dispatch
from storage.models import Business, Flow, FlowStatus

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__, url_prefix="/webhooks")

SIGNATURE_HEADERS = ("X-Munshi-Signature", "X-Hub-Signature-256", "X-Signature-256", "X-Signature")
DELIVERY_HEADERS = ("Idempotency-Key", "X-Idempotency-Key", "X-Request-Id", "X-Event-Id", "X-Delivery-Id",
                    "X-GitHub-Delivery", "X-Shopify-Webhook-Id", "X-Razorpay-Event-Id")
_HIDDEN_HEADERS = re.compile(r"^(authorization|proxy-authorization|cookie|x-api-key|.*signature.*|.*hmac.*|"
                             r".*token.*|.*secret.*)$", re.IGNORECASE)
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
RESERVED = frozenset({"hook", "razorpay"})


_flows = Flow.__table__
_FLOW_BY_TOKEN = select(_flows.c.id, _flows.c.business_id, _flows.c.status, _flows.c.webhook_secret,
                        _flows.c.trigger, _flows.c.deleted_at).where(_flows.c.webhook_token == bindparam("token"))


def runtime() -> Runtime:
    return current_app.extensions["munshi"]


def _error(status: int, message: str) -> Response:
    response = jsonify(ok=False, error=message)
    response.status_code = status
    return response


def signature_ok(secret: str, raw: bytes, headers: Any) -> bool:
    """True when one of the signature headers carries HMAC-SHA256(secret, raw) in hex or base64."""
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    for name in SIGNATURE_HEADERS:
        given = (headers.get(name) or "").strip()
        if not given:
            continue
        if given.lower().startswith("sha256="):
            given = given[7:]
        if hmac.compare_digest(given.lower().encode(), digest.hex().encode()):
            return True
        if hmac.compare_digest(given.encode(), base64.b64encode(digest)):
            return True
    return False


MAX_DEPTH = 64  # nesting a payload may have (JSON nested deeper is kept as text)


def storable(value: Any, depth: int = 0) -> Any:
    """``value`` as data the database can store: no NUL characters and no lone surrogates in text
    (both legal in JSON, both refused by PostgreSQL), at most `MAX_DEPTH` levels deep."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {storable(k, depth + 1): storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN and Infinity: Python's JSON reads them, JSON columns cannot hold them
    return value


def payload_of(raw: bytes) -> dict[str, Any]:
    """The request body as trigger data: a JSON object as it is, other JSON under ``body``, a form, text."""
    data: dict[str, Any]
    content_type = (request.mimetype or "").lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        data = storable({k: v if len(v) > 1 else v[0] for k, v in request.form.lists()})
    else:
        try:
            parsed = storable(json.loads(raw)) if raw.strip() else {}
        except (ValueError, RecursionError):  # not JSON, or nested beyond reason: the text itself
            parsed = storable(raw.decode("utf-8", errors="replace"))
        data = dict(parsed) if isinstance(parsed, dict) else {"body": parsed}
    data["headers"] = {k: v for k, v in request.headers.items() if not _HIDDEN_HEADERS.match(k)}
    return data


def delivery_id(raw: bytes, signed: bool = False) -> str:
    """The sender's delivery id when it gives one, else a hash of the body.

    ``signed``: only the body is authenticated, so only the body may say which delivery it is
    (an id header is not signed: a replay could carry a new one).
    """
    if not signed:
        for name in DELIVERY_HEADERS:
            value = (request.headers.get(name) or "").strip()
            if value:
                return f"id:{value[:150]}"
    return "sha256:" + hashlib.sha256(raw).hexdigest()


@bp.post("/hook/<token>")
def flow_hook(token: str) -> Response:
    rt = runtime()
    raw = request.get_data(cache=True)
    payload = payload_of(raw)
    with rt.db.session() as s:  # one transaction: find the flow, check, store the event and its run
        row = s.connection().execute(_FLOW_BY_TOKEN, {"token": token}).first()
        if row is None or row.deleted_at is not None or row.trigger != dispatch.WEBHOOK_RECEIVED:
            return _error(404, "no flow has this webhook address")
        if row.webhook_secret and not signature_ok(row.webhook_secret, raw, request.headers):
            log.warning("rejected a webhook for flow %s with a missing or bad signature", row.id)
            return _error(401, "the signature is missing or wrong")
        if row.status != FlowStatus.active:
            return _error(409, "this flow is switched off")
        delivery = delivery_id(raw, signed=bool(row.webhook_secret))
        run_id, created = dispatch.record_delivery(s, row.id, row.business_id, delivery, payload)
    if created and run_id:
        dispatch.enqueue_runs(rt, [run_id])
    response = jsonify(ok=True, run_id=run_id, duplicate=not created)
    response.status_code = 202 if created else 200
    return response


def _single_shop(s: Any, rt: Runtime) -> int | None:
    if rt.config.allowed_senders:
        return s.scalar(select(Business.id).where(Business.phone == rt.config.allowed_senders[0]))
    found = s.scalars(select(Business.id).limit(2)).all()
    return found[0] if len(found) == 1 else None


def _service_of(blueprint: dict[str, Any]) -> str | None:
    for node in blueprint.get("nodes") or []:
        if node.get("type") == "trigger":
            service = ((node.get("data") or {}).get("params") or {}).get("service")
            return str(service).strip().lower() if service else None
    return None


@bp.post("/<service>")
@bp.post("/<service>/<webhook_id>")
def service_hook(service: str, webhook_id: str | None = None) -> Response:
    service = service.lower()
    if not _SERVICE.match(service) or service in RESERVED:
        return _error(404, "unknown webhook")
    rt = runtime()
    raw = request.get_data(cache=True)
    with rt.db.session() as s:
        if webhook_id is not None:
            business_id = s.scalar(select(Business.id).where(Business.webhook_id == webhook_id))
        else:
            business_id = _single_shop(s, rt)
        if business_id is None:
            return _error(404, "unknown webhook")
        flows = [(f.id, f.webhook_secret) for f in s.execute(
            select(Flow.id, Flow.webhook_secret, Flow.blueprint).where(
                Flow.business_id == business_id, Flow.trigger == dispatch.WEBHOOK_RECEIVED,
                Flow.status == FlowStatus.active, Flow.deleted_at.is_(None)).order_by(Flow.created_at))
            if _service_of(f.blueprint) == service]
    if not flows:
        return _error(404, f"no active flow listens to {service} webhooks")
    allowed = [(flow_id, bool(secret)) for flow_id, secret in flows
               if not secret or signature_ok(secret, raw, request.headers)]
    if not allowed:
        return _error(401, "the signature is missing or wrong")
    payload = payload_of(raw)
    runs = []
    for flow_id, signed in allowed:
        run_id, created = dispatch.deliver_webhook(rt, flow_id, business_id, delivery_id(raw, signed),
                                                   dict(payload))
        runs.append({"flow_id": flow_id, "run_id": run_id, "duplicate": not created})
    response = jsonify(ok=True, runs=runs)
    response.status_code = 202 if any(not r["duplicate"] for r in runs) else 200
    return response
