"""Declaring API operations once: request validation (pydantic) and the OpenAPI document.

Every API view is wrapped by `operation`, which

- parses the query string into the operation's ``query`` model and the JSON
  body into its ``body`` model (422 problem details listing each bad field
  when they do not fit), and passes them to the view as ``query=`` and
  ``body=``;
- records what the operation takes and answers, so `openapi` can describe
  every route of the app whose view carries one (``GET /openapi.json``).

Schemas come from the pydantic models themselves (``model_json_schema``),
so the document cannot drift from the validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Flask, request
from pydantic import BaseModel, ValidationError
from werkzeug.routing import Rule

from bot.api.errors import Problem, validation_errors

# Status codes every authenticated operation may answer, with their meaning.
_ERROR_TEXT = {
    400: "Bad request (e.g. a body that is not JSON)",
    401: "No valid API token or dashboard session",
    403: "Session request without the CSRF header",
    404: "No such record for this business",
    409: "Conflict with the record's state",
    415: "The body must be JSON",
    422: "Validation failed; `errors` lists each problem",
    429: "Rate limit exceeded; see Retry-After",
}


@dataclass
class Operation:
    """What one API operation takes and answers (for validation and the OpenAPI document)."""

    summary: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    auth: bool = True
    media: str = "application/json"
    description: str | None = None
    extra_responses: dict[int, str] = field(default_factory=dict)
    #: A form-encoded body (webhooks), or any JSON object, described but not validated here.
    form: type[BaseModel] | None = None
    free_body: bool = False
    #: Whether errors are problem details (the API) or the endpoint's own plain answers (webhooks).
    problems: bool = True


def _has_nul(value: Any) -> bool:
    """Text with a NUL character (PostgreSQL cannot store it; nothing legitimate sends it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _nul_problem(where: str) -> Problem:
    return Problem(
        422,
        f"The {where} contains a NUL character.",
        errors=[{"in": where, "field": where, "message": "NUL characters are not allowed"}],
    )


def _parse_query(model: type[BaseModel]) -> BaseModel:
    data = request.args.to_dict(flat=True)  # unknown keys are ignored (cache busters and the like)
    if _has_nul(data):
        raise _nul_problem("query")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Problem(422, "The query string is not valid.", errors=validation_errors(exc, "query")) from None


def _parse_body(model: type[BaseModel]) -> BaseModel:
    if request.mimetype != "application/json":
        raise Problem(415, "Send the body as JSON (Content-Type: application/json).")
    try:
        data = request.get_json(silent=True)
        nul = _has_nul(data)
    except RecursionError:  # "[[[[…" a hundred thousand deep: json.loads gives up by recursing
        raise Problem(400, "The body is JSON nested too deeply.") from None
    if data is None:
        raise Problem(400, "The body is not valid JSON.")
    if nul:
        raise _nul_problem("body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Problem(422, "The request body is not valid.", errors=validation_errors(exc, "body")) from None


def operation(
    summary: str,
    *,
    tag: str,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    auth: bool = True,
    media: str = "application/json",
    description: str | None = None,
    extra_responses: dict[int, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate an API view: validate its query and body, and describe it in ``/openapi.json``."""
    op = Operation(summary, tag, query, body, response, status, errors, auth, media, description, extra_responses or {})

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def view(**path: Any) -> Any:
            kwargs = dict(path)
            if op.query is not None:
                kwargs["query"] = _parse_query(op.query)
            if op.body is not None:
                kwargs["body"] = _parse_body(op.body)
            return fn(**kwargs)

        view.munshi_operation = op  # type: ignore[attr-defined]
        return view

    return decorate


# ------------------------------------------------------------------ the OpenAPI document


#: What a string id in a path looks like (flow and run ids, template slugs); anything else is not found.
ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"
ID_RE = re.compile(ID_PATTERN)
_CONVERTER = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")


def _path_of(rule: Rule, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    params = []

    def repl(m: re.Match[str]) -> str:
        conv, name = m.group("conv") or "default", m.group("name")
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 0}
            if conv == "int"
            else {"type": "string", "minLength": 1, "maxLength": 64, "pattern": ID_PATTERN}
            if strict
            else {"type": "string", "minLength": 1}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _CONVERTER.sub(repl, rule.rule), params


class _Schemas:
    """Collects the components/schemas of every model used."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: str = "validation") -> dict[str, Any]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
        for name, sub in schema.pop("$defs", {}).items():
            self.components.setdefault(name, sub)
        self.components.setdefault(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def query_params(self, model: type[BaseModel]) -> list[dict[str, Any]]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            self.components.setdefault(name, sub)
        required = set(schema.get("required", []))
        out = []
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            desc = prop.pop("description", None)
            prop.pop("title", None)
            param: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": prop,
            }
            if desc:
                param["description"] = desc
            out.append(param)
        return out


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": ["string", "null"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "in": {"type": "string"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def openapi(
    app: Flask, *, server_url: str | None = None, external: dict[str, Operation] | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route declared with `operation` (or named in ``external``)."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, None] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op: Operation | None = getattr(view, "munshi_operation", None) or (external or {}).get(rule.endpoint)
        if op is None:
            continue
        path, path_params = _path_of(rule, strict=op.problems)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            tags[op.tag] = None
            entry: dict[str, Any] = {
                "summary": op.summary,
                "tags": [op.tag],
                "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}",
            }
            if op.description:
                entry["description"] = op.description
            params = list(path_params)
            if op.query is not None:
                params += schemas.query_params(op.query)
            if params:
                entry["parameters"] = params
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": schemas.ref(op.body)}},
                }
            elif op.form is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": schemas.ref(op.form)}},
                }
            elif op.free_body:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
                }
            ok: dict[str, Any] = {"description": "OK" if op.status < 300 else "Done"}
            if op.status != 204:
                if op.media == "application/json":
                    ok["content"] = {
                        op.media: {
                            "schema": schemas.ref(op.response, "serialization") if op.response else {"type": "object"}
                        }
                    }
                elif op.media == "application/pdf":
                    ok["content"] = {op.media: {"schema": {"type": "string", "format": "binary"}}}
                else:
                    ok["content"] = {op.media: {"schema": {"type": "string"}}}
            responses: dict[str, Any] = {str(op.status): ok}
            for code, text in op.extra_responses.items():
                responses[str(code)] = {"description": text}
                if op.problems or code < 400:
                    responses[str(code)]["content"] = {"application/json": {"schema": {"type": "object"}}}
            codes = set(op.errors)
            if op.auth:
                codes |= {401, 429}
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    codes.add(403)
            if path_params:
                codes.add(404)
            if op.query is not None or op.body is not None:
                codes.add(422)
            if op.body is not None:
                codes |= {400, 415}
            for code in sorted(codes):
                if not op.problems:
                    responses.setdefault(str(code), {"description": _ERROR_TEXT.get(code, "Error")})
                    continue
                responses.setdefault(
                    str(code),
                    {
                        "description": _ERROR_TEXT.get(code, "Error"),
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    },
                )
            entry["responses"] = responses
            entry["security"] = [{"bearerAuth": []}, {"sessionCookie": []}] if op.auth else []
            paths.setdefault(path, {})[method.lower()] = entry
    schemas.components["Problem"] = PROBLEM_SCHEMA
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Munshi API",
            "version": "1.0.0",
            "description": "The books and automations of one shop. Every call is scoped to the business "
            "of the API token (`Authorization: Bearer mk_…`, made on the dashboard) or of "
            "the dashboard session; another business's ids answer 404. Money is in rupees. "
            "Errors are problem details (RFC 9457).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API token: mk_…"},
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The dashboard's session (from a login link); requests that "
                    "change something also need the X-CSRF-Token header.",
                },
            },
        },
        "tags": [{"name": t} for t in tags],
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc
