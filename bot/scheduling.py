"""Putting work on RQ: messages, the periodic sweeper, and retries of what was left behind.

Enqueueing never loses work: the record is in the database first, and when
Redis cannot be reached the sweeper finds it later.
"""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from bot.runtime import Runtime
from storage import queries

log = logging.getLogger(__name__)

TICK_SECONDS = 10
PENDING_GRACE = timedelta(seconds=20)
PROCESSING_LEASE = timedelta(minutes=10)


def message_job_id(message_id: int, queue_name: str = "munshi") -> str:
    """The RQ job id of a message's job. RQ job ids are global in Redis (``rq:job:<id>``), so the
    queue name is part of it: deployments (or test runs) sharing a Redis must not see each other's jobs."""
    return f"{re.sub(r'[^A-Za-z0-9_-]', '_', queue_name)}-msg-{message_id}"


def enqueue_message(rt: Runtime, message_id: int) -> bool:
    """Enqueue `handle_message`; False (the message stays pending) when Redis is unreachable."""
    try:
        rt.queue.enqueue("bot.jobs.handle_message", message_id,
                         job_id=message_job_id(message_id, rt.config.queue_name),
                         job_timeout=600, result_ttl=60, failure_ttl=86400)
        return True
    except (RedisError, OSError) as exc:
        log.warning("Redis unavailable, message %s left pending for the sweeper: %s", message_id, exc)
        return False


def _job_alive(rt: Runtime, job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=rt.redis)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.STARTED,
                                             JobStatus.SCHEDULED, JobStatus.DEFERRED)


def sweep(rt: Runtime) -> int:
    """Enqueue inbound messages that no job is working on; returns how many."""
    with rt.db.session() as s:
        stale = queries.stale_inbound(s, pending_for=PENDING_GRACE, processing_for=PROCESSING_LEASE)
        ids = []
        for msg in stale:
            if _job_alive(rt, message_job_id(msg.id, rt.config.queue_name)):
                continue
            if msg.status == "processing":
                queries.requeue(s, msg.id)
            ids.append(msg.id)
    for message_id in ids:
        enqueue_message(rt, message_id)
    if ids:
        log.info("sweeper re-enqueued %d message(s)", len(ids))
    from bot.channel import resend_stranded

    resent = resend_stranded(rt.config, rt.db, older_than=PENDING_GRACE)
    if resent:
        log.info("sweeper sent %d reply message(s) left unsent", resent)
    return len(ids)


def tick(rt: Runtime) -> bool:
    """Run the periodic work once per TICK_SECONDS across all workers (a Redis NX lock elects one)."""
    try:
        if not rt.redis.set(f"{rt.config.queue_name}:tick", "1", nx=True, ex=TICK_SECONDS - 1):
            return False
    except (RedisError, OSError):
        return False
    sweep(rt)
    from flows.schedules import periodic

    periodic(rt)  # the flow engine: left-behind runs and events, cron schedules, overdue invoices
    return True
