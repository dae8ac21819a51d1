"""A local stand-in for OpenAI's chat completions API, so tests of the LLM paths need no network.

`OpenAIStub` is a real HTTP server on 127.0.0.1 (stdlib ``http.server`` in a
thread) answering ``POST /v1/chat/completions`` the way the API does: each
request gets the next scripted `Reply` (a status, a body, an optional delay
before answering), and every request is recorded (path, headers with lowercase names, JSON body)
so a test can assert what the SDK sent. `completion()` builds a real-shaped
``chat.completion`` body around the content a model would return.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(content: Any = None, *, refusal: str | None = None, finish_reason: str = "stop",
               model: str = "gpt-4o-mini-2024-07-18") -> dict[str, Any]:
    """A ``chat.completion`` body whose message content is ``content`` (JSON-encoded unless already text)."""
    text = content if isinstance(content, str) or content is None else json.dumps(content)
    return {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": None if refusal else text, "refusal": refusal,
                        "annotations": []},
            "logprobs": None,
            "finish_reason": finish_reason,
        }],
        "usage": {"prompt_tokens": 812, "completion_tokens": 64, "total_tokens": 876,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0,
                                                "rejected_prediction_tokens": 0}},
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
    }


def error(message: str, code: str = "server_error") -> dict[str, Any]:
    """An API error body."""
    return {"error": {"message": message, "type": code, "param": None, "code": code}}


@dataclass
class Reply:
    """One scripted answer: ``body`` is JSON-encoded unless it is bytes (sent as it is)."""

    body: Any
    status: int = 200
    delay: float = 0.0


class OpenAIStub:
    """The stand-in server. Use as a context manager; ``base_url`` is what ``OPENAI_BASE_URL`` takes."""

    def __init__(self, *replies: Reply) -> None:
        self.script: list[Reply] = list(replies)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with stub._lock:
                    stub.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                          "json": json.loads(raw or b"null")})
                    reply = stub.script.pop(0) if stub.script else Reply(error("no reply scripted"), 500)
                if self.path != "/v1/chat/completions":
                    reply = Reply(error(f"no route {self.path}", "not_found"), 404)
                time.sleep(reply.delay)
                body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A short poll, so stopping takes milliseconds rather than half a second.
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1"

    def add(self, *replies: Reply) -> None:
        """Script more replies."""
        with self._lock:
            self.script.extend(replies)

    def __enter__(self) -> OpenAIStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
