"""The flow engine: one `Run` of one flow version, walked step by step, durably.

`execute(rt, run_id)` is what the RQ job `flows.jobs.run_flow` calls. It
claims the run (its row says ``running`` with a heartbeat renewed while it
works, so two workers never run it at once, and a run whose worker died is
handed to another after `RUN_LEASE`), then walks the blueprint's graph by its
edges:

- the nodes are visited in topological order; a node runs when one of the
  links into it was taken (the trigger's edges, a condition's ``true`` or
  ``false`` edges, a step's edges after it succeeded, its fallback link
  after it failed), so branches that were not taken are skipped, joins run
  once, and several edges out of a node all run;
- a ``loop`` node (``control.for_each``) runs the part of the graph behind
  its ``each`` edges once per item (step keys ``node[0]``, ``node[1]``…,
  ``{{loop.item}}`` and ``{{loop.index}}`` inside), then follows ``done``;
- ``delay.wait`` and retry delays do not hold a worker: the run becomes
  ``waiting`` with ``resume_at`` and a job is scheduled for that moment
  (the periodic recovery enqueues it again if that job is lost).

Every step's result is stored in the same transaction as the database writes
of the tool itself (a stock change is never applied twice), and all of it is
committed before the next step that reaches outside starts (an HTTP call, an
email, a WhatsApp through Twilio): the outside world never acts on anything
the database could still lose. Steps that only touch the database are
committed together — a crash undoes their writes and their results alike, and
the replay does them once. Re-executing a run — a worker killed mid-run, a
duplicate job, an owner's RETRY — replays the walk with the stored outputs
and skips every step that already succeeded; side-effecting tools get the
idempotency key ``run-<run id>-<step key>``, the same on every attempt, so a
customer never gets a second WhatsApp.

Outside calls are at least once, and this is where: a step that reaches
outside is recorded as done only after the call returned, so a worker killed
between the other side acting and that commit (or a call that timed out
after the other side acted) leaves the step undone, and the replay calls
again — with the same idempotency key, so the receiver can tell it is a
repeat. WhatsApp stores the message under the key before sending and never
sends a stored, sent key again (the window left is Twilio accepting the
message and the worker dying before its SID is saved); ``http.request`` sends
the key as ``Idempotency-Key``; ``email.send`` derives the ``Message-ID`` from
it; ``razorpay.create_payment_link`` uses it as the ``reference_id`` and finds
the first link; a Slack post or a Google Sheets row has no such handle and may
be repeated in that window. Everything inside the database (the outbox, the
local sheet, invoices, payments, stock) is exactly once.

``error_handling`` per node: ``retry_count`` retries of errors that may pass
(timeouts, 5xx, 429, unexpected exceptions) after ``retry_delay`` seconds,
``fixed`` or ``exponential`` (×2 each time); errors that cannot pass on a
retry (bad parameters, a bad phone number, a 4xx answer, a service not
connected) are not retried. Then ``on_failure``: ``stop`` (the run fails),
``continue`` (go on as if the step were done) or ``fallback`` (run
``fallback_node`` instead of the step's edges).

A run that fails tells the owner in chat which flow, which step and why, and
how to retry: `retry_run` (the chat's RETRY, via `retry_last_failed`) puts the
failed step back and re-runs the flow from there with the earlier steps'
stored results. Runs that succeed say nothing.

Every step is logged in `RunStep`: status, attempts, start and end times,
the resolved input (secrets hidden), the output and the error.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel
from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import FlowError, MunshiError, NotFound, ToolError
from flows import conditions, template
from flows.schema import Blueprint, Edge, ErrorHandling, Node
from storage.models import (
    Business,
    Credential,
    Flow,
    FlowStatus,
    Message,
    Run,
    RunStatus,
    RunStep,
    StepStatus,
    utcnow,
)
from tools.base import BaseTool, ToolContext, secret_name

log = logging.getLogger(__name__)

#: Seconds a worker's claim on a run lasts without renewal (renewed every third of it): how long a run
#: whose worker died waits before the recovery hands it to another (``MUNSHI_RUN_LEASE`` to change).
RUN_LEASE = float(os.environ.get("MUNSHI_RUN_LEASE") or 30)
#: Items a loop may repeat over.
MAX_LOOP_ITEMS = 200
#: Longest wait between two attempts of a step, whatever the backoff says.
MAX_RETRY_WAIT = 6 * 3600.0
#: A resume job may come this early (clocks of different machines) and still count as on time.
EARLY = timedelta(milliseconds=250)
FINAL = (RunStatus.succeeded, RunStatus.failed)
NO_HANDLING = ErrorHandling()

HIDDEN = "[hidden]"


# ------------------------------------------------------------------------------------------ helpers

def aware(dt: datetime | None) -> datetime | None:
    """A datetime read back from SQLite (naive, UTC) made timezone-aware."""
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=UTC)


def jsonable(value: Any) -> Any:
    """Tool output as plain JSON data (Decimals as numbers, datetimes as ISO text…)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="json"))
    return str(value)


