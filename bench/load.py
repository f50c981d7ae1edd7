"""The load client of bench/webhook_ack.py: raw asyncio sockets in several processes.

Two phases per target: a closed loop (a number of connections back to back for a number of
seconds, after a warm-up) and an open loop (a rate of requests per second on a fixed schedule,
latency counted from the scheduled send time, so queueing delay is not hidden). Each request
carries its own Greenhouse-Event-ID. Sync gunicorn workers close the connection after every
answer, so latencies include the TCP connect.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import NamedTuple

WARMUP = 2.0  # seconds of closed-loop load before the measured window
TIMEOUT = 30.0  # seconds one request may take before it counts as an error
HEADS_PER_SECOND = 6000  # request heads each client process builds ahead, per second of load
Heads = Iterator[bytes]


class Target(NamedTuple):
    name: str
    port: int
    path: str
    body: bytes
    headers: dict
    pid: int = 0  # the server's main process: its children's CPU time is counted


def server_cpu(pid: int) -> float:
    """CPU seconds the children of `pid` (gunicorn's workers) have used, from /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listed:
            children = listed.read().split()
        total = 0
        for child in children:
            with open(f"/proc/{child}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return float("nan")


def request_heads(target: Target, prefix: str, count: int) -> Heads:
    """`count` request heads built now, each with its own Greenhouse-Event-ID; more if needed."""
    lines = [f"POST {target.path} HTTP/1.1", f"Host: 127.0.0.1:{target.port}",
             f"Content-Length: {len(target.body)}"]
    fixed = "\r\n".join(lines + [f"{key}: {value}" for key, value in target.headers.items()])
    head = f"{fixed}\r\nGreenhouse-Event-ID: {prefix}-{{}}\r\n\r\n".format
    return itertools.chain([head(i).encode() for i in range(count)],
                           (head(i).encode() for i in itertools.count(count)))


class Conn:
    """One HTTP/1.1 connection, reopened whenever the server closes it."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    async def send(self, head: bytes, body: bytes) -> tuple[int, bytes, float]:
        """Send one request; return the status, the answer body and when it was complete."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(head + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lower = raw.lower()
        at = lower.find(b"\r\ncontent-length:")
        length = int(lower[at + 17:lower.index(b"\r\n", at + 2)]) if at >= 0 else 0
        answer, done = await self.reader.readexactly(length), time.monotonic()
        if b"\r\nconnection: close" in lower:
            await self.reader.read()  # the server's FIN: it closes first and keeps TIME_WAIT
            self.close()
        return int(raw[9:12]), answer, done

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Stats:
    """What one client process saw: latencies of 200s, other statuses, errors, CPU time."""

    def __init__(self):
        self.latencies, self.other, self.errors, self.samples = [], Counter(), Counter(), {}
        self.first, self.last, self.cpu = 0.0, 0.0, 0.0  # first: when the measured window opened

    def add(self, started: float, outcome: tuple) -> None:
        status, answer, done = outcome
        self.last = max(self.last, done)
        if status == 200:
            self.latencies.append(done - started)
        elif isinstance(status, int):
            self.other[status] += 1
            self.samples.setdefault(status, answer[:300])
        else:
            self.errors[status] += 1


async def exchange(conn: Conn, head: bytes, body: bytes) -> tuple:
    """One request: (status or error name, answer body, time the answer was complete)."""
    try:
        async with asyncio.timeout(TIMEOUT):
            return await conn.send(head, body)
    except (OSError, EOFError, TimeoutError, ValueError, asyncio.LimitOverrunError) as exc:
        conn.close()
        return type(exc).__name__, b"", time.monotonic()


async def closed_loop(target: Target, heads: Heads, conns: int, start: float,
                      seconds: float, warmup: float, stats: Stats) -> None:
    """`conns` connections send back to back; keep requests started after the warm-up."""
    measured, end = start + warmup, start + warmup + seconds

    async def connection() -> None:
        conn = Conn(target.port)
        while (started := time.monotonic()) < end:
            outcome = await exchange(conn, next(heads), target.body)
            if started >= measured:
                stats.add(started, outcome)

    stats.first = measured
    await asyncio.gather(*(connection() for _ in range(conns)))


async def open_loop(target: Target, heads: Heads, rate: float, first: int, step: int,
                    start: float, seconds: float, stats: Stats) -> None:
    """Request i is due at start + i/rate; its latency counts from then, not from the send."""
    idle: list[Conn] = []

    async def one(due: float) -> None:
        conn = idle.pop() if idle else Conn(target.port)
        stats.add(due, await exchange(conn, next(heads), target.body))
        if conn.writer is not None:
            idle.append(conn)

    tasks, i, stats.first = [], first, start
    while (due := start + i / rate) < start + seconds:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(one(due)))
        i += step
    await asyncio.gather(*tasks)


def client(target: Target, plan: dict, index: int) -> Stats:
    """One client process: build its heads, wait for the common start, run its share."""
    mode, seconds, procs = plan["mode"], plan["seconds"], len(plan["conns"])
    share = (plan["warmup"] + seconds) * HEADS_PER_SECOND if mode == "closed" \
        else seconds * plan["rate"] / procs
    heads = request_heads(target, f"bench{plan['tag']}-{mode}-{index}", int(share) + 1)
    stats, cpu = Stats(), time.process_time()
    time.sleep(max(0.0, plan["start"] - time.monotonic()))
    if mode == "closed":
        run = closed_loop(target, heads, plan["conns"][index], plan["start"], seconds,
                          plan["warmup"], stats)
    else:
        run = open_loop(target, heads, plan["rate"], index, procs, plan["start"], seconds, stats)
    asyncio.run(run)
    stats.cpu = time.process_time() - cpu
    return stats


def client_processes(concurrency: int) -> int:
    return min(concurrency, os.cpu_count() or 1)


def measure(target: Target, mode: str, concurrency: int, seconds: float, rate: float,
            tag: str = "", warmup: float = WARMUP) -> dict:
    """Run one phase against one target from several client processes; merge what they saw.

    Event ids start with `tag` and the phase: give each run against one database its own.
    A closed loop first runs `warmup` seconds unmeasured.
    """
    procs = client_processes(concurrency)
    conns = [concurrency // procs + (i < concurrency % procs) for i in range(procs)]
    plan = dict(mode=mode, seconds=seconds, rate=rate, conns=conns, tag=tag, warmup=warmup,
                start=time.monotonic() + 1.0)
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        used = server_cpu(target.pid)
        parts = pool.starmap(client, [(target, plan, i) for i in range(procs)])
        used = server_cpu(target.pid) - used
    latencies = sorted(x for part in parts for x in part.latencies)
    span = max(p.last for p in parts) - min(p.first for p in parts)
    merged = tally(vars(part) for part in parts)
    wall = seconds + (warmup if mode == "closed" else 0)
    answered = len(latencies) + sum(merged["other"].values()) + sum(merged["errors"].values())
    return dict(merged, count=len(latencies), span=span,
                rps=len(latencies) / max(span, 1e-9), p50=pct(latencies, 0.50),
                p99=pct(latencies, 0.99), cpu=sum(p.cpu for p in parts) / wall,
                server_ms=used * 1000 / max(answered, 1) if mode == "open" else float("nan"))


def tally(parts: Iterable[dict]) -> dict:
    """The other statuses, errors and a sample answer per status, of several parts together."""
    total = {"other": Counter(), "errors": Counter(), "samples": {}}
    for part in parts:
        for key, value in total.items():
            value.update(part[key])
    return total


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) in milliseconds."""
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


