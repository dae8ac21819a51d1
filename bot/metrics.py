"""``GET /metrics``: Prometheus text format (0.0.4), written by hand.

The numbers are read from the database and Redis at scrape time, so they are
the same whichever process (web, any worker) answers and need no shared
in-process registry:

- ``munshi_messages_total{direction}`` and ``munshi_messages{direction,status}``
- ``munshi_flow_runs_total`` and ``munshi_flow_runs{status}``; ``munshi_flows{status}``
- ``munshi_step_duration_seconds{status}``: a histogram of finished flow steps
- ``munshi_queue_depth{queue,state}`` (queued, started, scheduled, failed) and ``munshi_workers``
- ``munshi_businesses``, and ``munshi_scrape_error{part}`` when a part could not be read

Only totals across businesses are shown, never a business's own data. With
``METRICS_TOKEN`` set, the scraper must send ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import case, func, literal_column, select

from bot.api.errors import register_handlers
from bot.api.spec import operation
from bot.runtime import Runtime
from storage.models import Business, Flow, Message, Run, RunStep

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)
register_handlers(bp)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, Any]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _num(value: float | int) -> str:
    if isinstance(value, float):
        if value == float("inf"):
            return "+Inf"
        return repr(value)
    return str(int(value))


class Writer:
    """Collects metric families in exposition format."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self,
        name: str,
        kind: str,
        help_text: str,
        samples: Iterable[tuple[dict[str, Any], float | int]],
        suffix: str = "",
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self.lines.append(f"{name}{suffix}{_labels(labels)} {_num(value)}")

    def histogram(self, name: str, help_text: str, series: dict[tuple[tuple[str, str], ...], dict[str, Any]]) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} histogram")
        for key, data in series.items():
            labels = dict(key)
            for bound, count in zip(BUCKETS, data["buckets"], strict=True):
                self.lines.append(f"{name}_bucket{_labels(labels | {'le': _num(bound)})} {int(count)}")
            self.lines.append(f"{name}_bucket{_labels(labels | {'le': '+Inf'})} {int(data['count'])}")
            self.lines.append(f"{name}_sum{_labels(labels)} {_num(float(data['sum']))}")
            self.lines.append(f"{name}_count{_labels(labels)} {int(data['count'])}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _duration_seconds(dialect: str) -> Any:
    """SQL for a step's duration in seconds on this database."""
    if dialect == "postgresql":
        return literal_column("EXTRACT(EPOCH FROM (run_steps.finished_at - run_steps.started_at))")
    return literal_column("((julianday(run_steps.finished_at) - julianday(run_steps.started_at)) * 86400.0)")


def collect(rt: Runtime) -> str:
    """The whole exposition text."""
    w = Writer()
    errors: list[str] = []
    try:
        with rt.db.session() as s:
            rows = s.execute(
                select(Message.direction, Message.status, func.count()).group_by(Message.direction, Message.status)
            ).all()
            totals: dict[str, int] = {}
            for direction, _status, n in rows:
                totals[direction] = totals.get(direction, 0) + n
            w.family(
                "munshi_messages_total",
                "counter",
                "WhatsApp messages stored, by direction.",
                [({"direction": d}, n) for d, n in sorted(totals.items())],
            )
            w.family(
                "munshi_messages",
                "gauge",
                "WhatsApp messages by direction and current status.",
                [({"direction": d, "status": str(st)}, n) for d, st, n in sorted(rows, key=str)],
            )
            runs = s.execute(select(Run.status, func.count()).group_by(Run.status)).all()
            w.family("munshi_flow_runs_total", "counter", "Flow runs started.", [({}, sum(n for _, n in runs))])
            w.family(
                "munshi_flow_runs",
                "gauge",
                "Flow runs by current status.",
                [({"status": str(st)}, n) for st, n in sorted(runs, key=str)],
            )
            flows = s.execute(
                select(Flow.status, func.count()).where(Flow.deleted_at.is_(None)).group_by(Flow.status)
            ).all()
            w.family(
                "munshi_flows",
                "gauge",
                "Flows (not deleted) by status.",
                [({"status": str(st)}, n) for st, n in sorted(flows, key=str)],
            )
            w.family(
                "munshi_businesses",
                "gauge",
                "Businesses.",
                [({}, s.scalar(select(func.count(Business.id))) or 0)],
            )
            dur = _duration_seconds(s.get_bind().dialect.name)
            columns = [func.sum(case((dur <= b, 1), else_=0)) for b in BUCKETS]
            hist_rows = s.execute(
                select(RunStep.status, func.count(), func.coalesce(func.sum(dur), 0.0), *columns)
                .where(RunStep.started_at.is_not(None), RunStep.finished_at.is_not(None))
                .group_by(RunStep.status)
            ).all()
            series: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {
                (("status", str(row[0])),): {
                    "count": row[1],
                    "sum": float(row[2] or 0),
                    "buckets": [int(x or 0) for x in row[3:]],
                }
                for row in sorted(hist_rows, key=lambda r: str(r[0]))
            }
            w.histogram("munshi_step_duration_seconds", "How long finished flow steps took.", series)
    except Exception:
        log.exception("metrics: reading the database failed")
        errors.append("database")
    try:
        from rq import Worker
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        q = rt.queue
        depth = [
            ({"queue": q.name, "state": "queued"}, q.count),
            ({"queue": q.name, "state": "started"}, StartedJobRegistry(queue=q).count),
            ({"queue": q.name, "state": "scheduled"}, ScheduledJobRegistry(queue=q).count),
            ({"queue": q.name, "state": "failed"}, FailedJobRegistry(queue=q).count),
        ]
        w.family("munshi_queue_depth", "gauge", "Jobs on the RQ queue by state.", depth)
        w.family(
            "munshi_workers",
            "gauge",
            "RQ workers listening on the queue.",
            [({"queue": q.name}, Worker.count(queue=q))],
        )
    except Exception:
        log.exception("metrics: reading Redis failed")
        errors.append("redis")
    w.family(
        "munshi_scrape_error",
        "gauge",
        "1 when a part of the metrics could not be read.",
        [({"part": p}, 1 if p in errors else 0) for p in ("database", "redis")],
    )
    return w.text()


@bp.get("/metrics")
@operation("Prometheus metrics", tag="meta", auth=False, media="text/plain")
def metrics() -> Response:
    token = os.environ.get("METRICS_TOKEN") or current_app.config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), str(token).encode()):
            return Response(
                "unauthorized\n",
                status=401,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    return Response(
        collect(current_app.extensions["munshi"]),
        mimetype=None,
        content_type=CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )
