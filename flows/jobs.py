"""RQ jobs of the flow engine: top-level functions that take ids, and how they are enqueued.

``run_flow(run_id)`` executes (or goes on with) a run. It is enqueued after a
run is created, scheduled with ``enqueue_at`` for a ``delay.wait`` or a retry
delay, and enqueued again by the periodic recovery when a run was left
behind (its worker died, its job was lost). Running it twice is harmless: the
second finds the run claimed, finished, or its steps already done.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.runtime import get_runtime

RUN_JOB = "flows.jobs.run_flow"
JOB_TIMEOUT = 900  # a run with slow outside calls and retries; longer waits are scheduled, not slept
#: Seconds a finished job stays in Redis. Not 0: RQ deletes a job with no result TTL right away, through
#: every registry, which costs a worker more than the job's finishing does otherwise (the run's outcome
#: is in the database anyway).
RESULT_TTL = 60
FAILURE_TTL = 7 * 86400


def run_flow(run_id: str) -> str | None:
    """Execute a flow run; its status afterwards (None when another worker holds it)."""
    from flows.engine import execute

    return execute(get_runtime(), run_id)


def dispatch(business_id: int | None = None) -> int:
    """Dispatch the events not yet dispatched (of one business, or all); how many runs were made."""
    from flows.dispatch import dispatch_pending

    return len(dispatch_pending(get_runtime(), business_id))


def noop() -> None:
    """A job that does nothing: the yardstick of `bench/flows.py`."""


def _prefix(rt: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", rt.config.queue_name)


def enqueue_runs(rt: Any, run_ids: Sequence[str]) -> int:
    """One `run_flow` job per run, in one round trip to Redis; how many were enqueued."""
    from rq import Queue

    if not run_ids:
        return 0
    datas = [Queue.prepare_data(RUN_JOB, (run_id,), timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                                description=f"flow run {run_id}") for run_id in run_ids]
    with rt.redis.pipeline() as pipe:
        rt.queue.enqueue_many(datas, pipeline=pipe)
        pipe.execute()
    return len(run_ids)


def enqueue_run_at(rt: Any, run_id: str, when: datetime) -> None:
    """Schedule `run_flow` for ``when`` (RQ's scheduler, run by every ``python -m bot worker``)."""
    rt.queue.enqueue_at(when, RUN_JOB, run_id, job_timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL,
                        failure_ttl=FAILURE_TTL, description=f"flow run {run_id} (resume)")
