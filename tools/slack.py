"""``slack.post_message``: post to a Slack channel through an incoming webhook.

The webhook URL is the business's ``slack`` connection (``python -m bot
connect slack --webhook-url …``) or the step's own ``webhook_url``. The URL
holds a secret, so it never appears in a step's logged input or in an
error. The request goes through the SSRF guard like every flow URL.

Slack answers ``200 ok``; its errors are plain-text codes (``invalid_payload``,
``no_service``, ``channel_is_archived``…): those fail for good, ``429`` and
``5xx`` may be retried.
"""
from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, Field, field_validator

from bot.errors import PermanentToolError
from tools import netguard
from tools.base import BaseTool, ToolContext
from tools.connections import business_credentials, not_connected, release

MAX_TEXT = 40_000
_REASONS = {
    "invalid_payload": "Slack could not read the message",
    "no_text": "the message is empty",
    "invalid_token": "the Slack webhook is no longer valid; connect Slack again",
    "no_service": "the Slack webhook was removed; connect Slack again",
    "no_service_id": "the Slack webhook was removed; connect Slack again",
    "no_team": "the Slack workspace of this webhook is gone; connect Slack again",
    "team_disabled": "the Slack workspace of this webhook is disabled",
    "channel_not_found": "the Slack channel of this webhook no longer exists",
    "channel_is_archived": "the Slack channel of this webhook is archived",
    "action_prohibited": "Slack's admin does not allow posting to that channel",
    "posting_to_general_channel_denied": "only admins may post to that Slack channel",
}


class PostParams(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    webhook_url: str | None = Field(None, description="a Slack incoming-webhook URL (default: the connected one)")

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
            raise ValueError("webhook_url must be a Slack incoming-webhook URL (https://hooks.slack.com/…)")
        return value


class PostMessage(BaseTool):
    name = "slack.post_message"
    description = "Post a message to Slack (the connected incoming webhook, or webhook_url)."
    Params = PostParams
    outputs = ("ok",)
    writes = True
    idempotent = False
    external = True  # calls out or writes on its own connection (flows.engine commits first)

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self.transport = transport

    def run(self, ctx: ToolContext, params: PostParams) -> dict[str, Any]:
        url = params.webhook_url
        if url is None:
            creds = business_credentials(ctx, "slack") or {}
            url = creds.get("webhook_url")
        if not url:
            raise not_connected(ctx, "slack")
        release(ctx)
        allow = netguard.AllowList.from_env(ctx.extra.get("http_allow"))
        resolver = ctx.extra.get("resolver") or netguard.system_resolver
        with netguard.guarded_client(allow=allow, resolver=resolver, timeout=15,
                                     transport=ctx.extra.get("http_transport") or self.transport) as client:
            fetched = netguard.fetch(client, "POST", url, allow=allow, resolver=resolver,
                                     json={"text": params.text}, max_bytes=64 * 1024)
        if fetched.status >= 400 and fetched.status not in (408, 425, 429) and fetched.status < 500:
            code = fetched.text().strip()
            raise PermanentToolError(_REASONS.get(code, f"Slack refused the message ({fetched.status} {code[:80]})"),
                                     status=fetched.status)
        netguard.raise_for_status(fetched, "Slack")
        return {"ok": True}

    def describe(self, ctx: ToolContext, params: PostParams) -> str:
        return f"post to Slack: {params.text[:80]}"


TOOLS: list[BaseTool] = [PostMessage()]
