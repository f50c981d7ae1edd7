"""Each fault, done to a running stack, and how long recovery took next to its stated bound.

The fault tests assert what these measure and bench/faults.py prints it. A scenario waits up
to `patience` times its bound before it gives up: the tests give it one bound, the bench more,
to see how far past a bound a slow machine goes.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from rq import Worker
from sqlalchemy import select

from connector.db import PG_CONNECT_TIMEOUT_SECONDS, PG_WAIT_SECONDS
from connector.models import DeliveryStatus, Email, OutboxStatus, Push, WebhookDelivery, utcnow
from jobs.claims import BACKOFF_BASE_SECONDS
from jobs.sweeper import DEAD_WORKER_BOUND, LOST_JOB_BOUND
from tests.faults.ats import RETRY_AFTER
from tests.faults.processes import kill, wait_for
from tests.faults.stack import CANDIDATE

RUN_SECONDS = 5  # a free worker taking a job up, and the job itself
WORK_SECONDS = 120  # the pool working through a burst on two busy cores
# connector.db's worst case for a silent server, and a second for the request's own way.
WEB_BOUND = PG_WAIT_SECONDS + PG_CONNECT_TIMEOUT_SECONDS + 1
# A timed retry runs up to 2 s after it is due: rq keeps whole seconds, its scheduler looks
# once a second.
LATE_SECONDS = 2
ATS_SCRIPTS = (("500",), ("500-written",), ("500", "429"), ("500-written", "429", "429"))


@dataclass
class Recovery:
    fault: str
    seconds: float
    bound: float
    events: list[int]
    details: dict = field(default_factory=dict)


def _until(condition, bound: float, patience: float, what: str, started: float) -> float:
    """Seconds from `started` until the condition held (waiting up to patience x bound)."""
    wait_for(condition, max(bound * patience - (time.monotonic() - started), 1), what, 0.2)
    return time.monotonic() - started


def _each_until(conditions: dict, timeout: float, started: float) -> dict[str, float]:
    """Seconds from `started` until each condition first held, all polled together."""
    took: dict[str, float] = {}
    while len(took) < len(conditions):
        for name, condition in conditions.items():
            if name not in took and condition():
                took[name] = time.monotonic() - started
        if time.monotonic() - started > timeout:
            missing = sorted(set(conditions) - set(took))
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {missing}")
        time.sleep(0.2)
    return took


def _hold(stack, events: list[int]) -> None:
    """Deliver the events and wait until each is held inside its push by a worker."""
    held = stack.ats.held
    for n in events:
        stack.ats.script(CANDIDATE + n, "hold")
    assert stack.post_all(events) == [200] * len(events)
    wait_for(lambda: stack.ats.held == held + len(events), 60, "workers inside their pushes")


def _current_job(stack, pid: int) -> str | None:
    """The id of the job the worker with this pid is running, if any."""
    (worker,) = [w for w in Worker.all(connection=stack.redis.client()) if w.pid == pid]
    return worker.get_current_job_id()


def _event_of_worker(stack, pid: int) -> int:
    """The event whose push the worker with this pid is working on."""
    push_id = int(_current_job(stack, pid).split("-")[1])
    with stack.services.db.session() as session:
        payload = session.scalar(select(Push.payload).where(Push.id == push_id))
    return int(payload["candidate_id"]) - CANDIDATE


def kill_workers(stack, patience: float = 1.0) -> list[Recovery]:
    """SIGKILL one worker and two SIGTERMs to another, each inside a push; a third carries on."""
    events = stack.new_events(2)
    _hold(stack, events)
    pushing = [w for w in stack.workers.running()
               if (_current_job(stack, w.pid) or "").startswith("push-")]
    (survivor,) = [w for w in stack.workers.running() if w not in pushing]
    targets = dict(zip(("SIGKILL of a worker", "two SIGTERMs to a worker"), pushing))
    victims = {kind: _event_of_worker(stack, w.pid) for kind, w in targets.items()}
    killed = time.monotonic()
    kill(targets["SIGKILL of a worker"].pid)
    stopped = targets["two SIGTERMs to a worker"]
    stopped.send_signal(signal.SIGTERM)  # the first lets the job finish: it is held meanwhile
    time.sleep(0.5)
    stopped.send_signal(signal.SIGTERM)
    wait_for(lambda: stopped.poll() is not None, 5, "the twice-stopped worker to end")
    stack.ats.release()
    bound = DEAD_WORKER_BOUND.total_seconds() + RUN_SECONDS
    took = _each_until({kind: (lambda n=n: stack.done([n])) for kind, n in victims.items()},
                       bound * patience, killed)
    recoveries = [Recovery(kind, took[kind], bound, [n]) for kind, n in victims.items()]
    recoveries[0].details["survived"] = survivor.poll() is None
    stack.workers.start(2)  # as a supervisor would: the pool is whole again
    return recoveries


def failing_ats(stack, patience: float = 1.0) -> Recovery:
    """The ATS answers 500 (sometimes after writing the note), then 429 with Retry-After."""
    events = stack.new_events(len(ATS_SCRIPTS))
    for n, script in zip(events, ATS_SCRIPTS):
        stack.ats.script(CANDIDATE + n, *script)
    started = time.monotonic()
    assert stack.post_all(events) == [200] * len(events)
    retries = max(len(script) for script in ATS_SCRIPTS)
    bound = BACKOFF_BASE_SECONDS + (retries - 1) * RETRY_AFTER + retries * LATE_SECONDS \
        + RUN_SECONDS
    seconds = _until(lambda: stack.done(events), bound, patience, "every note", started)
    return Recovery("ATS 500s, then 429s", seconds, bound, events)


def flushdb(stack, burst: int, patience: float = 1.0) -> Recovery:
    """FLUSHDB while a burst's jobs are queued: every waiting row must be queued again."""
    events = stack.new_events(burst)
    assert set(stack.post_all(events)) == {200}
    redis = stack.redis.client()
    wait_for(lambda: redis.llen("rq:queue:default") > burst // 2, 30, "a backlog")
    backlog = redis.llen("rq:queue:default")
    redis.flushdb()
    flushed, waiting = time.monotonic(), waiting_rows(stack)
    bound = LOST_JOB_BOUND.total_seconds()
    seconds = _until(lambda: not lost(stack, waiting), bound, patience, "lost rows", flushed)
    queued, open_rows = redis.llen("rq:queue:default"), stack.unfinished_rows()
    wait_for(lambda: stack.done(events), WORK_SECONDS, "the burst to be worked through", 1)
    return Recovery(f"FLUSHDB, {backlog} jobs queued", seconds, bound, events,
                    {"rows": len(waiting), "queued": queued, "open": open_rows,
                     "all_done": time.monotonic() - flushed})


def redis_restart(stack, patience: float = 1.0) -> Recovery:
    """Redis stopped, deliveries coming in meanwhile, then started again with nothing in it."""
    events, workers = stack.new_events(40), stack.workers.running()
    assert stack.post_all(events[:20]) == [200] * 20
    stack.redis.stop()
    assert stack.post_all(events[20:]) == [200] * 20  # stored and accepted all the same
    time.sleep(3)
    stack.redis.start()
    back, waiting = time.monotonic(), waiting_rows(stack)
    bound = LOST_JOB_BOUND.total_seconds()
    seconds = _until(lambda: not lost(stack, waiting), bound, patience, "waiting rows", back)
    wait_for(lambda: stack.done(events), WORK_SECONDS, "every event", 0.5)
    return Recovery("Redis stopped and started", seconds, bound, events,
                    {"workers_alive": all(w.poll() is None for w in workers)})


def postgres_hung(stack, patience: float = 1.0) -> list[Recovery]:
    """PostgreSQL stops answering while pushes are in flight, then answers again."""
    events = stack.new_events(4)
    in_flight, refused, later = events[:2], events[2], events[3:]
    _hold(stack, in_flight)
    stack.proxy.pause()
    stack.ats.release()  # their pushes now need the database to record what they did
    page = stack.web_url + "/interview/" + "x" * 43
    with ThreadPoolExecutor(2) as pool:
        webhook = pool.submit(_timed, lambda: stack.post(refused))
        html = pool.submit(_timed, lambda: requests.get(
            page, headers={"Accept": "text/html"}, timeout=60))
        (webhook, webhook_seconds), (html, html_seconds) = webhook.result(), html.result()
    stack.proxy.resume()
    resumed = time.monotonic()
    answers = {"webhook": (webhook.status_code, webhook.headers.get("Retry-After"),
                           webhook.headers.get("Content-Type")),
               "page": (html.status_code, html.headers.get("Retry-After"),
                        html.headers.get("Content-Type"))}
    # The ATS delivers again what was refused; the rest arrives as usual.
    assert stack.post_all([refused, *later]) == [200] * (1 + len(later))
    bound = DEAD_WORKER_BOUND.total_seconds() + RUN_SECONDS
    seconds = _until(lambda: stack.done(events), bound, patience, "every event", resumed)
    return [Recovery("PostgreSQL hung: web answers", max(webhook_seconds, html_seconds),
                     WEB_BOUND, [], answers),
            Recovery("PostgreSQL hung: work resumes", seconds, bound, events)]


def waiting_rows(stack) -> set[str]:
    """The rows waiting for a try, by their jobs' ids: each should have its job in Redis."""
    with stack.services.db.session() as session:
        rows = {f"delivery-{n}" for n in session.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.status == DeliveryStatus.RECEIVED))}
        for kind, model in (("push", Push), ("email", Email)):
            rows |= {f"{kind}-{n}" for n in session.scalars(select(model.id).where(
                model.status == OutboxStatus.PENDING, model.next_attempt_at <= utcnow()))}
    return rows


def lost(stack, rows: set[str]) -> set[str]:
    """Those of `rows` still waiting for a try with no job for it in Redis."""
    waiting = sorted(rows & waiting_rows(stack))
    with stack.redis.client().pipeline() as pipe:
        for job_id in waiting:
            pipe.exists(f"rq:job:{job_id}")
        return {job_id for job_id, found in zip(waiting, pipe.execute()) if not found}


def _timed(call):
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started
