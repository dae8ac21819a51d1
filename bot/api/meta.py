"""``GET /openapi.json``: the OpenAPI 3.1 document of every endpoint.

The API's operations describe themselves (`bot.api.spec.operation`); the
webhooks and the signed invoice links belong to other modules and are
described here (`EXTERNAL`), so the document covers every machine-facing
URL of the app. The HTML pages (``/dashboard``, ``/simulator``, ``/login``)
are for people and are not in it.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field

from bot.api.errors import register_handlers
from bot.api.spec import Operation, openapi, operation

public_bp = Blueprint("openapi", __name__)
register_handlers(public_bp)


class TwilioInbound(BaseModel):
    """The fields of Twilio's inbound WhatsApp webhook that Munshi reads (Twilio sends more)."""

    model_config = ConfigDict(extra="allow")

    MessageSid: str = Field(description="Twilio's id of the message (deduplicated)")
    From: str = Field(description="whatsapp:+E164 of the sender", examples=["whatsapp:+919800000001"])
    Body: str = Field("", description="The text")
    NumMedia: int = Field(0, ge=0, le=10)
    MediaUrl0: str | None = Field(None, description="A voice note on api.twilio.com")
    MediaContentType0: str | None = None
    ProfileName: str | None = None


class TwilioStatus(BaseModel):
    """Twilio's delivery status callback."""

    model_config = ConfigDict(extra="allow")

    MessageSid: str
    MessageStatus: str = Field(examples=["delivered"])
    ErrorCode: str | None = None


_SIGNED = "Signed with X-Twilio-Signature when TWILIO_AUTH_TOKEN is set; a bad signature answers 403."

EXTERNAL: dict[str, Operation] = {
    "twilio.inbound": Operation(
        "Inbound WhatsApp message (Twilio webhook)",
        "webhooks",
        form=TwilioInbound,
        auth=False,
        problems=False,
        media="application/xml",
        description="Stored once per MessageSid, then handled by a worker; the answer "
        "is an empty TwiML response. Limited per sender (WEBHOOK_RATE_LIMIT). " + _SIGNED,
        extra_responses={400: "No MessageSid or From", 403: "Bad signature", 429: "Too many from this sender"},
    ),
    "twilio.status": Operation(
        "Delivery status of a sent message (Twilio callback)",
        "webhooks",
        form=TwilioStatus,
        auth=False,
        problems=False,
        status=204,
        description=_SIGNED,
        extra_responses={400: "No MessageSid or MessageStatus", 403: "Bad signature"},
    ),
    "razorpay.account_webhook": Operation(
        "Razorpay webhook of the account in the environment",
        "webhooks",
        free_body=True,
        auth=False,
        problems=False,
        description="Signed with X-Razorpay-Signature (RAZORPAY_WEBHOOK_SECRET). "
        "payment.captured and payment_link.paid record a payment once per payment id.",
        extra_responses={
            400: "Bad signature or body",
            404: "No Razorpay account configured",
            409: "No single business to record it for",
        },
    ),
    "razorpay.business_webhook": Operation(
        "Razorpay webhook of one business (its URL from `python -m bot connect razorpay`)",
        "webhooks",
        free_body=True,
        auth=False,
        problems=False,
        extra_responses={400: "Bad signature or body", 404: "Unknown webhook id or Razorpay not connected"},
    ),
    "hooks.flow_hook": Operation(
        "A flow's own webhook URL (starts a run of a webhook.received flow)",
        "webhooks",
        free_body=True,
        auth=False,
        problems=False,
        status=202,
        description="The body becomes the run's trigger_data; a repeated delivery id starts nothing. "
        "Flows with a webhook secret need an HMAC-SHA256 signature (X-Munshi-Signature).",
        extra_responses={
            200: "A repeated delivery (its first run)",
            401: "Missing or bad signature",
            404: "Unknown token",
            409: "The flow is switched off",
        },
    ),
    "hooks.service_hook": Operation(
        "Webhook of a named service (starts the business's webhook.received flows for that service)",
        "webhooks",
        free_body=True,
        auth=False,
        problems=False,
        status=202,
        extra_responses={200: "Nothing new started", 404: "Unknown business"},
    ),
    "documents.invoice_pdf": Operation(
        "An invoice's PDF behind a signed, expiring link (sent on WhatsApp)",
        "documents",
        auth=False,
        problems=False,
        media="application/pdf",
        extra_responses={404: "Unknown, altered or expired link"},
    ),
}


@public_bp.get("/openapi.json")
@operation("This document", tag="meta", auth=False)
def openapi_json() -> Response:
    config = current_app.extensions["munshi"].config
    resp = jsonify(openapi(current_app, server_url=config.public_base_url, external=EXTERNAL))
    resp.headers["Access-Control-Allow-Origin"] = "*"  # so API tools in a browser can read it
    return resp
