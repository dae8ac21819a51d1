"""Fetching voice notes: credentials only to Twilio's API, never to the CDN or elsewhere.

Two local HTTP servers stand in for Twilio: the "API" checks basic auth and
answers 307 to the "CDN", which must see no credentials.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.errors import TranscriptionError
from bot.media import FAILED, REFUSED, fetch_twilio_media

SID = "AC" + "0" * 32
TOKEN = "test-auth-token-not-real"
MEDIA_PATH = f"/2010-04-01/Accounts/{SID}/Messages/MM{'1' * 32}/Media/ME{'2' * 32}"
NOTE = (Path(__file__).resolve().parents[1] / "fixtures" / "voice" / "rekha_paid.ogg").read_bytes()


@dataclass
class Behaviour:
    """What a fake server does, and what it saw."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunked_bytes: int = 0  # if set: stream this many bytes without Content-Length
    seen: list[dict[str, Any]] = field(default_factory=list)
    sent: int = 0


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            behaviour.seen.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
            )
            self.send_response(behaviour.status)
            for name, value in behaviour.headers.items():
                self.send_header(name, value)
            if behaviour.chunked_bytes:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self._stream()
                return
            self.send_header("Content-Length", str(len(behaviour.body)))
            self.end_headers()
            self.wfile.write(behaviour.body)

        def _stream(self) -> None:
            self.close_connection = True
            chunk = b"\0" * 65536
            try:
                while behaviour.sent < behaviour.chunked_bytes:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    behaviour.sent += len(chunk)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the client hung up: that is the point

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class QuietServer(ThreadingHTTPServer):
    """Clients hanging up mid-body is what the size-cap tests do: not an error."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@dataclass
class Server:
    behaviour: Behaviour
    port: int

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}"


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    """("Twilio API", "CDN") on two local ports; the API redirects to the CDN."""
    running = []
    made = []
    for _ in range(2):
        behaviour = Behaviour()
        httpd = QuietServer(("127.0.0.1", 0), _handler(behaviour))
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        running.append(httpd)
        made.append(Server(behaviour, httpd.server_address[1]))
    api, cdn = made
    api.behaviour.status = 307
    api.behaviour.headers = {"Location": f"{cdn.url}/media/abc123?Expires=1&Signature=xyz"}
    cdn.behaviour.headers = {"Content-Type": "audio/ogg; codecs=opus"}
    cdn.behaviour.body = NOTE
    yield api, cdn
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


def _fetch(api: Server, url: str | None = None, **kwargs: Any) -> tuple[bytes, str]:
    options: dict[str, Any] = {"allowed_hosts": {api.netloc}, "allow_private": True, **kwargs}
    return fetch_twilio_media(url or api.url + MEDIA_PATH, SID, TOKEN, **options)


def _basic() -> str:
    return "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()


def test_credentials_go_to_the_api_and_not_to_the_cdn(servers: tuple[Server, Server]) -> None:
    api, cdn = servers

    data, media_type = _fetch(api)

    assert data == NOTE
    assert media_type == "audio/ogg"
    [to_api] = api.behaviour.seen
    assert to_api["path"] == MEDIA_PATH
    assert to_api["headers"]["authorization"] == _basic()
    [to_cdn] = cdn.behaviour.seen
    assert to_cdn["path"] == "/media/abc123?Expires=1&Signature=xyz"
    assert "authorization" not in to_cdn["headers"]
    assert TOKEN not in str(to_cdn["headers"])


def test_a_client_default_authorization_header_does_not_reach_the_cdn(
    servers: tuple[Server, Server],
) -> None:
    api, cdn = servers

    with httpx.Client(headers={"Authorization": "Bearer leaky"}) as client:
        _fetch(api, client=client)

    assert "authorization" not in cdn.behaviour.seen[0]["headers"]


def test_wrong_credentials_are_a_friendly_failure(servers: tuple[Server, Server]) -> None:
    api, cdn = servers
    api.behaviour.status = 401
    api.behaviour.headers = {}

    with pytest.raises(TranscriptionError) as caught:
        _fetch(api)

    assert caught.value.message == FAILED
    assert caught.value.context["retryable"] is False
    assert cdn.behaviour.seen == []


def test_server_errors_are_retryable(servers: tuple[Server, Server]) -> None:
    api, _ = servers
    api.behaviour.status = 503
    api.behaviour.headers = {}

    with pytest.raises(TranscriptionError) as caught:
        _fetch(api)

    assert caught.value.context["retryable"] is True


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com" + MEDIA_PATH,
        "https://api.twilio.com.evil.example.com" + MEDIA_PATH,
        "http://api.twilio.com" + MEDIA_PATH,  # plain http would expose the token
        "https://api.twilio.com:8443" + MEDIA_PATH,
        f"https://{SID}:{TOKEN}@api.twilio.com" + MEDIA_PATH,
        "ftp://api.twilio.com" + MEDIA_PATH,
        "not a url at all",
        "",
    ],
)
def test_media_urls_elsewhere_are_refused_without_a_request(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request may be sent, got {request.url}")

    with (
        caplog.at_level(logging.WARNING, logger="bot.media"),
        httpx.Client(transport=httpx.MockTransport(fail)) as client,
        pytest.raises(TranscriptionError) as caught,
    ):
        fetch_twilio_media(url, SID, TOKEN, client=client)

    assert caught.value.message == REFUSED
    assert any("refused" in record.message for record in caplog.records)
    assert TOKEN not in caplog.text


def test_the_cdn_host_itself_is_refused_as_a_media_url(servers: tuple[Server, Server]) -> None:
    api, cdn = servers

    with pytest.raises(TranscriptionError) as caught:
        _fetch(api, url=cdn.url + "/media/abc123")

    assert caught.value.message == REFUSED
    assert api.behaviour.seen == [] and cdn.behaviour.seen == []


def test_redirect_into_the_private_network_is_refused(servers: tuple[Server, Server]) -> None:
    api, cdn = servers
    api.behaviour.headers = {"Location": f"https://127.0.0.1:{cdn.port}/media/abc123"}

    with pytest.raises(TranscriptionError) as caught:
        _fetch(api, allow_private=False)

    assert caught.value.context["reason"] == "private redirect"
    assert cdn.behaviour.seen == []


@pytest.mark.parametrize(
    "location",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/media",
        "https://[::1]/media",
        "https://localhost/media",
        "http://52.216.1.2/media",  # a public address, but not over https
    ],
)
def test_official_api_redirects_only_to_public_https(location: str) -> None:
    sent: list[httpx.Request] = []

    def twilio(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(307, headers={"Location": location})

    with httpx.Client(transport=httpx.MockTransport(twilio)) as client, pytest.raises(TranscriptionError):
        fetch_twilio_media("https://api.twilio.com" + MEDIA_PATH, SID, TOKEN, client=client)

    assert len(sent) == 1  # the redirect target was never contacted


def test_official_api_shape_end_to_end_with_a_mock_transport() -> None:
    sent: list[httpx.Request] = []
    cdn = "https://52.216.1.2/media/ME1?Signature=abc"  # an IP literal: no DNS needed

    def transport(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.host == "api.twilio.com":
            return httpx.Response(307, headers={"Location": cdn})
        return httpx.Response(200, content=NOTE, headers={"Content-Type": "audio/OGG"})

    with httpx.Client(transport=httpx.MockTransport(transport)) as client:
        data, media_type = fetch_twilio_media(
            "https://api.twilio.com" + MEDIA_PATH, SID, TOKEN, client=client
        )

    assert (data, media_type) == (NOTE, "audio/ogg")
    assert sent[0].headers["Authorization"] == _basic()
    assert str(sent[1].url) == cdn
    assert "Authorization" not in sent[1].headers


def test_size_cap_by_content_length(servers: tuple[Server, Server]) -> None:
    api, cdn = servers
    cdn.behaviour.body = b"\0" * (2 * 1024 * 1024)

    with pytest.raises(TranscriptionError, match="too big"):
        _fetch(api, max_bytes=1024 * 1024)


def test_size_cap_stops_a_stream_without_content_length(servers: tuple[Server, Server]) -> None:
    api, cdn = servers
    cdn.behaviour.chunked_bytes = 200 * 1024 * 1024

    started = time.perf_counter()
    with pytest.raises(TranscriptionError, match="too big"):
        _fetch(api, max_bytes=1024 * 1024)

    assert time.perf_counter() - started < 5
    time.sleep(0.2)
    assert cdn.behaviour.sent < 50 * 1024 * 1024  # we hung up long before the end


def test_too_many_redirects(servers: tuple[Server, Server]) -> None:
    api, cdn = servers
    cdn.behaviour.status = 302
    cdn.behaviour.headers = {"Location": f"{cdn.url}/again"}

    with pytest.raises(TranscriptionError) as caught:
        _fetch(api)

    assert caught.value.context["reason"] == "too many redirects"
