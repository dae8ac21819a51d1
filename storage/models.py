"""SQLAlchemy 2 models for everything Munshi keeps.

Money is integer paise (`BigInteger`), never float; quantities are
`Numeric(14, 3)`. Every business-owned table has ``business_id`` and every
query filters on it. Models never enqueue jobs or send messages.
"""
from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random id for records that are shown to people and URLs (flows, runs)."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
        Decimal: Numeric(14, 3),
    }


class MessageStatus(enum.StrEnum):
    """Inbound: pending → processing → done | failed. Outbound: queued → sent → delivered | read | failed."""

    pending = "pending"
    processing = "processing"
    done = "done"
    failed = "failed"
    queued = "queued"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    undelivered = "undelivered"


class InvoiceStatus(enum.StrEnum):
    draft = "draft"
    issued = "issued"
    sent = "sent"
    partially_paid = "partially_paid"
    paid = "paid"
    cancelled = "cancelled"


class FlowStatus(enum.StrEnum):
    draft = "draft"
    active = "active"
    paused = "paused"


class RunStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    waiting = "waiting"
    succeeded = "succeeded"
    failed = "failed"


class StepStatus(enum.StrEnum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"


class Business(Base):
    """One owner's shop; created on the owner's first message."""

    __tablename__ = "businesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    gstin: Mapped[str | None] = mapped_column(String(15))
    state: Mapped[str | None] = mapped_column(String(60))
    webhook_id: Mapped[str] = mapped_column(String(40), unique=True, default=new_id)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Credential(Base):
    """A business's secret for an outside service, encrypted with MUNSHI_SECRET_KEY."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("business_id", "service"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(40))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    public: Mapped[dict[str, Any]] = mapped_column(default=dict)  # non-secret parts, e.g. key id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """Every WhatsApp message in or out, stored before anything else happens to it."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_pending", "status", "direction"),
                      Index("ix_messages_business_peer", "business_id", "peer", "id"),
                      # Did this number write in the last 24 hours (WhatsApp's window, before each send)?
                      Index("ix_messages_peer_created", "peer", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)  # Twilio MessageSid
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    peer: Mapped[str] = mapped_column(String(20))  # the other side's E.164 number
    body: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[Any]] = mapped_column(default=list)  # [{"url":…, "content_type":…}]
    status: Mapped[MessageStatus] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]  # when a worker started on it (stale: the worker died)
    processed_at: Mapped[datetime | None]


