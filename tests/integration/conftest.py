"""Integration fixtures: real worker processes, a real HTTP server, Twilio posting over HTTP.

Workers are ``python -m bot worker`` processes sharing the test's home, database, Redis and
queue (`tests.helpers.env_for`); each writes its log to the test's temp dir, shown when a wait
times out. All of them are stopped at teardown.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from werkzeug.serving import make_server

from bot.config import Config
from tests.helpers import REPO, TOKEN, Twilio, env_for, python_m_bot, stop_process, tail, wait_for

# A worker whose sweeper runs every 2 s and takes pending messages at once (Munshi's defaults are
# a 10 s tick and a 20 s grace), so a test of "the sweeper picks it up" takes seconds, not half a
# minute. Everything else is the real `python -m bot worker`.
FAST_SWEEPER = """
import sys
from datetime import timedelta

import bot.scheduling
import bot.worker

bot.scheduling.TICK_SECONDS = bot.worker.TICK_SECONDS = 2
bot.scheduling.PENDING_GRACE = timedelta(0)

from bot.__main__ import main

sys.exit(main(["worker"]))
"""

# The plain `python -m bot worker`, for a worker started with a ``prelude`` but no fast sweeper.
PLAIN_WORKER = """
import sys

from bot.__main__ import main

sys.exit(main(["worker"]))
"""


class Workers:
    """Starts and stops ``python -m bot worker`` processes for one test."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, config: Config, n: int = 1, *, fast_sweeper: bool = False, prelude: str = "",
              **env: str | None) -> list[subprocess.Popen]:
        """Start ``n`` workers on ``config``'s queue and wait until all of them listen.

        ``prelude``: Python run in the worker process before it starts (a test's hook or stand-in).
        """
        started = []
        for _ in range(n):
            log = self.logs / f"worker-{len(self.procs) + 1}.log"
            if fast_sweeper or prelude:
                script = prelude + (FAST_SWEEPER if fast_sweeper else PLAIN_WORKER)
                with open(log, "ab") as err:
                    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO,
                                            env=env_for(config, **env), stderr=err)
            else:
                proc = python_m_bot("worker", env=env_for(config, **env), log=log)
            self.procs.append((proc, log))
            started.append(proc)
        assert config.redis_url
        conn = Redis.from_url(config.redis_url)
        queue = Queue(config.queue_name, connection=conn)

        def listening() -> bool:
            for proc in started:
                assert proc.poll() is None, \
                    f"worker {proc.pid} exited with {proc.returncode}\n{self.logs_text()}"
            registered = {w.pid for w in Worker.all(connection=conn, queue=queue)}
            return all(proc.pid in registered for proc in started)

        try:
            wait_for(listening, timeout=30, interval=0.1, what=f"{n} worker(s) listening",
                     details=self.logs_text)
        finally:
            conn.close()
        return started

    def logs_text(self) -> str:
        return "\n".join(tail(log) for _, log in self.procs)

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            stop_process(proc, timeout=10)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    """``workers.start(config, n)``: real worker processes, stopped at teardown."""
    w = Workers(tmp_path)
    yield w
    w.stop()


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The test's app on a real threaded HTTP server on a free port; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def http_twilio(live_server: str) -> Twilio:
    """Twilio posting signed webhooks over HTTP to `live_server`."""
    return Twilio(TOKEN, base_url=live_server)


@pytest.fixture
def wait_handled(workers: Workers) -> Callable[..., object]:
    """``wait_handled(predicate, what=...)``: `wait_for` that shows the workers' logs when it times out."""
    def wait(predicate: Callable[[], object], *, what: str, timeout: float = 20.0) -> object:
        return wait_for(predicate, timeout=timeout, what=what, details=workers.logs_text)

    return wait
