"""Understanding speed: the offline engine alone, and a text message through the worker to its reply.

Prints a table and writes ``bench/results/understanding.json``. Goals (issue 3):
understanding p95 < 20 ms; message → reply p50 < 150 ms.

    python -m bench.understanding [--messages 200]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

SENTENCES = [
    "bill Mahesh 8 bags cement at 345", "Rekha paid 3000 on UPI", "add 25 bags cement",
    "invoice Rekha 3 kg dal @ 110", "Bill Sanjay Patel for 2 fans at Rs 1,800 each and 4 tube lights at Rs 250 each",
    "got 3000 from Rekha on PhonePe", "who hasn't paid me?", "how many fans are left?", "list my stock",
    "Meena ne 2000 diye", "sugar ka stock 40 kar do", "notify me when cement drops under 5 bags",
    "New customer: Rekha Nair, 9900112233", "change it to 5 bags", "undo", "hello", "what can you do?",
    "make an invoice for Green Leaf Cafe: 30 kg potatoes at ₹22 per kg", "invoice Nisha 2 mattresses at 7.5k",
    "asdf qwerty zxcv", "when someone pays me, WhatsApp them a thank-you",
]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_understanding(rounds: int) -> list[float]:
    from intents.understand import Context, ProductInfo, understand

    ctx = Context(customers=[f"Customer {i}" for i in range(200)] + ["Mahesh Gupta", "Rekha Nair"],
                  products=[ProductInfo(name=f"product {i}", unit="piece") for i in range(200)])
    understand("warm up", ctx)
    times = []
    for _ in range(rounds):
        for s in SENTENCES:
            t0 = time.perf_counter()
            understand(s, ctx)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def bench_pipeline(messages: int) -> list[float]:
    """Each message stored as the webhook would, enqueued, handled by an in-process worker, replied."""
    home = tempfile.mkdtemp(prefix="munshi-bench-")
    os.environ["MUNSHI_HOME"] = home
    from bot.config import Config
    from bot.console import Console

    console = Console(Config.from_env(whatsapp_transport="outbox"))
    console.feed("hello")  # warm: model-free, but compiles the graph and opens connections
    times = []
    for i in range(messages):
        t0 = time.perf_counter()
        out = console.feed(SENTENCES[i % len(SENTENCES)])
        times.append((time.perf_counter() - t0) * 1000)
        assert out, "no reply"
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--messages", type=int, default=200)
    args = ap.parse_args()
    u = bench_understanding(args.rounds)
    p = bench_pipeline(args.messages)
    rows = [("understanding alone (ms)", u, 20.0, "p95"), ("message → reply (ms)", p, 150.0, "p50")]
    result = {}
    print(f"{'measure':28} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}  goal")
    for name, vals, goal, which in rows:
        p50, p95 = statistics.median(vals), pct(vals, 95)
        ok = (p95 if which == "p95" else p50) < goal
        print(f"{name:28} {len(vals):5d} {p50:8.2f} {p95:8.2f} {max(vals):8.2f}  {which} < {goal:g} "
              f"{'OK' if ok else 'MISSED'}")
        result[name] = {"n": len(vals), "p50": p50, "p95": p95, "max": max(vals), "goal": goal, "met": ok}
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "understanding.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
