"""``/api/workflow-templates``: the built-in gallery plus flows that shops published (stripped)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from sqlalchemy import select

from bot.api import api_bp, business_id
from bot.api.schemas import PublishRequest, Template, TemplateList, TemplateQuery
from bot.api.spec import operation
from bot.errors import NotFound
from bot.runtime import Runtime
from flows import store
from flows import templates as gallery
from storage.models import FlowTemplate

MAX_PUBLISHED_SHOWN = 200


def _rt() -> Runtime:
    return current_app.extensions["munshi"]


def _with_summary(view: dict[str, Any]) -> dict[str, Any]:
    from flows.schema import Blueprint
    from flows.summary import summarize

    try:
        view["summary"] = summarize(Blueprint.from_dict(view["blueprint"]), view["name"])
    except Exception:  # a published template may no longer match today's catalogue
        view["summary"] = view["name"]
    return view


def published_view(t: FlowTemplate) -> dict[str, Any]:
    """A published template as everyone sees it (the publisher is not named)."""
    return {
        "id": t.id,
        "name": t.name,
        "category": t.category,
        "description": t.description,
        "tags": list(t.tags or []),
        "blueprint": t.blueprint or {},
        "source": "published",
        "created_at": t.created_at.isoformat() if t.created_at else None,
    }


@api_bp.get("/workflow-templates")
@operation(
    "Ready-made flows, by category",
    tag="templates",
    query=TemplateQuery,
    response=TemplateList,
    description="The built-in set for Indian small businesses plus flows other shops published. "
    "Save one with POST /api/workflow/save.",
)
def list_templates(query: TemplateQuery) -> Response:
    views = [t.view() for t in gallery.BUILTIN]
    with _rt().db.session() as s:
        views += [
            published_view(t)
            for t in s.scalars(select(FlowTemplate).order_by(FlowTemplate.created_at.desc()).limit(MAX_PUBLISHED_SHOWN))
        ]
    counts: dict[str, int] = {}
    for v in views:
        counts[v["category"]] = counts.get(v["category"], 0) + 1
    categories = [
        {"id": c, "name": gallery.CATEGORIES.get(c, c.title()), "count": counts.get(c, 0)}
        for c in [*gallery.CATEGORIES, *sorted(set(counts) - set(gallery.CATEGORIES))]
        if counts.get(c)
    ]
    items = [_with_summary(v) for v in views if gallery.matches(v, query.category, query.q)]
    return jsonify({"categories": categories, "items": items})


@api_bp.get("/workflow-templates/<template_id>")
@operation("One template", tag="templates", response=Template)
def get_template(template_id: str) -> Response:
    found = gallery.builtin(template_id)
    if found is not None:
        return jsonify(_with_summary(found.view()))
    with _rt().db.session() as s:
        row = s.get(FlowTemplate, template_id)
        if row is None:
            raise NotFound("no such template")
        return jsonify(_with_summary(published_view(row)))


@api_bp.post("/workflows/<flow_id>/publish")
@operation(
    "Publish a flow as a template (phone numbers, emails and sheet ids stripped)",
    tag="templates",
    body=PublishRequest,
    response=Template,
    status=201,
    description="The template is shown to every shop; `removed` says what was taken out.",
)
def publish_workflow(flow_id: str, body: PublishRequest) -> tuple[Response, int]:
    bid = business_id()
    with _rt().db.session() as s:
        flow = store.get_flow(s, bid, flow_id)
        blueprint, removed = gallery.strip_private(flow.blueprint or {})
        name = gallery.strip_text((body.name or flow.name).strip())[:200] or "Shared flow"
        description = gallery.strip_text((body.description or "").strip())[:500]
        row = FlowTemplate(
            business_id=bid,
            source_flow_id=flow.id,
            name=name,
            description=description,
            category=(body.category or "community").strip().lower()[:60] or "community",
            tags=[flow.trigger] if flow.trigger else [],
            blueprint=blueprint,
        )
        s.add(row)
        s.flush()
        out = _with_summary(published_view(row)) | {"removed": removed}
    return jsonify(out), 201
