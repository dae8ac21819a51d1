"""Shared helpers for the voice tests: fixture notes and a PyAV encoder.

Formats are encoded with PyAV (the libraries faster-whisper already brings),
so these tests need no ``ffmpeg`` program.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import av
import numpy as np
import pytest

VOICE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "voice"
TEXTS: dict[str, str] = json.loads((VOICE_DIR / "texts.json").read_text())

# name: (container format, codec, sample rate, bit rate)
FORMATS: dict[str, tuple[str, str, int, int | None]] = {
    "ogg": ("ogg", "libopus", 48_000, 16_000),
    "mp3": ("mp3", "libmp3lame", 22_050, 32_000),
    "m4a": ("ipod", "aac", 16_000, 32_000),
    "aac": ("adts", "aac", 16_000, 32_000),
    "amr": ("amr", "libopencore_amrnb", 8_000, 12_200),
    "wav": ("wav", "pcm_s16le", 16_000, None),
}


def note(name: str) -> bytes:
    """The bytes of a committed fixture note."""
    return (VOICE_DIR / name).read_bytes()


def encode(pcm: bytes, fmt: str, rate: int = 16_000) -> bytes:
    """Encode mono s16le ``pcm`` at ``rate`` into one of ``FORMATS``."""
    container_format, codec, out_rate, bit_rate = FORMATS[fmt]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=out_rate)
        stream.layout = "mono"
        if bit_rate:
            stream.bit_rate = bit_rate
        resampler = av.AudioResampler(
            format=stream.codec_context.codec.audio_formats[0].name, layout="mono", rate=out_rate
        )
        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(pcm, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        for resampled in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(resampled):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def bill_pcm() -> bytes:
    """The "Bill Mahesh Gupta…" note as 16 kHz PCM."""
    from intents.audio import decode

    return decode(note("bill_mahesh.ogg"))
