"""Saving flows: the small internal API the chat builder and the REST API call.

A flow is a named blueprint with a status (``draft`` → ``active`` ⇄
``paused``; deleting keeps the row with ``deleted_at``) and a version. Every
saved blueprint is validated first (`flows.validate`), so a flow that is
stored can run; a save that changes the blueprint makes a new version (a
`FlowVersion` row), and runs keep pointing at the version they started on::

    flow = store.create_flow(s, business_id, "Payment thanks", blueprint)
    store.activate(s, business_id, flow.id)
    store.save_flow(s, business_id, flow.id, new_blueprint)   # version 2
    store.webhook_url(config, flow)   # for webhook.received flows

Every function takes an open `Session` and the owner's ``business_id`` (one
business never reaches another's flows) and raises `NotFound` or
`BlueprintInvalid` with plain-language reasons.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import BlueprintInvalid, NotFound
from flows import validate
from flows.schema import Blueprint
from storage.models import Flow, FlowStatus, FlowVersion, Run, RunStep, new_id, utcnow

MAX_NAME = 200


def normalise(blueprint: Blueprint | dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The validated blueprint as its JSON dict and its trigger's ``service.task``.

    Raises `BlueprintInvalid` listing every problem (`flows.validate`).
    """
    bp = blueprint if isinstance(blueprint, Blueprint) else Blueprint.from_dict(blueprint)
    validate.validate(bp)
    trigger = bp.trigger
    assert trigger is not None  # validate() insists on exactly one
    return bp.to_dict(), trigger.key


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise BlueprintInvalid(["The flow needs a name."])
    return name[:MAX_NAME]


def create_flow(session: Session, business_id: int, name: str, blueprint: Blueprint | dict[str, Any], *,
                activate: bool = False, webhook_secret: str | None = None) -> Flow:
    """Validate and store a new flow (version 1), as a draft unless ``activate``."""
    data, trigger = normalise(blueprint)
    flow = Flow(id=new_id(), business_id=business_id, name=_clean_name(name), version=1, blueprint=data,
                trigger=trigger, status=FlowStatus.active if activate else FlowStatus.draft,
                webhook_token=secrets.token_urlsafe(24), webhook_secret=webhook_secret or None)
    session.add(flow)
    session.add(FlowVersion(flow_id=flow.id, version=1, blueprint=data))
    session.flush()
    return flow


def get_flow(session: Session, business_id: int, flow_id: str, *, deleted: bool = False) -> Flow:
    """The business's flow ``flow_id``; `NotFound` when it is not theirs or was deleted."""
    flow = session.get(Flow, flow_id)
    if flow is None or flow.business_id != business_id or (flow.deleted_at is not None and not deleted):
        raise NotFound("no such flow", flow_id=flow_id)
    return flow


def list_flows(session: Session, business_id: int, *, status: FlowStatus | str | None = None) -> list[Flow]:
    """The business's flows (not deleted), oldest first, optionally of one status."""
    query = select(Flow).where(Flow.business_id == business_id, Flow.deleted_at.is_(None))
    if status is not None:
        query = query.where(Flow.status == str(status))
    return list(session.scalars(query.order_by(Flow.created_at, Flow.id)))


def find_flow(session: Session, business_id: int, name: str) -> Flow | None:
    """A flow by its name, ignoring case and spaces (exact first, then the only one containing it)."""
    wanted = " ".join(name.lower().split())
    flows = list_flows(session, business_id)
    exact = [f for f in flows if " ".join(f.name.lower().split()) == wanted]
    if exact:
        return exact[-1]
    partial = [f for f in flows if wanted and wanted in f.name.lower()]
    return partial[0] if len(partial) == 1 else None


def save_flow(session: Session, business_id: int, flow_id: str,
              blueprint: Blueprint | dict[str, Any] | None = None, *, name: str | None = None) -> Flow:
    """Change a flow's blueprint and/or name; a changed blueprint becomes a new version.

    Runs already started finish on the version they started with; new events
    run the new version.
    """
    flow = get_flow(session, business_id, flow_id)
    if name is not None:
        flow.name = _clean_name(name)
    if blueprint is not None:
        data, trigger = normalise(blueprint)
        if data != flow.blueprint:
            flow.version += 1
            flow.blueprint, flow.trigger = data, trigger
            session.add(FlowVersion(flow_id=flow.id, version=flow.version, blueprint=data))
    flow.updated_at = utcnow()
    session.flush()
    return flow


def activate(session: Session, business_id: int, flow_id: str) -> Flow:
    """Switch the flow on: from now on its trigger starts runs (checked valid once more first)."""
    flow = get_flow(session, business_id, flow_id)
    normalise(flow.blueprint)
    flow.status = FlowStatus.active
    flow.updated_at = utcnow()
    session.flush()
    return flow


