"""A Razorpay payment link for an invoice, asked for in chat, against a stand-in Razorpay over HTTP.

The business connects its own Razorpay account with the real ``python -m bot
connect razorpay`` command; ``RAZORPAY_API_BASE`` points `tools.razorpay` at a
local server that answers ``POST /v1/payment_links`` the way Razorpay does
(basic auth with the key id and secret, amounts in paise, ``plink_…`` ids,
``short_url``, a second link with the same ``reference_id`` refused, errors
as ``{"error": {"code", "description", …}}``). The owner asks in chat, is
asked to confirm, says YES; then Razorpay got exactly one request and the
customer's WhatsApp with the link is in the outbox. Without Razorpay, or
when Razorpay refuses, the owner is told plainly and nothing is sent.
"""
from __future__ import annotations

import base64
import json
import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bot.config import Config
from bot.console import Console
from bot.runtime import set_runtime
from storage.ledger import financial_year, format_invoice_number
from tests.helpers import env_for, python_m_bot

pytestmark = pytest.mark.integration

OWNER = "+919800000001"
MAHESH = "+919876543210"
KEY_ID = "rzp_test_1DP5mmOlF5G5ag"
KEY_SECRET = "thisisasecretkey"


@dataclass
class RazorpayStandIn:
    """Razorpay's Payment Links API for one account, on a local port; remembers every request."""

    key_id: str
    key_secret: str
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)  # reference_id -> link
    refuse: tuple[int, dict[str, Any]] | None = None  # answer every POST with this (status, body)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        body = request.get_json(silent=True)
        self.requests.append({"method": request.method, "path": request.path, "args": dict(request.args),
                              "authorization": request.headers.get("Authorization"), "json": body})
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (self.key_id, self.key_secret):
            status, answer = 401, _error("BAD_REQUEST_ERROR", "Authentication failed", None)
        elif request.path != "/v1/payment_links":
            status, answer = 404, _error("BAD_REQUEST_ERROR", "The requested URL was not found on the server.", None)
        elif request.method == "GET":
            found = [link for ref, link in self.links.items() if ref == request.args.get("reference_id")]
            status, answer = 200, {"payment_links": found}
        elif self.refuse is not None:
            status, answer = self.refuse
        else:
            status, answer = self._create(body or {})
        return Response(json.dumps(answer), status=status, content_type="application/json")(environ, start_response)

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        amount = body.get("amount")
        if not isinstance(amount, int) or amount < 100:
            return 400, _error("BAD_REQUEST_ERROR", "The amount must be atleast INR 1.00", "amount")
        ref = body.get("reference_id")
        if ref in self.links:
            return 400, _error("BAD_REQUEST_ERROR", f"Payment Link with reference_id {ref} already exists",
                               "reference_id")
        now = int(time.time())
        link = {
            "accept_partial": body.get("accept_partial", False), "amount": amount, "amount_paid": 0,
            "callback_method": "", "callback_url": "", "cancelled_at": 0, "created_at": now,
            "currency": body.get("currency", "INR"), "customer": body.get("customer", {}),
            "description": body.get("description", ""), "expire_by": 0, "expired_at": 0,
            "first_min_partial_amount": 0, "id": "plink_" + secrets.token_hex(7), "notes": body.get("notes"),
            "notify": body.get("notify", {"email": False, "sms": False}), "payments": None,
            "reference_id": ref or "", "reminder_enable": body.get("reminder_enable", False), "reminders": [],
            "short_url": "https://rzp.io/i/" + secrets.token_urlsafe(6), "status": "created",
            "updated_at": now, "upi_link": False, "user_id": "",
        }
        self.links[ref or link["id"]] = link
        return 200, link

    @property
    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]


def _error(code: str, description: str, field_name: str | None) -> dict[str, Any]:
    return {"error": {"code": code, "description": description, "source": "business",
                      "step": "payment_initiation", "reason": "input_validation_failed", "metadata": {},
                      "field": field_name}}


@pytest.fixture
def razorpay() -> Iterator[RazorpayStandIn]:
    stand_in = RazorpayStandIn(KEY_ID, KEY_SECRET)
    server = make_server("127.0.0.1", 0, stand_in, threaded=True)
    stand_in.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stand_in
    server.shutdown()
    thread.join(5)


@pytest.fixture
def config(make_config: Callable[..., Config], razorpay: RazorpayStandIn) -> Config:
    return make_config(RAZORPAY_API_BASE=razorpay.url + "/v1")


@pytest.fixture
def console(config: Config) -> Iterator[Console]:
    con = Console(config, OWNER)
    yield con
    con.rt.db.dispose()
    set_runtime(None)


