"""The "dashboard" / "login link" intent: a one-time link that logs the owner in on a screen."""

from __future__ import annotations

from typing import Any

from intents.handlers.types import Outcome, Turn


def dashboard_link(turn: Turn, u: Any) -> Outcome:
    """Reply with a fresh one-time login link (15 minutes, one use) to the owner's dashboard."""
    from bot.api.auth import LOGIN_TTL, create_login_link

    link = create_login_link(turn.session, turn.business_id, turn.runtime.config)
    minutes = int(LOGIN_TTL.total_seconds() // 60)
    return Outcome(
        [
            f"🔐 Your dashboard: {link}\n\nThe link works once, for {minutes} minutes. "
            "Don't forward it: it opens your books. Ask me for *dashboard* again any time."
        ]
    )
