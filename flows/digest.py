"""The owner's daily digest of flow runs: off unless ``FLOW_DIGEST_HOUR`` is set.

Runs that work say nothing at the time (a failed one tells the owner at
once). With ``FLOW_DIGEST_HOUR=20`` each owner whose flows ran in the last
day gets one WhatsApp after 20:00 India time: how many runs, how many worked,
which flows failed, how many are waiting. It is part of the periodic tick
(`flows.schedules.periodic`); each business's message has the idempotency key
``flowdigest-<business>-<day>``, so a tick that repeats the day's round (the
worker died half-way) sends nobody a second digest, and a Redis key marks the
day done so later ticks do not look again.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError
from sqlalchemy import func, select

from storage.models import Business, Flow, Run, RunStatus, utcnow

log = logging.getLogger(__name__)

ZONE = ZoneInfo("Asia/Kolkata")


def send_digests(rt: Any, now: datetime | None = None) -> list[int]:
    """Send today's digests if it is time and they were not sent yet; the businesses told."""
    hour = rt.config.flow_digest_hour
    if hour is None:
        return []
    now = now or utcnow()
    local = now.astimezone(ZONE)
    if local.hour < hour:
        return []
    day = local.date().isoformat()
    done_key = f"{rt.config.queue_name}:flow-digest:{day}"
    try:
        if rt.redis.exists(done_key):
            return []
    except (RedisError, OSError):
        return []  # the next tick tries again
    with rt.db.session() as s:
        rows = s.execute(select(Run.business_id, Flow.name, Run.status, func.count(Run.id))
                         .join(Flow, Flow.id == Run.flow_id)
                         .where(Run.created_at >= (now - timedelta(days=1)).astimezone(UTC))  # SQLite keeps UTC
                         .group_by(Run.business_id, Flow.name, Run.status)).all()
        counts: dict[int, Counter[str]] = defaultdict(Counter)
        failed: dict[int, Counter[str]] = defaultdict(Counter)
        for business_id, name, status, n in rows:
            counts[business_id][status] += n
            if status == RunStatus.failed:
                failed[business_id][name] += n
        phones = dict(s.execute(select(Business.id, Business.phone).where(Business.id.in_(list(counts)))).all())
    from bot.channel import Channel

    told: list[int] = []
    for business_id, by_status in sorted(counts.items()):
        if not phones.get(business_id):
            continue
        try:
            Channel(rt.config, rt.db).send(business_id, phones[business_id],
                                           digest_text(by_status, failed[business_id]),
                                           idempotency_key=f"flowdigest-{business_id}-{day}")
            told.append(business_id)
        except Exception:  # one owner's trouble does not stop the others' digests
            log.exception("could not send the flow digest to business %s", business_id)
    try:
        rt.redis.set(done_key, "1", ex=2 * 86400)
    except (RedisError, OSError):
        pass  # the next tick looks again; nobody gets a second message
    return told


def digest_text(by_status: Counter[str], failed: Counter[str]) -> str:
    """The digest in words: ``📋 Your flows in the last day: 12 runs — 11 worked, 1 failed (“Thanks” 1).``"""
    total = sum(by_status.values())
    parts = [f"{by_status[RunStatus.succeeded]} worked"]
    if failed:
        names = ", ".join(f"“{name}” {n}" for name, n in failed.most_common(3))
        parts.append(f"{by_status[RunStatus.failed]} failed ({names})")
    waiting = by_status[RunStatus.waiting] + by_status[RunStatus.queued] + by_status[RunStatus.running]
    if waiting:
        parts.append(f"{waiting} still going")
    text = f"📋 Your flows in the last day: {total} run{'s' if total != 1 else ''} — " + ", ".join(parts) + "."
    if failed:
        text += " Reply RETRY to try the last failed one again."
    return text
