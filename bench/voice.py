"""Voice benchmark: model load, real-time factor, memory, and what was heard.

    python bench/voice.py [--runs 3] [--threads N] [--model DIR] [--long] [--voices]

Prints, for the local backend (faster-whisper, int8, CPU):

* the model's load time and the process's resident memory before and after
  loading it and after transcribing (psutil);
* for each committed fixture note and a ~10 s note built from three of them:
  its length, the time to decode + prepare + transcribe it (median of
  ``--runs``) and the real-time factor (time / length; below 1 is faster
  than real time);
* each transcript without and with the shop's names in the prompt;
* with ``--voices``: the eval's sentences spoken by espeak-ng in the eval's
  voices and speeds, each transcript and how many of its key words were right.

* with ``--pipeline N``: a 10-second note through the message pipeline N
  times (stored as the webhook stores it, enqueued on RQ, handled by an
  in-process worker with the model already warm, replied) — the time from the
  stored message to the reply, p50/p95. The HTTP acknowledgement itself is
  not in it (the webhook answers before any of this work).

The figures are also written to ``bench/results/voice.json`` (for ``python -m bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bot.errors import TranscriptionError  # noqa: E402
from intents import audio  # noqa: E402
from intents.transcribe import LocalWhisper, build_prompt  # noqa: E402

VOICE_DIR = ROOT / "tests" / "fixtures" / "voice"
CUSTOMERS = ["Ramesh Kumar", "Rekha Nair", "Mahesh Gupta", "Suresh Patel", "Anita Desai"]
PRODUCTS = ["cement", "rice", "sugar", "steel rods"]


def rss_mb() -> float:
    """This process's resident memory in MB."""
    return psutil.Process().memory_info().rss / 2**20


def ten_second_note() -> bytes:
    """~10 s of speech: three fixture notes with short pauses, as PCM."""
    gap = bytes(int(0.4 * audio.SAMPLE_RATE) * 2)
    parts = ["bill_mahesh.ogg", "rekha_paid.ogg", "add_rice.ogg"]
    return gap.join(audio.decode((VOICE_DIR / name).read_bytes()) for name in parts)


