"""`connector worker`: an rq worker that runs its jobs itself, forking nothing, with rq's
scheduler and the sweeper in threads beside it.

One process, nothing else: jobs run one after another in its main thread and share its
database pool, Redis connection and imported modules (the adapters, the jobs); the scheduler
(timed jobs) and the sweeper (jobs Redis lost, rows whose worker died) are threads, so they live
and die with the worker. A lost Redis does not end the worker: it waits, with backoff up to
RESTART_CAP_SECONDS, and carries on when Redis is back.

A job that cannot renew the lease on its rows, or that outlives its timeout by OVERRUN_SECONDS
(stuck where rq's alarm cannot reach it), ends the whole process at once: another worker's
sweeper takes its rows up when their leases run out, and the supervisor starts a new worker.

SIGTERM (or Ctrl-C): take no new job, let the running one finish, stop. A second SIGTERM ends
the process at once; the running job's row is taken up again by another worker (jobs.sweeper).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.exceptions import StopRequested
from rq.utils import now
from rq.worker import WorkerStatus
from sqlalchemy.orm import configure_mappers

from connector.heap import settle
from connector.services import Services
from jobs import leases
from jobs.queue import ROW_JOBS, RedisQueue, resolve, running
from jobs.sweeper import SWEEP_INTERVAL_SECONDS, SWEEP_TICK_SECONDS, sweep

log = logging.getLogger("connector.jobs")

RESTART_MIN_SECONDS, RESTART_CAP_SECONDS = 1.0, 8.0
HEALTHY_SECONDS = 60  # a worker that ran this long starts its next backoff from the minimum
SCHEDULER_TICK_SECONDS = 1.0
SCHEDULER_LOCK_SECONDS = 5  # another worker's scheduler takes over this soon after a death
SWEEP_LOCK = "connector:sweep"
# rq's alarm ends a job at its timeout unless the job is stuck in C code; this long after it,
# the process ends itself, as rq's forking worker kills a horse that overruns.
OVERRUN_SECONDS = 60
# rq beats twice around every job, one round trip each, for a key that lives worker_ttl + 60 s;
# between jobs that come this close together, one beat stands for the rest.
BEAT_EVERY_SECONDS = 5
SUSPENSION_CHECK_SECONDS = 1.0  # `rq suspend` takes hold within a second, not at every job


class ConnectorWorker(SimpleWorker):
    """rq's worker without a fork: its jobs keep their rows leased and rq's heartbeat alive."""

    def __init__(self, services: Services, stopping: threading.Event):
        queue = services.queue
        # worker_ttl and maintenance_interval are shortened so rq notices an abandoned job in
        # about a minute rather than a quarter of an hour (rq's defaults are 420 s and 600 s).
        super().__init__([queue.queue], connection=queue.connection, worker_ttl=60,
                         maintenance_interval=30, job_monitoring_interval=10)
        self.max_connection_wait_time = RESTART_CAP_SECONDS
        self.services, self.stopping = services, stopping
        self._beating, self._retired = threading.Lock(), threading.Event()
        self._watched = None  # (the running job, when it started), for the monitor
        self._suspension_checked = float("-inf")

    def get_heartbeat_ttl(self, job) -> int:
        # The forking worker's: short, because _monitor renews it while a job runs, so a
        # job whose worker died is seen as abandoned in seconds, not after its whole timeout.
        return Worker.get_heartbeat_ttl(self, job)

    def heartbeat(self, timeout=None, pipeline=None):
        recent = self.last_heartbeat is not None and \
            (now() - self.last_heartbeat).total_seconds() < BEAT_EVERY_SECONDS
        if timeout is None and pipeline is None and recent:
            return  # the worker's own beat between jobs; the monitor's beats are never skipped
        super().heartbeat(timeout, pipeline)

    def set_state(self, state, pipeline=None):
        if pipeline is None and state == self._state:
            return  # rq marks the worker idle twice between two jobs: once is enough
        super().set_state(state, pipeline)

    def check_for_suspension(self, burst: bool):
        if time.monotonic() < self._suspension_checked + SUSPENSION_CHECK_SECONDS:
            return
        super().check_for_suspension(burst)
        self._suspension_checked = time.monotonic()

    def work(self, *args, **kwargs) -> bool:
        threading.Thread(target=self._monitor, daemon=True, name="connector-heartbeat").start()
        try:
            return super().work(*args, **kwargs)
        finally:
            self._retired.set()

    def perform_job(self, job, queue) -> bool:
        self._watch(job)
        try:
            with running(job.id), leases.hold(on_lapse=_end_now):
                return super().perform_job(job, queue)
        finally:  # outside running(): the job's own next try is no longer its own row's job
            self._watch(None)
            self.services.queue.send_after_job()

    def handle_execution_ended(self, job, queue, heartbeat_ttl):
        # Before rq records the end: a heartbeat after it would bring the ended job's
        # execution back into rq's registries.
        self._watch(None)
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def _watch(self, job) -> None:
        """Tell the monitor which job runs now, if any."""
        with self._beating:
            self._watched = (job, now()) if job is not None else None
            self.current_job_working_time = 0  # the next job's first heartbeat reads it

    def _monitor(self) -> None:
        """What rq's forking worker does while its horse works: heartbeats, and the backstop."""
        while not self._retired.wait(self.job_monitoring_interval):
            with self._beating:
                if self._watched is None:
                    continue
                job, started = self._watched
                working = (now() - started).total_seconds()
                if job.timeout and job.timeout > 0 and working > job.timeout + OVERRUN_SECONDS:
                    log.error("worker.job-overran job=%s seconds=%.0f", job.id, working)
                    _end_now()
                try:
                    self.set_current_job_working_time(working)
                    self.maintain_heartbeats(job)
                except RedisError:
                    log.debug("worker.heartbeat-failed")

    def _install_signal_handlers(self):
        signal.signal(signal.SIGINT, self._stop_signal)
        signal.signal(signal.SIGTERM, self._stop_signal)

    def _stop_signal(self, signum, frame):
        # No Redis or database call here: the job this interrupts may hold their pools' locks.
        if self.stopping.is_set():
            log.warning("worker.stopping-at-once")
            _end_now()
        self.stopping.set()
        self._stop_requested = True
        if self.get_state() != WorkerStatus.BUSY:
            raise StopRequested()  # out of the wait for a job; a running job finishes first


