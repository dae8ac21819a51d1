"""The message path end to end: a signed webhook in, real worker processes, the reply in the outbox.

These tests hold whether or not the understanding engine is installed (without it every message is
answered with an apology): they check that a reply exists, who it went to, order and exactly-once.
The greeting/help tests run once `intents.understand` exists.
"""
from __future__ import annotations

import itertools
import json
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import update

from bot.config import Config
from intents import prompts
from storage.db import Database
from storage.models import Business, Message, Product
from tests.helpers import (
    OWNER,
    TOKEN,
    RedisServer,
    Twilio,
    embedded_redis_processes,
    env_for,
    finished,
    inbound,
    outbox,
    python_m_bot,
    replies_to,
)

pytestmark = pytest.mark.integration

OTHER = "+919800000002"


def understanding_available() -> bool:
    try:
        from intents.understand import Context, ProductInfo, suggest, understand  # noqa: F401
    except ImportError:
        return False
    return True


needs_understanding = pytest.mark.skipif(
    not understanding_available(), reason="intents.understand (the understanding engine) has not landed yet")


def queue_idle(config: Config) -> bool:
    """No job of this test waiting or running."""
    assert config.redis_url
    conn = Redis.from_url(config.redis_url)
    try:
        queue = Queue(config.queue_name, connection=conn)
        return queue.count == 0 and StartedJobRegistry(queue=queue).count == 0
    finally:
        conn.close()


def handled_in_order(db: Database, messages: list[Message]) -> None:
    """Each message was handled after the one before it, and its replies went out after the earlier ones."""
    assert [m.id for m in messages] == sorted(m.id for m in messages)
    for earlier, later in itertools.pairwise(messages):
        assert earlier.processed_at and later.claimed_at and later.processed_at
        assert earlier.processed_at <= later.claimed_at, (
            f"{later.body!r} was started before {earlier.body!r} was finished")
    reply_ids = [[r.id for r in replies_to(db, m)] for m in messages]
    flat = [i for ids in reply_ids for i in ids]
    assert flat == sorted(flat), f"replies went out of order: {reply_ids}"


# -- one message -------------------------------------------------------------------------------------

def test_signed_webhook_in_reply_in_the_outbox(config: Config, twilio: Twilio, db: Database, workers,
                                               wait_handled) -> None:  # type: ignore[no-untyped-def]
    workers.start(config)
    response, form = twilio.send("hello")
    assert response.status_code == 200
    [msg] = wait_handled(lambda: finished(db, [form["MessageSid"]]), what="the reply to 'hello'")
    assert msg.status in ("done", "failed") and msg.attempts == 1
    [reply] = replies_to(db, msg)
    assert reply.peer == OWNER and reply.body.strip()
    assert reply.status == "sent" and reply.sid  # kept in the local outbox
    assert reply.business_id == msg.business_id
    assert [m.id for m in outbox(db)] == [reply.id]


def test_forged_webhook_is_refused_and_nothing_reaches_the_queue(config: Config, http_twilio: Twilio,
                                                                 db: Database) -> None:
    form = http_twilio.message("pay Suresh 50000")
    forged = Twilio("someone-elses-token", base_url=http_twilio.base_url)
    assert forged.post(form).status_code == 403
    assert http_twilio.post(form, sign=False).status_code == 403
    assert inbound(db) == [] and outbox(db) == []
    assert queue_idle(config)


def test_same_message_sid_twenty_times_at_once_is_handled_once(config: Config, http_twilio: Twilio,
                                                              db: Database, workers, wait_handled) -> None:  # type: ignore[no-untyped-def]
    workers.start(config, 2)
    form = http_twilio.message("invoice Suresh")
    start = threading.Barrier(20)

    def post(_: int) -> int:
        start.wait()
        return int(http_twilio.post(form).status_code)

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(post, range(20)))
    assert codes == [200] * 20
    [msg] = wait_handled(lambda: finished(db, [form["MessageSid"]]), what="the message to be handled")
    wait_handled(lambda: queue_idle(config), what="the queue to be empty")
    assert len(inbound(db)) == 1
    assert msg.attempts == 1  # claimed by one worker, once
    assert len(replies_to(db, msg)) == 1 and len(outbox(db)) == 1
    with db.session() as s:
        assert s.query(Business).count() == 1


