"""Voice-note audio: bytes in any WhatsApp format → clean 16 kHz float samples.

Two steps, both pure and offline:

``decode(data)``
    PyAV (bundled with faster-whisper; it carries FFmpeg's libraries, so no
    ``ffmpeg`` program is needed) turns OGG/Opus, AMR, AAC, M4A, MP3 or WAV
    into 16 kHz mono signed 16-bit PCM. The size cap is checked before any
    decoding, and decoding stops as soon as the note runs past the duration
    limit, so memory stays bounded whatever the file claims to be.

``prepare(pcm)``
    pydub, working on that PCM (never ``AudioSegment.from_file``, which needs
    the ``ffmpeg``/``ffprobe`` programs), enforces the duration limit, rejects
    silent notes, normalises loudness and trims leading/trailing silence,
    then hands float32 samples in [-1, 1] to the transcriber.

Every failure is a ``TranscriptionError`` whose message is the reply to send
the owner.
"""

from __future__ import annotations

import io
import logging
import warnings

import av
import numpy as np

from bot.errors import TranscriptionError

with warnings.catch_warnings():
    # pydub warns at import when no ffmpeg program exists; we never need one.
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment
    from pydub.silence import detect_leading_silence

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""Whisper's input rate."""
MAX_BYTES = 16 * 1024 * 1024
"""WhatsApp's own media limit, and ours."""
MAX_SECONDS = 180.0
"""Default duration limit (3 minutes); callers pass their configured value."""

SILENT_PEAK_DBFS = -50.0
"""A note whose loudest moment is quieter than this has nothing in it."""
TARGET_DBFS = -20.0
"""Average loudness the transcriber receives."""
PEAK_CEILING_DBFS = -1.0
"""Normalising never pushes a peak above this (no clipping)."""
TRIM_THRESHOLD_DBFS = -45.0
"""After normalising, quieter than this at either end counts as silence."""
TRIM_PAD_MS = 200
"""Silence kept around speech so the first and last sounds are not clipped."""
MIN_SOUND_MS = 100
"""Less sound than this (a click, a breath) is not a message."""

_BYTES_PER_SECOND = SAMPLE_RATE * 2  # mono s16le

UNREADABLE = (
    "I couldn't play that voice note: the file seems damaged or isn't audio. "
    "Please record it again, or type your message."
)
SILENT = (
    "I couldn't hear anything in that voice note. "
    "Please record it again a little closer to the phone, or type your message."
)


def too_big_message(max_bytes: int = MAX_BYTES) -> str:
    """The reply for a file over the size cap."""
    return (
        f"That voice note is too big for me (over {max_bytes // (1024 * 1024)} MB). "
        "Please send a shorter one, or type your message."
    )


def too_long_message(max_seconds: float = MAX_SECONDS, seconds: float | None = None) -> str:
    """The reply for a note over the duration limit."""
    limit = _say_duration(max_seconds)
    heard = f" is {_say_duration(seconds)} long;" if seconds else " is too long;"
    return (
        f"That voice note{heard} I can listen to notes of up to {limit}. "
        "Please send a shorter one, or type your message."
    )


def _say_duration(seconds: float) -> str:
    if seconds >= 60:
        minutes = round(seconds / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{round(seconds)} seconds"


def decode(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_seconds: float = MAX_SECONDS,
) -> bytes:
    """Decode an audio file to 16 kHz mono s16le PCM.

    Raises ``TranscriptionError`` when ``data`` is over ``max_bytes`` (checked
    before anything is parsed), longer than ``max_seconds`` (by its header, or
    while decoding if the header lies), damaged, or not audio at all.
    """
    if len(data) > max_bytes:
        raise TranscriptionError(too_big_message(max_bytes), size=len(data))
    if not data:
        raise TranscriptionError(SILENT, size=0)
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except Exception as exc:  # PyAV raises many types for junk input
        raise TranscriptionError(UNREADABLE, error=type(exc).__name__) from exc
    with container:
        if not container.streams.audio:
            raise TranscriptionError(UNREADABLE, error="no audio stream")
        declared = _declared_seconds(container)
        if declared is not None and declared > max_seconds + 1:
            raise TranscriptionError(too_long_message(max_seconds, declared), seconds=declared)
        return _decode_stream(container, max_seconds)


def _declared_seconds(container: av.container.InputContainer) -> float | None:
    """The duration the file's header claims, if it claims one."""
    if container.duration:
        return container.duration / av.time_base
    stream = container.streams.audio[0]
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _decode_stream(container: av.container.InputContainer, max_seconds: float) -> bytes:
    """Resample the first audio stream, stopping once past ``max_seconds``."""
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    limit = int((max_seconds + 1) * _BYTES_PER_SECOND)
    pcm = bytearray()
    bad_packets = 0
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                bad_packets += 1  # a damaged packet: skip it, keep the rest
                continue
            for frame in frames:
                for out in resampler.resample(frame):
                    pcm += out.to_ndarray().tobytes()
            if len(pcm) > limit:
                raise TranscriptionError(too_long_message(max_seconds), seconds=None)
        for out in resampler.resample(None):
            pcm += out.to_ndarray().tobytes()
    except TranscriptionError:
        raise
    except Exception as exc:
        raise TranscriptionError(UNREADABLE, error=type(exc).__name__) from exc
    if bad_packets:
        log.info("voice note had %d undecodable packets", bad_packets)
    if not pcm:
        raise TranscriptionError(UNREADABLE, error="no audio decoded")
    return bytes(pcm)


def prepare(pcm: bytes, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Check, normalise and trim 16 kHz mono s16le PCM; return float32 samples.

    Raises ``TranscriptionError`` for a note longer than ``max_seconds``, an
    empty or silent note, or one with nothing left after trimming silence.
    """
    usable = len(pcm) - len(pcm) % 2
    segment = AudioSegment(pcm[:usable], sample_width=2, frame_rate=SAMPLE_RATE, channels=1)
    seconds = segment.duration_seconds
    if seconds > max_seconds:
        raise TranscriptionError(too_long_message(max_seconds, seconds), seconds=seconds)
    if len(segment) == 0 or segment.max_dBFS < SILENT_PEAK_DBFS:
        raise TranscriptionError(SILENT, seconds=seconds)
    segment, sound_ms = _trim(_normalise(segment))
    if sound_ms < MIN_SOUND_MS:
        raise TranscriptionError(SILENT, seconds=seconds)
    samples = np.frombuffer(segment.raw_data, dtype=np.int16)
    return samples.astype(np.float32) / 32768.0


def _normalise(segment: AudioSegment) -> AudioSegment:
    """Bring average loudness to ``TARGET_DBFS`` without clipping peaks."""
    gain = min(TARGET_DBFS - segment.dBFS, PEAK_CEILING_DBFS - segment.max_dBFS)
    return segment.apply_gain(gain)


def _trim(segment: AudioSegment) -> tuple[AudioSegment, int]:
    """Cut silence at both ends, keeping ``TRIM_PAD_MS`` around the sound.

    Returns the trimmed segment and how many milliseconds of sound it holds.
    """
    start = detect_leading_silence(segment, silence_threshold=TRIM_THRESHOLD_DBFS)
    end = len(segment) - detect_leading_silence(segment.reverse(), silence_threshold=TRIM_THRESHOLD_DBFS)
    if start >= end:
        return segment[:0], 0
    trimmed = segment[max(0, start - TRIM_PAD_MS) : min(len(segment), end + TRIM_PAD_MS)]
    return trimmed, end - start
