"""Decoding every WhatsApp audio format, and the limits on what we accept."""

from __future__ import annotations

import io
import time
import tracemalloc
import wave

import numpy as np
import pytest

from bot.errors import TranscriptionError
from intents import audio
from tests.unit.voice.conftest import FORMATS, TEXTS, encode, note


def _seconds(pcm: bytes) -> float:
    return len(pcm) / (2 * audio.SAMPLE_RATE)


def _rms_dbfs(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2))))


def _wav(seconds: float, rate: int = 8000, width: int = 1, fill: int = 128) -> bytes:
    """A WAV of ``seconds`` of constant samples, cheap to build at any length."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(bytes([fill]) * int(seconds * rate * width))
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_decodes_each_format(bill_pcm: bytes, fmt: str) -> None:
    data = encode(bill_pcm, fmt)

    pcm = audio.decode(data)

    # AAC adds ~0.1 s of encoder priming; everything else is sample-exact-ish.
    assert _seconds(pcm) == pytest.approx(_seconds(bill_pcm), abs=0.15)
    samples = np.frombuffer(pcm, dtype=np.int16)
    assert np.abs(samples).max() > 5000  # speech survived, not just a header


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_fixture_notes_decode_to_16k_mono(name: str) -> None:
    pcm = audio.decode(note(name))

    assert len(pcm) % 2 == 0
    assert 0.5 < _seconds(pcm) < 6


def test_size_cap_rejects_junk_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    junk = b"\x00" * (50 * 1024 * 1024)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file over the cap must not be parsed")

    monkeypatch.setattr(audio.av, "open", never)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(TranscriptionError, match="too big"):
            audio.decode(junk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 0.5
    assert peak < 1024 * 1024  # nothing was copied


def test_size_cap_is_configurable(bill_pcm: bytes) -> None:
    data = encode(bill_pcm, "ogg")

    with pytest.raises(TranscriptionError, match="too big"):
        audio.decode(data, max_bytes=len(data) - 1)
    assert audio.decode(data, max_bytes=len(data))


@pytest.mark.parametrize(
    "data",
    [
        note("corrupt.ogg"),
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
        b"hello, this is a text file and not a voice note\n" * 50,
        b"OggS" + bytes(200),
    ],
    ids=["corrupt-fixture", "png", "text", "ogg-magic-zeros"],
)
def test_damaged_or_not_audio_is_refused(data: bytes) -> None:
    with pytest.raises(TranscriptionError) as caught:
        audio.decode(data)

    assert caught.value.message == audio.UNREADABLE


def test_empty_file_is_silent() -> None:
    with pytest.raises(TranscriptionError, match="couldn't hear anything"):
        audio.decode(b"")


def test_a_twenty_minute_note_is_refused_by_its_header() -> None:
    data = _wav(20 * 60)  # 9.6 MB: under the size cap
    assert len(data) < audio.MAX_BYTES

    started = time.perf_counter()
    with pytest.raises(TranscriptionError) as caught:
        audio.decode(data)

    assert "20 minutes" in caught.value.message and "3 minutes" in caught.value.message
    assert time.perf_counter() - started < 0.5  # refused before decoding


def test_decoding_stops_at_the_limit_when_the_header_lies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audio, "_declared_seconds", lambda container: None)
    data = _wav(20 * 60)

    tracemalloc.start()
    try:
        with pytest.raises(TranscriptionError, match="too long"):
            audio.decode(data, max_seconds=30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Decoding all 20 minutes would hold 38 MB of PCM; we stop after ~31 s.
    assert peak < 8 * 1024 * 1024


def test_duration_limit_is_configurable(bill_pcm: bytes) -> None:
    data = encode(bill_pcm, "ogg")

    with pytest.raises(TranscriptionError, match="up to 2 seconds"):
        audio.decode(data, max_seconds=2)
    with pytest.raises(TranscriptionError, match="up to 2 seconds"):
        audio.prepare(bill_pcm, max_seconds=2)


def test_prepare_refuses_a_note_over_three_minutes() -> None:
    pcm = np.full(int(181 * audio.SAMPLE_RATE), 3000, dtype=np.int16).tobytes()

    with pytest.raises(TranscriptionError) as caught:
        audio.prepare(pcm)

    assert "3 minutes" in caught.value.message


@pytest.mark.parametrize(
    "pcm",
    [
        b"",
        bytes(2 * audio.SAMPLE_RATE * 2),  # two seconds of digital silence
        (np.random.default_rng(0).normal(0, 3, 32_000)).astype(np.int16).tobytes(),  # -80 dBFS
        np.r_[np.zeros(16_000), np.full(16, 20_000), np.zeros(16_000)].astype(np.int16).tobytes(),
    ],
    ids=["empty", "zeros", "noise-floor", "one-click"],
)
def test_silent_notes_are_refused(pcm: bytes) -> None:
    with pytest.raises(TranscriptionError) as caught:
        audio.prepare(pcm)

    assert caught.value.message == audio.SILENT


def test_silent_fixture_is_refused() -> None:
    with pytest.raises(TranscriptionError, match="couldn't hear anything"):
        audio.prepare(audio.decode(note("silence.ogg")))


def test_prepare_normalises_a_quiet_note(bill_pcm: bytes) -> None:
    quiet = (np.frombuffer(bill_pcm, dtype=np.int16) * 0.01).astype(np.int16)  # -40 dB

    samples = audio.prepare(quiet.tobytes())

    assert samples.dtype == np.float32
    assert np.abs(samples).max() <= 10 ** (audio.PEAK_CEILING_DBFS / 20) + 1e-3
    assert _rms_dbfs(samples) > _rms_dbfs(quiet / 32768.0) + 20


def test_prepare_trims_leading_and_trailing_silence(bill_pcm: bytes) -> None:
    padding = bytes(3 * audio.SAMPLE_RATE * 2)

    samples = audio.prepare(padding + bill_pcm + padding)

    seconds = len(samples) / audio.SAMPLE_RATE
    assert seconds == pytest.approx(_seconds(bill_pcm), abs=0.5)
    assert seconds < _seconds(bill_pcm) + 1


def test_prepare_tolerates_an_odd_byte(bill_pcm: bytes) -> None:
    samples = audio.prepare(bill_pcm + b"\x01")

    assert len(samples) > audio.SAMPLE_RATE
