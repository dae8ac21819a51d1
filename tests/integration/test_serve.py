"""`python -m bot serve`: web server and worker in one process tree, stopped cleanly by Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from bot.config import Config
from storage.db import Database
from tests.helpers import (
    OWNER,
    TOKEN,
    Twilio,
    embedded_redis_processes,
    env_for,
    finished,
    free_port,
    port_open,
    python_m_bot,
    replies_to,
    stop_process,
    tail,
    wait_for,
)

pytestmark = pytest.mark.integration


def alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def embedded_redis_servers(home: Path) -> list[psutil.Process]:
    found = embedded_redis_processes(home)
    assert found, "serve started no embedded Redis"
    return found


@pytest.fixture
def serve(config: Config, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """``python -m bot serve`` on a free port (in a session of its own, as a terminal would run it).

    Uses the real Redis when ``TEST_REDIS_URL`` is set; otherwise no ``REDIS_URL`` at all, so serve
    starts its embedded Redis in ``MUNSHI_HOME`` as it does on a fresh machine.
    """
    port = free_port()
    log = tmp_path / "serve.log"
    out = tmp_path / "serve.out"
    env = env_for(config, REDIS_URL=os.environ.get("TEST_REDIS_URL"))
    with open(out, "wb") as stdout:
        proc = python_m_bot("serve", "--port", str(port), env=env, log=log, stdout=stdout,
                            start_new_session=True)
    try:
        def details() -> str:
            return tail(out) + "\n" + tail(log)

        wait_for(lambda: port_open(port) or proc.poll() is not None, timeout=30, interval=0.1,
                 what="serve to listen", details=details)
        assert proc.poll() is None, f"serve exited with {proc.returncode}\n{details()}"
        yield proc, f"http://127.0.0.1:{port}", out
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)


def stop_and_check(proc: subprocess.Popen, out: Path, config: Config, how: str) -> None:
    """Stop serve the way ``how`` says; it must exit 0 and leave no process of its tree behind."""
    tree = psutil.Process(proc.pid).children(recursive=True)
    assert tree, "serve started no worker process"
    redis_servers = [] if os.environ.get("TEST_REDIS_URL") else embedded_redis_servers(config.home)
    if how == "Ctrl-C":  # a terminal signals the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(20)
    else:
        code = stop_process(proc, signal.SIGINT if how == "SIGINT" else signal.SIGTERM, timeout=20)
    assert code == 0, tail(out)
    assert "Munshi stopped." in out.read_text()
    left = [p.pid for p in tree if alive(p)]
    assert not left, f"processes of serve still running after it stopped: {left}"
    wait_for(lambda: not any(alive(p) for p in redis_servers), timeout=10,
             what="the embedded Redis to stop with serve")


def test_serve_answers_a_signed_webhook_and_stops_on_sigint(serve, config: Config) -> None:  # type: ignore[no-untyped-def]
    proc, base, out = serve
    db = Database(config.database_url)
    try:
        assert httpx.get(base + "/", timeout=10).json()["whatsapp_webhook"] == "/twilio/whatsapp"
        assert f"{base}/twilio/whatsapp" in out.read_text()  # the URL to give Twilio
        twilio = Twilio(TOKEN, base_url=base)
        forged = Twilio("not-the-token", base_url=base)
        assert forged.send("hello")[0].status_code == 403
        response, form = twilio.send("hello")
        assert response.status_code == 200 and response.text.endswith("<Response/>")
        [msg] = wait_for(lambda: finished(db, [form["MessageSid"]]), timeout=30,
                         what="serve's worker to reply", details=lambda: tail(out))
        assert [r.peer for r in replies_to(db, msg)] == [OWNER]
        _, form = twilio.send("dashboard")  # links the worker makes point at this server's own port
        [msg] = wait_for(lambda: finished(db, [form["MessageSid"]]), timeout=30,
                         what="the dashboard link", details=lambda: tail(out))
        assert f"{base}/login/" in replies_to(db, msg)[0].body
        stop_and_check(proc, out, config, "SIGINT")
        assert not port_open(int(base.rsplit(":", 1)[1]))
    finally:
        db.dispose()


@pytest.mark.parametrize("how", ["Ctrl-C", "SIGTERM"])
def test_serve_stops_cleanly(serve, config: Config, how: str) -> None:  # type: ignore[no-untyped-def]
    proc, base, out = serve
    assert httpx.get(base + "/", timeout=10).status_code == 200
    stop_and_check(proc, out, config, how)
