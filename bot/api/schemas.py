"""Request and response models of the API (pydantic); the OpenAPI document is made from them.

Request models refuse unknown body fields (a typo is reported, not ignored).
Response models document the shape; views return plain dicts of that shape.
Money is rupees as a JSON number, times are ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.api.pagination import PageQuery
from flows.schema import Blueprint

FlowStatusName = Literal["draft", "active", "paused"]
RunStatusName = Literal["queued", "running", "waiting", "succeeded", "failed"]
InvoiceStatusName = Literal["draft", "issued", "sent", "partially_paid", "paid", "cancelled"]


def utc(dt: datetime | None) -> datetime | None:
    """A naive datetime is taken as UTC; an aware one is converted to UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class DateRange(BaseModel):
    since: datetime | None = Field(None, description="Only from this time on (ISO 8601; a date means its start, UTC)")
    until: datetime | None = Field(None, description="Only before this time (ISO 8601)")

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return utc(v)

    def within(self, stmt: Any, column: Any) -> Any:
        """``stmt`` kept to rows whose ``column`` lies in [since, until)."""
        if self.since:
            stmt = stmt.where(column >= self.since)
        if self.until:
            stmt = stmt.where(column < self.until)
        return stmt


# ------------------------------------------------------------------ queries


class WorkflowListQuery(PageQuery):
    status: FlowStatusName | None = Field(None, description="Only flows with this status")
    q: str | None = Field(None, max_length=200, description="Only flows whose name contains this")
    sort: Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at", "status", "-status"] = (
        Field("-updated_at", description="Sort key; a leading '-' sorts descending")
    )


class RunListQuery(PageQuery, DateRange):
    status: RunStatusName | None = Field(None, description="Only runs with this status")


class InvoiceListQuery(PageQuery, DateRange):
    status: InvoiceStatusName | None = None
    customer: str | None = Field(None, max_length=200, description="Customer name contains this")


class PaymentListQuery(PageQuery, DateRange):
    method: str | None = Field(None, max_length=30)


class ProductListQuery(PageQuery):
    low: bool | None = Field(None, description="true: only products at or below their low-stock mark")
    q: str | None = Field(None, max_length=200)


class CustomerListQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Name or phone contains this")


class MessageListQuery(PageQuery, DateRange):
    direction: Literal["in", "out"] | None = None
    peer: str | None = Field(None, max_length=20, description="The other side's number (E.164)")


class AnalyticsQuery(BaseModel):
    days: int = Field(30, ge=1, le=366, description="How many days back, today included")


class TemplateQuery(BaseModel):
    category: str | None = Field(None, max_length=60)
    q: str | None = Field(None, max_length=200, description="Words to look for in name, description, tags")


class RetryQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Literal["failed", "start"] = Field(
        "failed",
        alias="from",
        validation_alias=AliasChoices("from", "from_"),
        description="'failed': go on from the failed step (earlier results kept); 'start': a new run of "
        "the same event from the first step",
    )


# ------------------------------------------------------------------ bodies


class DraftRequest(_Body):
    text: str = Field(
        min_length=1,
        max_length=2000,
        description="The automation in words, as in chat",
        examples=["When someone pays me, WhatsApp them a thank-you"],
    )

    @field_validator("text")
    @classmethod
    def _words(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("say what the automation should do")
        return v


class SaveRequest(_Body):
    name: str = Field(min_length=1, max_length=200)
    blueprint: Blueprint
    flow_id: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        description="Save as a new version of this flow instead of a new flow",
    )
    activate: bool = Field(True, description="Switch the flow on after saving")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the flow needs a name")
        return v


class UpdateRequest(_Body):
    name: str | None = Field(None, min_length=1, max_length=200)
    blueprint: Blueprint | None = None
    status: Literal["active", "paused"] | None = Field(None, description="Switch the flow on or off")

    @model_validator(mode="after")
    def _something(self) -> UpdateRequest:
        if self.name is None and self.blueprint is None and self.status is None:
            raise ValueError("give at least one of name, blueprint, status")
        if self.name is not None and not self.name.strip():
            raise ValueError("the flow needs a name")
        return self


class ExecuteRequest(_Body):
    flow_id: str = Field(min_length=1, max_length=32)
    payload: dict[str, Any] = Field(
        default_factory=dict, description="The event data the run starts with (trigger_data)"
    )

    @field_validator("payload")
    @classmethod
    def _size(cls, v: dict[str, Any]) -> dict[str, Any]:
        import json

        if len(json.dumps(v, default=str)) > 64_000:
            raise ValueError("the payload is too large (64 kB at most)")
        return v


