"""`python -m bot serve`: everything on one machine in one process tree.

Migrations, the embedded Redis when ``REDIS_URL`` is unset, a supervised
worker process (restarted if it dies) and the web server. SIGINT or SIGTERM
stops them all.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from werkzeug.serving import make_server

from bot import create_app
from bot.config import Config
from bot.runtime import redis_url_for_children

log = logging.getLogger(__name__)


def serve(host: str, port: int, workers: int = 1) -> int:
    """Run web + worker(s) until interrupted."""
    config = Config.from_env()
    app = create_app(config)
    rt = app.extensions["munshi"]
    env = dict(os.environ, REDIS_URL=redis_url_for_children(rt), MUNSHI_HOME=str(config.home),
               DATABASE_URL=config.database_url, MUNSHI_SECRET_KEY=config.secret_key,
               MUNSHI_LOCAL_URL=f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}")
    stopping = threading.Event()
    children: list[subprocess.Popen] = []

    def spawn() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env)

    def supervise() -> None:
        while not stopping.is_set():
            for i, child in enumerate(children):
                if child.poll() is not None and not stopping.is_set():
                    log.warning("worker %s exited with %s; starting a new one", child.pid, child.returncode)
                    children[i] = spawn()
            stopping.wait(1)

    children.extend(spawn() for _ in range(workers))
    server = make_server(host, port, app, threaded=True)
    base = config.public_base_url or f"http://{host}:{port}"
    print(f"Munshi is running on http://{host}:{port}\n"
          f"  Twilio WhatsApp webhook (\"When a message comes in\", POST): {base}/twilio/whatsapp\n"
          f"  Twilio status callback URL:                               {base}/twilio/status\n"
          f"  Try it in the browser: http://{host}:{port}/simulator   Dashboard: ask Munshi for \"dashboard\"\n"
          f"  Data: {config.home}   Press Ctrl-C to stop.", flush=True)

    def stop(_signum: int, _frame: object) -> None:
        stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=supervise, daemon=True).start()
    try:
        server.serve_forever()
    finally:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        print("Munshi stopped.", flush=True)
    return 0
