"""Outbound HTTP that never reaches a private address (the SSRF guard).

Flows let an owner (or a language model writing a blueprint) name any URL,
so every request Munshi makes to such a URL goes through `guarded_client`:

- the host name is resolved first and *every* address it resolves to must be
  public: loopback, private (RFC 1918, ULA), link-local (169.254/16 and the
  cloud metadata address with it, fe80::/10), carrier-grade NAT, multicast,
  reserved, unspecified and IPv4-mapped/NAT64 forms of those are refused;
- the connection is then made to the address that was checked (the network
  backend does the resolving and checking itself, so a DNS answer that
  changes between the check and the connect — DNS rebinding — cannot slip
  through), while TLS still verifies the certificate of the host name;
- redirects are followed by hand, at most `MAX_REDIRECTS`, each hop checked
  the same way; only ``http`` and ``https``; no proxies from the environment;
- the response body is read up to a size cap; timeouts are always set.

The allow-list (``MUNSHI_HTTP_ALLOW``: comma-separated ``host``,
``host:port``, ``ip``, ``ip:port`` or ``cidr`` entries) lets named internal
targets through, e.g. a test's local server ``127.0.0.1:8123``.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from bot.errors import PermanentToolError, TransientToolError

ALLOW_ENV = "MUNSHI_HTTP_ALLOW"
MAX_REDIRECTS = 5
MAX_RESPONSE_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = 15.0

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class BlockedAddress(PermanentToolError):
    """The URL leads to an address Munshi must not call."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA), as text."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransientToolError(f"the web address {host} could not be found ({exc})", host=host) from None
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in seen:
            seen.append(addr)
    return seen


@dataclass(frozen=True)
class AllowList:
    """Targets let through although they are not public (``MUNSHI_HTTP_ALLOW``)."""

    hosts: frozenset[tuple[str, int | None]] = frozenset()
    networks: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int | None], ...] = ()

    @classmethod
    def parse(cls, text: str | Sequence[str] | None) -> AllowList:
        entries = text.split(",") if isinstance(text, str) else list(text or [])
        hosts: set[tuple[str, int | None]] = set()
        nets: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int | None]] = []
        for raw in (e.strip() for e in entries):
            if not raw:
                continue
            host, port = _split_host_port(raw)
            try:
                nets.append((ipaddress.ip_network(host, strict=False), port))
            except ValueError:
                hosts.add((host.lower().rstrip("."), port))
        return cls(frozenset(hosts), tuple(nets))

    @classmethod
    def from_env(cls, extra: str | Sequence[str] | None = None) -> AllowList:
        """The environment's allow-list plus ``extra`` entries."""
        env = os.environ.get(ALLOW_ENV, "")
        more = extra.split(",") if isinstance(extra, str) else list(extra or [])
        return cls.parse([*env.split(","), *more])

    def allows_host(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".")
        return (host, None) in self.hosts or (host, port) in self.hosts

    def allows_ip(self, ip: IPAddress, port: int) -> bool:
        return any(ip in net and (p is None or p == port) for net, p in self.networks)


