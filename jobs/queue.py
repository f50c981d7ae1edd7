"""Where jobs go: rq on Redis when REDIS_URL is set, else threads in this process.

Jobs are named by dotted path (connector/tasks.py names each once) and take row ids only.
Enqueueing is best effort: the rows are the record, and the sweeper re-enqueues what is stuck.

A row's job has an id of its own ("push-42"). While that job waits (queued or timed) or runs,
enqueueing the row again adds nothing; once it has ended, the row may have a new one. So a
row never has more than one job waiting, however often the sweeper and the web ask for it.
A running job that times its own next try (a retry, a rate-limit wait) is the exception it
must be: that timed job is sent when the running one has ended.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import threading
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta, timezone

from connector import tasks
from jobs import leases

log = logging.getLogger("connector.jobs")

JOB_TIMEOUT = 120  # seconds; an ATS call has a 25 s budget, an SMTP send 30 s
RESULT_TTL, FAILURE_TTL = 60, 7 * 86400

# The jobs that act on one row, and the word their ids start with.
ROW_JOBS = {
    tasks.PROCESS_DELIVERY: "delivery",
    tasks.DELIVER_PUSH: "push",
    tasks.SEND_EMAIL: "email",
}

_running = threading.local()
# The fields of rq's job hash that differ from one call to the next.
_PER_CALL = {"created_at", "enqueued_at", "description", "data"}


def resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def row_job_id(path: str, args: tuple) -> str | None:
    """The id of a row's job ("push-42"), or None for a job that is not about one row."""
    kind = ROW_JOBS.get(path)
    if kind is None or len(args) != 1:
        return None
    return f"{kind}-{int(args[0])}"  # rq allows letters, digits, "-" and "_" only


@contextmanager
def running(job_id: str | None):
    """Mark the job this thread runs, so that its own next try is not refused as a duplicate."""
    previous = getattr(_running, "job_id", None)
    _running.job_id = job_id
    try:
        yield
    finally:
        _running.job_id = previous


def running_job_id() -> str | None:
    return getattr(_running, "job_id", None)


