"""Fixtures for the business tools: a migrated SQLite database in a temp dir and one business."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import Business, Customer
from tools.base import ToolContext


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/t.db")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture
def biz(session: Session) -> Business:
    b = Business(phone="+919800000001", name="Sharma Hardware")
    session.add(b)
    session.flush()
    return b


@pytest.fixture
def ctx(session: Session, biz: Business) -> ToolContext:
    return ToolContext(
        session=session,
        business_id=biz.id,
        extra={"config": SimpleNamespace(secret_key="test-secret", public_base_url=None)},
    )


@pytest.fixture
def customer(session: Session, biz: Business) -> Customer:
    c = Customer(business_id=biz.id, name="Mahesh Kumar", phone="+919876543210")
    session.add(c)
    session.flush()
    return c


@pytest.fixture
def call(ctx: ToolContext) -> Callable[..., dict[str, Any]]:
    """``call("invoices.create_invoice", customer=…, items=[…])``: a tool of the registry, run the way
    the agent and the flow engine run it (params validated first)."""
    from tools.registry import get

    def run(name: str, /, **params: Any) -> dict[str, Any]:
        return get(name)(ctx, params)

    return run
