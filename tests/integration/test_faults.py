"""Fault tests (issue #8): load, lost servers, killed workers and duplicated deliveries.

Every test here uses real ``python -m bot worker`` processes, a real HTTP server on loopback and
signed webhooks; what can be restarted (Redis, PostgreSQL) is a server the test started itself,
never the shared one other test processes use.

The messages are "add 1 bag cement": each one moves its sender's stock by one and the reply says
the new level ("… → now 7 bags"), so the replies tell whether a message was handled twice (a level
repeated or skipped, the stock too high) and in which order (the levels of one sender count 1, 2,
3… in arrival order).

What the tests shorten (each says why): the sweeper ticks every 2 s and takes pending messages at
once (``FAST_SWEEPER``), a dead worker's flow run is handed on after 2 s (``MUNSHI_RUN_LEASE``), a
queued run whose job died is looked at again after 2 s, a message cut short by a database outage is
taken back after 10 s; where the real wait is ~10 minutes (a message whose worker was killed) the
test expires the leases itself.

Known gap, recorded as a strict xfail: a worker killed while Twilio is answering sends that message
again on replay (Twilio's API takes no idempotency key). A message handled again after a crash finds
the change its first handling saved (`changes.message_id`, written with the records) and is not acted
on again.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import psutil
import pytest
from sqlalchemy import make_url, select, update
from werkzeug.serving import make_server

from bot import credentials
from flows import dispatch, store
from storage.db import Database
from storage.models import Business, Message, Payment, Product, Run, RunStep
from tests.helpers import TOKEN, RedisServer, Twilio, answer_json, free_port, new_sid, wait_for

pytestmark = pytest.mark.integration

BODY = "add 1 bag cement"
RAZORPAY_FIXTURE = Path(__file__).resolve().parents[3] / "shared/fixtures/razorpay/payment.captured.upi.json"
LEVEL = re.compile(r"now (\d+) bags?\b")
ALREADY = "I had saved it just before a hiccup"  # bot.pipeline.ALREADY_DONE


def phones(n: int, start: int = 0) -> list[str]:
    """``n`` distinct Indian mobile numbers in E.164."""
    return [f"+9197{10_000_000 + start + i:08d}" for i in range(n)]


def without_waiting_for_the_disk(database_url: str | None) -> str | None:
    """``database_url`` whose commits do not wait for the disk (PostgreSQL's ``synchronous_commit=off``
    for this test's connections only): what is tested is order and exactly-once, and on the shared
    server each of the thousands of commits would otherwise wait for its own WAL flush."""
    if not database_url or not database_url.startswith("postgresql"):
        return database_url
    return str(make_url(database_url).update_query_dict({"options": "-csynchronous_commit=off"})
               .render_as_string(hide_password=False))


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` on a real threaded HTTP server on a free loopback port; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


# -- Twilio, delivering a burst --------------------------------------------------------------------

@dataclass
class Burst:
    """Twilio delivering many messages at once: each sender's messages one after another (Twilio
    keeps one sender's messages in order), many senders in parallel; a 5xx answer or a connection
    error is retried with backoff, as Twilio's retries would, until it is acknowledged with 200."""

    base_url: str
    forms: dict[str, list[dict[str, str]]]  # sender → forms, in the order they are sent
    threads: int = 16
    give_up: float = 60.0  # seconds after the start a message is no longer retried
    answers: dict[str, list[int | str]] = field(default_factory=lambda: defaultdict(list))  # sid → answers
    acked: list[str] = field(default_factory=list)  # sids answered 200, in order
    lock: threading.Lock = field(default_factory=threading.Lock)
    progress: threading.Condition = field(default_factory=threading.Condition)

    @property
    def sids(self) -> list[str]:
        return [f["MessageSid"] for forms in self.forms.values() for f in forms]

    def _post(self, client: httpx.Client, twilio: Twilio, form: dict[str, str], deadline: float) -> None:
        url = f"{self.base_url}/twilio/whatsapp"
        headers = {"X-Twilio-Signature": twilio.sign(url, form)}
        pause = 0.05
        while True:
            try:
                answer: int | str = client.post(url, data=form, headers=headers).status_code
            except httpx.TransportError as exc:
                answer = type(exc).__name__
            with self.lock:
                self.answers[form["MessageSid"]].append(answer)
            if answer == 200:
                with self.progress:
                    self.acked.append(form["MessageSid"])
                    self.progress.notify_all()
                return
            if isinstance(answer, int) and answer < 500:
                return  # a refusal Twilio would not retry (the test sees it in `answers`)
            if time.monotonic() > deadline:
                return
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def run(self) -> Burst:
        """Deliver every message; returns when each was acknowledged (or given up on)."""
        twilio = Twilio(TOKEN, base_url=self.base_url)
        deadline = time.monotonic() + self.give_up

        def sender(forms: list[dict[str, str]]) -> None:
            with httpx.Client(timeout=30) as client:
                for form in forms:
                    self._post(client, twilio, form, deadline)

        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(sender, self.forms.values()))
        return self

    def start(self) -> threading.Thread:
        """`run` in the background."""
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread

    def wait_acked(self, n: int, timeout: float = 60.0) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: len(self.acked) >= n, timeout), \
                f"only {len(self.acked)} of {n} messages acknowledged in {timeout:.0f}s"


def burst_of(base_url: str, senders: Iterable[str], per_sender: int, body: str = BODY,
             **options: Any) -> Burst:
    twilio = Twilio(TOKEN, base_url=base_url)
    forms = {p: [twilio.message(body, sender=p) for _ in range(per_sender)] for p in senders}
    return Burst(base_url, forms, **options)


# -- what the database says ------------------------------------------------------------------------

