"""Understanding speed: the offline engine alone, and a text message through the worker to its reply.

Prints a table and writes ``bench/results/understanding.json``. Goals (issue 3):
understanding p95 < 20 ms; message → reply p50 < 150 ms.

    python -m bench.understanding [--messages 200]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

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


MEASURES = [("understanding_ms", "understanding alone (ms)", 20.0, "p95"),
            ("message_to_reply_ms", "message → reply (ms)", 150.0, "p50")]


def run(rounds: int = 20, messages: int = 200) -> dict:
    """Both measures: {key: {n, p50, p95, max, goal, met}} (see `MEASURES`)."""
    times = {"understanding_ms": bench_understanding(rounds), "message_to_reply_ms": bench_pipeline(messages)}
    result = {}
    for key, _label, goal, which in MEASURES:
        vals = times[key]
        p50, p95 = statistics.median(vals), pct(vals, 95)
        result[key] = {"n": len(vals), "p50": p50, "p95": p95, "max": max(vals), "goal": goal, "goal_on": which,
                       "met": (p95 if which == "p95" else p50) < goal}
    return result


def report(result: dict) -> str:
    lines = [f"{'measure':28} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}  goal"]
    for key, label, goal, which in MEASURES:
        r = result[key]
        lines.append(f"{label:28} {r['n']:5d} {r['p50']:8.2f} {r['p95']:8.2f} {r['max']:8.2f}  {which} < {goal:g} "
                     f"{'OK' if r['met'] else 'MISSED'}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--messages", type=int, default=200)
    args = ap.parse_args()
    result = run(args.rounds, args.messages)
    print(report(result))
    from bench.common import write_result

    write_result("understanding", {"settings": vars(args), **result})


if __name__ == "__main__":
    main()
