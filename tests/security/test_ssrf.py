"""SSRF: flows' ``http.request`` (and Slack) and voice-note media never reach loopback, private or
link-local addresses, whatever the URL looks like, wherever it redirects, whatever DNS says.

Already covered elsewhere: the guard with an *injected* resolver and a mock
transport (private ranges, a name with one private address, a redirect to
169.254.169.254, DNS rebinding with a local server:
``tests/unit/flows_engine/test_tool_http.py``); media URLs outside Twilio
and API redirects to 169.254.169.254 / 10.0.0.5 / [::1] / localhost
(``tests/integration/test_media_fetch.py``).

Here everything goes through the production path: the real guarded
transport and ``socket.getaddrinfo`` (patched, where a name must resolve to
something, at the socket layer both `tools.netguard` and `bot.media` use;
no network is needed), localhost written every odd way, real local servers
that redirect to their neighbours, and a signed voice note whose MediaUrl is
an internal address, through the webhook and the worker.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bot.errors import PermanentToolError, TranscriptionError, TransientToolError
from bot.media import REFUSED, fetch_twilio_media
from tools import netguard
from tools.base import ToolContext
from tools.http import HttpRequest
from tools.slack import PostMessage

MEDIA_PATH = f"/2010-04-01/Accounts/AC{'0' * 32}/Messages/MM{'1' * 32}/Media/ME{'2' * 32}"


class _Server:
    """A local HTTP server that records every request; answers 200, or a redirect to ``location``."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.location: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                server.hits.append(f"{self.command} {self.path}")
                if server.location:
                    self.send_response(307)
                    self.send_header("Location", server.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b'{"secret": "internal"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    """Two local servers: ``outer`` (which a test may allow-list) and ``inner`` (which must never be hit)."""
    made = (_Server(), _Server())
    yield made
    for server in made:
        server.close()


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names that resolve to given addresses at the socket layer; everything else as usual.

    ``localtest.me`` and ``*.nip.io``-style names really do resolve to 127.0.0.1 on the internet;
    here they do so without it."""
    names: dict[str, list[str]] = {"localtest.me": ["127.0.0.1"], "127.0.0.1.nip.io": ["127.0.0.1"],
                                   "metadata.evil.example": ["169.254.169.254"],
                                   "intranet.evil.example": ["93.184.216.34", "10.1.2.3"],
                                   "v6.evil.example": ["::1"], "mapped.evil.example": ["::ffff:10.0.0.1"]}
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        key = host.decode() if isinstance(host, bytes) else str(host)
        if key.lower().rstrip(".") in names:
            out = []
            for address in names[key.lower().rstrip(".")]:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr = (address, int(port or 0), 0, 0) if family == socket.AF_INET6 else (address, int(port or 0))
                out.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
            return out
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return names


def _ctx(allow: str | None = None) -> ToolContext:
    """A flow step's context with nothing injected: the production resolver and transport."""
    return ToolContext(session=None, business_id=1, idempotency_key="run-x-call",
                       extra={"http_allow": allow} if allow else {})


def _call(url: str, allow: str | None = None, method: str = "GET") -> dict[str, Any]:
    return HttpRequest()(_ctx(allow), {"method": method, "url": url, "timeout": 2})


# Loopback written every way a URL parser, inet_aton or getaddrinfo accepts. {port} is the inner server.
LOOPBACK = ["http://127.0.0.1:{port}/", "http://127.1:{port}/", "http://127.0.1:{port}/", "http://2130706433:{port}/",
            "http://0x7f000001:{port}/", "http://0x7f.1:{port}/", "http://0177.0.0.1:{port}/",
            "http://017700000001:{port}/", "http://localhost:{port}/", "http://LOCALHOST.:{port}/",
            "http://[::1]:{port}/", "http://[::ffff:127.0.0.1]:{port}/", "http://[::ffff:7f00:1]:{port}/",
            "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/", "http://0.0.0.0:{port}/", "http://0:{port}/",
            "http://[::]:{port}/", "http://127.0.0.1.:{port}/", "http://127.255.255.254:{port}/",
            "http://localtest.me:{port}/", "http://127.0.0.1.nip.io:{port}/", "http://v6.evil.example:{port}/"]


@pytest.mark.parametrize("template", LOOPBACK)
def test_loopback_in_any_spelling_is_refused_and_the_server_never_hears(servers, dns, template: str) -> None:
    _outer, inner = servers
    url = template.format(port=inner.port)
    with pytest.raises((netguard.BlockedAddress, PermanentToolError, TransientToolError)) as info:
        _call(url)
    if isinstance(info.value, TransientToolError):  # "127.0.0.1." is a name to getaddrinfo: not found here
        assert "could not be found" in info.value.message
    elif not isinstance(info.value, netguard.BlockedAddress):
        assert "not a web address" in info.value.message
    assert inner.hits == []


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/", "http://10.255.255.255:8080/", "http://172.16.5.4/", "http://172.31.255.255/",
    "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.170.2/v2/credentials", "http://[fd00:ec2::254]/latest/meta-data/", "http://[fe80::1%25eth0]/",
    "http://100.100.100.200/latest/meta-data/", "http://0xa9fea9fe/", "http://2852039166/",
    "http://metadata.evil.example/computeMetadata/v1/", "http://intranet.evil.example/",
    "http://mapped.evil.example/", "http://[::ffff:169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://198.18.0.1/", "http://240.0.0.1/", "http://255.255.255.255/", "http://224.0.0.251/",
])
def test_private_metadata_and_reserved_targets_are_refused_before_connecting(dns, url: str) -> None:
    with pytest.raises(netguard.BlockedAddress):
        _call(url)


