"""A handled message's outcome waits out a short database outage (bot.pipeline._save_outcome)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot import pipeline
from storage.models import Business, Message


class FlakyDatabase:
    """The real database, whose next ``failures`` sessions fail as a restarting server's would."""

    def __init__(self, db: Any, failures: int) -> None:
        self.db, self.failures, self.opened = db, failures, 0

    @contextmanager
    def session(self):  # type: ignore[no-untyped-def]
        self.opened += 1
        if self.failures:
            self.failures -= 1
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        with self.db.session() as s:
            yield s


class Rt:
    def __init__(self, db: Any) -> None:
        self.db = db


def _claimed(db: Any) -> int:
    with db.session() as s:
        biz = Business(phone="+919800000001")
        s.add(biz)
        s.flush()
        msg = Message(direction="in", sid="SM" + "a" * 32, peer=biz.phone, body="hi", status="processing",
                      business_id=biz.id, attempts=1)
        s.add(msg)
        s.flush()
        return msg.id


def _status(db: Any, message_id: int) -> str:
    with db.session() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        return str(msg.status)


def test_the_outcome_is_saved_once_the_database_is_back(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline.time, "sleep", lambda _s: None)
    message_id = _claimed(db)
    flaky = FlakyDatabase(db, failures=3)

    pipeline._leave_pending(Rt(flaky), message_id, "the database went away")  # type: ignore[arg-type]

    assert flaky.opened == 4 and _status(db, message_id) == "pending"


def test_an_outage_longer_than_the_wait_is_raised(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 10_000, 10))  # every look at the clock is 10 s later
    monkeypatch.setattr(pipeline.time, "monotonic", lambda: float(next(clock)))
    monkeypatch.setattr(pipeline.time, "sleep", lambda _s: None)
    message_id = _claimed(db)
    flaky = FlakyDatabase(db, failures=1_000)

    with pytest.raises(OperationalError):
        pipeline._leave_pending(Rt(flaky), message_id, "the database went away")  # type: ignore[arg-type]

    assert 2 <= flaky.opened <= pipeline.OUTAGE_WAIT / 10 + 1 and _status(db, message_id) == "processing"


def test_an_outcome_saved_by_an_earlier_try_is_not_saved_again(db: Any) -> None:
    message_id = _claimed(db)
    with db.session() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        msg.status = "done"

    pipeline._leave_pending(Rt(db), message_id, "late")  # type: ignore[arg-type]

    assert _status(db, message_id) == "done"
