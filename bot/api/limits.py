"""Rate limits (flask-limiter) in the runtime's Redis: per business on the API, per sender on the webhook.

- The API: `API_RATE_LIMIT` per business (its token or session; callers
  without one share a bucket per address), and `EXECUTE_RATE_LIMIT` on
  ``POST /api/workflow/execute`` as the original design asks.
- Twilio's inbound webhook: `WEBHOOK_RATE_LIMIT` per sender (the ``From``
  number), counted after the signature check so a forger cannot use up a real
  sender's allowance (`sender_wait`). A message over it is still stored
  (Twilio does not retry a 429): it waits for the sweeper instead of a job.
- An invoice's public PDF link: `PDF_RATE_LIMIT` per invoice, counted after
  the link's signature check (`pdf_wait`).

A limit that is exceeded answers 429 with ``Retry-After`` (seconds). The
counters live in the same Redis as RQ (``REDIS_URL``, or the embedded
server's socket), under keys prefixed with the queue name. When Redis cannot
be reached the limits are skipped rather than failing the request.

The limits can be changed per deployment with the environment variables of
the same names (e.g. ``API_RATE_LIMIT="600/minute"``), or ``app.config`` in tests.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse
from redis.exceptions import RedisError

from bot.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULTS = {
    "API_RATE_LIMIT": "300/minute",
    "EXECUTE_RATE_LIMIT": "10/minute",
    "WEBHOOK_RATE_LIMIT": "60/minute",
    "PDF_RATE_LIMIT": "30/minute",
}


def _setting(name: str) -> str:
    return str(current_app.config.get(name) or DEFAULTS[name])


def api_limit() -> str:
    return _setting("API_RATE_LIMIT")


def execute_limit() -> str:
    return _setting("EXECUTE_RATE_LIMIT")


def webhook_limit() -> str:
    return _setting("WEBHOOK_RATE_LIMIT")


def business_key() -> str:
    """The API's rate-limit key: the caller's business, else its address."""
    from bot.api.auth import current_business_id

    business_id = current_business_id()
    return f"business:{business_id}" if business_id is not None else f"anon:{request.remote_addr}"


def sender_wait(sender: str) -> int | None:
    """Count one message against ``sender``'s `WEBHOOK_RATE_LIMIT`: seconds to wait when over it, else None."""
    return _window_wait("webhook", sender, webhook_limit())


def pdf_wait(invoice_id: int) -> int | None:
    """Count one download of an invoice's PDF link against `PDF_RATE_LIMIT`: seconds to wait, else None.

    The link is public (it goes to the customer on WhatsApp) and each download renders the PDF, so
    one link passed around or hammered is held to a few downloads a minute.
    """
    return _window_wait("pdf", str(invoice_id), _setting("PDF_RATE_LIMIT"))


def _window_wait(scope: str, key: str, setting: str) -> int | None:
    """Count one hit on ``key`` against the limit ``setting``: seconds to wait when over it, else None.

    A fixed-window counter in one Redis round trip (INCR and EXPIRE): the webhook is Munshi's
    busiest endpoint, and flask-limiter's several round trips cost more than the rest of it.
    Redis out of reach: allowed (a message is stored and the sweeper enqueues it later).
    """
    limit = parse(setting)
    window = limit.get_expiry()
    rt: Runtime = current_app.extensions["munshi"]
    now = int(time.time())
    start = now - now % window
    counter = f"{rt.config.queue_name}:limits:{scope}:{key}:{start}"
    try:
        pipe = rt.redis.pipeline(transaction=False)
        pipe.incr(counter)
        pipe.expire(counter, window)
        count = pipe.execute()[0]
    except RedisError:
        return None
    return start + window - now if count > limit.amount else None


def init_app(app: Flask, rt: Runtime) -> Limiter:
    """Make this app's limiter (one per app: tests build many apps in one process)."""
    for name, default in DEFAULTS.items():
        app.config.setdefault(name, os.environ.get(name) or default)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    options: dict[str, Any]
    if rt.config.redis_url:
        storage_uri, options = rt.config.redis_url, {"socket_connect_timeout": 2, "socket_timeout": 5}
        if storage_uri.startswith("unix://"):  # the `limits` library spells a Redis socket this way
            storage_uri = "redis+" + storage_uri
    else:  # the embedded server: share its connection pool (its socket path is known only once it runs)
        storage_uri, options = "redis://", {"connection_pool": rt.redis.connection_pool}
    limiter = Limiter(
        key_func=business_key,
        storage_uri=storage_uri,
        storage_options=options,  # type: ignore[arg-type]
        key_prefix=f"{rt.config.queue_name}:limits",
        strategy="fixed-window",
        headers_enabled=True,
        swallow_errors=True,
    )
    limiter.init_app(app)
    app.extensions["munshi_limiter"] = limiter
    return limiter


def apply(app: Flask, limiter: Limiter) -> None:
    """Attach the limits to the registered views (after every blueprint is registered).

    A decorated view's limits are checked by flask-limiter's wrapper, so the
    wrapped function replaces the app's view (the blueprints' modules stay as
    they are).
    """
    from bot.api import api_bp

    # One allowance per business across the whole API (shared by all its endpoints).
    limiter.shared_limit(api_limit, scope="api", key_func=business_key)(api_bp)
    execute = app.view_functions.get("api.execute_workflow")
    if execute is not None:
        app.view_functions["api.execute_workflow"] = limiter.limit(  # type: ignore[assignment]
            execute_limit, key_func=business_key, scope="execute", override_defaults=False
        )(execute)