def test_a_name_that_does_not_resolve_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nothing)
    with pytest.raises(TransientToolError, match="could not be found"):
        _call("http://metadata.google.internal/computeMetadata/v1/")


@pytest.mark.parametrize("target", [
    "http://127.0.0.1:{inner}/admin", "http://localhost:{inner}/admin", "http://[::1]:{inner}/admin",
    "http://2130706433:{inner}/admin", "http://127.1:{inner}/admin", "http://localtest.me:{inner}/admin",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "//127.0.0.1:{inner}/protocol-relative",
    "http://user:pass@127.0.0.1:{inner}/", "file:///etc/passwd", "gopher://127.0.0.1:{inner}/_x",
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_public_looking_server_redirecting_inside_is_stopped_at_the_redirect(servers, dns, target: str,
                                                                             method: str) -> None:
    """The first server is allow-listed (standing in for a public site); where it points is not."""
    outer, inner = servers
    outer.location = target.format(inner=inner.port)
    with pytest.raises((netguard.BlockedAddress, PermanentToolError)):
        _call(f"http://127.0.0.1:{outer.port}/start", allow=f"127.0.0.1:{outer.port}", method=method)
    assert outer.hits == [f"{method} /start"]
    assert inner.hits == []


def test_an_allow_listed_port_does_not_open_the_host(servers, dns) -> None:
    outer, inner = servers
    assert _call(f"http://127.0.0.1:{outer.port}/ok", allow=f"127.0.0.1:{outer.port}")["status"] == 200
    with pytest.raises(netguard.BlockedAddress):
        _call(f"http://127.0.0.1:{inner.port}/", allow=f"127.0.0.1:{outer.port}")
    with pytest.raises(netguard.BlockedAddress):
        _call(f"http://localhost:{inner.port}/", allow=f"localhost:{outer.port}")
    assert inner.hits == []


def test_dns_rebinding_at_the_socket_layer_is_caught_at_connect(servers, monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo answers a public address when the URL is checked and loopback when connecting."""
    _outer, inner = servers
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1", "127.0.0.1"])
    real = socket.getaddrinfo

    def flip(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.evil.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (next(answers), int(port)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", flip)
    with pytest.raises(netguard.BlockedAddress):
        _call(f"http://rebind.evil.example:{inner.port}/")
    assert inner.hits == []


def test_slack_webhook_urls_go_through_the_same_guard(servers, dns) -> None:
    _outer, inner = servers
    for url in (f"http://127.0.0.1:{inner.port}/services/T/B/X", "http://169.254.169.254/services/x",
                f"http://localtest.me:{inner.port}/services/x"):
        with pytest.raises(netguard.BlockedAddress):
            PostMessage()(_ctx(), {"text": "hello", "webhook_url": url})
    assert inner.hits == []


# ------------------------------------------------------------------ voice-note media


@pytest.mark.parametrize("template", [
    "http://127.0.0.1:{port}" + MEDIA_PATH, "https://127.0.0.1:{port}" + MEDIA_PATH,
    "http://169.254.169.254/latest/meta-data/", "https://10.0.0.1" + MEDIA_PATH, "https://[::1]:{port}/x",
    "https://localhost:{port}" + MEDIA_PATH, "https://2130706433" + MEDIA_PATH, "https://127.1" + MEDIA_PATH,
    "https://api.twilio.com@127.0.0.1:{port}" + MEDIA_PATH, "https://127.0.0.1:{port}#@api.twilio.com/",
    "https://api.twilio.com.localtest.me:{port}" + MEDIA_PATH, "https://localtest.me:{port}" + MEDIA_PATH,
    "https://api.twilio.com\\@127.0.0.1:{port}/",
])
def test_media_urls_inside_are_refused_without_a_request(servers, dns, template: str) -> None:
    _outer, inner = servers
    url = template.format(port=inner.port)
    with pytest.raises(TranscriptionError) as info:
        fetch_twilio_media(url, "AC" + "0" * 32, "media-token-not-real")
    assert info.value.message == REFUSED
    assert inner.hits == []


@pytest.mark.parametrize("location", [
    "https://127.1/media", "https://2130706433/media", "https://0x7f000001/media", "https://0.0.0.0/media",
    "https://[::ffff:127.0.0.1]/media", "https://[::ffff:a9fe:a9fe]/latest/meta-data/", "https://localtest.me/m",
    "https://metadata.evil.example/m", "https://intranet.evil.example/m", "https://v6.evil.example/m",
    "https://100.64.0.1/m", "https://[fc00::1]/m",
])
def test_twilios_redirect_is_followed_only_to_public_addresses(dns, location: str) -> None:
    sent: list[httpx.Request] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(307, headers={"Location": location})

    with httpx.Client(transport=httpx.MockTransport(twilio)) as client, pytest.raises(TranscriptionError) as info:
        fetch_twilio_media("https://api.twilio.com" + MEDIA_PATH, "AC" + "0" * 32, "tok", client=client)
    assert info.value.context.get("reason") == "private redirect"
    assert len(sent) == 1


def test_a_signed_voice_note_pointing_inside_is_refused_by_the_worker(make_app, servers, drain) -> None:
    """Through the webhook and the worker: the owner is told, the internal server hears nothing."""
    from tests.helpers import TOKEN, Twilio, inbound, outbox

    _outer, inner = servers
    app = make_app(TWILIO_ACCOUNT_SID="AC" + "0" * 32, WHATSAPP_TRANSPORT="outbox")
    twilio = Twilio(TOKEN, client=app.test_client())
    for i, url in enumerate((f"http://127.0.0.1:{inner.port}{MEDIA_PATH}",
                             "http://169.254.169.254/latest/meta-data/iam/security-credentials/")):
        resp, _ = twilio.send(voice=True, sid=f"MM{i:032d}", MediaUrl0=url, MediaContentType0="audio/ogg")
        assert resp.status_code == 200
        drain(app)
    db = app.extensions["munshi"].db
    assert [m.body for m in outbox(db)] == [REFUSED, REFUSED]
    assert all(m.status == "done" for m in inbound(db))
    assert inner.hits == []