@dataclass
class Handled:
    """Inbound messages and Munshi's replies, as stored; one snapshot."""

    inbound: list[Any]  # rows (id, sid, peer, status, attempts, claimed_at, processed_at, error), by id
    replies: dict[int, list[Any]]  # inbound id → reply rows (id, peer, body, key), by id
    outbound: list[Any]

    @classmethod
    def read(cls, db: Database) -> Handled:
        m = Message
        with db.session() as s:
            inbound = s.execute(select(m.id, m.sid, m.peer, m.status, m.attempts, m.claimed_at, m.processed_at,
                                       m.error).where(m.direction == "in").order_by(m.id)).all()
            outbound = s.execute(select(m.id, m.peer, m.body, m.idempotency_key).where(m.direction == "out")
                                 .order_by(m.id)).all()
        replies: dict[int, list[Any]] = defaultdict(list)
        for row in outbound:
            found = re.match(r"reply-(\d+)-", row.idempotency_key or "")
            if found:
                replies[int(found.group(1))].append(row)
        return cls(list(inbound), replies, list(outbound))

    def finished(self, sids: Iterable[str]) -> bool:
        """Every one of ``sids`` stored, handled (done or failed) and answered."""
        wanted = set(sids)
        rows = [r for r in self.inbound if r.sid in wanted]
        return len(rows) == len(wanted) and all(r.status in ("done", "failed") and self.replies.get(r.id)
                                                for r in rows)

    def summary(self, sids: Iterable[str]) -> str:
        wanted = set(sids)
        rows = [r for r in self.inbound if r.sid in wanted]
        statuses = Counter(r.status for r in rows)
        answered = sum(1 for r in rows if self.replies.get(r.id))
        return (f"{len(rows)}/{len(wanted)} stored, statuses {dict(statuses)}, {answered} answered, "
                f"{len(self.outbound)} outbound")


def wait_finished(db: Database, sids: list[str], *, timeout: float, details: Callable[[], str]) -> Handled:
    deadline = time.monotonic() + timeout
    while True:
        seen = Handled.read(db)
        if seen.finished(sids):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s: {seen.summary(sids)}\n{details()}")
        time.sleep(0.5)


def check_once_and_in_order(db: Database, seen: Handled, burst: Burst, *, strict_order: bool = True,
                            replays_may_repeat: bool = False) -> tuple[list[str], list[str]]:
    """Each message stored once, handled (done), answered once, its stock change applied once; each
    sender's messages handled in arrival order.

    ``replays_may_repeat``: tolerate (and return) a message handled a second time (``attempts`` > 1:
    its first handling was cut short) that moved the stock twice. It should not happen: the second
    handling finds the first one's saved change (see `test_a_worker_killed_in_the_middle_of_a_message…`).
    Returns (order problems, stock changes applied twice); ``strict_order`` asserts there are no
    order problems.
    """
    by_sid = {r.sid: r for r in seen.inbound}
    wanted = burst.sids
    assert len(seen.inbound) == len({r.sid for r in seen.inbound}) == len(wanted), "a message stored twice"
    assert set(by_sid) == set(wanted), "a message missing"
    failed = [(r.sid, r.error) for r in seen.inbound if r.status != "done"]
    assert not failed, f"{len(failed)} message(s) failed, e.g. {failed[:3]}"
    twice = {r.sid: len(seen.replies[r.id]) for r in seen.inbound if len(seen.replies[r.id]) != 1}
    assert not twice, f"messages not answered exactly once: {dict(list(twice.items())[:5])}"
    assert len(seen.outbound) == len(wanted), "outbound messages other than the one reply to each message"
    with db.session() as s:
        stock = {phone: int(level) for phone, level in s.execute(
            select(Business.phone, Product.stock).join(Product, Product.business_id == Business.id)
            .where(Product.name == "cement"))}
    problems: list[str] = []
    doubled: list[str] = []
    for peer, forms in burst.forms.items():
        rows = sorted((by_sid[f["MessageSid"]] for f in forms), key=lambda r: r.id)  # arrival order
        levels = []
        for row in rows:
            [reply] = seen.replies[row.id]
            assert reply.peer == peer, f"{peer}'s reply went to {reply.peer}"
            if row.attempts > 1 and ALREADY in reply.body:
                continue  # handled again after a crash: its saved change was found, not made again
            found = LEVEL.search(reply.body)
            assert found, f"unexpected reply to {peer}: {reply.body!r}"
            levels.append(int(found.group(1)))
        replayed = sum(1 for r in rows if r.attempts > 1)
        extra = stock.get(peer, 0) - len(rows)
        if extra and replays_may_repeat and 0 < extra <= replayed:
            doubled.append(f"{peer}: stock {stock.get(peer)} after {len(rows)} messages, {replayed} of them "
                           f"handled twice; levels {levels}")
        else:
            assert extra == 0, f"{peer}: stock {stock.get(peer)} after {len(rows)} messages; levels {levels}"
        if levels != sorted(set(levels)) or (levels and levels[-1] != stock.get(peer)):
            problems.append(f"{peer}: handled out of arrival order, levels {levels}")
        for earlier, later in pairwise(rows):
            if not (earlier.processed_at and later.claimed_at and earlier.processed_at <= later.claimed_at):
                problems.append(f"{peer}: message {later.id} started before {earlier.id} was finished")
    if strict_order:
        assert not problems, "\n".join(problems[:10])
    return problems, doubled


# -- 1. kill -9 of workers in the middle of flow runs ------------------------------------------------

OWNER = "+919800000001"
CUSTOMER = "+919876543210"
TWILIO_SID = "AC" + "f" * 32
BOT_FROM = "+14155238886"
FAST_RUNS = {"MUNSHI_RUN_LEASE": "2"}  # a dead worker's run is handed on after 2 s, not 30

