"""`connector worker`: an rq worker with its scheduler, plus a timer that enqueues the sweeper."""

from __future__ import annotations

import logging
import threading

from rq import Worker

from connector.services import Services
from jobs.queue import RedisQueue
from jobs.sweeper import SWEEP_INTERVAL_SECONDS

log = logging.getLogger("connector.jobs")


def run_worker(services: Services) -> None:
    """Work the default queue until stopped (SIGTERM finishes the current job first)."""
    if not isinstance(services.queue, RedisQueue):
        raise SystemExit("connector worker needs REDIS_URL; without it jobs run in the web process")
    # The worker's parent process never touches the database: each job runs in a forked
    # horse that builds its own connections, so no pooled connection crosses a fork.
    services.db.dispose()
    stop = threading.Event()
    thread = threading.Thread(target=_enqueue_sweeps, args=(services.queue, stop), daemon=True)
    thread.start()
    # worker_ttl and maintenance_interval are shortened so an abandoned job is noticed in
    # about a minute rather than a quarter of an hour (rq's defaults are 420 s and 600 s).
    worker = Worker([services.queue.queue], connection=services.queue.connection,
                    worker_ttl=60, maintenance_interval=30)
    try:
        worker.work(with_scheduler=True)
    finally:
        stop.set()


def _enqueue_sweeps(queue: RedisQueue, stop: threading.Event) -> None:
    while not stop.wait(SWEEP_INTERVAL_SECONDS):
        queue.enqueue("jobs.sweeper.sweep")
