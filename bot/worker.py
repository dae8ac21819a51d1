"""`python -m bot worker`: an RQ worker with its scheduler and the periodic sweeper.

It is a non-forking `SimpleWorker`: the speech model and the compiled agent
load once per process and stay warm for every job (forking a work horse per
job would reload them or share threads across fork). A job that kills the
process is not lost: its message or run stays in the database as unfinished
and the sweeper of any live worker enqueues it again.
"""
from __future__ import annotations

import logging
import threading

from rq import SimpleWorker

from bot.runtime import Runtime, get_runtime
from bot.scheduling import TICK_SECONDS, tick

log = logging.getLogger(__name__)


def _ticker(rt: Runtime, stop: threading.Event) -> None:
    while not stop.wait(TICK_SECONDS):
        try:
            tick(rt)
        except Exception:  # the sweeper must outlive a bad minute of Redis or the database
            log.exception("periodic tick failed")


def run_worker(rt: Runtime | None = None, *, burst: bool = False) -> None:
    """Work the queue until stopped (SIGINT/SIGTERM end it after the current job)."""
    rt = rt or get_runtime()
    rt.db.migrate()
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_ticker, args=(rt, stop), daemon=True, name="munshi-ticker").start()
    worker = SimpleWorker([rt.queue], connection=rt.redis)
    try:
        worker.work(burst=burst, with_scheduler=not burst, logging_level="INFO")
    finally:
        stop.set()