# Run inside a doomed worker: the first time it sends the WhatsApp message of step FAULT_STEP of a
# run (the message handed to the outbox or to Twilio, the step's result not committed yet), it writes
# the step's idempotency key ("run-<run id>-<step>") into the file FAULT_FLAG and stops dead there
# until the test kills it.
HANG_AFTER_SEND = """
import os
import time

import tools.whatsapp

_send = tools.whatsapp.send


def _send_then_hang(ctx, *args, **kwargs):
    out = _send(ctx, *args, **kwargs)
    key = ctx.idempotency_key or ""
    if key.endswith("-" + os.environ["FAULT_STEP"]):
        with open(os.environ["FAULT_FLAG"], "w") as flag:
            flag.write(key)
        time.sleep(3600)  # until kill -9
    return out


tools.whatsapp.send = _send_then_hang
"""

# The recovering worker looks again at a queued run whose job is gone after 2 s, not 60 s (a run
# whose worker died before its claim was committed is still "queued"; its job died with the worker).
FAST_RECOVERY = """
from datetime import timedelta

import flows.schedules

flows.schedules.QUEUED_GRACE = timedelta(seconds=2)
"""

# Run inside every worker of a Twilio-transport test: Twilio's REST API is the stand-in on loopback.
TWILIO_STANDIN = """
import os

import bot.channel
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


class _Loopback(TwilioHttpClient):
    def request(self, method, url, *args, **kwargs):
        url = url.replace("https://api.twilio.com", os.environ["FAULT_TWILIO_API"])
        return super().request(method, url, *args, **kwargs)


def _twilio(self):
    if self._twilio is None:
        self._twilio = Client(self.config.twilio_account_sid, self.config.twilio_auth_token,
                              http_client=_Loopback())
    return self._twilio


bot.channel.Channel.twilio = property(_twilio)
"""


