"""``GET /healthz``: is the database answering, is Redis, and is a worker alive?

    {"status": "ok", "checks": {"database": {"ok": true, "ms": 1},
                                "redis": {"ok": true, "ms": 0},
                                "worker": {"ok": true, "workers": 1, "queue": "munshi", "queued": 0,
                                           "heartbeat_age_s": 3}}}

``status`` is ``ok`` when all three pass, ``degraded`` when only the worker
is missing (messages are stored and wait for it: the web side is fine, so a
load balancer should keep sending traffic) and ``down`` when the database or
Redis fails; ``down`` answers 503. ``?strict=1`` answers 503 for anything
but ``ok`` (for a check that should page someone when no worker runs).

A worker is alive when RQ lists it for this queue (``Worker.all``) with a
heartbeat younger than `WORKER_STALE_SECONDS`: RQ renews an idle worker's
heartbeat only every few minutes, so the bound is generous.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from pydantic import BaseModel, Field
from sqlalchemy import text

from bot.api.errors import register_handlers
from bot.api.schemas import Health
from bot.api.spec import operation
from bot.runtime import Runtime

bp = Blueprint("health", __name__)
register_handlers(bp)

WORKER_STALE_SECONDS = 480  # RQ's default worker_ttl (420 s) and a margin


class HealthQuery(BaseModel):
    strict: bool = Field(False, description="Answer 503 unless every check passes (a worker included)")


def _timed(check: Any) -> dict[str, Any]:
    start = time.monotonic()
    try:
        extra = check() or {}
        ok = extra.pop("ok", True)
        error = None
    except Exception as exc:  # a health check reports failures, it never raises them
        ok, extra, error = False, {}, f"{type(exc).__name__}: {str(exc)[:200]}"
    out: dict[str, Any] = {"ok": bool(ok), "ms": int((time.monotonic() - start) * 1000), **extra}
    if error:
        out["error"] = error
    return out


def check_database(rt: Runtime) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        with rt.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"dialect": rt.db.engine.dialect.name}

    return _timed(run)


def check_redis(rt: Runtime) -> dict[str, Any]:
    return _timed(lambda: {"ok": bool(rt.redis.ping())})


def check_worker(rt: Runtime) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        from rq import Worker

        now = datetime.now(UTC)
        ages = []
        for worker in Worker.all(queue=rt.queue):
            beat = worker.last_heartbeat
            if beat is None:
                continue
            if beat.tzinfo is None:
                beat = beat.replace(tzinfo=UTC)
            ages.append(max(0, int((now - beat).total_seconds())))
        alive = [a for a in ages if a <= WORKER_STALE_SECONDS]
        return {
            "ok": bool(alive),
            "workers": len(alive),
            "queue": rt.queue.name,
            "queued": rt.queue.count,
            "heartbeat_age_s": min(alive) if alive else None,
        }

    return _timed(run)


@bp.get("/healthz")
@operation(
    "Health: database, Redis and a worker's heartbeat",
    tag="meta",
    auth=False,
    query=HealthQuery,
    response=Health,
    extra_responses={503: "The database or Redis is down (or, with strict, any check failed)"},
)
def healthz(query: HealthQuery) -> tuple[Response, int]:
    rt: Runtime = current_app.extensions["munshi"]
    checks = {"database": check_database(rt), "redis": check_redis(rt)}
    checks["worker"] = check_worker(rt) if checks["redis"]["ok"] else {"ok": False, "error": "Redis is down"}
    if checks["database"]["ok"] and checks["redis"]["ok"]:
        status = "ok" if checks["worker"]["ok"] else "degraded"
    else:
        status = "down"
    code = 503 if status == "down" or (query.strict and status != "ok") else 200
    resp = jsonify({"status": status, "checks": checks})
    resp.headers["Cache-Control"] = "no-store"
    return resp, code
