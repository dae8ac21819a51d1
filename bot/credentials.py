"""Per-business credentials for outside services, encrypted at rest with MUNSHI_SECRET_KEY.

Secrets are set with ``python -m bot connect SERVICE --business +E164`` and
never through chat (where they would sit in message history). The
environment's variables (``RAZORPAY_*``, ``SMTP_URL``…) are the account of a
single-shop deployment and are used when a business has none of its own.
"""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import ConfigError
from storage.models import Credential

SERVICES = ("razorpay", "google", "smtp", "slack")


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(("munshi-credentials:" + secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def store(session: Session, secret_key: str, business_id: int, service: str, secret: dict[str, Any],
          public: dict[str, Any] | None = None) -> Credential:
    """Save (or replace) a business's credentials for ``service``."""
    if service not in SERVICES:
        raise ConfigError(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    blob = _fernet(secret_key).encrypt(json.dumps(secret).encode())
    cred = session.scalar(select(Credential).where(Credential.business_id == business_id,
                                                   Credential.service == service))
    if cred is None:
        cred = Credential(business_id=business_id, service=service, secret=blob, public=public or {})
        session.add(cred)
    else:
        cred.secret, cred.public = blob, public or {}
    return cred


def load(session: Session, secret_key: str, business_id: int, service: str) -> dict[str, Any] | None:
    """The decrypted credentials, or None when the business has not connected ``service``."""
    cred = session.scalar(select(Credential).where(Credential.business_id == business_id,
                                                   Credential.service == service))
    if cred is None:
        return None
    try:
        return json.loads(_fernet(secret_key).decrypt(cred.secret))
    except InvalidToken:
        raise ConfigError(f"the stored {service} credentials cannot be read: MUNSHI_SECRET_KEY changed "
                          f"since they were saved; connect {service} again") from None