class RedisQueue:
    """rq's default queue; a worker started by `connector worker` runs the jobs."""

    name = "default"

    def __init__(self, redis_url: str):
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(self.name, connection=self.connection, default_timeout=JOB_TIMEOUT)
        self._free_script = self.connection.register_script(_FREE)
        self._free_and_put_script = self.connection.register_script(_FREE_AND_PUT)
        # The registries that may still name a row's ended or dead job, then the queue and
        # the list of queues: every key the scripts take but the job's own hash.
        self._registry_keys = [f"rq:{registry}:{self.name}" for registry in
                               ("wip", "finished", "failed", "canceled")]
        self._put_keys = [*self._registry_keys, self.queue.key, self.queue.redis_queues_keys]
        self._shared: dict[str, tuple[str, list, int]] = {}  # path: its jobs' shared fields
        self._after_job: list[tuple[str, tuple, datetime | None]] = []

    def enqueue(self, path: str, *args) -> None:
        self._send(path, args, None, False)

    def recover(self, path: str, *args) -> None:
        """Queue a row's job whose lease ran out: a job still marked started for it has died."""
        self._send(path, args, None, True)

    def enqueue_in(self, seconds: float, path: str, *args) -> None:
        # rq keeps scheduled times in whole seconds, rounded down: round up, or the job runs
        # a moment early, finds its row not yet due, and waits for the sweeper instead.
        at = datetime.now(timezone.utc) + timedelta(seconds=math.ceil(max(seconds, 0)))
        self._send(path, args, at, False)

    def send_after_job(self) -> None:
        """Send the jobs that the job which just ended asked for its own row."""
        pending, self._after_job = self._after_job, []
        for path, args, at in pending:
            self._send(path, args, at, False)

    def _send(self, path: str, args: tuple, at: datetime | None, recover: bool) -> None:
        job_id = row_job_id(path, args)
        if job_id is not None and job_id == running_job_id():
            self._after_job.append((path, args, at))
            return
        try:
            if job_id is None:
                self._put(path, args, at, None)
            elif at is None:
                self._free_and_put(path, args, job_id, recover)
            elif self._free(job_id, recover):
                self._put(path, args, at, job_id)
        except Exception:  # Redis down: the sweeper picks the row up later
            log.warning("jobs.enqueue-failed job=%s", path, exc_info=True)

    def _put(self, path: str, args: tuple, at: datetime | None, job_id: str | None) -> None:
        from rq.exceptions import DuplicateJobError

        options = dict(result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL, job_id=job_id)
        unique = job_id is not None  # rq refuses an id in use, even between our check and now
        try:
            if at is not None:
                self.queue.schedule_job(self.queue.create_job(path, args=args, **options), at,
                                        unique=unique)
                return
            # One pipeline: fewer round trips to Redis than one per command.
            with self.connection.pipeline() as pipe:
                self.queue.enqueue(path, *args, pipeline=pipe, unique=unique, **options)
                pipe.execute()
        except DuplicateJobError:
            pass  # another process queued the same row a moment ago: one job is the point

    def _free(self, job_id: str, recover: bool) -> bool:
        """True when no job under this id waits or runs, and the id is free to use again."""
        return self._free_script(keys=self._registries(job_id),
                                 args=[job_id, int(recover), time.time()]) == 1

    def _free_and_put(self, path: str, args: tuple, job_id: str, recover: bool) -> None:
        """Queue a row's job now unless one waits or runs: one round trip to Redis.

        The script frees the job's id as _free does, then saves and queues the job as rq's
        unique enqueue does, atomically. The job is the one rq's enqueue would store: the
        fields every call of `path` shares come from a job rq made once (_shared_fields);
        this call adds its own times, description and data.
        """
        from rq.utils import get_call_string, now, utcformat

        shared, binary, ttl = self._shared.get(path) or self._shared_fields(path)
        made = utcformat(now())
        # rq compresses a job's data with zlib's defaults, whose set-up alone took more than
        # the rest of the enqueue; a 512-byte window makes the same format at a twentieth.
        data = zlib.compress(self.queue.serializer.dumps((path, None, args, {})), 1, 9)
        self._free_and_put_script(keys=[f"rq:job:{job_id}", *self._put_keys], args=[
            job_id, int(recover), time.time(), ttl, shared, *binary, "created_at", made,
            "enqueued_at", made, "description", get_call_string(path, args, {}, max_length=75),
            "data", data])

    def _shared_fields(self, path: str) -> tuple[str, list, int]:
        """What every job calling `path` stores alike, as rq's enqueue stores it: text fields
        as one JSON object, bytes as field-value pairs, and the hash's TTL (-1 for none)."""
        job = self.queue.create_job(path, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL)
        self.queue._prepare_for_queue(job)  # origin, enqueued_at, timeout, status "queued"
        text, binary = {}, []
        for key, value in job.to_dict().items():
            # rq reads a field that is absent as one that is empty (Job.restore): those
            # stay out, a third of the script's arguments.
            if key in _PER_CALL or value is None or value == "":
                continue
            if isinstance(value, bytes):
                binary += (key, value)
            else:
                text[key] = value if isinstance(value, str) else str(value)
        self._shared[path] = (json.dumps(text), binary,
                              job.ttl if job.ttl is not None else -1)
        return self._shared[path]

    def _registries(self, job_id: str) -> list[str]:
        """The job's hash, then the registries that may still name an ended or dead job."""
        return [f"rq:job:{job_id}", *self._registry_keys]