class PublishRequest(_Body):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=500)
    category: str | None = Field(None, min_length=1, max_length=60)


class TokenCreate(_Body):
    name: str = Field("API token", min_length=1, max_length=100, description="What the token is for")


# ------------------------------------------------------------------ responses


class Page(_Out):
    page: int
    per_page: int
    total: int
    pages: int


class Business(_Out):
    id: int
    phone: str
    name: str | None
    address: str | None
    gstin: str | None
    state: str | None


class Token(_Out):
    id: int
    kind: Literal["api", "login"]
    name: str
    created_at: str | None
    expires_at: str | None
    used_at: str | None
    revoked_at: str | None
    active: bool


class NewToken(Token):
    token: str = Field(description="The token itself: shown only now")


class TokenList(_Out):
    items: list[Token]


class Step(_Out):
    node_id: str
    step_key: str
    position: int
    status: Literal["running", "succeeded", "failed", "skipped"]
    attempts: int
    input: dict[str, Any]
    output: Any
    error: str | None
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None


class Run(_Out):
    id: str
    flow_id: str
    flow_name: str | None = None
    flow_version: int
    status: RunStatusName
    error: str | None
    failed_step: str | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None


class RunDetail(Run):
    trigger_data: dict[str, Any]
    steps: list[Step]


class RunPage(Page):
    items: list[Run]


class RunStarted(_Out):
    run_id: str
    status: RunStatusName
    retry_of: str | None = None
    message: str | None = None


class Flow(_Out):
    id: str
    name: str
    status: FlowStatusName
    version: int
    trigger: str
    blueprint: dict[str, Any]
    summary: str
    created_at: str | None
    updated_at: str | None
    last_run: Run | None = None


class FlowStats(_Out):
    runs: int
    succeeded: int
    failed: int
    success_rate: float | None
    duration_p50_ms: int | None
    duration_p95_ms: int | None
    last_run_at: str | None


class FlowDetail(Flow):
    recent_runs: list[Run]
    stats: FlowStats
    versions: list[dict[str, Any]]


class FlowPage(Page):
    items: list[Flow]


class DraftOut(_Out):
    name: str
    blueprint: dict[str, Any]
    summary: str
    notes: list[str]
    missing: list[str]
    ready: bool


class Analytics(_Out):
    days: int
    since: str
    runs: int
    succeeded: int
    failed: int
    success_rate: float | None
    duration_p50_ms: int | None
    duration_p95_ms: int | None
    runs_per_flow: list[dict[str, Any]]
    runs_per_day: list[dict[str, Any]]


class Template(_Out):
    id: str
    name: str
    category: str
    description: str
    tags: list[str]
    blueprint: dict[str, Any]
    summary: str
    source: Literal["builtin", "published"]


class TemplateList(_Out):
    categories: list[dict[str, Any]]
    items: list[Template]


class InvoiceItem(_Out):
    product: str
    quantity: float
    unit: str | None
    unit_price: float
    amount: float


class Invoice(_Out):
    id: int
    number: str
    customer: dict[str, Any] | None
    status: InvoiceStatusName
    subtotal: float
    tax: float
    total: float
    paid: float
    due: float
    issued_at: str | None
    pdf_url: str


class InvoiceDetail(Invoice):
    items: list[InvoiceItem]
    payments: list[dict[str, Any]]


class InvoicePage(Page):
    items: list[Invoice]


class Payment(_Out):
    id: int
    amount: float
    method: str | None
    reference: str | None
    source: str
    customer: dict[str, Any] | None
    invoices: list[dict[str, Any]]
    received_at: str | None


class PaymentPage(Page):
    items: list[Payment]


class Product(_Out):
    id: int
    name: str
    unit: str | None
    price: float | None
    stock: float
    low_stock_threshold: float | None
    low: bool


class ProductPage(Page):
    items: list[Product]


class Customer(_Out):
    id: int
    name: str
    phone: str | None
    email: str | None
    gstin: str | None
    state: str | None
    created_at: str | None


class CustomerDetail(Customer):
    outstanding: float
    invoices: int
    payments: int


class CustomerPage(Page):
    items: list[Customer]


class Message(_Out):
    id: int
    direction: Literal["in", "out"]
    peer: str
    body: str
    media: list[dict[str, Any]]
    status: str
    transcript: str | None
    at: str | None


class MessagePage(Page):
    items: list[Message]


class Health(_Out):
    status: Literal["ok", "degraded", "down"]
    checks: dict[str, Any]