class TwilioAPI:
    """A stand-in for Twilio's Messages API: records each message it is asked to send and answers
    201 with a new sid. ``hold`` (a piece of a body): that message is recorded, then its answer is
    held back until ``release`` (the worker waiting for it is killed meanwhile)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []  # (to, body)
        self.hold: str | None = None
        self.holding = threading.Event()
        self.released = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                to, body = form.get("To", "").removeprefix("whatsapp:"), form.get("Body", "")
                api.sent.append((to, body))
                if api.hold and api.hold in body and not api.holding.is_set():
                    api.holding.set()
                    api.released.wait(60)
                sid = "SM" + uuid.uuid4().hex
                out = json.dumps({"sid": sid, "status": "queued", "to": f"whatsapp:{to}", "body": body,
                                  "from": form.get("From"), "account_sid": TWILIO_SID,
                                  "num_segments": "1", "direction": "outbound-api"}).encode()
                answer_json(self, 201, out)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio_api() -> Iterator[TwilioAPI]:
    api = TwilioAPI()
    yield api
    api.close()


def _three_step_flow(rt: Any) -> tuple[int, str]:
    """A business, and its active flow: on a webhook, three WhatsApp steps (owner, customer, owner)."""
    with rt.db.session() as s:
        biz = Business(phone=OWNER, name="Sharma Hardware")
        s.add(biz)
        s.flush()
        # Both numbers wrote in the last 24 hours: WhatsApp allows free-form messages to them.
        for peer in (OWNER, CUSTOMER):
            s.add(Message(direction="in", sid=new_sid(), peer=peer, body="hi", status="done",
                          business_id=biz.id))
        biz_id = biz.id

    def wa(n: int, to: str) -> dict[str, Any]:
        return {"id": f"step{n}", "type": "action", "data": {
            "service": "whatsapp", "task": "send_message",
            "params": {"to": to, "message": f"Order {{{{trigger_data.order_id}}}}: step {n}"}}}

    nodes = [{"id": "trigger_1", "type": "trigger", "data": {"service": "webhook", "task": "received",
                                                             "params": {}}},
             wa(1, "owner"), wa(2, CUSTOMER), wa(3, "owner")]
    edges = [{"id": f"e{i}", "source": a["id"], "target": b["id"]} for i, (a, b) in enumerate(pairwise(nodes))]
    with rt.db.session() as s:
        flow = store.create_flow(s, biz_id, "Order steps", {"nodes": nodes, "edges": edges}, activate=True)
    return biz_id, flow.id


def _runs(rt: Any, run_ids: Iterable[str]) -> dict[str, Run]:
    with rt.db.session() as s:
        return {r.id: r for r in s.scalars(select(Run).where(Run.id.in_(list(run_ids))))}


def _steps(rt: Any, run_id: str) -> dict[str, RunStep]:
    with rt.db.session() as s:
        return {st.step_key: st for st in s.scalars(select(RunStep).where(RunStep.run_id == run_id))}


def _expected(orders: Iterable[str]) -> Counter[tuple[str, str]]:
    return Counter((to, f"Order {order}: step {n}") for order in orders
                   for n, to in ((1, OWNER), (2, CUSTOMER), (3, OWNER)))


def _twilio_env(api: TwilioAPI) -> dict[str, str]:
    return {"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_WHATSAPP_FROM": BOT_FROM, "WHATSAPP_TRANSPORT": "twilio",
            "FAULT_TWILIO_API": api.url}


@pytest.mark.parametrize("transport", ["outbox", "twilio"])
def test_workers_killed_in_steps_1_2_and_3_every_run_completes_every_message_sent_once(
        make_app, workers, tmp_path: Path, twilio_api: TwilioAPI, transport: str) -> None:  # type: ignore[no-untyped-def]
    """Five runs of a three-step flow; one worker after another is stopped dead inside step 1, then
    step 2, then step 3 of a run, just after the step's WhatsApp message went out and before the
    step's result was committed, and killed with SIGKILL there. A last worker completes all five
    runs, and each of the 15 messages went out exactly once.

    ``outbox``: the message is a row in the step's own transaction, lost with the kill and written
    on replay. ``twilio``: the message went to (the stand-in) Twilio and is stored with its sid; the
    replay finds it by the step's idempotency key and does not send it again.
    """
    twilio = transport == "twilio"
    app = make_app(**(_twilio_env(twilio_api) if twilio else {}))
    rt = app.extensions["munshi"]
    biz, flow = _three_step_flow(rt)
    env = {**FAST_RUNS, **({"FAULT_TWILIO_API": twilio_api.url} if twilio else {})}
    standin = TWILIO_STANDIN if twilio else ""
    orders = [f"A-{i}" for i in range(5)]
    run_ids = [dispatch.deliver_webhook(rt, flow, biz, f"id:{order}", {"order_id": order})[0] for order in orders]
    assert all(run_ids)

    killed: dict[int, str] = {}  # step number → the run it was killed in
    for n in (1, 2, 3):
        flag = tmp_path / f"stopped-in-step{n}"
        [doomed] = workers.start(rt.config, prelude=standin + HANG_AFTER_SEND, FAULT_STEP=f"step{n}",
                                 FAULT_FLAG=str(flag), **env)
        wait_for(flag.exists, timeout=40, what=f"a worker to stop in step {n}", details=workers.logs_text)
        time.sleep(0.1)  # the flag is written (a few bytes) before the worker stops
        # Nothing of the worker survives it: a child process (RQ forks its scheduler) would keep copies of
        # the worker's database connections, and its open transaction, the run's row locked, alive.
        assert psutil.Process(doomed.pid).children(recursive=True) == []
        doomed.kill()
        doomed.wait(5)
        key = flag.read_text()
        run_id = key.removeprefix("run-").removesuffix(f"-step{n}")
        killed[n] = run_id
        # The runs and steps tables as the kill left them: step n not done, no step after it begun.
        steps = _steps(rt, run_id)
        done = sorted(k for k, st in steps.items() if st.status == "succeeded")
        assert f"step{n}" not in done and set(steps) <= {f"step{i}" for i in range(1, n + 1)}, (n, steps)
        with rt.db.session() as s:
            sent = {m.idempotency_key: m for m in s.scalars(select(Message).where(
                Message.idempotency_key.like(f"run-{run_id}-%")))}
        if twilio:
            # Each step that reached Twilio was committed before it called out; step n's message went to
            # Twilio and is stored with Twilio's sid, its result is not.
            assert done == [f"step{i}" for i in range(1, n)]
            assert sorted(sent) == [f"run-{run_id}-step{i}" for i in range(1, n + 1)] and sent[key].sid
        else:
            # In the outbox a message is a row in its step's transaction: stored exactly with its step's
            # result (the engine may commit a few such steps at once), and step n's died with the kill.
            assert sorted(sent) == [f"run-{run_id}-{k}" for k in done]
        # The worker's claim on the run is committed with the run's first commit (Twilio: before step 1
        # calls out); a run whose claim died with its worker is still "queued".
        assert _runs(rt, [run_id])[run_id].status == ("running" if twilio or done else "queued")

    started = time.monotonic()
    workers.start(rt.config, fast_sweeper=True, prelude=standin + FAST_RECOVERY, **env)

    def all_succeeded() -> bool:
        return all(r.status == "succeeded" for r in _runs(rt, run_ids).values())

    wait_for(all_succeeded, timeout=40, what="every run to complete on the last worker", details=workers.logs_text)
    print(f"{transport}: killed in steps 1, 2, 3 of runs {sorted(set(killed.values()))}; all runs completed "
          f"{time.monotonic() - started:.1f}s after the last worker was started")
    with rt.db.session() as s:
        out = list(s.scalars(select(Message).where(Message.direction == "out")))
    assert Counter((m.peer, m.body) for m in out) == _expected(orders)  # each message exactly once
    assert all(m.status in ("sent", "queued") and m.sid for m in out)
    if twilio:
        assert Counter(twilio_api.sent) == _expected(orders)  # and Twilio was asked exactly once for each
    for n, run_id in killed.items():
        record = _steps(rt, run_id)[f"step{n}"]
        assert record.status == "succeeded" and record.attempts == 1
        # The replay found the message sent before the kill (Twilio), or sent it for the first time (outbox).
        assert bool((record.output or {}).get("duplicate")) == twilio


@pytest.mark.xfail(strict=True, reason="Twilio's Messages API has no idempotency key: a worker killed after "
                   "Twilio took a message but before Munshi stored its sid sends it again on replay")
def test_a_worker_killed_while_twilio_answers_does_not_send_twice(
        make_app, workers, twilio_api: TwilioAPI) -> None:  # type: ignore[no-untyped-def]
    app = make_app(**_twilio_env(twilio_api))
    rt = app.extensions["munshi"]
    biz, flow = _three_step_flow(rt)
    env = {**FAST_RUNS, "FAULT_TWILIO_API": twilio_api.url}
    twilio_api.hold = "step 2"
    [doomed] = workers.start(rt.config, prelude=TWILIO_STANDIN, **env)
    run_id, _ = dispatch.deliver_webhook(rt, flow, biz, "id:B-1", {"order_id": "B-1"})
    assert twilio_api.holding.wait(30), workers.logs_text()
    doomed.kill()  # Twilio has the message; Munshi never heard its sid
    doomed.wait(5)
    twilio_api.released.set()
    workers.start(rt.config, fast_sweeper=True, prelude=TWILIO_STANDIN, **env)
    wait_for(lambda: _runs(rt, [run_id])[run_id].status == "succeeded", timeout=30, what="the run",
             details=workers.logs_text)
    assert Counter(twilio_api.sent) == _expected(["B-1"])


# -- 1b. kill -9 of a worker in the middle of a message ------------------------------------------------

# Run inside a doomed worker: stop dead (FAULT_FLAG written) just before the agent handles the first
# message (FAULT_WHEN=before: only the claim is stored), or just after (FAULT_WHEN=after: the stock
# change and the conversation's checkpoint are stored; the message is not done, no reply is sent).
HANG_IN_MESSAGE = """
import os
import time

