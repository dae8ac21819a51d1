"""Fetching a WhatsApp message's media from Twilio, and from nowhere else.

Twilio's webhook names each attachment by ``MediaUrlN`` on its REST API
(``https://api.twilio.com/2010-04-01/Accounts/AC…/Messages/MM…/Media/ME…``).
That URL needs HTTP basic auth (account SID, auth token) and answers with a
redirect to a media CDN. So:

* the credentials go only to ``api.twilio.com`` over HTTPS (exactly that
  host; tests may name extra hosts in ``allowed_hosts``); any other
  ``MediaUrl`` is refused, and logged, without a request;
* redirects are followed by hand, without credentials, and only to public
  addresses (a redirect into the private network is refused unless the
  caller allows it, as the tests do for their local servers);
* the body is streamed and abandoned as soon as it passes ``max_bytes``.

The HTTP client is injectable: tests pass one pointed at local servers.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Collection

import httpx

from bot.errors import TranscriptionError

log = logging.getLogger(__name__)

TWILIO_API_HOST = "api.twilio.com"
MAX_BYTES = 16 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(20.0, connect=5.0)

REFUSED = "I couldn't fetch that voice note: it didn't come from WhatsApp's media store."
FAILED = "I couldn't download that voice note from WhatsApp. Please send it again."
TOO_BIG = "That voice note is too big for me (over {mb} MB). Please send a shorter one, or type your message."


def fetch_twilio_media(
    url: str,
    account_sid: str,
    auth_token: str,
    *,
    client: httpx.Client | None = None,
    max_bytes: int = MAX_BYTES,
    allowed_hosts: Collection[str] = (),
    allow_private: bool = False,
) -> tuple[bytes, str]:
    """Download one Twilio ``MediaUrl``; return its bytes and media type.

    The media type is the final response's ``Content-Type`` without
    parameters, lower-cased (``audio/ogg``). ``allowed_hosts`` adds
    ``host`` or ``host:port`` values treated like Twilio's API host (plain
    http allowed: for tests); ``allow_private`` lets redirects reach private
    and loopback addresses (for tests). Raises ``TranscriptionError`` with the
    owner-facing reason; ``context["retryable"]`` is true for timeouts and
    5xx answers.
    """
    first = _api_url(url, allowed_hosts)
    owned = client is None
    http = client or httpx.Client(timeout=TIMEOUT)
    try:
        return _fetch(http, first, (account_sid, auth_token), max_bytes, allow_private)
    except httpx.HTTPError as exc:
        log.warning("media fetch from %s failed: %s", first.host, type(exc).__name__)
        raise TranscriptionError(FAILED, error=type(exc).__name__, retryable=True) from exc
    finally:
        if owned:
            http.close()


def _api_url(url: str, allowed_hosts: Collection[str]) -> httpx.URL:
    """Parse ``url`` and insist it is Twilio's API (or a host the caller allowed)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        log.warning("refused media URL that does not parse")
        raise TranscriptionError(REFUSED, reason="unparseable url") from exc
    netloc = f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host
    official = (
        parsed.scheme == "https"
        and parsed.host == TWILIO_API_HOST
        and parsed.port
        in (
            None,
            443,
        )
    )
    allowed = parsed.scheme in ("http", "https") and (netloc in allowed_hosts or parsed.host in allowed_hosts)
    if parsed.userinfo or not (official or allowed):
        # A forged or misconfigured MediaUrl must never receive our credentials.
        log.warning("refused media URL outside Twilio: %s://%s%s", parsed.scheme, netloc, parsed.path)
        raise TranscriptionError(REFUSED, host=parsed.host)
    return parsed


def _fetch(
    http: httpx.Client,
    url: httpx.URL,
    auth: tuple[str, str],
    max_bytes: int,
    allow_private: bool,
) -> tuple[bytes, str]:
    """GET ``url`` with ``auth``, then any redirects without it."""
    request = http.build_request("GET", url)
    request_auth: tuple[str, str] | None = auth
    for hop in range(MAX_REDIRECTS + 1):
        if hop:
            request.headers.pop("Authorization", None)  # a client default must not leak either
        response = http.send(request, auth=request_auth, stream=True, follow_redirects=False)
        try:
            if response.is_redirect:
                target = url.join(response.headers["Location"])
                _check_redirect(target, allow_private)
                url, request, request_auth = target, http.build_request("GET", target), None
                continue
            if response.status_code != 200:
                log.warning("media fetch from %s answered %d", url.host, response.status_code)
                raise TranscriptionError(
                    FAILED, status=response.status_code, retryable=response.status_code >= 500
                )
            return _read_capped(response, max_bytes), _media_type(response)
        finally:
            response.close()
    raise TranscriptionError(FAILED, reason="too many redirects")


def _check_redirect(target: httpx.URL, allow_private: bool) -> None:
    """A redirect may go anywhere public over HTTPS, never into our network."""
    if target.userinfo or target.scheme not in ("https", "http"):
        raise TranscriptionError(FAILED, reason="bad redirect")
    if target.scheme == "http" and not allow_private:
        log.warning("refused plain-http media redirect to %s", target.host)
        raise TranscriptionError(FAILED, reason="insecure redirect", host=target.host)
    if not allow_private and not _is_public(target.host):
        log.warning("refused media redirect to private address %s", target.host)
        raise TranscriptionError(FAILED, reason="private redirect", host=target.host)


def _is_public(host: str) -> bool:
    """True when every address ``host`` resolves to is globally routable."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    return bool(addresses) and all(addr.is_global and not addr.is_multicast for addr in addresses)


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, or ``TranscriptionError`` once it passes ``max_bytes``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TranscriptionError(_too_big(max_bytes), size=int(declared))
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise TranscriptionError(_too_big(max_bytes), size=len(body))
    return bytes(body)


def _too_big(max_bytes: int) -> str:
    return TOO_BIG.format(mb=max_bytes // (1024 * 1024))


def _media_type(response: httpx.Response) -> str:
    """``audio/ogg; codecs=opus`` → ``audio/ogg``."""
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()
