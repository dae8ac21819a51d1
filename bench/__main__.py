"""Every benchmark in one command: ``python -m bench`` (or ``make bench``).

    python -m bench [--full] [--only understanding,voice,flows,ingest] [--database-url URL] [--redis-url URL]

Runs, each in a process of its own (so one's memory, runtime and environment never leak into the next),
and each printing its table and writing ``bench/results/<name>.json``:

- ``understanding``: the offline understanding engine alone, and a text message → reply
  (`bench.understanding`);
- ``voice``: model load, real-time factor, memory, and a 10-second voice note → reply
  (`bench.voice --pipeline`);
- ``flows``: 3-step flows/s ÷ RQ no-op jobs/s on the same workers, and webhook-triggered 1-step flow
  runs/s (`bench.flows`);
- ``ingest``: signed Twilio webhooks into gunicorn (fixed-rate latency, wrk's maximum, the bare Flask
  baseline, exactly-once processing, RSS) (`bench.ingest`);

then ``memory`` (resident memory per web and worker process, from the runs above) and a summary of
every figure against its goal (``bench/results/summary.json``). Quick settings by default (a few
minutes); ``--full`` uses the durations of issue 8 (200 req/s for 30 s and so on). Each benchmark's full
output, log lines included, is kept in ``bench/results/<name>.log``.

``--database-url`` (PostgreSQL) and ``--redis-url`` apply to the benchmarks that run servers
(``ingest`` and ``flows``), each in a fresh database made for the run and dropped after it; the
in-process ones (``understanding``, ``voice``) always use SQLite and the embedded Redis.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from typing import Any

from bench.common import RESULTS, ROOT, clean_env, free_port, machine, table, write_result

QUICK = {
    "understanding": ["--rounds", "5", "--messages", "50"],
    "voice": ["--runs", "1", "--pipeline", "5"],
    "flows": ["--runs", "300", "--rounds", "2", "--webhooks", "600"],
    "ingest": ["--quick"],
}
FULL = {
    "understanding": ["--rounds", "20", "--messages", "200"],
    "voice": ["--runs", "3", "--pipeline", "20"],
    "flows": ["--runs", "1500", "--rounds", "3", "--webhooks", "3000"],
    "ingest": ["--duration", "30", "--max-duration", "10"],
}
NAMES = list(QUICK)
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.]\d+ (INFO|DEBUG) ")


def run_one(name: str, args: list[str], env: dict[str, str]) -> tuple[int, float]:
    """``python -m bench.<name> ARGS``: its output shown (less log lines) and kept; (exit code, seconds)."""
    log_path = RESULTS / f"{name}.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", f"bench.{name}", *args], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if not LOG_LINE.match(line):
                sys.stdout.write("  " + line)
                sys.stdout.flush()
        code = proc.wait()
    return code, time.monotonic() - started


def load(name: str, since: float) -> dict[str, Any] | None:
    """``bench/results/<name>.json`` if it was written by this run."""
    path = RESULTS / f"{name}.json"
    if not path.exists() or path.stat().st_mtime < since:
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def memory(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Resident memory per process, from the ingestion and voice runs."""
    out: dict[str, Any] = {}
    ingest = results.get("ingest")
    if ingest:
        rss = ingest["munshi"]["rss_mb"]
        out["web_master_mb"] = rss["master"]["peak"]
        out["web_worker_mb"] = [w["peak"] for w in rss["workers"]]
        out["web_worker_mb_bare_flask"] = [w["peak"] for w in ingest.get("bare", {}).get("rss_mb", {}).get(
            "workers", [])]
        out["rq_worker_mb"] = [w["peak"] for w in ingest["worker_rss_mb"]]
    voice = results.get("voice")
    if voice and "pipeline" in voice:
        out["rq_worker_with_speech_model_mb"] = voice["pipeline"]["worker_rss_mb"]
    return out


def memory_rows(mem: dict[str, Any]) -> list[list[Any]]:
    def mb(values: Any) -> str:
        values = values if isinstance(values, list) else [values]
        return " / ".join(f"{v:.0f}" for v in values) if values else "-"

    labels = [("web_master_mb", "gunicorn master (Munshi)"),
              ("web_worker_mb", "gunicorn worker, Munshi (peak under load, each)"),
              ("web_worker_mb_bare_flask", "gunicorn worker, bare Flask (each)"),
              ("rq_worker_mb", "RQ worker, text messages (peak, each)"),
              ("rq_worker_with_speech_model_mb", "worker after 10 s voice notes (speech model loaded)")]
    return [[label, mb(mem[key])] for key, label in labels if key in mem]