import intents.agent

_respond = intents.agent.respond


def _hang():
    with open(os.environ["FAULT_FLAG"], "w"):
        pass
    time.sleep(3600)  # until kill -9


def _respond_and_hang(*args, **kwargs):
    if os.environ["FAULT_WHEN"] == "before":
        _hang()
    out = _respond(*args, **kwargs)
    _hang()
    return out


intents.agent.respond = _respond_and_hang
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_worker_killed_in_the_middle_of_a_message_it_is_handled_once_when_the_leases_run_out(
        make_app, workers, tmp_path: Path, when: str) -> None:  # type: ignore[no-untyped-def]
    """The message path's recovery after a kill -9: the message is left "processing", its RQ job
    "started" and its sender's lock taken by the dead worker. Once those run out (RQ marks the job
    abandoned ~11 minutes later, the lock and the claim last 10 minutes: the test moves the clock by
    expiring them), the sweeper hands the message to another worker, which must handle it once."""
    from datetime import timedelta

    from redis import Redis
    from rq import Queue
    from rq.registry import StartedJobRegistry

    from storage.models import utcnow

    app = make_app()
    rt = app.extensions["munshi"]
    flag = tmp_path / "stopped"
    [doomed] = workers.start(rt.config, prelude=HANG_IN_MESSAGE, FAULT_WHEN=when, FAULT_FLAG=str(flag))
    twilio = Twilio(TOKEN, client=app.test_client())
    response, form = twilio.send(BODY)
    assert response.status_code == 200
    wait_for(flag.exists, timeout=30, what="the worker to stop in the message", details=workers.logs_text)
    doomed.kill()
    doomed.wait(5)
    with rt.db.session() as s:
        msg = s.scalar(select(Message).where(Message.sid == form["MessageSid"]))
        assert msg is not None and msg.status == "processing"
        # Ten minutes later…
        msg.claimed_at = utcnow() - timedelta(hours=1)
    assert rt.config.redis_url
    conn = Redis.from_url(rt.config.redis_url)
    try:
        assert conn.delete(f"{rt.config.queue_name}:sender:{OWNER}") == 1  # the dead worker's lock expired
        StartedJobRegistry(queue=Queue(rt.config.queue_name, connection=conn)).cleanup(time.time() + 3600)
    finally:
        conn.close()

    workers.start(rt.config, fast_sweeper=True)
    seen = wait_finished(rt.db, [form["MessageSid"]], timeout=30, details=workers.logs_text)
    [row] = seen.inbound
    assert row.attempts == 2
    check_once_and_in_order(rt.db, seen, Burst("", {OWNER: [form]}))  # stock 1, one reply
    [reply] = seen.replies[row.id]
    if when == "after":  # the stock change was saved before the kill: found, not made again
        assert ALREADY in reply.body and "adding 1 bag cement" in reply.body, reply.body
    else:
        assert LEVEL.search(reply.body), reply.body


def test_a_message_left_by_a_killed_worker_is_handled_before_the_senders_later_ones(
        make_app, workers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The first message's worker is killed holding it; the owner's next message arrives meanwhile.
    When the dead worker's lock on the sender runs out (ten minutes: the test ages the claim and
    expires the lock; the dead worker's RQ job still counts as started, so the sweeper leaves the
    first message alone), whoever takes the lock for the second message handles the first one again
    before it: the owner's messages are answered in the order sent."""
    from datetime import timedelta

    from redis import Redis

    from storage.models import utcnow

    app = make_app()
    rt = app.extensions["munshi"]
    flag = tmp_path / "stopped"
    [doomed] = workers.start(rt.config, prelude=HANG_IN_MESSAGE, FAULT_WHEN="before", FAULT_FLAG=str(flag))
    twilio = Twilio(TOKEN, client=app.test_client())
    first = twilio.send(BODY)[1]
    wait_for(flag.exists, timeout=30, what="the worker to stop in the message", details=workers.logs_text)
    doomed.kill()
    doomed.wait(5)
    second = twilio.send(BODY)[1]
    with rt.db.session() as s:
        s.execute(update(Message).where(Message.sid == first["MessageSid"])
                  .values(claimed_at=utcnow() - timedelta(minutes=11)))
    assert rt.config.redis_url
    conn = Redis.from_url(rt.config.redis_url)
    try:
        assert conn.delete(f"{rt.config.queue_name}:sender:{OWNER}") == 1  # the dead worker's lock expired
    finally:
        conn.close()

    workers.start(rt.config, fast_sweeper=True)  # re-enqueues the second message: it is still pending
    sids = [first["MessageSid"], second["MessageSid"]]
    seen = wait_finished(rt.db, sids, timeout=30, details=workers.logs_text)
    check_once_and_in_order(rt.db, seen, Burst("", {OWNER: [first, second]}))  # now 1 bag, then 2 bags
    by_sid = {r.sid: r for r in seen.inbound}
    assert by_sid[sids[0]].attempts == 2 and by_sid[sids[1]].attempts == 1
    assert by_sid[sids[0]].processed_at <= by_sid[sids[1]].claimed_at


