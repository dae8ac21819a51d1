"""A live Munshi for tests that need real HTTP: the app on a free port named in PUBLIC_BASE_URL, plus workers.

PUBLIC_BASE_URL is set to the server's own address so the links Munshi puts in replies (login links,
invoice PDFs) point at this server.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import make_server

from bot.config import Config
from tests.helpers import free_port


@dataclass
class Site:
    url: str
    app: Any
    config: Config

    @property
    def db(self) -> Any:
        return self.app.extensions["munshi"].db


@pytest.fixture
def site(make_config: Callable[..., Config], make_app: Callable[..., Any], workers: Any) -> Iterator[Site]:
    """The test's app on a real threaded server and one ``python -m bot worker``."""
    port = free_port()
    config = make_config(PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", TWILIO_AUTH_TOKEN=None)
    app = make_app(config)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="live-site")
    thread.start()
    workers.start(config)
    yield Site(f"http://127.0.0.1:{port}", app, config)
    server.shutdown()
    thread.join(5)