def _split_host_port(raw: str) -> tuple[str, int | None]:
    if raw.startswith("["):  # [::1]:8080
        host, _, rest = raw[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if raw.count(":") == 1:
        host, _, port = raw.partition(":")
        if port.isdigit():
            return host, int(port)
    return raw, None


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """True when ``ip`` is an ordinary internet address."""
    inner = _embedded_v4(ip)
    if inner is not None:
        return is_public(inner)
    if ip.is_multicast or ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_reserved \
            or ip.is_unspecified:
        return False
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return False
    return bool(ip.is_global)


def check_addresses(host: str, port: int, addresses: Sequence[str], allow: AllowList) -> list[str]:
    """The addresses (all of them public or allow-listed), or `BlockedAddress` naming the problem."""
    if not addresses:
        raise TransientToolError(f"the web address {host} could not be found", host=host)
    if allow.allows_host(host, port):
        return list(addresses)
    for text in addresses:
        ip = ipaddress.ip_address(text)
        if not is_public(ip) and not allow.allows_ip(ip, port):
            raise BlockedAddress(f"{host} leads to a private or internal address ({ip}); "
                                 "Munshi only calls public internet addresses", host=host, address=str(ip))
    return list(addresses)


def check_url(url: str, allow: AllowList, resolver: Resolver = system_resolver) -> list[str]:
    """Check a URL's scheme and host and resolve it; the addresses it may connect to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentToolError(f"{url!r} is not a web address (http:// or https://)", url=url)
    if parts.username or parts.password:
        raise PermanentToolError("a web address with a user name and password in it is not allowed; "
                                 "send credentials in a header", url=url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise PermanentToolError(f"{url!r} has a port that is not a number", url=url) from None
    host = parts.hostname
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else resolver(host, port)
    return check_addresses(host, port, addresses, allow)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend that resolves and checks the host at connect time (no rebinding)."""

    def __init__(self, allow: AllowList, resolver: Resolver = system_resolver) -> None:
        self.allow = allow
        self.resolver = resolver
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        addresses = [str(literal)] if literal is not None else self.resolver(host, port)
        checked = check_addresses(host, port, addresses, self.allow)
        last: Exception | None = None
        for address in checked:
            try:
                return self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                              socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        raise BlockedAddress("Munshi does not call local sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport` whose connections go through `GuardedBackend`."""

    def __init__(self, allow: AllowList, resolver: Resolver = system_resolver, **kwargs: typing.Any) -> None:
        super().__init__(trust_env=False, **kwargs)
        pool = self._pool
        assert isinstance(pool, httpcore.ConnectionPool)  # no proxy: trust_env is off and none is given
        # httpx does not take a network backend; httpcore's pool does (pinned by the tests).
        pool._network_backend = GuardedBackend(allow, resolver)


@dataclass
class Fetched:
    """A response read under the size cap."""

    status: int
    reason: str
    headers: dict[str, str]
    content: bytes
    url: str
    history: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


def guarded_client(*, allow: AllowList | None = None, resolver: Resolver = system_resolver,
                   timeout: float = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An `httpx.Client` for untrusted URLs: guarded transport (unless one is injected), no redirects."""
    allow = allow if allow is not None else AllowList.from_env()
    return httpx.Client(transport=transport or GuardedTransport(allow, resolver), trust_env=False,
                        follow_redirects=False, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))


def fetch(client: httpx.Client, method: str, url: str, *, allow: AllowList, resolver: Resolver = system_resolver,
          headers: dict[str, str] | None = None, json: typing.Any = None, content: bytes | None = None,
          max_bytes: int = MAX_RESPONSE_BYTES, max_redirects: int = MAX_REDIRECTS) -> Fetched:
    """Send one request (and follow its redirects by hand), reading at most ``max_bytes`` of the answer.

    Every URL, the first and each redirect target, is checked with `check_url`
    before anything is sent to it. Network trouble raises `TransientToolError`;
    a refused address, a bad URL or an answer too large `PermanentToolError`.
    """
    history: list[str] = []
    current, verb, body_json, body = url, method.upper(), json, content
    for _ in range(max_redirects + 1):
        check_url(current, allow, resolver)
        host = urlsplit(current).hostname or current
        try:
            request = client.build_request(verb, current, headers=headers, json=body_json, content=body)
            response = client.send(request, stream=True)
        except httpx.TimeoutException:
            raise TransientToolError(f"{host} did not answer in time", host=host) from None
        except BlockedAddress:
            raise
        except httpx.TransportError as exc:
            raise TransientToolError(f"could not reach {host} ({type(exc).__name__})", host=host) from None
        try:
            if response.is_redirect and response.headers.get("location"):
                history.append(current)
                current = urljoin(current, response.headers["location"])
                if response.status_code == 303 or (response.status_code in (301, 302) and verb == "POST"):
                    verb, body_json, body = "GET", None, None
                continue
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise PermanentToolError(f"{host} answered with more than {max_bytes // 1024} KB; "
                                                 "Munshi reads at most that much", host=host)
                    chunks.append(chunk)
            except httpx.TimeoutException:
                raise TransientToolError(f"{host} stopped answering part way", host=host) from None
            except httpx.TransportError as exc:
                raise TransientToolError(f"the connection to {host} broke ({type(exc).__name__})",
                                         host=host) from None
            return Fetched(response.status_code, response.reason_phrase, {k.lower(): v for k, v in
                                                                           response.headers.items()},
                           b"".join(chunks), current, history)
        finally:
            response.close()
    raise PermanentToolError(f"{urlsplit(url).hostname} redirected more than {max_redirects} times", url=url)


def raise_for_status(fetched: Fetched, service: str) -> None:
    """Turn a 4xx/5xx answer into the right error: 408/425/429 and 5xx may pass, other 4xx will not."""
    status = fetched.status
    if status < 400:
        return
    host = urlsplit(fetched.url).hostname or service
    detail = fetched.text().strip().replace("\n", " ")[:200]
    text = f"{service} answered {status} {fetched.reason}".rstrip() + (f": {detail}" if detail else "")
    if status in (408, 425, 429) or status >= 500:
        raise TransientToolError(text, host=host, status=status)
    raise PermanentToolError(text, host=host, status=status)
