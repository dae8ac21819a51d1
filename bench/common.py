"""Small pieces the benchmarks share: percentiles, the results folder, the machine, processes' memory."""
from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"

# Every variable of Munshi's that a child process could pick up from the caller's environment: the
# benchmarks set the ones they mean and blank the rest (Munshi reads an empty variable as unset).
MUNSHI_VARS = ("MUNSHI_HOME", "MUNSHI_QUEUE", "MUNSHI_SECRET_KEY", "MUNSHI_LOCAL_URL", "DATABASE_URL",
               "REDIS_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM",
               "WHATSAPP_TRANSPORT", "PUBLIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "RAZORPAY_KEY_ID",
               "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET", "GOOGLE_SERVICE_ACCOUNT_FILE", "SMTP_URL",
               "ALLOWED_SENDERS", "MAX_VOICE_SECONDS", "TRANSCRIBE_BACKEND", "TWILIO_API_BASE",
               "WEBHOOK_RATE_LIMIT", "API_RATE_LIMIT", "EXECUTE_RATE_LIMIT", "SIMULATOR_ENABLED")


def pct(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank on the sorted values); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))])


def latency_summary(values: Sequence[float]) -> dict[str, float]:
    """p50, p90, p95, p99, max and mean of latencies (same unit in, same unit out)."""
    if not values:
        return {"n": 0, "p50": 0.0, "p90": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}
    return {"n": len(values), "p50": pct(values, 50), "p90": pct(values, 90), "p95": pct(values, 95),
            "p99": pct(values, 99), "max": float(max(values)), "mean": sum(values) / len(values)}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform(terse=True)}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
        info["memory_gb"] = round(int(mem[1]) / 2**20, 1)
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    except (OSError, IndexError, ValueError):
        pass
    return info


def write_result(name: str, data: dict[str, Any], directory: Path | None = None) -> Path:
    """Write ``bench/results/<name>.json`` (with the machine and the time) and return its path."""
    directory = directory or RESULTS
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    payload = {"benchmark": name, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "machine": machine(), **data}
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return path


def table(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain left/right aligned text table (numbers right, words left)."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(_is_number(r[i]) for r in cells[1:]) for i in range(len(header))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths,
                                                                                                       strict=True))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**settings: str | None) -> dict[str, str]:
    """This environment without Munshi's variables, plus ``settings`` (None = left unset)."""
    env = {k: v for k, v in os.environ.items() if k not in MUNSHI_VARS}
    env.update(dict.fromkeys(MUNSHI_VARS, ""))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in settings.items():
        env[key] = "" if value is None else value
    return env


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def python() -> str:
    return sys.executable


class MemorySampler:
    """Resident memory (RSS, MB) of some processes and their children, sampled in a thread: peak and last.

    ``roots`` are pids; each sample also takes their children (gunicorn's workers), so a worker
    that a master restarts is counted from its start.
    """

    def __init__(self, roots: dict[str, int], interval: float = 0.25) -> None:
        self.roots, self.interval = roots, interval
        self.peak: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        for label, mb in rss_tree(self.roots).items():
            self.last[label] = mb
            self.peak[label] = max(self.peak.get(label, 0.0), mb)


def rss_tree(roots: dict[str, int]) -> dict[str, float]:
    """{label: RSS MB} for each root pid (label) and each of its children (label/child-pid)."""
    import psutil

    out: dict[str, float] = {}
    for label, pid in roots.items():
        try:
            proc = psutil.Process(pid)
            out[label] = proc.memory_info().rss / 2**20
            for child in proc.children():
                try:
                    out[f"{label}/{child.pid}"] = child.memory_info().rss / 2**20
                except psutil.Error:
                    continue
        except psutil.Error:
            continue
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, seconds) used so far by process ``pid`` and its children."""
    import psutil

    total = 0.0
    try:
        proc = psutil.Process(pid)
        for p in [proc, *proc.children(recursive=True)]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                continue
    except psutil.Error:
        pass
    return total
