"""``razorpay.create_payment_link``: a Razorpay Payment Link for an amount in rupees.

Razorpay's REST API (``POST https://api.razorpay.com/v1/payment_links``,
basic auth with the key id and secret) with the business's ``razorpay``
connection, else ``RAZORPAY_KEY_ID``/``RAZORPAY_KEY_SECRET``.
``RAZORPAY_API_BASE`` points it at a stand-in for Razorpay (tests).

Exactly once: the link's ``reference_id`` is derived from the idempotency key
and Razorpay refuses a second link with the same reference, so a retried
step finds the first link (``GET /v1/payment_links?reference_id=…``) instead
of making another. Amounts go to Razorpay in paise. A 4xx answer fails the
step for good (a refused key says how to connect again); 429, 5xx and
network trouble may be retried.
"""
from __future__ import annotations

import hashlib
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from pydantic import BaseModel, Field, field_validator

from bot.errors import PermanentToolError, TransientToolError
from tools.base import BaseTool, ToolContext
from tools.connections import business_credentials, config_of, not_connected, release

API = "https://api.razorpay.com/v1"
TIMEOUT = 20.0
MAX_AMOUNT = Decimal("10000000")  # ₹1 crore: far above any shop's single link
_PHONE = re.compile(r"^\+?\d{8,15}$")


class LinkCustomer(BaseModel):
    name: str | None = Field(None, max_length=200)
    contact: str | None = None
    email: str | None = None


class LinkParams(BaseModel):
    amount: Decimal = Field(gt=0, le=MAX_AMOUNT, description="rupees")
    customer: LinkCustomer | None = None
    description: str | None = Field(None, max_length=2048)

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("amount must be a number of rupees")
        if isinstance(value, str):
            value = value.replace(",", "").replace("₹", "").strip()
        return value

    @field_validator("customer", mode="before")
    @classmethod
    def _customer(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return {"name": value}
        if isinstance(value, dict):
            contact = value.get("contact") or value.get("phone")
            out = {"name": value.get("name"), "contact": str(contact).replace(" ", "") if contact else None,
                   "email": value.get("email") or None}
            if out["contact"] and not _PHONE.match(out["contact"]):
                raise ValueError(f"'{contact}' is not a phone number")
            return out
        raise ValueError("customer must be a name or {name, phone, email}")

    @property
    def paise(self) -> int:
        return int((self.amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def reference_for(key: str) -> str:
    """Razorpay's ``reference_id`` (at most 40 characters) for an idempotency key."""
    return "munshi-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _keys(ctx: ToolContext) -> tuple[str, str]:
    creds = business_credentials(ctx, "razorpay") or {}
    if creds.get("key_id") and creds.get("key_secret"):
        return str(creds["key_id"]), str(creds["key_secret"])
    config = config_of(ctx)
    if getattr(config, "razorpay_key_id", None) and getattr(config, "razorpay_key_secret", None):
        return config.razorpay_key_id, config.razorpay_key_secret
    raise not_connected(ctx, "razorpay", "Razorpay")


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        err = response.json().get("error") or {}
    except ValueError:
        err = {}
    return str(err.get("code") or ""), str(err.get("description") or response.text[:200])


def _link_output(link: dict[str, Any]) -> dict[str, Any]:
    paise = int(link.get("amount") or 0)
    return {"id": link.get("id"), "short_url": link.get("short_url"), "status": link.get("status"),
            "amount": paise // 100 if paise % 100 == 0 else paise / 100,
            "reference_id": link.get("reference_id")}


class CreatePaymentLink(BaseTool):
    name = "razorpay.create_payment_link"
    description = "Create a Razorpay payment link for an amount in rupees, for a customer, with a description."
    Params = LinkParams
    outputs = ("id", "short_url", "status", "amount")
    writes = True
    idempotent = True
    external = True  # calls out or writes on its own connection (flows.engine commits first)

    def __init__(self, transport: httpx.BaseTransport | None = None, base_url: str = API) -> None:
        self.transport = transport
        self.base_url = base_url

    def run(self, ctx: ToolContext, params: LinkParams) -> dict[str, Any]:
        key_id, key_secret = _keys(ctx)
        body: dict[str, Any] = {"amount": params.paise, "currency": "INR", "accept_partial": False,
                                "notify": {"sms": False, "email": False}, "reminder_enable": False}
        if params.description:
            body["description"] = params.description
        if params.customer is not None:
            customer = {k: v for k, v in params.customer.model_dump().items() if v}
            if customer:
                body["customer"] = customer
        reference = reference_for(ctx.idempotency_key) if ctx.idempotency_key else None
        if reference:
            body["reference_id"] = reference
        release(ctx)
        transport = ctx.extra.get("razorpay_transport") or self.transport
        base = getattr(config_of(ctx), "razorpay_api_base", None) or self.base_url
        with httpx.Client(base_url=base, auth=(key_id, key_secret), timeout=TIMEOUT, transport=transport,
                          trust_env=False) as client:
            try:
                response = client.post("/payment_links", json=body)
                if response.status_code == 400 and reference and "reference_id" in _error(response)[1].lower():
                    found = client.get("/payment_links", params={"reference_id": reference})
                    links = found.json().get("payment_links") if found.status_code == 200 else None
                    if links:
                        return {**_link_output(links[0]), "duplicate": True}
            except httpx.TimeoutException:
                raise TransientToolError("Razorpay did not answer in time") from None
            except httpx.TransportError as exc:
                raise TransientToolError(f"could not reach Razorpay ({type(exc).__name__})") from None
        if response.status_code == 200:
            return _link_output(response.json())
        code, text = _error(response)
        if response.status_code == 401:
            raise PermanentToolError("Razorpay refused the key id and secret; connect razorpay again with the "
                                     "right keys (python -m bot connect razorpay …)", status=401)
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientToolError(f"Razorpay is busy or having trouble ({response.status_code})",
                                     status=response.status_code)
        raise PermanentToolError(f"Razorpay refused the payment link: {text}", status=response.status_code,
                                 code=code)

    def describe(self, ctx: ToolContext, params: LinkParams) -> str:
        return f"a Razorpay link for ₹{params.amount}"


TOOLS: list[BaseTool] = [CreatePaymentLink()]
