"""Voice notes on the worker: fetch (or read, in the console), decode, transcribe with the shop's names.

The transcript then goes through the same understanding as typed text.
"""
from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bot.errors import TranscriptionError
from bot.runtime import Runtime
from storage.models import Customer, Product

log = logging.getLogger(__name__)

AUDIO_TYPES = ("audio/", "application/ogg", "video/mp4")  # WhatsApp voice notes and m4a uploads


def transcribe_message(rt: Runtime, business_id: int, media: list[dict[str, Any]]) -> str:
    """The words of the message's first audio attachment; `TranscriptionError` with a friendly reason."""
    from intents.audio import MAX_BYTES, decode, prepare
    from intents.transcribe import build_prompt, get_transcriber

    item = media[0]
    ctype = (item.get("content_type") or "").split(";")[0].strip().lower()
    if ctype and not ctype.startswith(AUDIO_TYPES):
        raise TranscriptionError("I can read text and listen to voice notes, but I can't open that kind "
                                 "of file yet. Please type or record what you need.")
    data = _read(rt, item, MAX_BYTES)
    seconds = rt.config.max_voice_seconds
    audio = prepare(decode(data, max_seconds=seconds), seconds)
    with rt.db.session() as s:
        customers = list(s.scalars(select(Customer.name).where(Customer.business_id == business_id)
                                   .order_by(Customer.updated_at.desc()).limit(100)))
        products = list(s.scalars(select(Product.name).where(Product.business_id == business_id)
                                  .order_by(Product.updated_at.desc()).limit(100)))
    return get_transcriber(rt.config.transcribe_backend).transcribe(audio, build_prompt(customers, products))


def _read(rt: Runtime, item: dict[str, Any], max_bytes: int) -> bytes:
    if "path" in item:  # the console's @voice PATH (never set by the webhook)
        path = Path(item["path"])
        try:
            if path.stat().st_size > max_bytes:
                raise TranscriptionError("That voice note is too large for me (over 16 MB).")
            return path.read_bytes()
        except OSError:
            raise TranscriptionError(f"I couldn't find the voice note {path.name}.") from None
    from bot.media import fetch_twilio_media

    allowed: tuple[str, ...] = ()
    allow_private = False
    if rt.config.twilio_api_base:  # an explicitly configured stand-in for Twilio's API host
        base = httpx.URL(rt.config.twilio_api_base)
        allowed = (f"{base.host}:{base.port}" if base.port else base.host,)
        allow_private = _loopback(base.host)  # a local stand-in's media host is local too
    data, _ctype = fetch_twilio_media(item["url"], rt.config.twilio_account_sid or "",
                                      rt.config.twilio_auth_token or "", max_bytes=max_bytes,
                                      allowed_hosts=allowed, allow_private=allow_private)
    return data


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