def test_redis_down_message_kept_and_handled_once_when_it_is_back(make_app, tmp_path: Path, workers,
                                                                  wait_handled) -> None:  # type: ignore[no-untyped-def]
    redis = RedisServer(tmp_path / "redis").start()
    try:
        app = make_app(REDIS_URL=redis.url)
        config, db = app.extensions["munshi"].config, app.extensions["munshi"].db
        twilio = Twilio(TOKEN, client=app.test_client())
        workers.start(config, fast_sweeper=True)

        redis.stop()
        response, form = twilio.send("hello")
        assert response.status_code == 200 and response.text.endswith("<Response/>")
        [msg] = inbound(db)
        assert msg.status == "pending"  # stored, acknowledged, not lost

        redis.start()  # an empty Redis: the job that could not be enqueued is nowhere but in the database
        [msg] = wait_handled(lambda: finished(db, [form["MessageSid"]]), timeout=30,
                             what="the worker's sweeper to pick up the message once Redis was back")
        assert msg.attempts == 1 and len(replies_to(db, msg)) == 1
        wait_handled(lambda: queue_idle(config), what="the queue to be empty")
        assert len(outbox(db)) == 1
    finally:
        workers.stop()  # before their Redis goes away for good
        redis.stop()


def test_sweeper_takes_a_message_whose_job_was_lost(config: Config, twilio: Twilio, db: Database, workers,
                                                    wait_handled) -> None:  # type: ignore[no-untyped-def]
    """A message stored while no job reached Redis (e.g. the web process died) is not lost."""
    with db.session() as s:
        biz = Business(phone=OWNER)
        s.add(biz)
        s.flush()
        s.add(Message(direction="in", sid="SMlost", peer=OWNER, body="hello", status="pending",
                      business_id=biz.id))
    workers.start(config, fast_sweeper=True)
    [msg] = wait_handled(lambda: finished(db, ["SMlost"]), what="the sweeper to pick up the stranded message")
    assert msg.attempts == 1 and len(replies_to(db, msg)) == 1


# -- order and parallelism -------------------------------------------------------------------------------

def test_one_senders_messages_are_handled_in_arrival_order(config: Config, twilio: Twilio, db: Database,
                                                           workers, wait_handled) -> None:  # type: ignore[no-untyped-def]
    workers.start(config, 3)
    sids = [twilio.send(text)[1]["MessageSid"] for text in ("invoice Suresh", "4 boxes tiles at 1200")]
    pair = wait_handled(lambda: finished(db, sids), what="both messages to be handled")
    handled_in_order(db, pair)

    sids = [twilio.send(f"add {n} bags cement")[1]["MessageSid"] for n in range(1, 11)]
    ten = wait_handled(lambda: finished(db, sids), what="ten messages to be handled")
    assert [m.body for m in ten] == [f"add {n} bags cement" for n in range(1, 11)]
    handled_in_order(db, ten)
    assert all(m.attempts == 1 for m in inbound(db))
    assert all(len(replies_to(db, m)) == 1 for m in inbound(db))


def test_two_senders_are_handled_in_parallel(config: Config, twilio: Twilio, db: Database, workers,
                                             wait_handled) -> None:  # type: ignore[no-untyped-def]
    """While one sender's message takes long, another sender's messages are not held up behind it.

    The test plays a worker that is busy with a long message of OWNER's (a long voice note, say) by
    holding OWNER's sender lock; more messages of OWNER's than there are workers arrive meanwhile.
    """
    workers.start(config, 3)
    assert config.redis_url
    conn = Redis.from_url(config.redis_url)
    busy = conn.lock(f"{config.queue_name}:sender:{OWNER}", timeout=60)
    assert busy.acquire(blocking=False)
    try:
        owner_sids = [twilio.send(f"owner message {i}")[1]["MessageSid"] for i in range(5)]
        other_sids = [twilio.send(f"other message {i}", sender=OTHER)[1]["MessageSid"] for i in range(2)]
        others = wait_handled(lambda: finished(db, other_sids), timeout=15,
                              what=f"{OTHER}'s messages while {OWNER} is busy "
                                   "(senders must not wait for each other)")
        handled_in_order(db, others)
        assert all(m.status == "pending" for m in inbound(db, OWNER))  # OWNER's wait for OWNER's turn
    finally:
        busy.release()
        conn.close()
    # OWNER's turn is over; the next message of OWNER's gets all of them handled, in order.
    owner_sids.append(twilio.send("owner message 5")[1]["MessageSid"])
    owners = wait_handled(lambda: finished(db, owner_sids), what=f"{OWNER}'s messages after the busy one")
    assert [m.body for m in owners] == [f"owner message {i}" for i in range(6)]
    handled_in_order(db, owners)
    assert all(m.attempts == 1 for m in inbound(db))