# Frees a row's job id unless a job under it still waits or runs (then returns 0). A started
# job counts as running until its execution's expiry in rq's started registry passes, or,
# with ARGV[2] = "1", not at all (its row's lease ran out, so its worker is dead). A finished,
# failed or dead job's hash and registry entries go, so rq's uniqueness check passes and no
# registry later acts on the new job in the old one's name.
_FREE_ID = """
local status = redis.call("HGET", KEYS[1], "status")
if status == "queued" or status == "scheduled" or status == "deferred" then return 0 end
local prefix = ARGV[1] .. ":"
local executions = redis.call("ZRANGE", KEYS[2], 0, -1, "WITHSCORES")
if status == "started" and ARGV[2] == "0" then
  for i = 1, #executions, 2 do
    local member = executions[i]
    if (member == ARGV[1] or string.sub(member, 1, #prefix) == prefix)
        and tonumber(executions[i + 1]) > tonumber(ARGV[3]) then return 0 end
  end
end
for i = 1, #executions, 2 do
  local member = executions[i]
  if member == ARGV[1] or string.sub(member, 1, #prefix) == prefix then
    redis.call("ZREM", KEYS[2], member)
  end
end
redis.call("DEL", KEYS[1])
for i = 3, 5 do redis.call("ZREM", KEYS[i], ARGV[1]) end
"""
_FREE = _FREE_ID + "return 1\n"
# ... then saves the job's hash (ARGV[5]: its text fields as a JSON object; ARGV[6] on: field,
# value, ... for bytes), with its TTL (ARGV[4], -1 for none), queues it (KEYS[6]) and lists the
# queue (KEYS[7]): what rq's unique enqueue and its enqueue_job do, so a worker finds the job
# as if rq had queued it.
_FREE_AND_PUT = _FREE_ID + """
local fields = {}
for name, value in pairs(cjson.decode(ARGV[5])) do
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call("HSET", KEYS[1], unpack(fields))
local ttl = tonumber(ARGV[4])
if ttl and ttl > 0 then redis.call("EXPIRE", KEYS[1], ttl) end
redis.call("RPUSH", KEYS[6], ARGV[1])
redis.call("SADD", KEYS[7], KEYS[6])
return 1
"""


class InProcessQueue:
    """Runs jobs on a small thread pool in this process; `synchronous` runs them inline."""

    def __init__(self, synchronous: bool = False, workers: int = 2):
        self.synchronous = synchronous
        self._pool = None if synchronous else ThreadPoolExecutor(workers, "connector-job")
        self._timers: set[threading.Timer] = set()
        self._stopping = threading.Event()
        self._live: Counter[str] = Counter()  # a row's job -> its jobs waiting or running
        self._lock = threading.Lock()

    def enqueue(self, path: str, *args) -> None:
        job_id = row_job_id(path, args)
        if self._admit(job_id):
            self._start(job_id, path, args)

    def recover(self, path: str, *args) -> None:
        """As enqueue: a job of this process that still runs is alive, and keeps its row."""
        self.enqueue(path, *args)

    def enqueue_in(self, seconds: float, path: str, *args) -> None:
        if self.synchronous:
            return  # inline mode runs nothing later; tests call the sweeper themselves
        job_id = row_job_id(path, args)
        if not self._admit(job_id):
            return
        timer = threading.Timer(max(seconds, 0), self._fire, (job_id, path, args))
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def _admit(self, job_id: str | None) -> bool:
        """Count a row's job in; refused while another of that row's jobs waits or runs."""
        if job_id is None:
            return True
        with self._lock:
            if self._live[job_id] and running_job_id() != job_id:
                return False
            self._live[job_id] += 1
            return True

    def _fire(self, job_id: str | None, path: str, args: tuple) -> None:
        self._timers = {t for t in self._timers if t.is_alive()}
        self._start(job_id, path, args)

    def _start(self, job_id: str | None, path: str, args: tuple) -> None:
        if self._pool is None:
            self._run(job_id, path, args)
        else:
            self._pool.submit(self._run, job_id, path, args)

    def _run(self, job_id: str | None, path: str, args: tuple) -> None:
        # A worker thread keeps its claimed rows leased while it runs; inline runs are tests'.
        hold = nullcontext() if self.synchronous or job_id is None else leases.hold()
        try:
            with running(job_id), hold:
                _run(path, args)
        finally:
            if job_id is not None:
                with self._lock:
                    self._live[job_id] -= 1
                    if self._live[job_id] <= 0:
                        del self._live[job_id]

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
