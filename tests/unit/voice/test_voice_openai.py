"""The OpenAI backend against a local server speaking ``/v1/audio/transcriptions``."""

from __future__ import annotations

import io
import json
import threading
import wave
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import openai
import pytest

from bot.errors import TranscriptionError
from intents import audio
from intents.transcribe import NO_WORDS, UNAVAILABLE, OpenAIWhisper, build_prompt
from tests.unit.voice.conftest import note


class FakeOpenAI(ThreadingHTTPServer):
    """Records each request; answers with ``status`` and ``body``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: dict[str, Any] = {"text": "Rekha Nair paid 1,200 rupees."}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + raw
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True)
            fields[name] = (
                {"filename": filename, "type": part.get_content_type(), "data": payload}
                if filename
                else payload.decode()
            )
        self.server.requests.append(
            {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "fields": fields}
        )
        body = json.dumps(self.server.body).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    thread = threading.Thread(target=fake.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


@pytest.fixture
def samples() -> np.ndarray:
    return audio.prepare(audio.decode(note("rekha_paid.ogg")))


def _backend(server: FakeOpenAI) -> OpenAIWhisper:
    client = openai.OpenAI(api_key="sk-test-key", base_url=server.base_url, max_retries=0)
    return OpenAIWhisper(client=client)


def test_sends_wav_model_and_prompt(server: FakeOpenAI, samples: np.ndarray) -> None:
    prompt = build_prompt(["Rekha Nair"], ["cement"])

    text = OpenAIWhisper(api_key="sk-test-key", base_url=server.base_url).transcribe(samples, prompt)

    assert text == "Rekha Nair paid 1,200 rupees."
    [request] = server.requests
    assert request["path"] == "/v1/audio/transcriptions"
    assert request["headers"]["authorization"] == "Bearer sk-test-key"
    assert request["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    fields = request["fields"]
    assert fields["model"] == "whisper-1"
    assert fields["prompt"] == prompt
    assert fields["language"] == "en"
    assert fields["response_format"] == "json"
    upload = fields["file"]
    assert upload["filename"] == "voice.wav"
    assert upload["type"] == "audio/wav"
    with wave.open(io.BytesIO(upload["data"])) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16_000)
        assert wav.getnframes() == len(samples)


def test_base_url_and_key_come_from_the_environment(
    server: FakeOpenAI, samples: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)

    OpenAIWhisper().transcribe(samples, None)

    [request] = server.requests
    assert request["headers"]["authorization"] == "Bearer sk-from-env"
    assert "prompt" not in request["fields"]


def test_hallucinated_thanks_is_no_words(server: FakeOpenAI, samples: np.ndarray) -> None:
    server.body = {"text": " Thank you."}

    with pytest.raises(TranscriptionError) as caught:
        _backend(server).transcribe(samples, None)

    assert caught.value.message == NO_WORDS


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (429, True), (400, False)])
def test_service_errors_become_a_friendly_reply(
    server: FakeOpenAI, samples: np.ndarray, status: int, retryable: bool
) -> None:
    server.status = status
    server.body = {"error": {"message": "nope", "type": "server_error"}}

    with pytest.raises(TranscriptionError) as caught:
        _backend(server).transcribe(samples, None)

    assert caught.value.message == UNAVAILABLE
    assert caught.value.context["retryable"] is retryable
    assert "sk-test-key" not in str(caught.value)


def test_unreachable_service_is_retryable(samples: np.ndarray) -> None:
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1", max_retries=0)

    with pytest.raises(TranscriptionError) as caught:
        OpenAIWhisper(client=client).transcribe(samples, None)

    assert caught.value.context["retryable"] is True
