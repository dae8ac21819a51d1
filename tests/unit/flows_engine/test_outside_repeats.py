"""Steps that reach outside, through the engine.

Outside calls are at least once: a worker that dies after the other side acted calls again on replay,
and the repeat carries what the receiver needs to recognise it (the same Idempotency-Key, the same
Message-ID), taken from the run and the step. And a step finds the service its business connected.
"""
from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from bot import credentials
from flows import engine as engine_mod
from flows.engine import Engine
from tests.unit.flows_engine.conftest import chain, node, run_of, steps_of
from tools import email as email_tool


class Died(BaseException):
    """Not an Exception: the worker process dying, which nothing catches."""


def test_a_repeated_http_call_carries_the_same_idempotency_key(rt, make_flow, start, clock, queue) -> None:
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            raise Died()  # the other side acted; the worker died before it could record the answer
        return httpx.Response(201, json={"id": 7})

    engine = Engine(rt, now=clock, queueing=queue, tool_extra={
        "http_transport": httpx.MockTransport(server), "resolver": lambda host, port: ["93.184.216.34"]})
    run_id = start(make_flow(chain(node("call", "http.request", {"url": "https://api.example.com/orders",
                                                                 "json": {"order": 1}}))))
    with pytest.raises(Died):
        engine.execute(run_id)
    assert "call" not in steps_of(rt, run_id)
    clock.advance(engine_mod.RUN_LEASE + 1)  # the dead worker's claim runs out; the recovery runs it again
    assert engine.execute(run_id).status == "succeeded"
    keys = [request.headers["Idempotency-Key"] for request in seen]
    assert keys == [f"run-{run_id}-call"] * 2
    assert steps_of(rt, run_id)["call"].output["status"] == 201


def test_a_repeated_email_has_the_same_message_id(rt, make_flow, start, clock, queue, monkeypatch) -> None:
    delivered: list[EmailMessage] = []

    def deliver(server: Any, msg: EmailMessage, **_: Any) -> dict[str, Any]:
        delivered.append(msg)
        if len(delivered) == 1:
            raise Died()  # the mail server took it; the worker died before the step was recorded
        return {"message_id": msg["Message-ID"], "to": msg["To"]}

    monkeypatch.setattr(email_tool, "deliver", deliver)
    monkeypatch.setattr(email_tool, "server_for",
                        lambda ctx: email_tool.SmtpServer.from_url("smtp://mail.example.com:587"))
    engine = Engine(rt, now=clock, queueing=queue)
    run_id = start(make_flow(chain(node("mail", "email.send", {"to": "ramesh@example.com", "subject": "Thanks",
                                                               "body": "Got your payment"}))))
    with pytest.raises(Died):
        engine.execute(run_id)
    clock.advance(engine_mod.RUN_LEASE + 1)
    assert engine.execute(run_id).status == "succeeded"
    first, again = (msg["Message-ID"] for msg in delivered)
    assert first == again == email_tool.message_id_for(f"run-{run_id}-mail", "mail.example.com")
    assert steps_of(rt, run_id)["mail"].output["message_id"] == first and run_of(rt, run_id).status == "succeeded"


def test_a_step_finds_the_service_the_business_connected(rt, biz, make_flow, start, clock, queue) -> None:
    """The engine reads which services are connected with the run; the step still gets the credentials."""
    seen: list[httpx.Request] = []

    def slack(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    engine = Engine(rt, now=clock, queueing=queue, tool_extra={
        "http_transport": httpx.MockTransport(slack), "resolver": lambda host, port: ["93.184.216.34"]})
    flow = make_flow(chain(node("post", "slack.post_message", {"text": "paid"})))
    assert engine.execute(start(flow)).status == "failed"  # not connected yet: it says how to connect
    with rt.db.session() as s:
        credentials.store(s, rt.config.secret_key, biz, "slack",
                          {"webhook_url": "https://hooks.slack.com/services/T000/B000/XXXXXXXX"})
    assert engine.execute(start(flow)).status == "succeeded"
    assert [str(r.url) for r in seen] == ["https://hooks.slack.com/services/T000/B000/XXXXXXXX"]