def connect_razorpay(config: Config, key_secret: str = KEY_SECRET) -> str:
    """``python -m bot connect razorpay`` for the owner's business, as the owner runs it; what it printed."""
    proc = python_m_bot("connect", "razorpay", "--business", OWNER, "--key-id", KEY_ID, "--key-secret", key_secret,
                        "--webhook-secret", "whsec-typed-into-razorpay", env=env_for(config),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out


def say(console: Console, *lines: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Feed ``lines``; the replies to the owner for each line, and every message sent to anyone else."""
    replies, others = [], []
    for line in lines:
        out = console.feed(line) or []
        replies.append(" ".join(m["body"] for m in out if m["to"] == OWNER))
        others += [m for m in out if m["to"] != OWNER]
    return replies, others


def _basic(key_id: str, key_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key_id}:{key_secret}".encode()).decode()


BILL = ["Add customer Mahesh with phone 98765 43210", "invoice Mahesh 2 kg dal at 110.25 and 3 bags cement at 350"]
DUE_PAISE = 2 * 110_25 + 3 * 350_00  # ₹1,270.50


@pytest.mark.parametrize("ask", [
    "send payment link for invoice 1 to Mahesh",
    "payment link for invoice 1",
    "send Mahesh a payment link",
    "Mahesh ko bill 1 ka payment link bhejo",
    "razorpay link for invoice no 1 please",
    f"share a pay link with Mahesh for {format_invoice_number(financial_year(), 1)}",
])
def test_a_payment_link_is_confirmed_then_created_and_sent(console: Console, razorpay: RazorpayStandIn,
                                                           ask: str) -> None:
    connect_razorpay(console.rt.config)
    _, sent = say(console, *BILL)
    assert sent == []

    [question], sent = say(console, ask)
    assert "YES" in question and "₹1,270.50" in question and "Mahesh" in question, question
    assert razorpay.requests == [] and sent == []  # nothing leaves before the owner's YES

    [done], sent = say(console, "yes")
    [post] = razorpay.posts
    assert post["path"] == "/v1/payment_links"
    assert post["authorization"] == _basic(KEY_ID, KEY_SECRET)
    body = post["json"]
    assert body["amount"] == DUE_PAISE and body["currency"] == "INR"
    assert body["reference_id"].startswith("munshi-") and len(body["reference_id"]) <= 40
    assert body["customer"] == {"name": "Mahesh", "contact": MAHESH}
    assert body["description"] == f"Invoice {format_invoice_number(financial_year(), 1)}"
    [link] = razorpay.links.values()
    [message] = sent
    assert message["to"] == MAHESH
    assert link["short_url"] in message["body"] and "₹1,270.50" in message["body"]
    assert "Sent a payment link" in done and link["short_url"] in done


def test_a_partly_paid_invoice_gets_a_link_for_what_is_due(console: Console, razorpay: RazorpayStandIn) -> None:
    connect_razorpay(console.rt.config)
    say(console, *BILL, "Mahesh paid 270.50 by UPI")
    [question], _ = say(console, "send Mahesh a payment link for invoice 1")
    assert "₹1,000" in question, question
    say(console, "haan")
    assert razorpay.posts[0]["json"]["amount"] == 1000_00


def test_declining_sends_nothing(console: Console, razorpay: RazorpayStandIn) -> None:
    connect_razorpay(console.rt.config)
    say(console, *BILL, "payment link for invoice 1")
    [reply], sent = say(console, "no")
    assert razorpay.requests == [] and sent == []
    assert "no payment link" in reply.lower()


def test_without_razorpay_the_owner_is_told_how_to_connect(console: Console, razorpay: RazorpayStandIn) -> None:
    [*_, reply], sent = say(console, *BILL, "send payment link for invoice 1 to Mahesh")
    assert f"python -m bot connect razorpay --business {OWNER}" in reply, reply
    assert "never send the keys in chat" in reply.lower()
    _, sent_after = say(console, "yes", "list my invoices")
    assert razorpay.requests == [] and sent == [] and sent_after == []


@pytest.mark.parametrize(("refuse", "secret", "said"), [
    ((400, _error("BAD_REQUEST_ERROR", "The customer contact is invalid.", "customer.contact")), KEY_SECRET,
     "Razorpay refused the payment link: The customer contact is invalid"),
    (None, "not-the-secret", "Razorpay refused the key id and secret; connect razorpay again"),
])
def test_razorpay_refusing_the_link_is_said_plainly_and_nothing_is_sent(
    console: Console, razorpay: RazorpayStandIn, refuse: tuple[int, dict[str, Any]] | None, secret: str,
    said: str,
) -> None:
    connect_razorpay(console.rt.config, key_secret=secret)
    razorpay.refuse = refuse
    say(console, *BILL, "send payment link for invoice 1 to Mahesh")
    [reply], sent = say(console, "yes")
    assert len(razorpay.posts) == 1
    assert said in reply and "Nothing was sent to Mahesh" in reply, reply
    assert sent == [] and razorpay.links == {}
    assert secret not in reply
