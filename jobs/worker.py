"""`connector worker`: an rq worker, with rq's scheduler and the sweeper in threads beside it.

One process and its work horses, nothing else: the scheduler (timed jobs) and the sweeper
(jobs Redis lost, rows whose worker died) are threads, so they live and die with the worker,
and each horse is killed by Linux when its parent dies. A lost Redis does not end the worker:
it waits, with backoff up to RESTART_CAP_SECONDS, and carries on when Redis is back.

SIGTERM (or Ctrl-C): take no new job, let the running one finish, stop. A second SIGTERM kills
the running job at once; its row is taken up again by another worker (jobs.sweeper).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time

from redis.exceptions import RedisError
from rq import Worker
from rq.exceptions import StopRequested
from sqlalchemy.orm import configure_mappers

from connector.services import Services
from jobs import leases
from jobs.queue import ROW_JOBS, RedisQueue, resolve, running
from jobs.sweeper import SWEEP_INTERVAL_SECONDS, SWEEP_TICK_SECONDS, sweep

log = logging.getLogger("connector.jobs")

RESTART_MIN_SECONDS, RESTART_CAP_SECONDS = 1.0, 8.0
HEALTHY_SECONDS = 60  # a worker that ran this long starts its next backoff from the minimum
SCHEDULER_TICK_SECONDS = 1.0
SWEEP_LOCK = "connector:sweep"
PR_SET_PDEATHSIG = 1
# Held by the sweeper and the scheduler while they work, and by the worker while it forks a
# horse: a fork copies every lock another thread holds at that instant (SQLAlchemy's, the
# database driver's, the import system's), and the horse would wait on it for ever.
_quiet = threading.Lock()
_fork_hooks = False


class ConnectorWorker(Worker):
    """rq's forking worker, whose horses keep their rows leased and die with their parent."""

    def __init__(self, services: Services, stopping: threading.Event):
        queue = services.queue
        # worker_ttl and maintenance_interval are shortened so rq notices an abandoned job in
        # about a minute rather than a quarter of an hour (rq's defaults are 420 s and 600 s).
        super().__init__([queue.queue], connection=queue.connection, worker_ttl=60,
                         maintenance_interval=30, job_monitoring_interval=10)
        self.max_connection_wait_time = RESTART_CAP_SECONDS
        self.services, self.stopping, self.parent_pid = services, stopping, os.getpid()

    def main_work_horse(self, job, queue):
        _die_with_parent(self.parent_pid)
        # The parent's sweeper has connections of its own in the pool: the horse opens its own.
        self.services.db.engine.dispose(close=False)
        super().main_work_horse(job, queue)

    def perform_job(self, job, queue) -> bool:
        with running(job.id), leases.hold(on_lapse=_stop_at_once):
            done = super().perform_job(job, queue)
        self.services.queue.send_after_job()
        return done

    def _install_signal_handlers(self):
        signal.signal(signal.SIGINT, self._stop_signal)
        signal.signal(signal.SIGTERM, self._stop_signal)

    def _stop_signal(self, signum, frame):
        self.stopping.set()
        try:
            self.request_stop(signum, frame)
        except RedisError:  # rq notes the request in Redis; without it, stop all the same
            self._stop_requested = True


def run_worker(services: Services) -> None:
    """Work the default queue until stopped; a lost Redis is waited for, not fatal."""
    if not isinstance(services.queue, RedisQueue):
        raise SystemExit("connector worker needs REDIS_URL; without it jobs run in the web process")
    for path in ROW_JOBS:  # imported and set up once here, not again by every horse
        resolve(path)
    configure_mappers()
    stopping = threading.Event()
    _hold_forks_while_busy()
    threads = [threading.Thread(target=target, args=(services.queue, stopping), name=name,
                                daemon=True)
               for target, name in ((_schedule, "connector-scheduler"),
                                    (_sweep, "connector-sweeper"))]
    for thread in threads:
        thread.start()
    try:
        _work(services, stopping)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=5)


def _work(services: Services, stopping: threading.Event) -> None:
    """Run rq workers one after another until a stop is asked for."""
    delay = RESTART_MIN_SECONDS
    while not stopping.is_set():
        _stop_on_signal(stopping)  # until a worker installs its own handlers
        worker, started = None, time.monotonic()
        try:
            worker = ConnectorWorker(services, stopping)
            worker.work(with_scheduler=False)
        except (RedisError, StopRequested) as exc:
            log.warning("worker.interrupted error=%s", type(exc).__name__)
        if stopping.is_set() or (worker is not None and worker._stop_requested):
            return
        if worker is not None:
            _retire(worker)
        if time.monotonic() - started > HEALTHY_SECONDS:
            delay = RESTART_MIN_SECONDS
        log.warning("worker.restarting in=%.0fs", delay)
        if stopping.wait(delay):
            return
        delay = min(delay * 2, RESTART_CAP_SECONDS)


def _stop_on_signal(stopping: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())


def _retire(worker: ConnectorWorker) -> None:
    """Let a worker that quit go: its pubsub thread stops, its running horse is reaped."""
    _stop_on_signal(worker.stopping)
    if worker.pubsub_thread is not None:
        worker.pubsub_thread.stop()
    horse = worker.horse_pid
    if horse:  # it finishes its job, keeping its row leased; then nobody must leave a zombie
        threading.Thread(target=_reap, args=(horse,), daemon=True).start()


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _schedule(queue: RedisQueue, stopping: threading.Event) -> None:
    """rq's scheduler loop: move due timed jobs to the queue, one scheduler per queue."""
    from rq.scheduler import RQScheduler

    scheduler = RQScheduler([queue.queue], connection=queue.connection)
    while not stopping.wait(SCHEDULER_TICK_SECONDS):
        try:
            with _quiet:
                if not scheduler.acquired_locks:  # another worker's scheduler holds it
                    scheduler.acquire_locks()
                if scheduler.acquired_locks:
                    scheduler.heartbeat()
                    scheduler.enqueue_scheduled_jobs()
        except RedisError:
            log.debug("scheduler.redis-unreachable")
    try:
        scheduler.release_locks()
    except RedisError:
        pass  # the lock expires on its own a minute later


def _sweep(queue: RedisQueue, stopping: threading.Event) -> None:
    """Sweep once every SWEEP_INTERVAL_SECONDS across all workers: whoever takes the lock."""
    while not stopping.wait(SWEEP_TICK_SECONDS):
        try:
            if queue.connection.set(SWEEP_LOCK, os.getpid(), nx=True,
                                    px=SWEEP_INTERVAL_SECONDS * 1000):
                with _quiet:
                    sweep()
        except RedisError:
            log.debug("sweeper.redis-unreachable")
        except Exception:
            log.exception("sweeper.failed")


def _hold_forks_while_busy() -> None:
    global _fork_hooks
    if not _fork_hooks:  # once a process: the hooks cannot be taken back
        os.register_at_fork(before=_quiet.acquire, after_in_parent=_quiet.release,
                            after_in_child=_quiet.release)
        _fork_hooks = True


def _stop_at_once() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _die_with_parent(parent_pid: int) -> None:
    """Have Linux kill this process when its parent dies, so that no orphan runs on."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: a supervisor that kills the process group must see to it
    if os.getppid() != parent_pid:  # the parent died before the request was made
        os._exit(1)