def _hide_url_secrets(text: str) -> str:
    """A URL with its password and secret-sounding query values (``?api_key=…``, ``?sig=…``) hidden."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    hidden = parts
    if parts.password:
        netloc = f"{parts.username}:{HIDDEN}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        hidden = hidden._replace(netloc=netloc)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, HIDDEN if v and secret_name(k) else v)
            for k, v in pairs]
    if kept != pairs:
        hidden = hidden._replace(query=urlencode(kept, safe="[]"))
    return text if hidden is parts else urlunsplit(hidden)


def redact(value: Any) -> Any:
    """``value`` with secrets hidden: values under secret-sounding keys, passwords inside URLs."""
    if isinstance(value, dict):
        return {k: HIDDEN if secret_name(str(k)) and v not in (None, "") else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str) and "://" in value and ("@" in value or "?" in value):
        return _hide_url_secrets(value)
    return jsonable(value)


def reaches_out(tool: BaseTool, ctx: ToolContext) -> bool:
    """Does this call of ``tool`` use the network or other connections (so nothing may be pending)?

    Tools say so with ``external = True``, or per call with ``reaches_out(ctx)``
    (WhatsApp in outbox mode and the local sheet are rows in the step's own
    transaction); the business tools only use the session they are given.
    """
    check = getattr(tool, "reaches_out", None)
    if callable(check):
        return bool(check(ctx))
    return bool(getattr(tool, "external", False))


def retryable(exc: BaseException) -> bool:
    """May another attempt succeed? Tool errors say so; other Munshi errors cannot; surprises may."""
    if isinstance(exc, ToolError):
        return bool(exc.retryable)
    if isinstance(exc, MunshiError):
        return False
    return True


def reason_of(exc: BaseException) -> str:
    """Why a step failed, in words for the owner (never a secret, never a traceback)."""
    if isinstance(exc, MunshiError):
        return exc.message
    return f"something went wrong inside Munshi ({type(exc).__name__})"


def backoff(handling: ErrorHandling, attempt: int) -> float:
    """Seconds before the retry that follows failed attempt number ``attempt`` (1-based)."""
    delay = float(handling.retry_delay or 0)
    if handling.backoff == "exponential":
        delay *= 2 ** (attempt - 1)
    return min(delay, MAX_RETRY_WAIT)


# ------------------------------------------------------------------------------------------ statements
# Built once: the engine's own statements run on every step, and building a statement costs more than
# running it. Table-level (Core) statements skip the ORM's bookkeeping as well.

_runs = cast(Table, Run.__table__)
_steps = cast(Table, RunStep.__table__)
_credentials = cast(Table, Credential.__table__)
_CONNECTED = (select(func.aggregate_strings(_credentials.c.service, ","))
              .where(_credentials.c.business_id == _runs.c.business_id).scalar_subquery())
_START = (select(_runs.c.status, _runs.c.resume_at, _runs.c.started_at, _runs.c.flow_id, _runs.c.flow_version,
                 _runs.c.business_id, _runs.c.trigger_data, _runs.c.chain_depth, Flow.__table__.c.name,
                 Flow.__table__.c.status, Flow.__table__.c.deleted_at, Business.__table__.c.name,
                 Business.__table__.c.phone, _CONNECTED)
          .join(Flow.__table__, Flow.__table__.c.id == _runs.c.flow_id)
          .join(Business.__table__, Business.__table__.c.id == _runs.c.business_id)
          .where(_runs.c.id == bindparam("run_id")))
_STEPS = select(_steps.c.step_key, _steps.c.status, _steps.c.attempts, _steps.c.output, _steps.c.error,
                _steps.c.started_at).where(_steps.c.run_id == bindparam("run_id"))
_STEP_INSERT = insert(_steps)
_STEP_UPDATE = (update(_steps).where(_steps.c.run_id == bindparam("b_run_id"),
                                     _steps.c.step_key == bindparam("b_step_key"))
                .values({c: bindparam(c) for c in ("status", "attempts", "input", "output", "error", "started_at",
                                                   "finished_at")}))
_RUN_END = (update(_runs).where(_runs.c.id == bindparam("b_id"))
            .values({c: bindparam(c) for c in ("status", "heartbeat_at", "resume_at", "error", "failed_node")}))
_RUN_FINISHED = _RUN_END.values(finished_at=bindparam("finished_at"))


# ------------------------------------------------------------------------------------------ graph

class Graph:
    """A blueprint prepared for walking: nodes, links (edges and fallbacks), topological order, loop bodies."""

    def __init__(self, bp: Blueprint) -> None:
        from flows import validate

        problems = validate.problems(bp)
        if problems:
            raise FlowError("the flow is not valid: " + "; ".join(problems[:3]))
        self.bp = bp
        self.nodes: dict[str, Node] = {n.id: n for n in bp.nodes}
        trigger = bp.trigger
        assert trigger is not None
        self.trigger = trigger.id
        self.out: dict[str, list[Edge]] = {n: [] for n in self.nodes}
        self.incoming: dict[str, list[str]] = {n: [] for n in self.nodes}
        self.children: dict[str, list[str]] = {n: [] for n in self.nodes}
        for e in bp.edges:
            self.out[e.source].append(e)
            self._link(e.source, e.target)
        for n in bp.nodes:
            h = n.data.error_handling
            if h is not None and h.on_failure == "fallback" and h.fallback_node:
                self._link(n.id, h.fallback_node)
        self.order = self._topological()
        self.all = frozenset(self.nodes)
        self._bodies: dict[tuple[str, frozenset[str]], frozenset[str]] = {}
        self._walk_sets: dict[frozenset[str], frozenset[str]] = {}
        try:
            from flows.summary import step_order

            self.numbers = {node_id: i + 1 for i, node_id in enumerate(step_order(bp))}
        except Exception:  # the numbering is for messages only; never let it stop a run
            self.numbers = {}

    def _link(self, src: str, dst: str) -> None:
        if src not in self.incoming[dst]:
            self.incoming[dst].append(src)
            self.children[src].append(dst)

    def _topological(self) -> list[str]:
        indegree = {n: len(self.incoming[n]) for n in self.nodes}
        position = {n.id: i for i, n in enumerate(self.bp.nodes)}
        ready = sorted((n for n, d in indegree.items() if d == 0), key=position.__getitem__)
        order: list[str] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for child in self.children[node]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
                    ready.sort(key=position.__getitem__)
        if len(order) != len(self.nodes):
            raise FlowError("the flow goes round in a circle")
        return order

    def _reach(self, starts: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(starts)
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(self.children[node])
        return seen

    def body(self, loop_id: str, scope: frozenset[str]) -> frozenset[str]:
        """The nodes a loop repeats: behind its ``each`` edges, not behind its ``done`` edges."""
        cache_key = (loop_id, scope)
        if cache_key not in self._bodies:
            each = [e.target for e in self.out[loop_id] if e.branch == "each"]
            done = [e.target for e in self.out[loop_id] if e.branch != "each"]
            self._bodies[cache_key] = frozenset((self._reach(each) - self._reach(done)) & scope - {loop_id})
        return self._bodies[cache_key]

    def walk_set(self, scope: frozenset[str]) -> frozenset[str]:
        """The nodes walked at this level of ``scope``: loop bodies are left to their loops."""
        if scope not in self._walk_sets:
            excluded: set[str] = set()
            for node_id in self.order:
                if node_id in scope and node_id not in excluded and self.nodes[node_id].type == "loop":
                    excluded |= self.body(node_id, scope)
            self._walk_sets[scope] = frozenset(scope - excluded)
        return self._walk_sets[scope]


_graphs: dict[tuple[str, int], Graph] = {}
_graphs_lock = threading.Lock()


def load_graph(session: Any, flow_id: str, version: int) -> Graph:
    """The (cached: versions never change) graph of one flow version; `FlowError` when unusable."""
    key = (flow_id, version)
    graph = _graphs.get(key)
    if graph is not None:
        return graph
    from flows.store import version_blueprint

    data = version_blueprint(session, flow_id, version)
    if data is None:
        raise FlowError(f"version {version} of the flow is missing")
    graph = Graph(Blueprint.from_dict(data))
    with _graphs_lock:
        if len(_graphs) > 500:
            _graphs.clear()
        _graphs[key] = graph
    return graph


# ------------------------------------------------------------------------------------------ claims

_CLAIM = (update(_runs).where(_runs.c.id == bindparam("b_id"),
                              or_(_runs.c.status != RunStatus.running.value, _runs.c.heartbeat_at.is_(None),
                                  _runs.c.heartbeat_at < bindparam("stale")))
          .values(status=RunStatus.running.value, heartbeat_at=bindparam("now"), resume_at=None, error=None,
                  failed_node=None, started_at=bindparam("started_at")))
_RENEW = (update(_runs).where(_runs.c.id == bindparam("b_id"), _runs.c.heartbeat_at == bindparam("last"))
          .values(heartbeat_at=bindparam("now")))


class Claim:
    """A worker's hold on a run: the run row says ``running`` with a recent ``heartbeat_at``.

    Taking it is one conditional UPDATE in the transaction that starts the run
    (a run already ``running`` with a heartbeat younger than `RUN_LEASE` is
    someone else's); a thread renews it while the run goes on, as a
    compare-and-set on the heartbeat, so a worker whose run was taken over
    (it stalled for longer than the lease) notices and stops. A worker that
    dies simply stops renewing; the recovery hands the run to another worker.
    """

    def __init__(self, db: Any, run_id: str, at: datetime, clock: Callable[[], datetime]) -> None:
        self.db, self.run_id, self.at, self.clock = db, run_id, at, clock
        self.lost = False
        self.lock = threading.Lock()

    def renew(self) -> None:
        with self.lock:
            if self.lost:
                return
            now = self.clock()
            with self.db.session() as s:
                done = s.connection().execute(_RENEW, {"b_id": self.run_id, "last": self.at, "now": now}).rowcount
            if done:
                self.at = now
            else:
                self.lost = True


class _Keeper:
    """One thread per process renewing the claims this process holds that are getting old."""

    def __init__(self) -> None:
        self.claims: set[Claim] = set()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def add(self, claim: Claim) -> None:
        with self.lock:
            self.claims.add(claim)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="munshi-claims", daemon=True)
                self.thread.start()

    def discard(self, claim: Claim) -> None:
        with self.lock:
            self.claims.discard(claim)

    def _loop(self) -> None:
        while True:
            time.sleep(max(RUN_LEASE / 3, 0.2))
            with self.lock:
                claims = list(self.claims)
            for claim in claims:
                with self.lock:
                    if claim not in self.claims:
                        continue
                if claim.at > claim.clock() - timedelta(seconds=RUN_LEASE / 3):
                    continue  # renewed (or started) a moment ago
                try:
                    claim.renew()
                except Exception:  # the database away for a moment: the next round tries again
                    log.warning("could not renew the claim on run %s", claim.run_id)


_keeper = _Keeper()


# ------------------------------------------------------------------------------------------ queueing

class Queueing(Protocol):
    """How the engine hands runs to workers (RQ in production, inline or recorded in tests)."""

    def run_now(self, run_ids: list[str]) -> None: ...

    def run_at(self, run_id: str, when: datetime) -> None: ...


class RQQueueing:
    """Runs as RQ jobs: `flows.jobs.run_flow` now or at a time (RQ's scheduler)."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt

    def run_now(self, run_ids: list[str]) -> None:
        from flows.dispatch import enqueue_runs

        enqueue_runs(self.rt, run_ids)

    def run_at(self, run_id: str, when: datetime) -> None:
        from flows.jobs import enqueue_run_at

        try:
            enqueue_run_at(self.rt, run_id, when)
        except Exception as exc:  # the recovery enqueues a waiting run whose time has passed
            log.warning("could not schedule run %s (the recovery will): %s", run_id, exc)


# ------------------------------------------------------------------------------------------ the walk

class _Waiting(Exception):
    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


class _Stopped(Exception):
    def __init__(self, node: Node, step_key: str, reason: str) -> None:
        super().__init__(reason)
        self.node, self.step_key, self.reason = node, step_key, reason


class _ClaimLost(Exception):
    """Another worker took the run over (this one stalled for longer than the lease)."""


@dataclass
class _Step:
    """What is stored of one step (a snapshot; rows are written with UPDATE/INSERT)."""

    stored: bool  # a row exists (else it is inserted)
    status: StepStatus
    attempts: int = 0
    output: Any = None
    error: str | None = None
    started_at: datetime | None = None


@dataclass
class _RunState:
    run_id: str
    flow_id: str
    flow_name: str
    business_id: int
    business: dict[str, Any]
    trigger_data: dict[str, Any]
    graph: Graph
    steps: dict[str, _Step]
    position: int
    claim: Claim | None = None
    session: Any = None  # the run's bookkeeping session (see `Engine`)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # new step rows, inserted as it commits
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)  # stored step rows, updated as it commits
    claiming: dict[str, Any] | None = None  # the claim's parameters while it is not committed yet
    connected: frozenset[str] = frozenset()  # the services the business has its own credentials for
    tool_wrote: bool = False  # a database tool wrote in the open transaction
    reached_out: bool = False  # a step that reaches outside ran since the last commit
    skipped: dict[str, str] = field(default_factory=dict)  # step key → node id


@dataclass
class _Failure:
    """A step that failed for good, and what its node says to do about it."""

    reason: str
    handling: ErrorHandling


@dataclass
class Outcome:
    """What `Engine.execute` did."""

    status: RunStatus | None  # None: another worker holds the run
    resume_at: datetime | None = None


@dataclass
class RetryResult:
    """What `retry_run` did, with a sentence for the owner."""

    ok: bool
    message: str
    run_id: str | None = None


class Engine:
    """Executes runs. One per job is fine: it keeps nothing between runs but caches.

    Bookkeeping: one session per run (`_RunState.session`) carries the run's
    own writes (its claim, its end) and each node's record; new records wait in
    `_RunState.rows` and go in with one INSERT as the transaction commits.
    Database tools write in that same transaction (inside a savepoint when an
    earlier tool wrote in it, so a failed attempt undoes its own writes only),
    so a tool's change and "this step succeeded" are stored together or not at
    all. A commit happens only
    where it is needed: before a step whose tool reaches outside
    (``external``/``reaches_out``; `_step_starts`), which then starts with
    nothing pending and ends its read transaction before it calls out
    (`tools.connections.release`); after a failed attempt that will be tried
    again at once; and at the run's end or wait. A run of database steps is one
    transaction (on SQLite each one holds the database's write lock; on
    PostgreSQL each one is a WAL flush).

    That last commit does not wait for PostgreSQL's WAL flush when no step in
    it reached outside (``synchronous_commit`` off for that transaction alone):
    losing it to a crash of the database server loses the steps' writes with
    their records, and the run — still stored as queued or running — is done
    again by the recovery, once. Nothing outside has seen those writes, and any
    later commit that must last flushes them too. (SQLite's ``synchronous=
    NORMAL`` makes the same trade for every transaction.) A commit before an
    outside call, or holding an outside step's result, always waits.
    """

    def __init__(self, rt: Any, *, now: Callable[[], datetime] | None = None, queueing: Queueing | None = None,
                 claims: bool = True, notify: bool = True, tool_extra: dict[str, Any] | None = None) -> None:
        self.rt = rt
        self.db = rt.db
        self.now = now or utcnow
        self.queueing: Queueing = queueing or RQQueueing(rt)
        self.claims = claims  # False only in tests that replay a run "after a crash" at once
        self.notify_owner = notify
        self.tool_extra = tool_extra or {}

    # -- the run ---------------------------------------------------------------------------------
    def execute(self, run_id: str) -> Outcome:
        """Run (or go on with) ``run_id`` until it succeeds, fails or waits (None: another worker has it)."""
        s = self.db.sessions()
        claim: Claim | None = None
        try:
            state = self._start(s, run_id)
            if isinstance(state, Outcome):
                s.commit()
                return state
            claim = state.claim
            if claim is not None:
                _keeper.add(claim)
            outcome = self._run(state)
        except BaseException:
            s.rollback()
            raise
        finally:
            if claim is not None:
                _keeper.discard(claim)
            s.close()
        if outcome.status == RunStatus.waiting and outcome.resume_at is not None:
            self.queueing.run_at(run_id, outcome.resume_at)
        return outcome

    def _start(self, s: Any, run_id: str) -> _RunState | Outcome:
        """Read the run and claim it (pending: committed as its first step starts or with its end)."""
        now = self.now()
        conn = s.connection()
        row = conn.execute(_START, {"run_id": run_id}).first()
        if row is None:
            return Outcome(None)
        (status, resume_at, started_at, flow_id, version, business_id, trigger_data, depth, flow_name, flow_status,
         deleted_at, business_name, business_phone, connected) = row
        if status in FINAL:
            return Outcome(RunStatus(status))
        resume_at = aware(resume_at)
        if status == RunStatus.waiting and resume_at is not None and resume_at > now + EARLY:
            return Outcome(RunStatus.waiting)  # a duplicate or early job; the right one is scheduled
        # Not claimable: running with a heartbeat younger than the lease (except in tests of replays).
        stale = now - timedelta(seconds=RUN_LEASE) if self.claims else now + timedelta(days=1)
        claiming = {"b_id": run_id, "now": now, "stale": stale, "started_at": started_at or now}
        if conn.execute(_CLAIM, claiming).rowcount == 0:
            log.info("run %s is being run by another worker", run_id)
            return Outcome(None)
        if deleted_at is not None or flow_status == FlowStatus.paused:
            s.execute(update(Run).where(Run.id == run_id).values(
                status=RunStatus.failed.value, finished_at=now,
                error="stopped: the flow was deleted" if deleted_at else "stopped: the flow was paused"))
            return Outcome(RunStatus.failed)
        business = {"name": business_name or "", "phone": business_phone or ""}
        try:
            graph = load_graph(s, flow_id, version)
        except (FlowError, MunshiError) as exc:
            s.execute(update(Run).where(Run.id == run_id).values(
                status=RunStatus.failed.value, finished_at=now, error=reason_of(exc)))
            s.commit()
            self._tell_owner(business_id, business, f"⚠️ Your flow “{flow_name}” could not run: {reason_of(exc)}",
                             f"flowbroken-{run_id}")
            return Outcome(RunStatus.failed)
        steps: dict[str, _Step] = {}
        if started_at is not None:  # a run never started has no steps yet
            for key, st_status, attempts, output, error, st_started in conn.execute(_STEPS, {"run_id": run_id}):
                steps[key] = _Step(True, StepStatus(st_status), attempts, output, error, aware(st_started))
        claim = Claim(self.db, run_id, now, self.now) if self.claims else None
        s.info["munshi_chain_depth"] = depth + 1  # the events its steps raise (`flows.dispatch`'s loop guard)
        return _RunState(run_id, flow_id, flow_name, business_id, business, dict(trigger_data or {}), graph, steps,
                         position=len(steps), claim=claim, session=s, claiming=claiming,
                         connected=frozenset((connected or "").split(",")) - {""})

    def _run(self, state: _RunState) -> Outcome:
        graph = state.graph
        try:
            vars_: dict[str, Any] = {"trigger_data": state.trigger_data, "business": state.business}
            self._walk(state, graph.all, {graph.trigger}, vars_, "")
        except _Waiting as wait:
            self._finish(state, RunStatus.waiting, resume_at=wait.until)
            return Outcome(RunStatus.waiting, wait.until)
        except _Stopped as stop:
            self._finish(state, RunStatus.failed, error=stop.reason, failed_step=stop.step_key)
            self._notify_failure(state, stop)
            return Outcome(RunStatus.failed)
        except _ClaimLost:
            log.warning("run %s: another worker took it over; this one stops", state.run_id)
            state.session.rollback()
            return Outcome(None)
        except Exception as exc:
            log.exception("run %s failed inside the engine", state.run_id)
            state.session.rollback()
            # The records not committed go with the writes the rollback undid (a RETRY does those steps again).
            state.rows.clear()
            state.changed.clear()
            state.skipped.clear()
            state.session.info.pop("munshi_events", None)
            self._finish(state, RunStatus.failed, error=reason_of(exc), failed_step=None)
            return Outcome(RunStatus.failed)
        self._finish(state, RunStatus.succeeded)
        return Outcome(RunStatus.succeeded)

    def _commit(self, state: _RunState, *, flush_wal: bool = True) -> None:
        """Commit what is pending; then hand over the events its tools raised.

        ``flush_wal=False`` (PostgreSQL): the commit returns before the WAL is on disk (see `Engine`).
        """
        s = state.session
        try:
            if state.rows or state.changed or not flush_wal:
                conn = s.connection()
                if state.rows:
                    conn.execute(_STEP_INSERT, list(state.rows.values()))
                    state.rows.clear()
                if state.changed:
                    conn.execute(_STEP_UPDATE, [{"b_run_id": state.run_id, "b_step_key": key, **values}
                                                for key, values in state.changed.items()])
                    state.changed.clear()
                if not flush_wal and conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            s.commit()
        except IntegrityError:  # another worker stored one of these steps: it holds the run now
            s.rollback()
            raise _ClaimLost() from None
        state.claiming, state.tool_wrote, state.reached_out = None, False, False
        raised = list(s.info.pop("munshi_events", []) or [])
        if raised:
            from flows.dispatch import dispatch_events

            try:
                dispatch_events(self.rt, raised, enqueue=self.queueing.run_now)
            except Exception:  # the periodic tick dispatches them
                log.exception("run %s: dispatching events raised by its steps failed", state.run_id)

    @staticmethod
    def _still_ours(state: _RunState) -> None:
        if state.claim is not None and state.claim.lost:
            raise _ClaimLost()

    def _step_starts(self, state: _RunState, *, outside: bool) -> None:
        """Called as a step starts: before a step that reaches outside, everything pending is committed.

        ``outside``: the step's tool will use other connections or the network, so
        nothing at all may stay pending (nor hold SQLite's write lock meanwhile).
        """
        self._still_ours(state)
        if outside:
            if state.rows or state.changed or state.session.in_transaction():
                self._commit(state)
            state.reached_out = True

    def _finish(self, state: _RunState, status: RunStatus, *, resume_at: datetime | None = None,
                error: str | None = None, failed_step: str | None = None) -> None:
        now = self.now()
        conn = state.session.connection()
        values: dict[str, Any] = {"b_id": state.run_id, "status": status.value, "heartbeat_at": now,
                                  "resume_at": resume_at, "error": error, "failed_node": failed_step}
        if status in FINAL:
            values["finished_at"] = now
        conn.execute(_RUN_FINISHED if status in FINAL else _RUN_END, values)
        for key, node_id in state.skipped.items():
            if key not in state.steps:
                state.rows[key] = {"run_id": state.run_id, "node_id": node_id, "step_key": key, "position": 0,
                                   "status": StepStatus.skipped.value, "attempts": 0, "input": {}, "output": None,
                                   "error": None, "started_at": None, "finished_at": None}
        state.skipped.clear()
        self._commit(state, flush_wal=state.reached_out)

    def _walk(self, state: _RunState, scope: frozenset[str], entries: set[str], vars_: dict[str, Any],
              path: str) -> None:
        graph = state.graph
        here = graph.walk_set(scope)
        taken: set[tuple[str, str]] = set()
        for node_id in graph.order:
            if node_id not in here:
                continue
            if node_id not in entries and not any((src, node_id) in taken for src in graph.incoming[node_id]):
                state.skipped.setdefault(node_id + path, node_id)
                continue
            for target in self._visit(state, graph.nodes[node_id], vars_, scope, path):
                taken.add((node_id, target))

    def _visit(self, state: _RunState, node: Node, vars_: dict[str, Any], scope: frozenset[str],
               path: str) -> list[str]:
        """Run one node; the targets of the links taken out of it."""
        graph = state.graph
        edges = graph.out[node.id]
        if node.type == "trigger":
            return [e.target for e in edges]
        key = node.id + path
        if node.type == "condition":
            result = self._condition(state, node, key, vars_)
            if isinstance(result, _Failure):
                return self._failed(state, node, key, result)
            wanted = "true" if result else "false"
            return [e.target for e in edges if e.branch == wanted]
        if node.type == "loop":
            items = self._loop_items(state, node, key, vars_)
            if isinstance(items, _Failure):
                return self._failed(state, node, key, items)
            body = graph.body(node.id, scope)
            entries = {e.target for e in edges if e.branch == "each"} & body
            for i, item in enumerate(items):
                inner = dict(vars_)
                inner[node.id] = {"item": item, "index": i, "count": len(items)}
                self._walk(state, body, entries, inner, f"{path}[{i}]")
            vars_[node.id] = {"count": len(items), "items": items}
            return [e.target for e in edges if e.branch == "done"]
        output = self._action(state, node, key, vars_)
        if isinstance(output, _Failure):
            return self._failed(state, node, key, output)
        vars_[node.id] = output
        return [e.target for e in edges]

    def _failed(self, state: _RunState, node: Node, key: str, failure: _Failure) -> list[str]:
        """Apply ``on_failure`` to a step that failed for good."""
        handling = failure.handling
        if handling.on_failure == "continue":
            return [e.target for e in state.graph.out[node.id]]
        if handling.on_failure == "fallback" and handling.fallback_node:
            return [handling.fallback_node]
        raise _Stopped(node, key, failure.reason)

    # -- logic nodes -----------------------------------------------------------------------------
    def _condition(self, state: _RunState, node: Node, key: str, vars_: dict[str, Any]) -> bool | _Failure:
        handling = node.data.error_handling or NO_HANDLING
        rec = state.steps.get(key)
        if rec is not None and rec.status == StepStatus.succeeded:
            return bool((rec.output or {}).get("result"))
        if rec is not None and rec.status == StepStatus.failed:
            return _Failure(rec.error or "the check failed", handling)
        self._still_ours(state)
        expression = str(node.params.get("expression", ""))
        started = self.now()
        try:
            result = conditions.evaluate_bool(expression, vars_)
        except FlowError as exc:
            reason = f"the check '{expression}' could not be worked out: {exc.message}"
            self._save(state, node, key, StepStatus.failed, 1, {"expression": expression}, None, reason, started)
            return _Failure(reason, handling)
        self._save(state, node, key, StepStatus.succeeded, 1, {"expression": expression}, {"result": result},
                   None, started)
        return result

    def _loop_items(self, state: _RunState, node: Node, key: str, vars_: dict[str, Any]) -> list[Any] | _Failure:
        handling = node.data.error_handling or NO_HANDLING
        rec = state.steps.get(key)
        if rec is not None and rec.status == StepStatus.succeeded:
            return list((rec.output or {}).get("items") or [])
        if rec is not None and rec.status == StepStatus.failed:
            return _Failure(rec.error or "the loop could not start", handling)
        self._still_ours(state)
        started = self.now()
        raw = node.params.get("items")
        try:
            items = template.resolve(raw, vars_)
            if isinstance(items, dict):
                items = list(items.values())
            if not isinstance(items, list):
                raise FlowError("the items to repeat over are not a list")
            if len(items) > MAX_LOOP_ITEMS:
                raise FlowError(f"the list has {len(items)} items; a loop repeats at most {MAX_LOOP_ITEMS} times")
        except FlowError as exc:
            self._save(state, node, key, StepStatus.failed, 1, {"items": raw}, None, exc.message, started)
            return _Failure(exc.message, handling)
        items = jsonable(items)
        self._save(state, node, key, StepStatus.succeeded, 1, {"items": raw},
                   {"count": len(items), "items": items}, None, started)
        return items

    # -- actions ---------------------------------------------------------------------------------
    def _action(self, state: _RunState, node: Node, key: str, vars_: dict[str, Any]) -> Any:
        from tools import registry
        from tools.delay import Wait

        handling = node.data.error_handling or NO_HANDLING
        rec = state.steps.get(key)
        if rec is not None and rec.status == StepStatus.succeeded:
            return rec.output
        if rec is not None and rec.status == StepStatus.failed:
            return _Failure(rec.error or "the step failed", handling)
        started = (rec.started_at if rec else None) or self.now()
        attempts = rec.attempts if rec else 0
        # After the owner's RETRY the step gets its full number of retries again.
        base = int((rec.output or {}).get("retried_after", 0)) if rec and isinstance(rec.output, dict) else 0
        raw: Any = node.params
        try:
            tool = registry.get(node.key)
            ctx = ToolContext(session=state.session, business_id=state.business_id,
                              idempotency_key=f"run-{state.run_id}-{key}", extra=self._extra(state, key))
            outside = reaches_out(tool, ctx)
            self._step_starts(state, outside=outside)
            raw = template.resolve(node.params, vars_)
            params = tool.validate(raw)
        except MunshiError as exc:
            self._save(state, node, key, StepStatus.failed, attempts + 1, redact(raw), None, reason_of(exc),
                       started)
            return _Failure(reason_of(exc), handling)
        shown = redact(raw)
        if isinstance(tool, Wait):
            return self._wait(state, node, key, tool, params, shown, rec, started)
        while True:
            attempts += 1
            output, error = self._attempt(state, node, key, tool, ctx, params, shown, attempts, started, outside)
            if error is None:
                return output
            reason = reason_of(error)
            if not isinstance(error, MunshiError):
                log.warning("run %s step %s: %s", state.run_id, key, error, exc_info=error)
            if retryable(error) and attempts - base <= handling.retry_count:
                delay = backoff(handling, attempts - base)
                self._save(state, node, key, StepStatus.running, attempts, shown,
                           {"retried_after": base} if base else None, reason, started, finished=False)
                if delay > 0:
                    raise _Waiting(self.now() + timedelta(seconds=delay))
                self._still_ours(state)
                self._commit(state)  # the failed attempt is stored before the next
                continue
            self._save(state, node, key, StepStatus.failed, attempts, shown, None, reason, started)
            return _Failure(reason, handling)

    def _attempt(self, state: _RunState, node: Node, key: str, tool: BaseTool, ctx: ToolContext, params: Any,
                 shown: Any, attempts: int, started: datetime, outside: bool) -> tuple[Any, BaseException | None]:
        """One attempt; its result joins the pending transaction (with the tool's own writes)."""
        s = state.session
        # A failed attempt must undo the tool's own writes and nothing else. The records wait in memory
        # (`_save`), so the transaction holds at most the run's claim and earlier database steps' writes:
        # when an earlier step wrote, the tool writes inside a savepoint; otherwise a rollback is enough
        # (and the claim, if it was not committed yet, is taken again). A tool that reaches outside starts
        # with nothing pending.
        savepoint = s.begin_nested() if state.tool_wrote else None
        raised = len(s.info.get("munshi_events") or ())
        try:
            output = jsonable(tool.run(ctx, params))
            if savepoint is not None:
                savepoint.commit()
        except Exception as exc:
            if savepoint is not None and savepoint.is_active:
                savepoint.rollback()
            else:
                s.rollback()
                if state.claiming is not None and s.connection().execute(_CLAIM, state.claiming).rowcount == 0:
                    raise _ClaimLost() from exc
            del s.info.setdefault("munshi_events", [])[raised:]  # events of writes that were undone
            return None, exc
        if not outside and tool.writes:
            state.tool_wrote = True
        # Committed with the tool's own writes: before the next step that reaches outside, or with the run's end.
        self._save(state, node, key, StepStatus.succeeded, attempts, shown, output, None, started)
        return output, None

    def _wait(self, state: _RunState, node: Node, key: str, tool: Any, params: Any, shown: Any,
              rec: _Step | None, started: datetime) -> Any:
        now = self.now()
        until_text = (rec.output or {}).get("resume_at") if rec is not None and isinstance(rec.output, dict) else None
        if until_text:
            until = aware(datetime.fromisoformat(until_text))
            assert until is not None
            if now + EARLY >= until:
                output = {"resumed_at": now.isoformat(), "waited_until": until.isoformat()}
                self._save(state, node, key, StepStatus.succeeded, 1, shown, output, None, started)
                return output
            raise _Waiting(until)
        until = tool.until(params, now)
        self._save(state, node, key, StepStatus.running, 1, shown, {"resume_at": until.isoformat()}, None,
                   started, finished=False)
        raise _Waiting(until)

    def _extra(self, state: _RunState, key: str) -> dict[str, Any]:
        # own_session: the tool may end the session's read transaction before it calls out
        # (tools.connections.release); nothing of the engine's is pending then.
        # connected: read with the run, so a step need not ask the database whether a service is connected.
        return {"config": self.rt.config, "runtime": self.rt, "business": state.business,
                "trigger_data": state.trigger_data, "run_id": state.run_id, "step_key": key, "now": self.now(),
                "own_session": True, "connected": state.connected, **self.tool_extra}

    # -- storing steps ---------------------------------------------------------------------------
    def _save(self, state: _RunState, node: Node, key: str, status: StepStatus, attempts: int, shown: Any,
              output: Any, error: str | None, started: datetime, finished: bool = True) -> None:
        """Record a node's state with what is pending (see `Engine`: committed with the next commit).

        A new row waits in ``state.rows`` and goes in with the commit (one
        INSERT for all of them); a change to a row stored by an earlier
        execution waits in ``state.changed`` (one UPDATE for all of them). So a
        rollback never undoes a record: only the run's claim and tools' writes
        are in the transaction before it commits.
        """
        values: dict[str, Any] = {"status": status.value, "attempts": attempts, "input": shown if isinstance(
            shown, dict) else {"value": shown}, "output": output, "error": error, "started_at": started,
            "finished_at": self.now() if finished else None}
        rec = state.steps.get(key)
        if key in state.rows:
            state.rows[key].update(values)
        elif rec is not None and rec.stored:
            state.changed[key] = values
        else:
            state.position += 1
            state.rows[key] = {"run_id": state.run_id, "node_id": node.id, "step_key": key,
                               "position": state.position, **values}
        state.steps[key] = _Step(True, status, attempts, output, error, started)

    # -- telling the owner -----------------------------------------------------------------------
    def _notify_failure(self, state: _RunState, stop: _Stopped) -> None:
        if not self.notify_owner:
            return
        where = step_label(state.graph, stop.node, stop.step_key)
        what = step_words(state.graph, stop.node)
        text = (f"⚠️ Your flow “{state.flow_name}” stopped at {where}{what}.\n"
                f"Why: {stop.reason}\n"
                f"Reply RETRY to try again from {where}.")
        rec = state.steps.get(stop.step_key)
        # One notice per failure: the same failure replayed says nothing new; a failure after RETRY does.
        attempts = rec.attempts if rec is not None else 0
        self._tell_owner(state.business_id, state.business, text,
                         f"flowfail-{state.run_id}-{stop.step_key}-{attempts}")

    def _tell_owner(self, business_id: int, business: dict[str, Any], text: str, key: str) -> None:
        if not self.notify_owner or not business.get("phone"):
            return
        from bot.channel import Channel

        try:
            Channel(self.rt.config, self.db).send(business_id, business["phone"], text, idempotency_key=key[:200])
        except Exception:  # the run is recorded as failed either way; the owner can see it in the runs list
            log.exception("could not tell the owner about run failure %s", key)


def step_label(graph: Graph, node: Node, step_key: str) -> str:
    """"step 3" (or "the check …"/"the loop …" for logic nodes), with the loop item when inside one."""
    number = graph.numbers.get(node.id)
    if number is not None:
        label = f"step {number}"
    elif node.type == "condition":
        label = f"the check “{node.params.get('expression', '')}”"
    elif node.type == "loop":
        label = "the repeat"
    else:
        label = f"step “{node.id}”"
    indexes = [int(i) + 1 for i in _indexes(step_key)]
    if indexes:
        label += " (item " + ", ".join(str(i) for i in indexes) + ")"
    return label


def _indexes(step_key: str) -> list[str]:
    import re

    return re.findall(r"\[(\d+)\]", step_key)


def step_words(graph: Graph, node: Node) -> str:
    """": WhatsApp the customer: …" — what the step does, when it is an action."""
    if node.type != "action":
        return ""
    try:
        from flows.summary import describe_node

        return " — " + describe_node(node, graph.bp)
    except Exception:
        return ""


# ------------------------------------------------------------------------------------------ entry points

def execute(rt: Any, run_id: str, **engine_options: Any) -> str | None:
    """Execute a run (the RQ job's body); its status afterwards, or None when another worker has it."""
    outcome = Engine(rt, **engine_options).execute(run_id)
    return str(outcome.status) if outcome.status is not None else None


def retry_run(rt: Any, run_id: str, *, business_id: int | None = None, queueing: Queueing | None = None,
              now: datetime | None = None) -> RetryResult:
    """Put a failed run's failed step back and run the flow again from there.

    The steps that succeeded keep their results (nothing is sent twice); the
    failed step gets its full ``retry_count`` again.
    """
    now = now or utcnow()
    with rt.db.session() as s:
        run = s.get(Run, run_id)
        if run is None or (business_id is not None and run.business_id != business_id):
            raise NotFound("no such run", run_id=run_id)
        flow = s.get(Flow, run.flow_id)
        name = flow.name if flow else "the flow"
        if run.status != RunStatus.failed:
            return RetryResult(False, f"“{name}” has not failed, so there is nothing to retry.", run_id)
        if flow is None or flow.deleted_at is not None:
            return RetryResult(False, f"“{name}” was deleted, so it cannot run again.", run_id)
        if flow.status == FlowStatus.paused:
            return RetryResult(False, f"“{name}” is switched off. Switch it on first, then reply RETRY.", run_id)
        where = "the start"
        if run.failed_node:
            step = s.scalar(select(RunStep).where(RunStep.run_id == run_id, RunStep.step_key == run.failed_node))
            if step is not None:
                step.status, step.error, step.finished_at = StepStatus.running, None, None
                step.output = {"retried_after": step.attempts}
                try:
                    graph = load_graph(s, run.flow_id, run.flow_version)
                    node = graph.nodes.get(step.node_id)
                    if node is not None:
                        where = step_label(graph, node, step.step_key)
                except MunshiError:
                    pass
        run.status, run.error, run.failed_node, run.finished_at = RunStatus.queued, None, None, None
        run.heartbeat_at = now
    (queueing or RQQueueing(rt)).run_now([run_id])
    return RetryResult(True, f"🔁 Trying “{name}” again from {where}.", run_id)


def retry_last_failed(rt: Any, business_id: int, *, within: timedelta = timedelta(days=7),
                      queueing: Queueing | None = None) -> RetryResult:
    """The chat's RETRY: retry the business's most recently failed run (of the last ``within``)."""
    since = utcnow() - within
    with rt.db.session() as s:
        run_id = s.scalar(select(Run.id).where(Run.business_id == business_id, Run.status == RunStatus.failed,
                                               Run.finished_at >= since)
                          .order_by(Run.finished_at.desc(), Run.created_at.desc()).limit(1))
    if run_id is None:
        return RetryResult(False, "There is no failed flow to retry. 👍")
    return retry_run(rt, run_id, business_id=business_id, queueing=queueing)


def failure_notices(db: Any, run_id: str) -> list[Message]:
    """The messages that told the owner this run failed (for tests and the API)."""
    with db.session() as s:
        return list(s.scalars(select(Message).where(Message.idempotency_key.like(f"flowfail-{run_id}-%"))
                              .order_by(Message.id)))