def _owner_messages(rt: Any, *messages: dict[str, Any]) -> list[int]:
    """OWNER's business and its inbound messages saying ``BODY`` (columns as given), their ids in order."""
    with rt.db.session() as s:
        biz = Business(phone=OWNER)
        s.add(biz)
        s.flush()
        rows = [Message(direction="in", sid=new_sid(), peer=OWNER, body=BODY, business_id=biz.id, **m)
                for m in messages]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def test_a_message_whose_worker_died_three_times_is_given_up_with_one_reply(make_app) -> None:  # type: ignore[no-untyped-def]
    """A message that took its worker down on every attempt is not tried a fourth time: it ends
    failed and the owner is told once that nothing was changed."""
    from datetime import timedelta

    from bot.pipeline import MAX_ATTEMPTS, process_sender
    from storage.models import utcnow

    app = make_app()
    rt = app.extensions["munshi"]
    given_up, next_id = _owner_messages(
        rt, {"status": "processing", "attempts": MAX_ATTEMPTS, "claimed_at": utcnow() - timedelta(minutes=11)},
        {"status": "pending"})
    assert process_sender(rt, next_id) == 2
    seen = Handled.read(rt.db)
    rows = {r.id: r for r in seen.inbound}
    assert rows[given_up].status == "failed" and "gave up after 3 attempts" in (rows[given_up].error or "")
    assert [r.body for r in seen.replies[given_up]] == [
        f"Sorry, something went wrong on my side while handling \"{BODY}\". Nothing was changed; "
        "please try again in a minute."]
    [reply] = seen.replies[next_id]
    level = LEVEL.search(reply.body)
    assert rows[next_id].status == "done" and level and level.group(1) == "1", reply.body
    with rt.db.session() as s:
        assert s.scalar(select(Product.stock).where(Product.name == "cement")) == 1


def test_a_message_still_in_a_live_workers_hands_holds_back_the_senders_later_ones(make_app) -> None:  # type: ignore[no-untyped-def]
    """After a Redis restart the sender's lock is gone while a worker is still on a message: the next
    job takes the lock, but neither handles that message a second time nor the later one before it."""
    from bot.pipeline import process_sender
    from storage.models import utcnow

    app = make_app()
    rt = app.extensions["munshi"]
    _, later_id = _owner_messages(rt, {"status": "processing", "attempts": 1, "claimed_at": utcnow()},
                                  {"status": "pending"})
    assert process_sender(rt, later_id) == 0
    seen = Handled.read(rt.db)
    assert [(r.status, r.attempts) for r in seen.inbound] == [("processing", 1), ("pending", 0)]
    assert seen.outbound == []


# -- 2. Redis restarted in the middle of a burst of 500 webhooks --------------------------------------

def test_redis_restarted_during_a_burst_of_500_nothing_lost_nothing_twice(
        make_app, workers, tmp_path: Path, database_url: str | None) -> None:  # type: ignore[no-untyped-def]
    """25 senders × 20 messages; after 150 are acknowledged the test's own redis-server is killed and
    started again (empty: queued jobs, sender locks and RQ's registries are gone) a second later.
    Every webhook is still acknowledged (storing needs no Redis); the sweeper enqueues what was
    stored meanwhile or lost with Redis; every message is handled and answered once, each sender's in
    order (a message in the middle of its handling when Redis went away holds back its sender's next
    one, whose job finds the lock free in the new Redis)."""
    redis = RedisServer(tmp_path / "redis").start()  # keeps nothing on disk: a restart empties it
    try:
        app = make_app(REDIS_URL=redis.url, DATABASE_URL=without_waiting_for_the_disk(database_url))
        rt = app.extensions["munshi"]
        workers.start(rt.config, 2, fast_sweeper=True)
        with serving(app) as url:
            burst = burst_of(url, phones(25), 20, threads=25)
            started = time.monotonic()
            burst.start()
            burst.wait_acked(150)
            redis.stop()  # jobs queued, locks and RQ's registries are gone
            down = len(burst.acked)
            time.sleep(1.0)  # webhooks meanwhile store and acknowledge; nothing reaches a queue
            redis.start()
            up = len(burst.acked)
            burst.wait_acked(500, timeout=90)
            acked = time.monotonic() - started
            seen = wait_finished(rt.db, burst.sids, timeout=90, details=workers.logs_text)
        took = time.monotonic() - started
        answers = Counter(a for answers in burst.answers.values() for a in answers)
        print(f"redis restart: {down} acknowledged before it, {up - down} while down; answers {dict(answers)}; "
              f"all acknowledged {acked:.1f}s, all handled {took:.1f}s")
        assert answers == {200: 500}  # storing never needs Redis: every webhook acknowledged first time
        check_once_and_in_order(rt.db, seen, burst)
    finally:
        workers.stop()  # before their Redis goes away for good
        redis.stop()


# -- 3. PostgreSQL restarted in the middle of a burst -------------------------------------------------

