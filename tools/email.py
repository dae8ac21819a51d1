"""``email.send``: an email through the business's SMTP server.

The server is the business's ``smtp`` connection (``python -m bot connect
smtp --url … --from-address …``) or ``SMTP_URL``:

- ``smtp://user:password@host:587``: plain connection upgraded with
  STARTTLS when the server offers it; a login is never sent unencrypted
  (except to a server on this machine);
- ``smtps://user:password@host:465``: TLS from the first byte.

Certificates are verified (``SSL_CERT_FILE`` adds a private CA). The
``Message-ID`` is derived from the step's idempotency key, so a mail system
that sees a retried step's email twice can tell it is the same message.
Refused addresses and logins fail for good; 4xx answers, timeouts and broken
connections may be retried.
"""
from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field, field_validator

from bot.errors import PermanentToolError, TransientToolError
from tools.base import BaseTool, ToolContext
from tools.connections import business_credentials, config_of, not_connected, release

TIMEOUT = 20.0
MAX_RECIPIENTS = 20
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")


def _addresses(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").replace(";", ",").split(",")
    out = [str(a).strip() for a in items if str(a).strip()]
    if not out:
        raise ValueError("no email address given")
    if len(out) > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} addresses")
    for address in out:
        if not _EMAIL.match(address) or any(c in address for c in "\r\n"):
            raise ValueError(f"'{address}' is not an email address")
    return out


class SendParams(BaseModel):
    to: list[str] = Field(description="one address, or several separated by commas")
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=200_000)
    reply_to: str | None = None

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, value: Any) -> list[str]:
        return _addresses(value)

    @field_validator("reply_to", mode="before")
    @classmethod
    def _reply_to(cls, value: Any) -> str | None:
        return _addresses(value)[0] if value else None

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        value = " ".join(value.split())  # no header injection through new lines
        if not value:
            raise ValueError("the subject is empty")
        return value


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send, from an ``smtp://`` or ``smtps://`` URL."""

    host: str
    port: int
    ssl: bool
    username: str | None
    password: str | None
    from_address: str

    @classmethod
    def from_url(cls, url: str, from_address: str | None = None) -> SmtpServer:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise PermanentToolError("the SMTP address must look like smtp://user:password@host:587 or "
                                     "smtps://user:password@host:465")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 587)
        except ValueError:
            raise PermanentToolError("the SMTP address has a port that is not a number") from None
        user = unquote(parts.username) if parts.username else None
        sender = from_address or (user if user and "@" in user else f"munshi@{parts.hostname}")
        return cls(parts.hostname, port, parts.scheme == "smtps", user,
                   unquote(parts.password) if parts.password else None, sender)

    @property
    def local(self) -> bool:
        return self.host in ("localhost", "127.0.0.1", "::1")


def server_for(ctx: ToolContext) -> SmtpServer:
    """The business's SMTP server, else ``SMTP_URL``; `NotConnected` when neither exists."""
    creds = business_credentials(ctx, "smtp")
    if creds and creds.get("url"):
        return SmtpServer.from_url(creds["url"], creds.get("from_address"))
    url = getattr(config_of(ctx), "smtp_url", None)
    if url:
        return SmtpServer.from_url(url)
    raise not_connected(ctx, "smtp", "Email")


def message_id_for(key: str | None, host: str) -> str:
    """A Message-ID that is the same for every attempt of one step."""
    if not key:
        return make_msgid(domain="munshi.local")
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@munshi.{host}>"


def build_message(server: SmtpServer, params: SendParams, key: str | None, shop: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((shop, server.from_address)) if shop else server.from_address
    msg["To"] = ", ".join(params.to)
    msg["Subject"] = params.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id_for(key, server.host)
    if params.reply_to:
        msg["Reply-To"] = params.reply_to
    msg.set_content(params.body)
    return msg


def deliver(server: SmtpServer, msg: EmailMessage, *, context: ssl.SSLContext | None = None,
            timeout: float = TIMEOUT) -> dict[str, Any]:
    """Hand ``msg`` to the server; errors in plain words, permanent or transient."""
    context = context or ssl.create_default_context()
    try:
        if server.ssl:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            conn = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with conn:
            conn.ehlo()
            if not server.ssl:
                if conn.has_extn("starttls"):
                    conn.starttls(context=context)
                    conn.ehlo()
                elif server.username and not server.local:
                    raise PermanentToolError(f"the mail server {server.host} does not offer STARTTLS, so the "
                                             "password would go unencrypted; use smtps:// (port 465)")
            if server.username:
                conn.login(server.username, server.password or "")
            refused = conn.send_message(msg)
    except PermanentToolError:
        raise
    except smtplib.SMTPAuthenticationError:
        raise PermanentToolError(f"the mail server {server.host} refused the user name or password; "
                                 "connect smtp again with the right ones") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentToolError("the mail server refused the address " + ", ".join(exc.recipients)) from None
    except smtplib.SMTPSenderRefused:
        raise PermanentToolError(f"the mail server refused to send from {server.from_address}") from None
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        cls = TransientToolError if 400 <= exc.smtp_code < 500 else PermanentToolError
        raise cls(f"the mail server answered {exc.smtp_code}: {text[:200]}") from None
    except ssl.SSLCertVerificationError:
        raise PermanentToolError(f"the certificate of the mail server {server.host} could not be "
                                 "verified") from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise TransientToolError(f"could not reach the mail server {server.host} ({type(exc).__name__})") from None
    if refused:
        raise PermanentToolError("the mail server refused the address " + ", ".join(refused))
    return {"message_id": msg["Message-ID"], "to": msg["To"]}


class Send(BaseTool):
    name = "email.send"
    description = "Send an email (to, subject, body) through the shop's connected mail server."
    Params = SendParams
    outputs = ("message_id", "to")
    writes = True
    idempotent = False
    external = True  # calls out or writes on its own connection (flows.engine commits first)

    def run(self, ctx: ToolContext, params: SendParams) -> dict[str, Any]:
        server = server_for(ctx)
        shop = (ctx.extra.get("business") or {}).get("name")
        msg = build_message(server, params, ctx.idempotency_key, shop)
        release(ctx)
        return deliver(server, msg, context=ctx.extra.get("ssl_context"))

    def describe(self, ctx: ToolContext, params: SendParams) -> str:
        return f"email {', '.join(params.to)}: {params.subject}"


TOOLS: list[BaseTool] = [Send()]
