"""``http.request`` and the SSRF guard: exact requests, private targets refused, caps and errors."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bot.errors import PermanentToolError, TransientToolError, ValidationFailed
from tools import netguard
from tools.base import ToolContext
from tools.http import HttpRequest

PUBLIC = "93.184.216.34"


def _ctx(handler: Any = None, resolve: dict[str, list[str]] | None = None, allow: str | None = None,
         key: str | None = "run-abc-call") -> tuple[ToolContext, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request) if handler else httpx.Response(200, json={"ok": True})

    names = resolve or {}

    def resolver(host: str, port: int) -> list[str]:
        return names.get(host, [PUBLIC])

    extra: dict[str, Any] = {"resolver": resolver, "http_transport": httpx.MockTransport(record)}
    if allow:
        extra["http_allow"] = allow
    return ToolContext(session=None, business_id=1, idempotency_key=key, extra=extra), seen


def call(ctx: ToolContext, **params: Any) -> dict[str, Any]:
    return HttpRequest()(ctx, params)


def test_the_exact_request_and_the_parsed_answer() -> None:
    ctx, seen = _ctx(lambda r: httpx.Response(201, json={"id": 7}, headers={"X-Request-Id": "r1"}))
    out = call(ctx, method="post", url="https://api.example.com/orders?x=1",
               headers={"X-Shop": "Sharma"}, json={"amount": 1500, "items": ["cement"]})
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", "https://api.example.com/orders?x=1")
    assert json.loads(request.content) == {"amount": 1500, "items": ["cement"]}
    assert request.headers["X-Shop"] == "Sharma" and request.headers["Idempotency-Key"] == "run-abc-call"
    assert request.headers["Content-Type"] == "application/json"
    assert out == {"status": 201, "body": {"id": 7}, "headers": {"content-type": "application/json",
                                                                  "x-request-id": "r1"}}


def test_text_answers_stay_text_and_get_has_no_body() -> None:
    ctx, seen = _ctx(lambda r: httpx.Response(200, text="pong"))
    assert call(ctx, method="GET", url="http://example.com/ping", json={"ignored": True})["body"] == "pong"
    assert seen[0].content == b"" and "Idempotency-Key" not in seen[0].headers


@pytest.mark.parametrize("params", [
    {"method": "POST", "url": "ftp://example.com/x"},
    {"method": "POST", "url": "example.com/x"},
    {"method": "BREW", "url": "https://example.com"},
    {"method": "POST", "url": "https://example.com", "headers": {"X-Evil": "a\r\nHost: other"}},
    {"method": "POST", "url": "https://example.com", "headers": {"Host": "other"}},
    {"method": "POST", "url": "https://example.com", "timeout": 120},
])
def test_bad_params_send_nothing(params: dict[str, Any]) -> None:
    ctx, seen = _ctx()
    with pytest.raises(ValidationFailed):
        call(ctx, **params)
    assert seen == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/admin", "http://localhost.localdomain.test/", "http://10.0.0.5/", "http://192.168.1.1/",
    "http://172.16.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/", "http://[fe80::1]/",
    "http://100.64.1.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://224.0.0.1/",
    "http://[fd00::1]/", "http://[64:ff9b::a00:1]/",
])
def test_private_loopback_and_link_local_targets_are_refused(url: str) -> None:
    ctx, seen = _ctx(resolve={"localhost.localdomain.test": ["127.0.0.1"]})
    with pytest.raises(netguard.BlockedAddress):
        call(ctx, method="GET", url=url)
    assert seen == []


def test_a_name_with_any_private_address_is_refused() -> None:
    ctx, seen = _ctx(resolve={"mixed.example.com": [PUBLIC, "10.1.2.3"]})
    with pytest.raises(netguard.BlockedAddress) as info:
        call(ctx, method="GET", url="https://mixed.example.com/")
    assert "10.1.2.3" in info.value.message and seen == []


def test_a_redirect_to_a_private_address_is_refused() -> None:
    ctx, seen = _ctx(lambda r: httpx.Response(302, headers={"Location": "http://169.254.169.254/"}))
    with pytest.raises(netguard.BlockedAddress):
        call(ctx, method="GET", url="https://example.com/start")
    assert len(seen) == 1


def test_redirects_are_followed_a_few_times_and_post_becomes_get_on_303() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/a":
            return httpx.Response(303, headers={"Location": "/b"})
        return httpx.Response(200, json={"method": request.method})

    ctx, seen = _ctx(handler)
    assert call(ctx, method="POST", url="https://example.com/a", json={"x": 1})["body"] == {"method": "GET"}
    ctx, seen = _ctx(lambda r: httpx.Response(302, headers={"Location": "/again"}))
    with pytest.raises(PermanentToolError, match="redirected more than"):
        call(ctx, method="GET", url="https://example.com/loop")
    assert len(seen) == netguard.MAX_REDIRECTS + 1


def test_the_allow_list_lets_named_targets_through() -> None:
    ctx, _ = _ctx(allow="127.0.0.1:8080")
    call(ctx, method="GET", url="http://127.0.0.1:8080/ok")
    with pytest.raises(netguard.BlockedAddress):
        call(ctx, method="GET", url="http://127.0.0.1:8081/other-port")
    allow = netguard.AllowList.parse("10.0.0.0/8, internal.test, [::1]:9000")
    assert netguard.check_url("http://10.9.8.7/", allow) == ["10.9.8.7"]
    assert netguard.check_url("http://[::1]:9000/", allow) == ["::1"]
    assert netguard.check_url("http://internal.test/", allow, lambda h, p: ["192.168.0.9"])


def test_answers_are_capped() -> None:
    ctx, _ = _ctx(lambda r: httpx.Response(200, content=b"x" * (netguard.MAX_RESPONSE_BYTES + 1)))
    with pytest.raises(PermanentToolError, match="more than 1024 KB"):
        call(ctx, method="GET", url="https://example.com/big")


@pytest.mark.parametrize(("status", "error"), [(404, PermanentToolError), (400, PermanentToolError),
                                               (429, TransientToolError), (503, TransientToolError)])
def test_error_statuses(status: int, error: type) -> None:
    ctx, _ = _ctx(lambda r: httpx.Response(status, text="nope"))
    with pytest.raises(error) as info:
        call(ctx, method="GET", url="https://example.com/x")
    assert type(info.value) is error and str(status) in info.value.message


def test_timeouts_and_connection_errors_may_be_retried() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    ctx, _ = _ctx(slow)
    with pytest.raises(TransientToolError, match="did not answer in time"):
        call(ctx, method="GET", url="https://example.com/slow")


# -- the real transport: connect-time checks -------------------------------------------------------------

class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"hello": "world"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_the_guarded_transport_refuses_local_servers_unless_allowed(local_server: int) -> None:
    allow = netguard.AllowList()
    with netguard.guarded_client(allow=allow) as client, pytest.raises(netguard.BlockedAddress):
        netguard.fetch(client, "GET", f"http://localhost:{local_server}/", allow=allow)
    allow = netguard.AllowList.parse(f"127.0.0.1:{local_server}")
    with netguard.guarded_client(allow=allow) as client:
        got = netguard.fetch(client, "GET", f"http://127.0.0.1:{local_server}/", allow=allow)
    assert got.status == 200 and json.loads(got.content) == {"hello": "world"}


def test_dns_rebinding_is_caught_at_connect_time(local_server: int) -> None:
    """The name is public when checked and private when connecting: the connection is refused."""
    answers = iter([[PUBLIC], ["127.0.0.1"]])
    allow = netguard.AllowList()

    def resolver(host: str, port: int) -> list[str]:
        return next(answers)

    with netguard.guarded_client(allow=allow, resolver=resolver) as client, \
            pytest.raises(netguard.BlockedAddress):
        netguard.fetch(client, "GET", f"http://rebind.example.com:{local_server}/", allow=allow, resolver=resolver)
