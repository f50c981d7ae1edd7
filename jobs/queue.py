"""Where jobs go: rq on Redis when REDIS_URL is set, else threads in this process.

Jobs are named by dotted path ("jobs.deliveries.process_delivery") and take row ids only.
Enqueueing is best effort: the rows are the record, and the sweeper re-enqueues what is stuck.
"""

from __future__ import annotations

import importlib
import math
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

log = logging.getLogger("connector.jobs")

JOB_TIMEOUT = 120  # seconds; an ATS call has a 25 s budget, an SMTP send 30 s


def resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class RedisQueue:
    """rq's default queue; a worker started by `connector worker` runs the jobs."""

    name = "default"

    def __init__(self, redis_url: str):
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(self.name, connection=self.connection, default_timeout=JOB_TIMEOUT)

    def enqueue(self, path: str, *args) -> None:
        try:
            # One pipeline: a single round trip to Redis instead of one per command.
            with self.connection.pipeline() as pipe:
                self.queue.enqueue(path, *args, result_ttl=60, failure_ttl=7 * 86400,
                                   pipeline=pipe)
                pipe.execute()
        except Exception:  # Redis down: the sweeper picks the row up later
            log.warning("jobs.enqueue-failed job=%s", path, exc_info=True)

    def enqueue_in(self, seconds: float, path: str, *args) -> None:
        try:
            # rq keeps scheduled times in whole seconds, rounded down: round up, or the job runs
            # a moment early, finds its row not yet due, and waits for the sweeper instead.
            self.queue.enqueue_in(timedelta(seconds=math.ceil(max(seconds, 0))), path, *args,
                                  result_ttl=60, failure_ttl=7 * 86400)
        except Exception:
            log.warning("jobs.enqueue-failed job=%s", path, exc_info=True)


class InProcessQueue:
    """Runs jobs on a small thread pool in this process; `synchronous` runs them inline."""

    def __init__(self, synchronous: bool = False, workers: int = 2):
        self.synchronous = synchronous
        self._pool = None if synchronous else ThreadPoolExecutor(workers, "connector-job")
        self._timers: set[threading.Timer] = set()
        self._stopping = threading.Event()

    def enqueue(self, path: str, *args) -> None:
        if self._pool is None:
            _run(path, args)
        else:
            self._pool.submit(_run, path, args)

    def enqueue_in(self, seconds: float, path: str, *args) -> None:
        if self.synchronous:
            return  # inline mode runs nothing later; tests call the sweeper themselves
        timer = threading.Timer(max(seconds, 0), self._fire, (path, args))
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def _fire(self, path: str, args: tuple) -> None:
        self._timers = {t for t in self._timers if t.is_alive()}
        self.enqueue(path, *args)

    def every(self, seconds: float, path: str) -> None:
        """Run a job again and again, `seconds` apart, for as long as the process lives."""
        def loop() -> None:
            while not self._stopping.wait(seconds):
                _run(path, ())

        threading.Thread(target=loop, name="connector-every", daemon=True).start()

    def shutdown(self) -> None:
        self._stopping.set()
        for timer in list(self._timers):
            timer.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _run(path: str, args: tuple) -> None:
    try:
        resolve(path)(*args)
    except Exception:
        log.exception("jobs.failed job=%s", path)