def pipeline_latency(runs: int) -> list[float]:
    """Seconds from a stored 10 s voice note to its reply, through `bot.console.Console`."""
    import tempfile
    import wave

    home = Path(tempfile.mkdtemp(prefix="munshi-voice-bench-"))
    os.environ["MUNSHI_HOME"] = str(home / "home")
    note = home / "ten_seconds.wav"
    with wave.open(str(note), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(audio.SAMPLE_RATE)
        w.writeframes(ten_second_note())
    from bot.config import Config
    from bot.console import Console

    console = Console(Config.from_env(whatsapp_transport="outbox"))
    console.feed("add customer Mahesh Gupta")
    console.feed("add customer Rekha Nair")
    console.feed(f"@voice {note}")  # warm: loads the model once, as a worker does on its first note
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = console.feed(f"@voice {note}")
        times.append(time.perf_counter() - started)
        assert out and out[0]["body"].startswith("🎤"), out
    return times


def timed_transcript(whisper: LocalWhisper, pcm: bytes, prompt: str | None, runs: int) -> tuple[str, float]:
    """The transcript and the median seconds for prepare + transcribe."""
    times, text = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        try:
            text = whisper.transcribe(audio.prepare(pcm), prompt)
        except TranscriptionError as exc:
            text = f"<{exc.message}>"
        times.append(time.perf_counter() - started)
    return text, statistics.median(times)


# (what is said, the shop's customers, the words a right transcript holds: "a|b" = either)
SENTENCES = [
    (
        "Create an invoice for Mahesh Gupta for eight bags of cement at three hundred rupees each",
        ["Mahesh Gupta"],
        ["mahesh gupta", "8 |eight", "bag", "cement", "300"],
    ),
    ("Add forty kilos of rice to my stock", [], ["add", "40|forty", "kilo", "rice", "stock"]),
    ("Rekha Nair paid one thousand two hundred rupees", ["Rekha Nair"], ["rekha nair", "paid", "1,200|1200"]),
    ("Ramesh Kumar paid five hundred rupees on U P I", ["Ramesh Kumar"], ["ramesh kumar", "500", "upi"]),
]
# The voices and speeds of shared/eval/conversation_eval.py's "@say", plus faster and slower.
VOICES = [
    ("en-us", 150),
    ("en-gb", 145),
    ("en-gb-x-rp", 160),
    ("en-029", 140),
    ("en-us", 170),
    ("en", 130),
    ("en", 180),
]


def voices(whisper: LocalWhisper) -> dict:
    """Speak each sentence in several espeak-ng voices and speeds; score the words heard."""
    import subprocess
    import tempfile

    hits = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for said, customers, expected in SENTENCES:
            prompt = build_prompt(customers, [])
            print(f"\n{said}   (prompt names: {customers or 'none'})")
            for voice, speed in VOICES:
                wav = Path(tmp) / "note.wav"
                command = ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), said]
                subprocess.run(command, check=True)
                try:
                    text = whisper.transcribe(audio.prepare(audio.decode(wav.read_bytes())), prompt)
                except TranscriptionError as exc:
                    text = f"<{exc.message}>"
                low = text.lower()
                got = sum(any(alt in low for alt in word.split("|")) for word in expected)
                hits, total = hits + got, total + len(expected)
                print(f"  {voice:10} {speed}  {got}/{len(expected)}  {text}")
    print(f"\nwords heard right: {hits}/{total}")
    return {"words_right": hits, "words": total}


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--long", action="store_true", help="also a 3-minute note (the limit)")
    parser.add_argument(
        "--voices", action="store_true", help="also espeak-ng voices and speeds (needs espeak-ng)"
    )
    parser.add_argument("--threads", type=int, default=None, help="CTranslate2 threads (default: all cores)")
    parser.add_argument("--model", default=None, help="model folder (default: WHISPER_MODEL or tiny.en)")
    parser.add_argument("--pipeline", type=int, default=0, metavar="N",
                        help="also N 10-second notes through the message pipeline, stored → reply")
    args = parser.parse_args()
    result: dict = {"settings": vars(args)}  # written to bench/results/voice.json
    if args.pipeline:
        times = sorted(pipeline_latency(args.pipeline))
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"10 s voice note, stored → reply: p50 {statistics.median(times):.2f} s, p95 {p95:.2f} s "
              f"(n={len(times)}; goal p50 < 3 s), worker rss {rss_mb():.0f} MB")
        result["pipeline"] = {"n": len(times), "p50_s": statistics.median(times), "p95_s": p95, "goal_p50_s": 3.0,
                              "met": statistics.median(times) < 3.0, "worker_rss_mb": round(rss_mb(), 1)}

    before = rss_mb()
    whisper = LocalWhisper(args.model, cpu_threads=args.threads)
    loaded = rss_mb()
    prompt = build_prompt(CUSTOMERS, PRODUCTS)
    print(f"model      {whisper.path}")
    print(f"threads    {whisper.cpu_threads} (of {os.cpu_count()} cores)")
    print(f"load       {whisper.load_seconds:.2f} s")
    print(f"rss        {before:.0f} MB before load, {loaded:.0f} MB after")
    result["model"] = {"path": str(whisper.path), "threads": whisper.cpu_threads,
                       "load_s": whisper.load_seconds, "rss_before_mb": round(before, 1),
                       "rss_after_mb": round(loaded, 1)}
    print(f"prompt     {prompt}")
    print()

    texts = json.loads((VOICE_DIR / "texts.json").read_text())
    notes: dict[str, bytes] = {}
    for path in sorted(VOICE_DIR.glob("*.ogg")):
        started = time.perf_counter()
        try:
            notes[path.name] = audio.decode(path.read_bytes())
        except TranscriptionError as exc:
            print(f"{path.name:18} decode refused: {exc.message}")
            continue
        decode_ms = (time.perf_counter() - started) * 1000
        print(f"{path.name:18} decoded in {decode_ms:.0f} ms")
    notes["10s (3 notes)"] = ten_second_note()
    if args.long:
        ten = ten_second_note()
        notes["180s (limit)"] = (ten * 16)[: int(179 * audio.SAMPLE_RATE) * 2]
    print()

    header = f"{'note':18} {'len s':>6} {'plain s':>8} {'RTF':>5} {'names s':>8} {'RTF':>5}"
    print(header)
    print("-" * len(header))
    heard: list[tuple[str, str, str, str]] = []
    for name, pcm in notes.items():
        seconds = len(pcm) / (2 * audio.SAMPLE_RATE)
        plain, plain_s = timed_transcript(whisper, pcm, None, args.runs)
        named, named_s = timed_transcript(whisper, pcm, prompt, args.runs)
        print(
            f"{name:18} {seconds:6.1f} {plain_s:8.2f} {plain_s / seconds:5.2f} "
            f"{named_s:8.2f} {named_s / seconds:5.2f}"
        )
        heard.append((name, texts.get(name, ""), plain, named))
        result.setdefault("notes", []).append({
            "note": name, "seconds": round(seconds, 2), "plain_s": plain_s, "rtf_plain": plain_s / seconds,
            "names_s": named_s, "rtf_names": named_s / seconds, "said": texts.get(name, ""), "heard_plain": plain,
            "heard_names": named})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nrss after transcribing: {rss_mb():.0f} MB, peak {peak:.0f} MB")
    result["rss_after_mb"], result["rss_peak_mb"] = round(rss_mb(), 1), round(peak, 1)

    print("\ntranscripts (said / without names / with names):")
    for name, said, plain, named in heard:
        print(f"\n{name}")
        if said:
            print(f"  said   {said}")
        print(f"  plain  {plain}")
        print(f"  names  {named}")
    if args.voices:
        result["voices"] = voices(whisper)
    from bench.common import write_result

    write_result("voice", result)


if __name__ == "__main__":
    main()
