"""An open-loop load generator: pre-built HTTP requests sent at a fixed rate, each timed from its schedule.

    python -m bench.loadgen REQUESTS_FILE --host 127.0.0.1 --port 5000 --rate 200 [--out result.json]

``REQUESTS_FILE`` holds complete HTTP/1.1 requests (bytes), each preceded by its length as a decimal
line (`write_requests`). Request *i* is due at ``start + i / rate`` whatever happened to the ones
before it (open loop: a slow answer does not slow the arrivals, unlike wrk's closed loop, so queueing
in the server shows up in the latency instead of hiding as a lower rate). Its latency is measured from
the moment it was *due* to the last byte of its answer, so a generator that falls behind, or a
connection that was not free, counts against the server rather than vanishing (no coordinated
omission); the send lag is reported separately so a starved generator can be told from a slow server.

Connections are kept alive and reused (an idle one older than ``--idle`` seconds is closed first, so
a server's keep-alive timeout never races a request); when none is free a new one is opened, up to
``--max-connections``. One thread, raw sockets, no HTTP library: it is meant to run in a process of
its own and take as little of the machine as it can.

The result (JSON) has, per request, the status (0 for a transport error) and the latency in ms.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    """Store raw requests for `read_requests` (length line + bytes each); returns how many."""
    n = 0
    with open(path, "wb") as fh:
        for raw in requests:
            fh.write(b"%d\n" % len(raw))
            fh.write(raw)
            n += 1
    return n


def read_requests(path: Path) -> list[bytes]:
    data = Path(path).read_bytes()
    out, pos = [], 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        size = int(data[pos:nl])
        out.append(data[nl + 1:nl + 1 + size])
        pos = nl + 1 + size
    return out


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.idle_since = reader, writer, time.monotonic()


async def _exchange(conn: _Conn, raw: bytes) -> tuple[int, bool]:
    """Send one request, read its answer; (status, server wants the connection closed)."""
    conn.writer.write(raw)
    await conn.writer.drain()
    head = await conn.reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    if length:
        await conn.reader.readexactly(length)
    return status, close


async def run(host: str, port: int, requests: list[bytes], rate: float, *, max_connections: int = 256,
              idle: float = 1.0, timeout: float = 30.0) -> dict:
    """Send ``requests`` at ``rate`` per second; the per-request statuses and latencies."""
    n = len(requests)
    status = [0] * n
    latency = [0.0] * n
    lag = [0.0] * n
    pool: list[_Conn] = []
    opened = 0
    gate = asyncio.Semaphore(max_connections)
    retries = 0

    async def connect() -> _Conn:
        nonlocal opened
        reader, writer = await asyncio.open_connection(host, port)
        opened += 1
        return _Conn(reader, writer)

    def take() -> _Conn | None:
        now = time.monotonic()
        while pool:
            conn = pool.pop()
            if now - conn.idle_since < idle:
                return conn
            conn.writer.close()
        return None

    async def one(i: int, due: float) -> None:
        nonlocal retries
        async with gate:
            conn = take()
            reused = conn is not None
            sent = time.perf_counter()
            lag[i] = (sent - due) * 1000
            try:
                if conn is None:
                    conn = await connect()
                try:
                    code, close = await asyncio.wait_for(_exchange(conn, requests[i]), timeout)
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    # A kept-alive connection the server closed just before this request: nothing was read
                    # from it, so send it again on a fresh one (as any HTTP client would; the MessageSid
                    # makes a repeat harmless anyway, and the exactly-once check would see one).
                    if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                        raise
                    conn.writer.close()
                    retries += 1
                    conn = await connect()
                    code, close = await asyncio.wait_for(_exchange(conn, requests[i]), timeout)
                status[i] = code
                latency[i] = (time.perf_counter() - due) * 1000
                if close:
                    conn.writer.close()
                else:
                    conn.idle_since = time.monotonic()
                    pool.append(conn)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                status[i] = 0
                latency[i] = (time.perf_counter() - due) * 1000
                if conn is not None:
                    conn.writer.close()

    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    sent_all = time.perf_counter()
    await asyncio.gather(*tasks)
    finished = time.perf_counter()
    for conn in pool:
        conn.writer.close()
    return {"rate": rate, "requests": n, "schedule_s": n / rate, "send_s": sent_all - start,
            "total_s": finished - start, "connections_opened": opened, "retries": retries,
            "status": status, "latency_ms": [round(x, 3) for x in latency],
            "send_lag_ms": [round(x, 3) for x in lag]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requests_file", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--idle", type=float, default=1.0, help="close kept-alive connections idle this long (s)")
    parser.add_argument("--out", type=Path, help="write the JSON here (default: stdout)")
    args = parser.parse_args()
    requests = read_requests(args.requests_file)
    result = asyncio.run(run(args.host, args.port, requests, args.rate, max_connections=args.max_connections,
                             idle=args.idle))
    text = json.dumps(result)
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
