"""`python -m bot worker`: an RQ worker with its scheduler and the periodic sweeper.

It is a non-forking `SimpleWorker`: the speech model and the compiled agent
load once per process and stay warm for every job (forking a work horse per
job would reload them or share threads across fork); RQ's scheduler runs in a
thread as well, not in the child process RQ would fork (see `_scheduler`). A
job that kills the process is not lost: its message or run stays in the
database as unfinished and the sweeper of any live worker enqueues it again.
"""
from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from redis.exceptions import RedisError
from rq import SimpleWorker

from bot.runtime import Runtime, get_runtime
from bot.scheduling import TICK_SECONDS, tick

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 2
SCHEDULER_SECONDS = 1


def _scheduler(rt: Runtime, stop: threading.Event) -> None:
    """RQ's scheduler (jobs enqueued for later: a flow's ``delay.wait``, a retry's backoff), in a thread.

    RQ would fork it into a child process, and that child outlives a worker killed with SIGKILL (the
    OOM killer, a host going down hard): it holds copies of the worker's database connections, so a
    transaction the dead worker had open stays open, its rows locked (a flow run no other worker can
    then take over), for as long as the orphan lives. A thread dies with its worker. One worker at a
    time holds RQ's scheduler lock and moves the jobs that are due onto the queue.
    """
    from rq.scheduler import RQScheduler

    scheduler = RQScheduler([rt.queue], connection=rt.redis, interval=SCHEDULER_SECONDS)
    scheduler._connection = rt.redis  # type: ignore[assignment]  # this process's (RQ's child makes its own)
    try:
        while not stop.wait(SCHEDULER_SECONDS):
            try:
                if scheduler.acquire_locks():
                    scheduler.enqueue_scheduled_jobs()
            except (RedisError, OSError):
                continue  # Redis away for a moment: the jobs are still scheduled there, or lost and recovered
            except Exception:
                log.exception("moving due scheduled jobs to the queue failed")
    finally:
        try:
            scheduler.release_locks()
        except (RedisError, OSError):
            pass


def _ticker(rt: Runtime, stop: threading.Event) -> None:
    while not stop.wait(TICK_SECONDS):
        try:
            tick(rt)
        except Exception:  # the sweeper must outlive a bad minute of Redis or the database
            log.exception("periodic tick failed")


class _Worker(SimpleWorker):
    """A `SimpleWorker` that remembers whether SIGINT/SIGTERM asked it to stop."""

    stop_requested = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested = True
        super().request_stop(signum, frame)


def _wait_for_redis(seconds: float) -> bool:
    """Sleep between attempts; False when SIGINT/SIGTERM came meanwhile (then stop, do not retry)."""
    stopped = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _s, _f: stopped.set())
    return not stopped.wait(seconds)


def _warm(rt: Runtime) -> None:
    """Import and compile the agent now, so the first message is not 2–3 s slower than the rest."""
    from intents.agent import compiled_graph

    compiled_graph(rt.config.database_url)


def run_worker(rt: Runtime | None = None, *, burst: bool = False) -> None:
    """Work the queue until stopped (SIGINT/SIGTERM end it after the current job).

    Losing Redis does not end it: RQ's loop quits on some Redis errors (a restart of Redis at the
    wrong moment), so a fresh RQ worker starts again until Redis answers; the sweeper then
    enqueues whatever arrived meanwhile.
    """
    rt = rt or get_runtime()
    rt.db.migrate()
    _warm(rt)
    stop = threading.Event()
    scheduler: threading.Thread | None = None
    if not burst:
        threading.Thread(target=_ticker, args=(rt, stop), daemon=True, name="munshi-ticker").start()
        scheduler = threading.Thread(target=_scheduler, args=(rt, stop), daemon=True, name="munshi-scheduler")
        scheduler.start()
    try:
        while True:
            worker = _Worker([rt.queue], connection=rt.redis)
            try:
                # with_scheduler=False: the scheduler is the thread above, not a forked child process.
                worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
            except (RedisError, OSError) as exc:
                if burst:
                    raise
                if worker.stop_requested:  # asked to stop; Redis went away while it was tidying up
                    return
                log.warning("worker lost Redis (%s); starting again in %d s", exc, RECONNECT_SECONDS)
            else:
                if burst or worker.stop_requested:
                    return
                log.warning("worker loop ended without a stop request; starting again in %d s",
                            RECONNECT_SECONDS)
            if not _wait_for_redis(RECONNECT_SECONDS):
                return
    finally:
        stop.set()
        if scheduler is not None:
            scheduler.join(5)  # it lets go of RQ's scheduler lock, for the next worker to take
