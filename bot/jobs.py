"""RQ jobs of the message path. Jobs are top-level functions that take ids, never objects."""
from __future__ import annotations

import logging

from bot.runtime import get_runtime
from bot.scheduling import tick

log = logging.getLogger(__name__)


def handle_message(message_id: int) -> None:
    """Process the sender's pending messages in arrival order (this one included)."""
    from bot.pipeline import process_sender

    process_sender(get_runtime(), message_id)


def periodic() -> None:
    """The scheduler's heartbeat job: sweep for stranded messages and fire due schedules."""
    tick(get_runtime())