class PostgresCluster:
    """A private PostgreSQL cluster (Debian's ``pg_createcluster``) on a free port, for one test.

    Never the shared one: its own name, port and data directory, dropped at the end even when the
    test fails. ``fsync=off``: the test stops PostgreSQL, not the machine.
    """

    PREFIX = "munshifault"

    def __init__(self) -> None:
        self.version = max(os.listdir("/usr/lib/postgresql"), key=lambda v: float(v) if v.replace(".", "").isdigit()
                           else 0)
        self.name = f"{self.PREFIX}{os.getpid()}x{uuid.uuid4().hex[:6]}"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/munshi"

    @classmethod
    def unavailable(cls) -> str | None:
        """Why a private cluster cannot be made here, or None."""
        tools = ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_lsclusters")
        missing = [t for t in tools if shutil.which(t) is None]
        if missing or not os.path.isdir("/usr/lib/postgresql"):
            return f"PostgreSQL's cluster tools are not installed ({', '.join(missing) or '/usr/lib/postgresql'})"
        if os.geteuid() != 0:
            return "pg_createcluster needs root (it runs the cluster as the postgres user)"
        return None

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(args, check=True, capture_output=True, timeout=timeout)

    @classmethod
    def drop_leftovers(cls) -> None:
        """Drop clusters of this test whose test process is gone (killed before its teardown)."""
        listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=30)
        for line in listing.stdout.splitlines():
            version, name = [*line.split(), "", ""][:2]
            pid = name.removeprefix(cls.PREFIX).split("x")[0]
            if name.startswith(cls.PREFIX) and pid.isdigit() and not psutil.pid_exists(int(pid)):
                subprocess.run(["pg_dropcluster", "--stop", version, name], capture_output=True, timeout=60)

    def create(self) -> PostgresCluster:
        self.drop_leftovers()
        self._ctl("pg_createcluster", self.version, self.name, "-p", str(self.port), "--start-conf", "manual",
                  "-o", "fsync=off", "-o", "synchronous_commit=off", "-o", "full_page_writes=off",
                  "--", "--auth-host=trust", "--auth-local=trust")
        self.start()
        self._ctl("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c",
                  "CREATE DATABASE munshi")
        return self

    def start(self) -> None:
        self._ctl("pg_ctlcluster", self.version, self.name, "start")

    def stop(self) -> None:
        self._ctl("pg_ctlcluster", self.version, self.name, "stop", "-m", "fast")

    def drop(self) -> None:
        subprocess.run(["pg_dropcluster", "--stop", self.version, self.name], capture_output=True, timeout=60)


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    reason = PostgresCluster.unavailable()
    if reason:
        pytest.skip(reason)
    cluster = PostgresCluster()
    try:
        yield cluster.create()
    finally:
        cluster.drop()


# A message whose handling the outage cut short stays "processing" until the sweeper takes it
# back after PROCESSING_LEASE: 10 minutes in production, 10 seconds here.
SHORT_PROCESSING_LEASE = """
from datetime import timedelta

import bot.scheduling

bot.scheduling.PROCESSING_LEASE = timedelta(seconds=10)
"""


def test_postgres_restarted_during_a_burst_webhooks_answer_5xx_then_every_message_handled_once(
        private_postgres: PostgresCluster, make_app, workers) -> None:  # type: ignore[no-untyped-def]
    """A private PostgreSQL cluster is stopped (fast shutdown) in the middle of a burst of 200 messages
    from 10 senders and started again a second later. While it is down the webhook answers 5xx and
    Twilio (the test) retries; once it is back every message is handled and answered once, each
    sender's in order, no stock change applied twice.

    (``private_postgres`` first: it is torn down last, after the workers have stopped.)"""
    app = make_app(DATABASE_URL=private_postgres.url)
    rt = app.extensions["munshi"]
    workers.start(rt.config, 2, fast_sweeper=True, prelude=SHORT_PROCESSING_LEASE)
    with serving(app) as url:
        burst = burst_of(url, phones(10), 20, threads=10)
        started = time.monotonic()
        burst.start()
        burst.wait_acked(60)
        private_postgres.stop()
        time.sleep(0.3)  # answers to requests that were stored just before it stopped have arrived
        down = len(burst.acked)
        time.sleep(1.0)
        still_down = len(burst.acked)
        private_postgres.start()  # returns once it accepts connections again
        burst.wait_acked(200, timeout=90)
        acked = time.monotonic() - started
        seen = wait_finished(rt.db, burst.sids, timeout=90, details=workers.logs_text)
    took = time.monotonic() - started
    answers = Counter(a for answers in burst.answers.values() for a in answers)
    retried = sum(1 for answers in burst.answers.values() if len(answers) > 1)
    print(f"postgres restart: {down} acknowledged before it, {still_down - down} while down; "
          f"answers {dict(answers)}, "
          f"{retried} messages retried; all acknowledged {acked:.1f}s, all handled {took:.1f}s; "
          f"attempts {dict(Counter(r.attempts for r in seen.inbound))}")
    assert still_down == down  # nothing acknowledged while the database was down…
    assert any(isinstance(a, int) and a >= 500 for a in answers)  # …Twilio was told to retry instead
    assert set(answers) <= {200} | set(range(500, 600))
    check_once_and_in_order(rt.db, seen, burst)  # each sender's in order, and nothing applied twice


def test_a_reply_stored_with_its_message_but_never_sent_is_sent_by_the_sweeper_once(make_app) -> None:  # type: ignore[no-untyped-def]
    """What the PostgreSQL restart showed: a message marked done whose reply was lost because the
    database went away between the two. Replies are now stored (queued) in the transaction that
    marks the message done; one a crash left unsent is sent by the sweeper, exactly once."""
    from datetime import timedelta

    from bot.channel import Channel
    from bot.scheduling import sweep
    from storage.models import utcnow

    app = make_app()
    rt = app.extensions["munshi"]
    with rt.db.session() as s:
        biz = Business(phone=OWNER)
        s.add(biz)
        s.flush()
        msg = Message(direction="in", sid=new_sid(), peer=OWNER, body=BODY, status="done", business_id=biz.id,
                      attempts=1, processed_at=utcnow())
        s.add(msg)
        s.flush()
        Channel(rt.config, rt.db).stage(s, biz.id, OWNER, "📦 Added 1 bag cement → now 1 bag.",
                                        idempotency_key=f"reply-{msg.id}-0")
    # …and the process died before sending it. A minute later the sweeper finds it.
    with rt.db.session() as s:
        s.execute(update(Message).where(Message.direction == "out").values(created_at=utcnow() - timedelta(minutes=1)))
    for _ in range(2):
        sweep(rt)
    with rt.db.session() as s:
        [reply] = s.scalars(select(Message).where(Message.direction == "out")).all()
    assert (reply.peer, reply.status, reply.idempotency_key) == (OWNER, "sent", f"reply-{msg.id}-0") and reply.sid