def run_worker(services: Services) -> None:
    """Work the default queue until stopped; a lost Redis is waited for, not fatal."""
    if not isinstance(services.queue, RedisQueue):
        raise SystemExit("connector worker needs REDIS_URL; without it jobs run in the web process")
    for path in ROW_JOBS:  # imported and set up before the first job, not during it
        resolve(path)
    configure_mappers()
    settle()  # what the worker built so far lives as long as it does
    stopping = threading.Event()
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
            worker.work(with_scheduler=False, logging_level=services.settings.log_level)
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
    """Let a worker that quit on a Redis error go: its pubsub thread stops with it."""
    _stop_on_signal(worker.stopping)
    if worker.pubsub_thread is not None:
        worker.pubsub_thread.stop()


def _schedule(queue: RedisQueue, stopping: threading.Event) -> None:
    """rq's scheduler loop: move due timed jobs to the queue, one scheduler per queue."""
    from rq.scheduler import RQScheduler

    scheduler = RQScheduler([queue.queue], connection=queue.connection)
    while not stopping.wait(SCHEDULER_TICK_SECONDS):
        try:
            if not scheduler.acquired_locks:  # another worker's scheduler holds it
                scheduler.acquire_locks()
            if scheduler.acquired_locks:
                scheduler.heartbeat()
                _shorten(scheduler)
                scheduler.enqueue_scheduled_jobs()
        except RedisError:
            log.debug("scheduler.redis-unreachable")
    try:
        scheduler.release_locks()
    except RedisError:
        pass  # the lock expires on its own a minute later


def _shorten(scheduler) -> None:
    # rq holds the lock for a minute past each heartbeat: after a worker's death its timed jobs
    # would wait that long, and the sweeper leaves a row whose timed job still waits alone.
    with scheduler.connection.pipeline() as pipe:
        for name in scheduler.acquired_locks:
            pipe.expire(scheduler.get_locking_key(name), SCHEDULER_LOCK_SECONDS)
        pipe.execute()


def _sweep(queue: RedisQueue, stopping: threading.Event) -> None:
    """Sweep once every SWEEP_INTERVAL_SECONDS across all workers: whoever takes the lock."""
    while not stopping.wait(SWEEP_TICK_SECONDS):
        try:
            if queue.connection.set(SWEEP_LOCK, os.getpid(), nx=True,
                                    px=SWEEP_INTERVAL_SECONDS * 1000):
                sweep()
        except RedisError:
            log.debug("sweeper.redis-unreachable")
        except Exception:
            log.exception("sweeper.failed")


def _end_now() -> None:
    """End the whole process at once, from any thread: no line of the job runs after this."""
    os._exit(1)
