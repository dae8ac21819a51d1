"""``http.request``: call a web address from a flow (guarded, capped, timed out).

Every request goes through `tools.netguard`: public addresses only (DNS
resolved and checked first, checked again at connect, each redirect too),
``http``/``https`` only, a timeout always, the answer read up to 1 MB. The
step's idempotency key is sent as ``Idempotency-Key`` on requests that change
things, so a receiving API that honours it sees a retried step once.

Output: ``status``, ``body`` (parsed JSON when the answer is JSON, else
text) and ``headers``. A 4xx answer fails the step for good (except 408, 425
and 429); 5xx, timeouts and connection trouble may be retried.
"""
from __future__ import annotations

import json
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, field_validator

from bot.errors import ToolError
from tools import netguard
from tools.base import BaseTool, ToolContext, secret_name
from tools.connections import release

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
MAX_HEADERS = 50
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class RequestParams(BaseModel):
    method: Method = "POST"
    url: str = Field(min_length=8, max_length=2000)
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json")
    timeout: float = Field(netguard.DEFAULT_TIMEOUT, gt=0, le=30)

    model_config = {"populate_by_name": True}

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if any(c.isspace() for c in value):
            raise ValueError("a web address cannot contain spaces")
        scheme = value.split(":", 1)[0].lower()
        if scheme not in ("http", "https") or "://" not in value:
            raise ValueError("the web address must start with http:// or https://")
        return value

    @field_validator("headers", mode="before")
    @classmethod
    def _headers(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("headers must be name/value pairs")
        if len(value) > MAX_HEADERS:
            raise ValueError(f"at most {MAX_HEADERS} headers")
        out: dict[str, str] = {}
        for name, raw in value.items():
            text = "" if raw is None else str(raw)
            if not str(name).strip() or any(c in str(name) + text for c in "\r\n\0"):
                raise ValueError(f"the header {name!r} is not valid")
            if str(name).lower() in _HOP_HEADERS:
                raise ValueError(f"the header {name!r} is set by Munshi itself")
            out[str(name).strip()] = text
        return out

    @field_validator("json_body")
    @classmethod
    def _json(cls, value: Any) -> Any:
        try:
            size = len(json.dumps(value, default=str))
        except (TypeError, ValueError):
            raise ValueError("json must be plain data (text, numbers, lists, name/value pairs)") from None
        if size > 256 * 1024:
            raise ValueError("json is larger than 256 KB")
        return value


def _secret_values(params: RequestParams) -> list[str]:
    """The values the request carried as credentials: secret-sounding headers and JSON fields."""
    found: list[str] = []

    def walk(value: Any, secret: bool) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, secret or secret_name(str(name)))
        elif isinstance(value, list):
            for item in value:
                walk(item, secret)
        elif secret and isinstance(value, (str, int)) and len(str(value)) >= 6:
            text = str(value)
            found.append(text)
            scheme, _, rest = text.partition(" ")  # "Bearer abc…": the credential alone, too
            if rest and scheme.isalpha() and len(rest) >= 6:
                found.append(rest.strip())

    walk(params.headers, False)
    walk(params.json_body, False)
    return sorted(set(found), key=len, reverse=True)


def _without(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[hidden]")
    return text


def parse_body(fetched: netguard.Fetched) -> Any:
    """JSON when the answer says it is JSON (and is), else text."""
    if fetched.content_type in ("application/json", "text/json") or fetched.content_type.endswith("+json"):
        try:
            return json.loads(fetched.content)
        except ValueError:
            pass
    return fetched.text()


class HttpRequest(BaseTool):
    name = "http.request"
    description = ("Call a public web address (GET, POST, PUT, PATCH or DELETE) with optional headers and a "
                   "JSON body; gives back the status code and the answer.")
    Params = RequestParams
    outputs = ("status", "body", "headers")
    writes = True
    idempotent = False
    external = True  # calls out or writes on its own connection (flows.engine commits first)

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self.transport = transport

    def run(self, ctx: ToolContext, params: RequestParams) -> dict[str, Any]:
        release(ctx)
        allow = netguard.AllowList.from_env(ctx.extra.get("http_allow"))
        resolver = ctx.extra.get("resolver") or netguard.system_resolver
        transport = ctx.extra.get("http_transport") or self.transport
        headers = {"User-Agent": "Munshi/1.0 (+flows)", **params.headers}
        if ctx.idempotency_key and params.method != "GET" and \
                not any(k.lower() == "idempotency-key" for k in headers):
            headers["Idempotency-Key"] = ctx.idempotency_key
        send_json = params.json_body is not None and params.method != "GET"
        with netguard.guarded_client(allow=allow, resolver=resolver, timeout=params.timeout,
                                     transport=transport) as client:
            fetched = netguard.fetch(client, params.method, params.url, allow=allow, resolver=resolver,
                                     headers=headers, json=params.json_body if send_json else None)
        try:
            netguard.raise_for_status(fetched, httpx.URL(fetched.url).host or "the server")
        except ToolError as exc:  # the reason quotes the answer, and some servers echo the credentials
            raise type(exc)(_without(exc.message, _secret_values(params)), **exc.context) from None
        keep = ("content-type", "location", "etag", "x-request-id")
        return {"status": fetched.status, "body": parse_body(fetched),
                "headers": {k: v for k, v in fetched.headers.items() if k in keep}}

    def describe(self, ctx: ToolContext, params: RequestParams) -> str:
        return f"{params.method} {params.url}"


TOOLS: list[BaseTool] = [HttpRequest()]