# -- 4. 1,000 messages from 50 senders at once --------------------------------------------------------

def test_a_thousand_messages_from_fifty_senders_all_handled_each_sender_in_order(
        make_app, workers, database_url: str | None) -> None:  # type: ignore[no-untyped-def]
    """50 senders send 20 messages each, all at once (each sender's one after the other, as Twilio
    delivers them); two workers. All 1,000 are handled once, each sender's in arrival order."""
    app = make_app(DATABASE_URL=without_waiting_for_the_disk(database_url))
    rt = app.extensions["munshi"]
    workers.start(rt.config, 2)
    with serving(app) as url:
        burst = burst_of(url, phones(50), 20, threads=50)
        started = time.monotonic()
        burst.run()
        acked = time.monotonic() - started
        assert len(burst.acked) == 1000, Counter(a for answers in burst.answers.values() for a in answers)
        seen = wait_finished(rt.db, burst.sids, timeout=120, details=workers.logs_text)
    print(f"1,000 messages: acknowledged in {acked:.1f}s, all handled in {time.monotonic() - started:.1f}s")
    check_once_and_in_order(rt.db, seen, burst)


# -- 5. the same delivery 20 times at once -------------------------------------------------------------

def _at_once(n: int, call: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """``call`` from ``n`` threads released together."""
    gate = threading.Barrier(n)

    def one(_: int) -> httpx.Response:
        gate.wait()
        return call()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_the_same_message_sid_twenty_times_at_once_is_one_message_one_effect_one_reply(
        make_app, workers) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    rt = app.extensions["munshi"]
    workers.start(rt.config, 2)
    with serving(app) as url:
        twilio = Twilio(TOKEN, base_url=url)
        form = twilio.message(BODY, sender=OWNER)
        answers = _at_once(20, lambda: twilio.post(form))
        assert [a.status_code for a in answers] == [200] * 20
        burst = Burst(url, {OWNER: [form]})
        seen = wait_finished(rt.db, [form["MessageSid"]], timeout=30, details=workers.logs_text)
    check_once_and_in_order(rt.db, seen, burst)  # one row, handled once, one reply ("now 1 bag"), stock 1
    [row] = seen.inbound
    assert row.attempts == 1


def test_the_same_razorpay_event_twenty_times_at_once_is_one_payment_one_run(
        make_app, workers) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    rt = app.extensions["munshi"]
    config = rt.config
    secret = "rzp-webhook-secret-faults"
    with rt.db.session() as s:
        biz = Business(phone=OWNER, name="Sharma Hardware")
        s.add(biz)
        s.flush()
        credentials.store(s, config.secret_key, biz.id, "razorpay",
                          {"key_id": "rzp_test_x", "key_secret": "y", "webhook_secret": secret})
        biz_id, webhook_id = biz.id, biz.webhook_id
    nodes = [{"id": "trigger_1", "type": "trigger",
              "data": {"service": "razorpay", "task": "payment_received", "params": {}}},
             {"id": "thank", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
                 "to": "{{trigger_data.customer.phone}}",
                 "message": "Thank you {{trigger_data.customer.name}} for {{trigger_data.payment.amount}}"}}}]
    with rt.db.session() as s:
        flow = store.create_flow(s, biz_id, "Thanks", {"nodes": nodes, "edges": [
            {"id": "e0", "source": "trigger_1", "target": "thank"}]}, activate=True)
    workers.start(config, 2)
    raw = RAZORPAY_FIXTURE.read_bytes()
    payment_id = json.loads(raw)["payload"]["payment"]["entity"]["id"]
    headers = {"Content-Type": "application/json", "x-razorpay-event-id": "evt_faults_1",
               "X-Razorpay-Signature": hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()}
    with serving(app) as url:
        answers = _at_once(20, lambda: httpx.post(f"{url}/webhooks/razorpay/{webhook_id}", content=raw,
                                                  headers=headers, timeout=30))
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]
    assert Counter(a.json()["status"] for a in answers) == {"recorded": 1, "duplicate": 19}

    def run_done() -> list[Run] | None:
        with rt.db.session() as s:
            runs = list(s.scalars(select(Run).where(Run.flow_id == flow.id)))
        return runs if runs and all(r.status == "succeeded" for r in runs) else None

    wait_for(run_done, timeout=30, what="the payment flow's run", details=workers.logs_text)
    time.sleep(1.0)  # a second run, had one been made, would be on its way by now
    with rt.db.session() as s:
        assert len(s.scalars(select(Run).where(Run.flow_id == flow.id)).all()) == 1
        [payment] = s.scalars(select(Payment)).all()
        assert payment.external_id == payment_id and payment.amount_paise == 100
        out = list(s.scalars(select(Message).where(Message.direction == "out")))
    # One note to the owner, one thank-you to the customer.
    assert Counter((m.peer, m.idempotency_key.split("-")[0]) for m in out) == {(OWNER, "razorpay"): 1,
                                                                              (CUSTOMER, "run"): 1}