# -- ALLOWED_SENDERS -----------------------------------------------------------------------------------

def test_an_outsider_gets_one_polite_refusal(make_app, workers, wait_handled) -> None:  # type: ignore[no-untyped-def]
    app = make_app(ALLOWED_SENDERS=OWNER)
    config, db = app.extensions["munshi"].config, app.extensions["munshi"].db
    twilio = Twilio(TOKEN, client=app.test_client())
    workers.start(config)
    sids = [twilio.send(text, sender=OTHER)[1]["MessageSid"] for text in ("hello", "hello again")]

    def both_done() -> bool:
        return all(m.status == "done" for m in inbound(db)) and len(inbound(db)) == 2

    wait_handled(both_done, what="the outsider's messages to be handled")
    wait_handled(lambda: queue_idle(config), what="the queue to be empty")
    assert [(m.peer, m.body) for m in outbox(db)] == [(OTHER, prompts.NOT_ALLOWED)]
    assert {m.sid for m in inbound(db)} == set(sids)
    with db.session() as s:
        assert s.query(Business).count() == 0


# -- the console ------------------------------------------------------------------------------------------

CHAT_SCRIPT = """# a comment, then an empty line: neither is a message

hello
@from 9800000002
what can you do?
@from +919800000001
thanks
"""


def run_cli(config: Config, *args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    proc = python_m_bot(*args, env=env_for(config), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(stdin, timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def chat_lines(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # nothing but JSON lines on stdout
    for line in lines:
        assert set(line) >= {"turn", "to", "body", "media"}, line
        assert isinstance(line["turn"], int) and isinstance(line["body"], str)
        assert isinstance(line["media"], list)
    return lines


def test_chat_json_prints_one_line_per_outbound_message(config: Config, db: Database) -> None:
    lines = chat_lines(run_cli(config, "chat", "--json", stdin=CHAT_SCRIPT))
    turns = [line["turn"] for line in lines]
    assert turns == sorted(turns) and set(turns) == {1, 2, 3}  # every message answered, in order
    to = {line["turn"]: line["to"] for line in lines}
    assert to == {1: OWNER, 2: OTHER, 3: OWNER}  # @from switches the sender; bare numbers get +91
    assert all(line["body"].strip() for line in lines)
    # The same pipeline as the webhook: the messages and replies are stored.
    assert [(m.peer, m.body) for m in inbound(db)] == [(OWNER, "hello"), (OTHER, "what can you do?"),
                                                      (OWNER, "thanks")]
    assert [m.body for m in outbox(db)] == [line["body"] for line in lines]
    with db.session() as s:
        assert sorted(b.phone for b in s.query(Business)) == [OWNER, OTHER]


def test_chat_from_option_and_empty_input(config: Config) -> None:
    assert chat_lines(run_cli(config, "chat", "--json", stdin="")) == []
    lines = chat_lines(run_cli(config, "chat", "--json", "--from", "+919800000003", stdin="hello\n"))
    assert {line["to"] for line in lines} == {"+919800000003"} and lines[0]["turn"] == 1


def test_chat_on_the_embedded_redis_leaves_nothing_running(config: Config) -> None:
    """With no REDIS_URL, chat starts an embedded Redis in MUNSHI_HOME; it must stop with chat."""
    proc = python_m_bot("chat", "--json", env=env_for(config, REDIS_URL=None), stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate("hello\n", timeout=60)
    lines = chat_lines(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    assert [line["turn"] for line in lines] == [1]  # answered: the embedded Redis carried the job
    left = embedded_redis_processes(config.home)
    for leftover in left:  # don't leave it running even when the test fails
        leftover.kill()
    assert not left, "chat left its embedded redis-server running"


def test_export_prints_the_spec_shape(config: Config, db: Database) -> None:
    lines = chat_lines(run_cli(config, "chat", "--json", stdin="hello\n@from +919800000002\nhello\n"))
    assert lines
    with db.session() as s:
        biz = s.query(Business).filter_by(phone=OWNER).one()
        s.add(Product(business_id=biz.id, name="cement", unit="bag", price_paise=34550, stock=45))
    result = run_cli(config, "export")
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(result.stdout)
    assert [b["phone"] for b in data["businesses"]] == [OWNER, OTHER]
    owner = data["businesses"][0]
    keys = ("phone", "name", "customers", "products", "invoices", "payments", "flows", "runs", "messages")
    assert set(keys) <= set(owner), set(keys) - set(owner)
    assert [{k: p[k] for k in ("name", "unit", "price", "stock")} for p in owner["products"]] == \
        [{"name": "cement", "unit": "bag", "price": 345.5, "stock": 45}]
    assert [m["direction"] for m in owner["messages"]][:1] == ["in"]
    assert {m["direction"] for m in owner["messages"]} == {"in", "out"}
    assert all(set(m) >= {"direction", "peer", "body", "media", "at"} for m in owner["messages"])

    one = run_cli(config, "export", "--from", "9800000002")  # a bare Indian mobile number
    assert one.returncode == 0
    assert [b["phone"] for b in json.loads(one.stdout)["businesses"]] == [OTHER]


# -- greeting and help (need the understanding engine) --------------------------------------------------

@needs_understanding
def test_chat_greeting_and_help(config: Config) -> None:
    lines = chat_lines(run_cli(config, "chat", "--json", stdin="hello\nwhat can you do?\n"))
    by_turn = {line["turn"]: line["body"] for line in lines}
    assert by_turn[1] == prompts.GREETING  # a brand-new sender's first message is answered normally
    help_text = by_turn[2].lower()
    for topic in ("invoice", "payment", "stock", "automation", "voice"):
        assert topic in help_text, topic


@needs_understanding
def test_greeting_over_the_webhook(config: Config, twilio: Twilio, db: Database, workers,
                                   wait_handled) -> None:  # type: ignore[no-untyped-def]
    workers.start(config)
    sids = [twilio.send(text)[1]["MessageSid"] for text in ("hi", "help")]
    greeting, help_ = wait_handled(lambda: finished(db, sids), what="replies to 'hi' and 'help'")
    assert greeting.status == help_.status == "done"
    assert [r.body for r in replies_to(db, greeting)] == [prompts.GREETING]
    assert [r.body for r in replies_to(db, help_)] == [prompts.HELP]


def test_a_stuck_message_is_reclaimed(config: Config, db: Database, workers, wait_handled) -> None:  # type: ignore[no-untyped-def]
    """A message a dead worker had claimed long ago goes back to pending and is handled once."""
    from datetime import timedelta

    from storage.models import utcnow

    with db.session() as s:
        biz = Business(phone=OWNER)
        s.add(biz)
        s.flush()
        s.add(Message(direction="in", sid="SMstuck", peer=OWNER, body="hello", status="processing",
                      business_id=biz.id, attempts=1))
    long_ago = utcnow() - timedelta(hours=1)  # the worker that claimed it is long gone
    with db.session() as s:
        s.execute(update(Message).where(Message.sid == "SMstuck").values(claimed_at=long_ago))
    workers.start(config, fast_sweeper=True)
    [msg] = wait_handled(lambda: finished(db, ["SMstuck"]), what="the sweeper to reclaim the stuck message")
    assert msg.attempts == 2 and len(replies_to(db, msg)) == 1
