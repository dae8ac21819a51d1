"""Flows ("workflows" in the original design's API), their runs and analytics.

The same code as chat underneath: `intents.llm.draft_flow` drafts,
`flows.store` validates, versions and switches flows on and off,
`flows.engine.retry_run` retries; manual runs are `Run` rows handed to the
same RQ job (`flows.dispatch.enqueue_runs`) as runs started by events.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, jsonify
from sqlalchemy import select

from bot.api import api_bp, business_id
from bot.api.errors import Problem
from bot.api.pagination import fetch_page, page_response, paginate
from bot.api.present import analytics, flow_detail, flow_view, last_runs, run_detail, run_view
from bot.api.schemas import (
    Analytics,
    AnalyticsQuery,
    DraftOut,
    DraftRequest,
    ExecuteRequest,
    FlowDetail,
    FlowPage,
    RetryQuery,
    RunDetail,
    RunListQuery,
    RunPage,
    RunStarted,
    SaveRequest,
    UpdateRequest,
    WorkflowListQuery,
)
from bot.api.spec import operation
from bot.runtime import Runtime
from flows import store
from storage.models import Flow, FlowStatus, Run, RunStatus, new_id, utcnow

MANUAL = "manual"


def _rt() -> Runtime:
    return current_app.extensions["munshi"]


# ------------------------------------------------------------------ flows


_SORTS = {
    "name": Flow.name,
    "created_at": Flow.created_at,
    "updated_at": Flow.updated_at,
    "status": Flow.status,
}


@api_bp.get("/workflows")
@operation(
    "List flows",
    tag="workflows",
    query=WorkflowListQuery,
    response=FlowPage,
    description="The business's flows (deleted ones left out), with each one's latest run.",
)
def list_workflows(query: WorkflowListQuery) -> Response:
    bid = business_id()
    stmt = select(Flow).where(Flow.business_id == bid, Flow.deleted_at.is_(None))
    if query.status:
        stmt = stmt.where(Flow.status == query.status)
    if query.q:
        stmt = stmt.where(Flow.name.ilike(f"%{_like(query.q)}%", escape="\\"))
    column = _SORTS[query.sort.lstrip("-")]
    stmt = stmt.order_by(column.desc() if query.sort.startswith("-") else column.asc(), Flow.id)
    with _rt().db.session() as s:

        flows, total = fetch_page(s, stmt, query)
        latest = last_runs(s, bid, [f.id for f in flows])
        items = [flow_view(f, latest.get(f.id)) for f in flows]
    return page_response(items, query, total)


@api_bp.get("/workflows/<flow_id>")
@operation("A flow with its recent runs and stats", tag="workflows", response=FlowDetail)
def get_workflow(flow_id: str) -> Response:
    with _rt().db.session() as s:
        return jsonify(flow_detail(s, store.get_flow(s, business_id(), flow_id)))


@api_bp.put("/workflows/<flow_id>")
@operation(
    "Change a flow (a changed blueprint is validated and becomes a new version)",
    tag="workflows",
    body=UpdateRequest,
    response=FlowDetail,
    errors=(409,),
)
def update_workflow(flow_id: str, body: UpdateRequest) -> Response:
    bid = business_id()
    with _rt().db.session() as s:
        flow = store.save_flow(s, bid, flow_id, body.blueprint, name=body.name)
        if body.status == "active":
            flow = store.activate(s, bid, flow_id)
        elif body.status == "paused":
            flow = store.pause(s, bid, flow_id)
        return jsonify(flow_detail(s, flow))


@api_bp.delete("/workflows/<flow_id>")
@operation("Delete a flow (it stops; its versions and runs are kept)", tag="workflows", status=204)
def delete_workflow(flow_id: str) -> tuple[str, int]:
    with _rt().db.session() as s:
        store.delete(s, business_id(), flow_id)
    return "", 204


@api_bp.post("/workflow/draft")
@operation(
    "Draft a flow from a sentence (the same code as chat)",
    tag="workflows",
    body=DraftRequest,
    response=DraftOut,
    description="Nothing is saved: send the blueprint to /api/workflow/save.",
)
def draft_workflow(body: DraftRequest) -> Response:
    from intents.llm import draft_flow

    draft = draft_flow(body.text, _rt().config)
    return jsonify(
        {
            "name": draft.name,
            "blueprint": draft.blueprint.to_dict(),
            "summary": draft.summary(),
            "notes": draft.notes,
            "missing": draft.missing,
            "ready": draft.ready,
        }
    )


@api_bp.post("/workflow/save")
@operation(
    "Save a flow: validate, make a version, switch it on",
    tag="workflows",
    body=SaveRequest,
    response=FlowDetail,
    status=201,
    extra_responses={200: "Saved as a new version of flow_id"},
    errors=(404, 409),
)
def save_workflow(body: SaveRequest) -> tuple[Response, int]:
    bid = business_id()
    with _rt().db.session() as s:
        if body.flow_id:
            flow = store.save_flow(s, bid, body.flow_id, body.blueprint, name=body.name)
            status = 200
        else:
            flow = store.create_flow(s, bid, body.name, body.blueprint)
            status = 201
        if body.activate:
            flow = store.activate(s, bid, flow.id)
        return jsonify(flow_detail(s, flow)), status


@api_bp.post("/workflow/execute")
@operation(
    "Run a flow now with a payload",
    tag="workflows",
    body=ExecuteRequest,
    response=RunStarted,
    status=202,
    errors=(404, 409),
    description="The payload is the run's trigger_data. Limited to 10 a minute per business. "
    "Follow the run at /api/workflows/runs/{run_id}.",
)
def execute_workflow(body: ExecuteRequest) -> tuple[Response, int]:
    run_id = start_run(_rt(), business_id(), body.flow_id, body.payload, f"{MANUAL}:{uuid.uuid4().hex}")
    return jsonify({"run_id": run_id, "status": "queued"}), 202


def start_run(
    rt: Runtime,
    business_id: int,
    flow_id: str,
    payload: dict[str, Any],
    key: str,
    *,
    version: int | None = None,
) -> str:
    """Store a queued run of the flow (its current version) for ``payload`` and enqueue it; its id."""
    from flows.dispatch import enqueue_runs, run_event_key

    with rt.db.session() as s:
        flow = store.get_flow(s, business_id, flow_id)
        if flow.status == FlowStatus.paused:
            raise Problem(409, f"“{flow.name}” is switched off; switch it on first.", slug="flow-paused")
        run = Run(
            id=new_id(),
            flow_id=flow.id,
            business_id=business_id,
            flow_version=version or flow.version,
            event_key=run_event_key(MANUAL, key),
            status=RunStatus.queued,
            trigger_data=payload,
            created_at=utcnow(),
        )
        s.add(run)
        run_id = run.id
    enqueue_runs(rt, [run_id])
    return run_id


# ------------------------------------------------------------------ runs


@api_bp.get("/workflows/<flow_id>/runs")
@operation("A flow's runs, newest first", tag="runs", query=RunListQuery, response=RunPage)
def list_runs(flow_id: str, query: RunListQuery) -> Response:
    bid = business_id()
    with _rt().db.session() as s:
        flow = store.get_flow(s, bid, flow_id, deleted=True)
        stmt = select(Run).where(Run.business_id == bid, Run.flow_id == flow.id)
        if query.status:
            stmt = stmt.where(Run.status == query.status)
        stmt = query.within(stmt, Run.created_at)
        name = flow.name
        return paginate(s, stmt.order_by(Run.created_at.desc(), Run.id), query, lambda r: run_view(r, name))


@api_bp.get("/workflows/runs/<run_id>")
@operation("A run node by node: status, timing, attempts, errors", tag="runs", response=RunDetail)
def get_run(run_id: str) -> Response:
    with _rt().db.session() as s:
        return jsonify(run_detail(s, store.get_run(s, business_id(), run_id)))


@api_bp.post("/workflows/runs/<run_id>/retry")
@operation(
    "Retry a failed run",
    tag="runs",
    query=RetryQuery,
    response=RunStarted,
    status=202,
    errors=(409,),
    description="By default the failed step is tried again and the steps before it keep their results "
    "(nothing is sent twice). With ?from=start a new run of the same event starts from the "
    "first step, on the flow's current version.",
)
def retry_run(run_id: str, query: RetryQuery) -> tuple[Response, int]:
    rt, bid = _rt(), business_id()
    if query.from_ == "start":
        with rt.db.session() as s:
            old = store.get_run(s, bid, run_id)
            flow_id, payload = old.flow_id, dict(old.trigger_data or {})
            if str(old.status) not in (RunStatus.failed, RunStatus.succeeded):
                raise Problem(409, "That run has not finished yet.", slug="run-not-finished")
        new = start_run(rt, bid, flow_id, payload, f"retry:{run_id}:{uuid.uuid4().hex}")
        return jsonify(
            {
                "run_id": new,
                "status": "queued",
                "retry_of": run_id,
                "message": "Started again from the first step.",
            }
        ), 202
    from flows.engine import retry_run as engine_retry

    with rt.db.session() as s:
        store.get_run(s, bid, run_id)  # 404 for another business's run
    result = engine_retry(rt, run_id, business_id=bid)
    if not result.ok:
        raise Problem(409, result.message, slug="cannot-retry")
    return jsonify({"run_id": run_id, "status": "queued", "retry_of": run_id, "message": result.message}), 202


@api_bp.get("/workflows/analytics")
@operation(
    "Run analytics: success rate, durations p50/p95, runs per flow and per day",
    tag="runs",
    query=AnalyticsQuery,
    response=Analytics,
)
def workflow_analytics(query: AnalyticsQuery) -> Response:
    with _rt().db.session() as s:
        return jsonify(analytics(s, business_id(), query.days))


def _like(text: str) -> str:
    """``text`` for a LIKE pattern, its wildcards escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