def summary(results: dict[str, dict[str, Any]], mem: dict[str, Any]) -> list[dict[str, Any]]:
    """Every headline figure with its goal: [{figure, value, goal, met}]."""
    rows: list[dict[str, Any]] = []

    def add(figure: str, value: str, goal: str = "", met: bool | None = None) -> None:
        rows.append({"figure": figure, "value": value, "goal": goal, "met": met})

    u = results.get("understanding")
    if u:
        add("understanding alone, p95", f"{u['understanding_ms']['p95']:.1f} ms", "< 20 ms",
            u["understanding_ms"]["met"])
        r = u["message_to_reply_ms"]
        add("text message → reply, p50 / p95", f"{r['p50']:.0f} / {r['p95']:.0f} ms", "p50 < 150 ms", r["met"])
    v = results.get("voice")
    if v and "pipeline" in v:
        p = v["pipeline"]
        add("10 s voice note → reply, p50 / p95", f"{p['p50_s']:.2f} / {p['p95_s']:.2f} s", "p50 < 3 s", p["met"])
    if v and v.get("notes"):
        ten = next((n for n in v["notes"] if n["note"].startswith("10s")), None)
        if ten:
            add("speech real-time factor, 10 s note (with names)", f"{ten['rtf_names']:.2f}", "< 1",
                ten["rtf_names"] < 1)
    f = results.get("flows")
    if f:
        add("3-step flows/s ÷ RQ no-op jobs/s", f"{f['ratio']:.2f}", "≥ 0.5", f["ratio"] >= 0.5)
        add("webhook-triggered 1-step flow runs/s", f"{f['webhook_runs_per_s']:.0f}/s", "≥ 220/s",
            f["webhook_runs_per_s"] >= 220)
    i = results.get("ingest")
    if i:
        fixed = i["munshi"]["fixed_rate"]
        rate = i["settings"]["rate"]
        add(f"webhook ack latency at {rate:g} req/s, p50 / p99",
            f"{fixed['p50_ms']:.1f} / {fixed['p99_ms']:.1f} ms", "p99 < 50 ms", i["goal"]["met"])
        if "bare" in i:
            b = i["bare"]["fixed_rate"]
            add("  bare Flask, same server, p50 / p99", f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f} ms")
        cpu = fixed.get("server_cpu_ms_per_request")
        if cpu:
            bare_cpu = i.get("bare", {}).get("fixed_rate", {}).get("server_cpu_ms_per_request")
            add("webhook server CPU per request", f"{cpu:.2f} ms" + (f" (bare Flask {bare_cpu:.2f} ms)" if bare_cpu
                                                                    else ""))
        if "max" in i["munshi"]:
            text = f"{i['munshi']['max']['max_rps']:.0f}/s"
            if "bare" in i and "max" in i["bare"]:
                text += f" (bare Flask {i['bare']['max']['max_rps']:.0f}/s, ×{i['ratio']['max_rps']:.2f})"
            add("webhook max requests/s (wrk)", text)
        e = i["exactly_once"]
        add("every acknowledged webhook processed exactly once",
            f"{'yes' if e['exactly_once'] else 'NO'} ({e['stored']} stored, {e['acknowledged']} acknowledged)",
            "yes", e["exactly_once"])
        p = i["processing"]
        if p.get("messages_per_s"):
            add(f"text messages handled by {p['workers']} workers", f"{p['messages_per_s']:.0f}/s")
    for label, value in memory_rows(mem):
        add(f"RSS: {label}", f"{value} MB")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the issue's durations (longer)")
    parser.add_argument("--only", default=",".join(NAMES), help=f"comma-separated, of {', '.join(NAMES)}")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server for ingest and flows")
    parser.add_argument("--redis-url", default=None, help="Redis for ingest and flows (default: their own)")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(chosen) - set(NAMES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    settings = FULL if args.full else QUICK
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"Munshi benchmarks ({'full' if args.full else 'quick'}): {info.get('cpus')} CPUs "
          f"({info.get('cpu', '?')}), Python {info['python']}, load average {info.get('load_avg_1m', '?')}",
          flush=True)
    started = time.time()
    results: dict[str, dict[str, Any]] = {}
    runs: dict[str, dict[str, Any]] = {}
    for name in NAMES:
        if name not in chosen:
            continue
        extra: list[str] = []
        env = clean_env()
        dropdb = None
        if name == "ingest":
            if not shutil.which("wrk"):
                print("\n!! wrk is not installed (apt-get install wrk): the ingestion maximum req/s is left out",
                      flush=True)
                extra.append("--no-wrk")
            extra += ["--database-url", args.database_url] if args.database_url else []
            extra += ["--redis-url", args.redis_url] if args.redis_url else []
        elif name == "flows":
            if args.database_url:
                from bench.ingest import drop_postgres, fresh_postgres

                env["DATABASE_URL"], dropdb = fresh_postgres(args.database_url, f"munshi_bench_{uuid.uuid4().hex[:8]}")
            if args.redis_url:
                env["REDIS_URL"] = args.redis_url
            extra += ["--port", str(free_port())]
        command = f"python -m bench.{name} {' '.join(settings[name] + extra)}"
        for secretive, shown in ((args.database_url, "<database-url>"), (args.redis_url, "<redis-url>")):
            command = command.replace(secretive, shown) if secretive else command  # may hold a password
        print(f"\n== {name}: {command}", flush=True)
        since = time.time()
        try:
            code, seconds = run_one(name, settings[name] + extra, env)
        finally:
            if dropdb:
                drop_postgres(*dropdb.split("\n"))
        data = load(name, since)
        runs[name] = {"command": command, "exit_code": code, "seconds": round(seconds, 1),
                      "json": str((RESULTS / f"{name}.json").relative_to(ROOT)) if data else None}
        if data is not None:
            results[name] = data
        if code != 0 or data is None:
            print(f"  !! {name} failed (exit {code}); see {RESULTS / (name + '.log')}", flush=True)

    mem = memory(results)
    if mem:
        print("\n== memory (resident set size, MB)")
        print(table(memory_rows(mem), ["process", "RSS MB"]))
        write_result("memory", {"rss": mem})
    rows = summary(results, mem)
    print(f"\n== summary ({time.time() - started:.0f} s; {info.get('cpus')} CPUs; "
          f"load average now {machine().get('load_avg_1m', '?')})")
    print(table([[r["figure"], r["value"], r["goal"], "" if r["met"] is None else ("OK" if r["met"] else "MISSED")]
                 for r in rows], ["figure", "value", "goal", ""]))
    path = write_result("summary", {"mode": "full" if args.full else "quick", "runs": runs, "figures": rows,
                                    "memory": mem})
    print(f"\nwrote {path.parent.relative_to(ROOT)}/{{{','.join([*results, 'memory', 'summary'])}}}.json")
    failed = [n for n, r in runs.items() if r["exit_code"] != 0 or r["json"] is None]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