class MessageStatusEvent(Base):
    """A Twilio status callback, deduplicated on (MessageSid, status)."""

    __tablename__ = "message_status_events"
    __table_args__ = (UniqueConstraint("sid", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_business", "business_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    gstin: Mapped[str | None] = mapped_column(String(15))
    state: Mapped[str | None] = mapped_column(String(60))
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("business_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(20))
    price_paise: Mapped[int | None] = mapped_column(BigInteger)
    stock: Mapped[Decimal] = mapped_column(default=Decimal(0))
    low_stock_threshold: Mapped[Decimal | None]
    hsn: Mapped[str | None] = mapped_column(String(8))
    gst_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StockMovement(Base):
    """Every change to a product's stock, with why (audit trail and undo)."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    change: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(String(40))  # add, remove, set, invoice, undo, flow
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("business_id", "number"),
                      UniqueConstraint("business_id", "fiscal_year", "seq"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    number: Mapped[str] = mapped_column(String(16))
    fiscal_year: Mapped[str] = mapped_column(String(7))  # "2026-27"
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[InvoiceStatus] = mapped_column(String(16), default=InvoiceStatus.issued)
    subtotal_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    total_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    gst_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    tax_breakup: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"cgst": paise, "sgst": …} or {"igst": …}
    place_of_supply: Mapped[str | None] = mapped_column(String(60))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    items: Mapped[list[InvoiceItem]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceItem.id")


class InvoiceItem(Base):
    __tablename__ = "invoice_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    product: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal]
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price_paise: Mapped[int] = mapped_column(BigInteger)
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    hsn: Mapped[str | None] = mapped_column(String(8))
    gst_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))

    invoice: Mapped[Invoice] = relationship(back_populates="items")


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("business_id", "source", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str | None] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="chat")  # chat, razorpay, api
    external_id: Mapped[str | None] = mapped_column(String(100))  # e.g. Razorpay payment id
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer | None] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(cascade="all, delete-orphan")


class PaymentAllocation(Base):
    """How much of a payment went to which invoice (oldest open invoices first)."""

    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    amount_paise: Mapped[int] = mapped_column(BigInteger)


class Change(Base):
    """The owner's changes, newest last, so "undo" can reverse the latest one."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_business", "business_id", "id"), Index("ix_changes_message", "message_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))  # invoice_created, payment_recorded, stock_changed…
    summary: Mapped[str] = mapped_column(Text)  # "invoice INV-0001 for Mahesh (₹2,760)"
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what undo needs
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the inbound message that made it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """A domain event (payment_received, invoice_created, stock_low…) for the flow engine."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("business_id", "type", "key"),
                      # The events not yet dispatched, oldest first (after each message and every tick).
                      Index("ix_events_pending", "dispatched", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(60))  # canonical trigger name, e.g. payments.payment_received
    key: Mapped[str] = mapped_column(String(200))  # the business key: payment id, invoice number…
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False)
    # 0 for what people and outside services did; a flow run's step raises its run's depth + 1 (loop guard).
    chain_depth: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Flow(Base):
    __tablename__ = "flows"
    # The active flows of one trigger across businesses (cron firings and overdue scans, every tick).
    __table_args__ = (Index("ix_flows_trigger_status", "trigger", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[FlowStatus] = mapped_column(String(10), default=FlowStatus.draft)
    version: Mapped[int] = mapped_column(Integer, default=1)
    blueprint: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the current version's
    trigger: Mapped[str] = mapped_column(String(60), default="")  # service.task of the trigger, for dispatch
    webhook_token: Mapped[str] = mapped_column(String(40), unique=True, default=new_id)
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FlowVersion(Base):
    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    blueprint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One execution of one flow version for one event; unique per (flow, version, event key)."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("flow_id", "flow_version", "event_key"),
                      Index("ix_runs_business_status", "business_id", "status"),
                      # The recovery's runs left behind: queued, running, waiting past their time.
                      Index("ix_runs_status_resume", "status", "resume_at"),
                      # A business's latest runs (the runs list of the API and the dashboard).
                      Index("ix_runs_business_created", "business_id", "created_at", "id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    flow_id: Mapped[str] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    flow_version: Mapped[int] = mapped_column(Integer)
    event_key: Mapped[str] = mapped_column(String(200))
    chain_depth: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # its event's
    status: Mapped[RunStatus] = mapped_column(String(10), default=RunStatus.queued)
    trigger_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    failed_node: Mapped[str | None] = mapped_column(String(100))
    resume_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    steps: Mapped[list[RunStep]] = relationship(cascade="all, delete-orphan", order_by="RunStep.id")


class RunStep(Base):
    """One node's execution in a run; its result is stored before the next step starts."""

    __tablename__ = "run_steps"
    __table_args__ = (UniqueConstraint("run_id", "step_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(100))
    step_key: Mapped[str] = mapped_column(String(200))  # node id, plus loop indexes inside for_each
    position: Mapped[int] = mapped_column(Integer, default=0)  # 1-based order of execution
    status: Mapped[StepStatus] = mapped_column(String(10), default=StepStatus.running)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)  # resolved params, secrets redacted
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ApiToken(Base):
    """A per-business API token or one-time login link, stored as a hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="api")  # api | login
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SheetRow(Base):
    """A row of a local sheet, kept when Google is not connected."""

    __tablename__ = "sheet_rows"
    # One sheet's rows in order: a row's number is counted on it as the row is added.
    __table_args__ = (Index("ix_sheet_rows_sheet", "business_id", "spreadsheet", "worksheet", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    spreadsheet: Mapped[str] = mapped_column(String(200))
    worksheet: Mapped[str] = mapped_column(String(100))
    values: Mapped[list[Any]] = mapped_column(default=list)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlowTemplate(Base):
    """A flow a business published as a template (phone numbers, emails and sheet ids stripped).

    Published templates are shown to every business next to the built-in ones
    (``flows.templates``); the publisher is never shown.
    """

    __tablename__ = "flow_templates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    source_flow_id: Mapped[str | None] = mapped_column(ForeignKey("flows.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(60), default="community")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    blueprint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