def pause(session: Session, business_id: int, flow_id: str) -> Flow:
    """Switch the flow off: no new runs, and runs waiting in a delay stop when they wake."""
    flow = get_flow(session, business_id, flow_id)
    flow.status = FlowStatus.paused
    flow.updated_at = utcnow()
    session.flush()
    return flow


def delete(session: Session, business_id: int, flow_id: str) -> Flow:
    """Delete the flow (kept with ``deleted_at`` so its runs stay readable); it never runs again."""
    flow = get_flow(session, business_id, flow_id)
    flow.status = FlowStatus.paused
    flow.deleted_at = flow.updated_at = utcnow()
    session.flush()
    return flow


def set_webhook_secret(session: Session, business_id: int, flow_id: str, secret: str | None) -> Flow:
    """Require (or, with None, stop requiring) an HMAC-SHA256 signature on the flow's webhook URL."""
    flow = get_flow(session, business_id, flow_id)
    if secret is not None and not 16 <= len(secret) <= 100:
        raise BlueprintInvalid(["A webhook secret must be 16 to 100 characters long."])
    flow.webhook_secret = secret
    session.flush()
    return flow


def rotate_webhook_token(session: Session, business_id: int, flow_id: str) -> Flow:
    """Give the flow a new webhook URL (the old one stops working at once)."""
    flow = get_flow(session, business_id, flow_id)
    flow.webhook_token = secrets.token_urlsafe(24)
    session.flush()
    return flow


def webhook_path(flow: Flow) -> str:
    """The path of the flow's own webhook: ``/webhooks/hook/<token>``."""
    return f"/webhooks/hook/{flow.webhook_token}"


def webhook_url(config: Any, flow: Flow) -> str:
    """The full webhook URL (``PUBLIC_BASE_URL`` + path; the path alone when it is unset)."""
    base = (getattr(config, "public_base_url", None) or "").rstrip("/")
    return f"{base}{webhook_path(flow)}"


def version_blueprint(session: Session, flow_id: str, version: int) -> dict[str, Any] | None:
    """The blueprint of one version of a flow (None when that version is unknown)."""
    found = session.scalar(select(FlowVersion.blueprint).where(FlowVersion.flow_id == flow_id,
                                                               FlowVersion.version == version))
    if found is not None:
        return found
    flow = session.get(Flow, flow_id)  # a flow written straight into the database has no version rows
    return flow.blueprint if flow is not None and flow.version == version else None


def list_runs(session: Session, business_id: int, *, flow_id: str | None = None, status: str | None = None,
              limit: int = 20) -> list[Run]:
    """The business's runs, newest first."""
    query = select(Run).where(Run.business_id == business_id)
    if flow_id is not None:
        query = query.where(Run.flow_id == flow_id)
    if status is not None:
        query = query.where(Run.status == status)
    return list(session.scalars(query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)))


def get_run(session: Session, business_id: int, run_id: str) -> Run:
    """One run of the business; `NotFound` otherwise."""
    run = session.get(Run, run_id)
    if run is None or run.business_id != business_id:
        raise NotFound("no such run", run_id=run_id)
    return run


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def flow_view(flow: Flow, config: Any = None) -> dict[str, Any]:
    """A flow as the API and the export show it."""
    out = {"id": flow.id, "name": flow.name, "status": str(flow.status), "version": flow.version,
           "trigger": flow.trigger, "blueprint": flow.blueprint, "created_at": _iso(flow.created_at),
           "updated_at": _iso(flow.updated_at), "webhook_signed": bool(flow.webhook_secret)}
    if flow.trigger == "webhook.received":
        out["webhook_url"] = webhook_url(config, flow)
    return out


def step_view(step: RunStep) -> dict[str, Any]:
    """One step's log entry."""
    return {"node_id": step.node_id, "step_key": step.step_key, "position": step.position,
            "status": str(step.status), "attempts": step.attempts, "input": step.input, "output": step.output,
            "error": step.error, "started_at": _iso(step.started_at), "finished_at": _iso(step.finished_at)}


def run_view(run: Run, *, steps: bool = True) -> dict[str, Any]:
    """A run and (optionally) its steps, as the API shows them."""
    out: dict[str, Any] = {
        "id": run.id, "flow_id": run.flow_id, "flow_version": run.flow_version, "event_key": run.event_key,
        "status": str(run.status), "error": run.error, "failed_step": run.failed_node,
        "trigger_data": run.trigger_data, "created_at": _iso(run.created_at), "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at), "resume_at": _iso(run.resume_at)}
    if steps:
        out["steps"] = [step_view(st) for st in run.steps]  # in the order they were first run
    return out
